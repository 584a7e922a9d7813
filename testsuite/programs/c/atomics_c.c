/* C11 atomics on every width, built with zig cc -matomics: each operation becomes a wasm
 * atomic instruction (load, store, rmw add/sub/and/or/xor/xchg, cmpxchg, fence). One
 * thread: the results must equal the native build's. */
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>

static _Atomic uint8_t a8;
static _Atomic uint16_t a16;
static _Atomic uint32_t a32;
static _Atomic uint64_t a64;

/* A lock-free stack of indices, as a runtime's free list would be. */
static _Atomic uint32_t head = UINT32_MAX;
static uint32_t next_of[64];

static void push(uint32_t i) {
    uint32_t old = atomic_load(&head);
    do {
        next_of[i] = old;
    } while (!atomic_compare_exchange_weak(&head, &old, i));
}

static uint32_t pop(void) {
    uint32_t old = atomic_load(&head);
    while (old != UINT32_MAX && !atomic_compare_exchange_weak(&head, &old, next_of[old])) {
    }
    return old;
}

int main(void) {
    uint64_t checksum = 0;
    for (uint32_t i = 0; i < 100000; i++) {
        checksum += atomic_fetch_add(&a8, (uint8_t)(i * 7));
        checksum += atomic_fetch_sub(&a16, (uint16_t)(i * 13));
        checksum ^= atomic_fetch_xor(&a32, i * 2654435761u);
        checksum += atomic_fetch_or(&a64, (uint64_t)i << (i % 40));
        checksum += atomic_fetch_and(&a64, ~((uint64_t)1 << (i % 63)));
        checksum += atomic_exchange(&a16, (uint16_t)(checksum >> 3));
        uint32_t expected = atomic_load(&a32);
        atomic_compare_exchange_strong(&a32, &expected, expected + i);
        uint8_t wrong = (uint8_t)(atomic_load(&a8) + 1);
        checksum += atomic_compare_exchange_strong(&a8, &wrong, 0) ? 1000 : 1;
        atomic_thread_fence(memory_order_seq_cst);
    }
    for (uint32_t i = 0; i < 64; i++) push(i);
    uint64_t order = 0;
    for (uint32_t i; (i = pop()) != UINT32_MAX;) order = order * 31 + i;
    printf("a8=%u a16=%u a32=%u a64=%llu\n", (unsigned)atomic_load(&a8),
           (unsigned)atomic_load(&a16), (unsigned)atomic_load(&a32),
           (unsigned long long)atomic_load(&a64));
    printf("checksum=%llu order=%llu\n", (unsigned long long)checksum,
           (unsigned long long)order);
    return 0;
}
