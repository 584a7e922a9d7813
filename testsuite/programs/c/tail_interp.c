/* A bytecode interpreter whose handlers dispatch to each other with guaranteed tail
 * calls (`musttail`), the way fast interpreters (CPython 3.14, wasm3, protobuf's upb)
 * are written. Built for wasm32-wasi with `zig cc -mtail-call`, every dispatch is a
 * wasm `return_call_indirect`; without proper tail calls the tens of millions of
 * dispatches below would need tens of millions of stack frames.
 *
 * The programs count primes by trial division and sum Collatz sequence lengths. The
 * output is compared with the same source built natively. */

#include <stdint.h>
#include <stdio.h>

#define MUSTTAIL __attribute__((musttail))

enum { PUSH, LOAD, STORE, ADD, SUB, MUL, MOD, DIV, LT, EQ, JZ, JMP, DUP, DROP, PRINT, HALT };

typedef struct {
    uint8_t op;
    int32_t arg;
} insn;

typedef struct {
    int64_t vars[8];
    uint64_t dispatches;
} machine;

typedef int64_t handler(machine *m, const insn *code, const insn *pc, int64_t *sp);
static handler *const table[];

#define NEXT(next_pc, next_sp)                                                    \
    do {                                                                          \
        m->dispatches++;                                                          \
        MUSTTAIL return table[(next_pc)->op](m, code, (next_pc), (next_sp));      \
    } while (0)

static int64_t op_push(machine *m, const insn *code, const insn *pc, int64_t *sp) {
    *sp = pc->arg;
    NEXT(pc + 1, sp + 1);
}
static int64_t op_load(machine *m, const insn *code, const insn *pc, int64_t *sp) {
    *sp = m->vars[pc->arg];
    NEXT(pc + 1, sp + 1);
}
static int64_t op_store(machine *m, const insn *code, const insn *pc, int64_t *sp) {
    m->vars[pc->arg] = sp[-1];
    NEXT(pc + 1, sp - 1);
}
static int64_t op_add(machine *m, const insn *code, const insn *pc, int64_t *sp) {
    sp[-2] += sp[-1];
    NEXT(pc + 1, sp - 1);
}
static int64_t op_sub(machine *m, const insn *code, const insn *pc, int64_t *sp) {
    sp[-2] -= sp[-1];
    NEXT(pc + 1, sp - 1);
}
static int64_t op_mul(machine *m, const insn *code, const insn *pc, int64_t *sp) {
    sp[-2] *= sp[-1];
    NEXT(pc + 1, sp - 1);
}
static int64_t op_mod(machine *m, const insn *code, const insn *pc, int64_t *sp) {
    sp[-2] %= sp[-1];
    NEXT(pc + 1, sp - 1);
}
static int64_t op_div(machine *m, const insn *code, const insn *pc, int64_t *sp) {
    sp[-2] /= sp[-1];
    NEXT(pc + 1, sp - 1);
}
static int64_t op_lt(machine *m, const insn *code, const insn *pc, int64_t *sp) {
    sp[-2] = sp[-2] < sp[-1];
    NEXT(pc + 1, sp - 1);
}
static int64_t op_eq(machine *m, const insn *code, const insn *pc, int64_t *sp) {
    sp[-2] = sp[-2] == sp[-1];
    NEXT(pc + 1, sp - 1);
}
static int64_t op_jz(machine *m, const insn *code, const insn *pc, int64_t *sp) {
    if (sp[-1] == 0) {
        NEXT(code + pc->arg, sp - 1);
    }
    NEXT(pc + 1, sp - 1);
}
static int64_t op_jmp(machine *m, const insn *code, const insn *pc, int64_t *sp) {
    NEXT(code + pc->arg, sp);
}
static int64_t op_dup(machine *m, const insn *code, const insn *pc, int64_t *sp) {
    *sp = sp[-1];
    NEXT(pc + 1, sp + 1);
}
static int64_t op_drop(machine *m, const insn *code, const insn *pc, int64_t *sp) {
    NEXT(pc + 1, sp - 1);
}
static int64_t op_print(machine *m, const insn *code, const insn *pc, int64_t *sp) {
    printf("  %lld\n", (long long)sp[-1]);
    NEXT(pc + 1, sp - 1);
}
static int64_t op_halt(machine *m, const insn *code, const insn *pc, int64_t *sp) {
    (void)code;
    (void)pc;
    (void)sp;
    return (int64_t)m->dispatches;
}

static handler *const table[] = {
    [PUSH] = op_push, [LOAD] = op_load, [STORE] = op_store, [ADD] = op_add,
    [SUB] = op_sub,   [MUL] = op_mul,   [MOD] = op_mod,     [DIV] = op_div,
    [LT] = op_lt,     [EQ] = op_eq,     [JZ] = op_jz,       [JMP] = op_jmp,
    [DUP] = op_dup,   [DROP] = op_drop, [PRINT] = op_print, [HALT] = op_halt,
};

static int64_t run(const char *name, const insn *code) {
    machine m = {{0}, 0};
    int64_t stack[64];
    printf("%s:\n", name);
    int64_t dispatches = table[code->op](&m, code, code, stack);
    printf("  %lld dispatches\n", (long long)dispatches);
    return dispatches;
}

/* Primes below 30000 by trial division: v0 = n, v1 = d, v2 = count. */
static const insn primes[] = {
    /*  0 */ {PUSH, 2},  {STORE, 0},     {PUSH, 0},  {STORE, 2},
    /*  4 loop_n */ {LOAD, 0}, {PUSH, 30000}, {LT, 0}, {JZ, 35},
    /*  8 */ {PUSH, 2},  {STORE, 1},
    /* 10 loop_d */ {LOAD, 0}, {LOAD, 1}, {LOAD, 1}, {MUL, 0}, {LT, 0}, {JZ, 17},
    /* 16 */ {JMP, 26},
    /* 17 check */ {LOAD, 0}, {LOAD, 1}, {MOD, 0}, {JZ, 30},
    /* 21 */ {LOAD, 1},  {PUSH, 1},      {ADD, 0},   {STORE, 1}, {JMP, 10},
    /* 26 prime */ {LOAD, 2}, {PUSH, 1}, {ADD, 0}, {STORE, 2},
    /* 30 next_n */ {LOAD, 0}, {PUSH, 1}, {ADD, 0}, {STORE, 0}, {JMP, 4},
    /* 35 done */ {LOAD, 2}, {PRINT, 0}, {HALT, 0},
};

/* The sum of Collatz sequence lengths for 1..20000: v0 = i, v1 = x, v2 = total. */
static const insn collatz[] = {
    /*  0 */ {PUSH, 1},  {STORE, 0},     {PUSH, 0},  {STORE, 2},
    /*  4 loop_i */ {LOAD, 0}, {PUSH, 20001}, {LT, 0}, {JZ, 39},
    /*  8 */ {LOAD, 0},  {STORE, 1},
    /* 10 loop_x */ {LOAD, 1}, {PUSH, 1}, {EQ, 0}, {JZ, 15},
    /* 14 */ {JMP, 34},
    /* 15 */ {LOAD, 2},  {PUSH, 1},      {ADD, 0},   {STORE, 2},
    /* 19 */ {LOAD, 1},  {PUSH, 2},      {MOD, 0},   {JZ, 29},
    /* 23 odd */ {LOAD, 1}, {PUSH, 3}, {MUL, 0}, {PUSH, 1}, {ADD, 0}, {JMP, 32},
    /* 29 even */ {LOAD, 1}, {PUSH, 2}, {DIV, 0},
    /* 32 store_x */ {STORE, 1}, {JMP, 10},
    /* 34 next_i */ {LOAD, 0}, {PUSH, 1}, {ADD, 0}, {STORE, 0}, {JMP, 4},
    /* 39 done */ {LOAD, 2}, {PRINT, 0}, {HALT, 0},
};

int main(void) {
    int64_t total = run("primes below 30000", primes) + run("collatz 1..20000", collatz);
    printf("total dispatches: %lld\n", (long long)total);
    return 0;
}
