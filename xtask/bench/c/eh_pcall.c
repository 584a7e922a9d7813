/* Exceptions: 10^6 errors thrown and caught, the way interpreters (Lua's pcall/error)
   use setjmp/longjmp. For wasm it is built with exception-based setjmp (zig cc
   -mexception-handling -mllvm -wasm-enable-sjlj, standard encoding), so every longjmp is
   a wasm `throw` caught by a `try_table` three frames up; natively it is libc's
   setjmp/longjmp. */
#include <setjmp.h>
#include <stdio.h>

#ifdef __wasm__
/* The tag longjmp throws (zig's wasi-libc does not define it). */
__asm__(".tagtype __c_longjmp i32\n.globl __c_longjmp\n__c_longjmp:\n");
#endif

static jmp_buf *handler;
static unsigned long long state = 88172645463325252ULL;

static unsigned long long next(void) {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
}

static __attribute__((noinline)) int level3(int x) {
    if (x % 3 != 2) longjmp(*handler, x % 1000 + 1);
    return x / 3;
}
static __attribute__((noinline)) int level2(int x) { return level3(x * 7 + 1) + 1; }
static __attribute__((noinline)) int level1(int x) { return level2(x ^ 0x55) + 2; }

/* Returns f's result, or minus the error code. */
static int pcall(int x) {
    jmp_buf buf;
    jmp_buf *saved = handler;
    handler = &buf;
    int code = setjmp(buf);
    int result = code == 0 ? level1(x) : -code;
    handler = saved;
    return result;
}

int main(void) {
    long long sum = 0;
    int thrown = 0;
    for (int i = 0; i < 1500000; i++) {
        int r = pcall((int)(next() & 0xffffff));
        thrown += r < 0;
        sum += r;
    }
    printf("%d thrown and caught, checksum %lld\n", thrown, sum);
    return 0;
}
