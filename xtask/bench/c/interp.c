/* A small stack-machine bytecode interpreter with switch dispatch, running
   three guest programs: recursive Fibonacci (calls and returns), a nested
   arithmetic loop (locals and branches) and a sieve of Eratosthenes (guest
   memory loads and stores). Exercises an indirect-branch dispatch loop,
   a value stack in memory and unpredictable control flow.

   Self-checks: every guest result is compared with the same computation
   written directly in C, and the combined checksum must match a constant. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FIB_N 30
#define LOOP_N 2000
#define SIEVE_N 2000000
#define SIEVE_REPS 3
/* FNV-1a over the guest results, folded to 32 bits. */
#define EXPECTED 0x30f3e54eu

enum op {
    OP_HALT, OP_PUSH, OP_DROP, OP_DUP, OP_LOAD, OP_STORE, OP_ADD, OP_SUB, OP_MUL,
    OP_XOR, OP_AND, OP_SHR, OP_LT, OP_JMP, OP_JZ, OP_JNZ, OP_CALL, OP_RET,
    OP_ENTER, OP_GLOAD, OP_GSTORE, OP_INC,
};

#define CODE_MAX 512
#define STACK_MAX 4096
#define FRAMES_MAX 1024
#define HEAP_WORDS (SIEVE_N + 16)

static int32_t code[CODE_MAX];
static int code_len;
static uint32_t heap[HEAP_WORDS];

static void fail(const char *msg) {
    fprintf(stderr, "interp: FAILED: %s\n", msg);
    exit(1);
}

/* ---- a tiny assembler with forward labels ---- */

#define LABELS_MAX 32
static int label_at[LABELS_MAX];
static int fixups[CODE_MAX][2]; /* (code index, label) */
static int fixup_count;

static void emit(int32_t word) {
    if (code_len >= CODE_MAX) fail("program too long");
    code[code_len++] = word;
}
static void op0(enum op op) { emit(op); }
static void op1(enum op op, int32_t arg) { emit(op); emit(arg); }
static void op_label(enum op op, int label) {
    emit(op);
    fixups[fixup_count][0] = code_len;
    fixups[fixup_count][1] = label;
    fixup_count++;
    emit(-1);
}
static void place(int label) { label_at[label] = code_len; }
static void link_labels(void) {
    for (int i = 0; i < fixup_count; i++) code[fixups[i][0]] = label_at[fixups[i][1]];
}

/* ---- the machine ---- */

struct frame {
    int return_pc;
    int base;
};

/* Runs from `pc` with `args` already pushed; returns the value left on top
   of the stack at HALT. Counts executed instructions in *steps. */
static uint32_t run(int pc, const uint32_t *args, int nargs, uint64_t *steps) {
    static uint32_t stack[STACK_MAX];
    static struct frame frames[FRAMES_MAX];
    int sp = 0, fp = 0, depth = 0;
    uint64_t executed = 0;
    for (int i = 0; i < nargs; i++) stack[sp++] = args[i];

    for (;;) {
        executed++;
        int32_t op = code[pc++];
        switch (op) {
        case OP_HALT:
            *steps += executed;
            return stack[sp - 1];
        case OP_PUSH: stack[sp++] = (uint32_t)code[pc++]; break;
        case OP_DROP: sp--; break;
        case OP_DUP: stack[sp] = stack[sp - 1]; sp++; break;
        case OP_LOAD: stack[sp++] = stack[fp + code[pc++]]; break;
        case OP_STORE: stack[fp + code[pc++]] = stack[--sp]; break;
        case OP_INC: stack[fp + code[pc]] += (uint32_t)code[pc + 1]; pc += 2; break;
        case OP_ADD: sp--; stack[sp - 1] += stack[sp]; break;
        case OP_SUB: sp--; stack[sp - 1] -= stack[sp]; break;
        case OP_MUL: sp--; stack[sp - 1] *= stack[sp]; break;
        case OP_XOR: sp--; stack[sp - 1] ^= stack[sp]; break;
        case OP_AND: sp--; stack[sp - 1] &= stack[sp]; break;
        case OP_SHR: sp--; stack[sp - 1] >>= (stack[sp] & 31); break;
        case OP_LT:
            sp--;
            stack[sp - 1] = (int32_t)stack[sp - 1] < (int32_t)stack[sp];
            break;
        case OP_JMP: pc = code[pc]; break;
        case OP_JZ: pc = stack[--sp] == 0 ? code[pc] : pc + 1; break;
        case OP_JNZ: pc = stack[--sp] != 0 ? code[pc] : pc + 1; break;
        case OP_CALL: {
            int target = code[pc], nparams = code[pc + 1];
            if (depth >= FRAMES_MAX) fail("guest call stack overflow");
            frames[depth].return_pc = pc + 2;
            frames[depth].base = fp;
            depth++;
            fp = sp - nparams;
            pc = target;
            break;
        }
        case OP_ENTER:
            for (int i = 0; i < code[pc]; i++) stack[sp++] = 0;
            pc++;
            if (sp > STACK_MAX - 64) fail("guest value stack overflow");
            break;
        case OP_RET: {
            uint32_t result = stack[sp - 1];
            sp = fp;
            stack[sp++] = result;
            depth--;
            pc = frames[depth].return_pc;
            fp = frames[depth].base;
            break;
        }
        case OP_GLOAD: stack[sp - 1] = heap[stack[sp - 1]]; break;
        case OP_GSTORE: heap[stack[sp - 1]] = stack[sp - 2]; sp -= 2; break;
        default: fail("bad opcode");
        }
    }
}

/* ---- guest programs ---- */

enum {
    L_FIB_MAIN, L_FIB, L_FIB_REC,
    L_LOOP, L_OUTER, L_OUTER_END, L_INNER, L_INNER_END,
    L_SIEVE, L_CLEAR, L_CLEAR_END, L_SCAN, L_SCAN_END, L_NEXT, L_MARK, L_MARK_END,
};

static void assemble(void) {
    /* fib_main(n): HALT with fib(n) on the stack. */
    place(L_FIB_MAIN);
    op1(OP_LOAD, 0);
    op_label(OP_CALL, L_FIB); emit(1); /* CALL target, argument count */
    op0(OP_HALT);

    /* fib(n) = n < 2 ? n : fib(n-1) + fib(n-2) */
    place(L_FIB);
    op1(OP_LOAD, 0); op1(OP_PUSH, 2); op0(OP_LT); op_label(OP_JZ, L_FIB_REC);
    op1(OP_LOAD, 0); op0(OP_RET);
    place(L_FIB_REC);
    op1(OP_LOAD, 0); op1(OP_PUSH, 1); op0(OP_SUB); op_label(OP_CALL, L_FIB); emit(1);
    op1(OP_LOAD, 0); op1(OP_PUSH, 2); op0(OP_SUB); op_label(OP_CALL, L_FIB); emit(1);
    op0(OP_ADD); op0(OP_RET);

    /* loop(n): locals i=1, j=2, acc=3;
       for i < n: for j < n: acc = (acc ^ (i*j + j)) * 33 + (acc >> 7) */
    place(L_LOOP);
    op1(OP_ENTER, 3);
    place(L_OUTER);
    op1(OP_LOAD, 1); op1(OP_LOAD, 0); op0(OP_LT); op_label(OP_JZ, L_OUTER_END);
    op1(OP_PUSH, 0); op1(OP_STORE, 2);
    place(L_INNER);
    op1(OP_LOAD, 2); op1(OP_LOAD, 0); op0(OP_LT); op_label(OP_JZ, L_INNER_END);
    op1(OP_LOAD, 3);
    op1(OP_LOAD, 1); op1(OP_LOAD, 2); op0(OP_MUL); op1(OP_LOAD, 2); op0(OP_ADD);
    op0(OP_XOR); op1(OP_PUSH, 33); op0(OP_MUL);
    op1(OP_LOAD, 3); op1(OP_PUSH, 7); op0(OP_SHR); op0(OP_ADD);
    op1(OP_STORE, 3);
    emit(OP_INC); emit(2); emit(1);
    op_label(OP_JMP, L_INNER);
    place(L_INNER_END);
    emit(OP_INC); emit(1); emit(1);
    op_label(OP_JMP, L_OUTER);
    place(L_OUTER_END);
    op1(OP_LOAD, 3); op0(OP_HALT);

    /* sieve(n): heap[2..n) = 1, then strike the multiples of each prime;
       HALT with count * 65536 ^ sum (mod 2^32) of the primes below n.
       locals: n=0, i=1, j=2, count=3, sum=4 */
    place(L_SIEVE);
    op1(OP_ENTER, 4);
    op1(OP_PUSH, 2); op1(OP_STORE, 1);
    place(L_CLEAR);
    op1(OP_LOAD, 1); op1(OP_LOAD, 0); op0(OP_LT); op_label(OP_JZ, L_CLEAR_END);
    op1(OP_PUSH, 1); op1(OP_LOAD, 1); op0(OP_GSTORE);
    emit(OP_INC); emit(1); emit(1);
    op_label(OP_JMP, L_CLEAR);
    place(L_CLEAR_END);
    op1(OP_PUSH, 2); op1(OP_STORE, 1);
    place(L_SCAN);
    op1(OP_LOAD, 1); op1(OP_LOAD, 0); op0(OP_LT); op_label(OP_JZ, L_SCAN_END);
    op1(OP_LOAD, 1); op0(OP_GLOAD); op_label(OP_JZ, L_NEXT);
    emit(OP_INC); emit(3); emit(1);
    op1(OP_LOAD, 4); op1(OP_LOAD, 1); op0(OP_ADD); op1(OP_STORE, 4);
    /* Strike from j = i * i, when that is below 2^31 (for n < 2^31, a
       larger i * i would not be below n anyway). */
    op1(OP_LOAD, 1); op1(OP_PUSH, 46341); op0(OP_LT); op_label(OP_JZ, L_NEXT);
    op1(OP_LOAD, 1); op1(OP_LOAD, 1); op0(OP_MUL); op1(OP_STORE, 2);
    place(L_MARK);
    op1(OP_LOAD, 2); op1(OP_LOAD, 0); op0(OP_LT); op_label(OP_JZ, L_MARK_END);
    op1(OP_PUSH, 0); op1(OP_LOAD, 2); op0(OP_GSTORE);
    op1(OP_LOAD, 2); op1(OP_LOAD, 1); op0(OP_ADD); op1(OP_STORE, 2);
    op_label(OP_JMP, L_MARK);
    place(L_MARK_END);
    place(L_NEXT);
    emit(OP_INC); emit(1); emit(1);
    op_label(OP_JMP, L_SCAN);
    place(L_SCAN_END);
    op1(OP_LOAD, 3); op1(OP_PUSH, 65536); op0(OP_MUL); op1(OP_LOAD, 4); op0(OP_XOR);
    op0(OP_HALT);

    link_labels();
}

/* ---- the same computations in C ---- */

static uint32_t fib_ref(int n) {
    uint32_t a = 0, b = 1;
    for (int i = 0; i < n; i++) {
        uint32_t t = a + b;
        a = b;
        b = t;
    }
    return a;
}

static uint32_t loop_ref(uint32_t n) {
    uint32_t acc = 0;
    for (uint32_t i = 0; i < n; i++)
        for (uint32_t j = 0; j < n; j++) acc = (acc ^ (i * j + j)) * 33 + (acc >> 7);
    return acc;
}

static uint32_t sieve_ref(uint32_t n) {
    static uint8_t composite[SIEVE_N];
    uint32_t count = 0, sum = 0;
    memset(composite, 0, sizeof composite);
    for (uint32_t i = 2; i < n; i++) {
        if (composite[i]) continue;
        count++;
        sum += i;
        for (uint64_t j = (uint64_t)i * i; j < n; j += i) composite[j] = 1;
    }
    return count * 65536u ^ sum;
}

static uint64_t hash = 0xcbf29ce484222325ull;
static void add(uint64_t v) {
    for (int b = 0; b < 8; b++) {
        hash ^= (v >> (8 * b)) & 0xff;
        hash *= 0x100000001b3ull;
    }
}

static void expect(const char *what, uint32_t got, uint32_t want) {
    if (got != want) {
        fprintf(stderr, "interp: %s: guest computed 0x%08x, C computed 0x%08x\n", what, got, want);
        fail("guest result differs");
    }
}

int main(void) {
    assemble();
    uint64_t steps = 0;

    uint32_t arg = FIB_N;
    uint32_t fib = run(label_at[L_FIB_MAIN], &arg, 1, &steps);
    expect("fib", fib, fib_ref(FIB_N));
    printf("fib(%d) = %u\n", FIB_N, fib);
    add(fib);

    arg = LOOP_N;
    uint32_t loop = run(label_at[L_LOOP], &arg, 1, &steps);
    expect("loop", loop, loop_ref(LOOP_N));
    printf("loop(%d) = 0x%08x\n", LOOP_N, loop);
    add(loop);

    for (int rep = 0; rep < SIEVE_REPS; rep++) {
        arg = SIEVE_N - rep * 1000;
        uint32_t sieve = run(label_at[L_SIEVE], &arg, 1, &steps);
        expect("sieve", sieve, sieve_ref(arg));
        printf("sieve(%u) = 0x%08x\n", arg, sieve);
        add(sieve);
    }

    add(steps);
    printf("%llu guest instructions\n", (unsigned long long)steps);
    uint32_t checksum = (uint32_t)(hash ^ (hash >> 32));
    if (checksum != EXPECTED) {
        fprintf(stderr, "interp: checksum 0x%08x, expected 0x%08x\n", checksum, EXPECTED);
        fail("wrong checksum");
    }
    printf("checksum: 0x%08x\n", checksum);
    return 0;
}
