/* setjmp/longjmp the way interpreters use them for errors (Lua's pcall/error): built for
   wasm with clang's exception-based setjmp (`-mllvm -wasm-enable-sjlj`), each longjmp is
   a wasm `throw` that unwinds compiled frames to the setjmp's function. The output must
   equal the native build's. */
#include <setjmp.h>
#include <stdio.h>
#include <string.h>

#ifdef __wasm__
/* The tag longjmp throws: wasi-libc's setjmp runtime refers to it, and zig's build of
   wasi-libc does not define it (wasi-sdk's does). */
__asm__(".tagtype __c_longjmp i32\n.globl __c_longjmp\n__c_longjmp:\n");
#endif

/* A stack of protected calls, like lua_pcall's. */
struct handler {
    jmp_buf buf;
    struct handler *prev;
    char message[64];
};
static struct handler *innermost;

static void raise_error(const char *message) {
    snprintf(innermost->message, sizeof innermost->message, "%s", message);
    longjmp(innermost->buf, 1);
}

typedef int (*protected_fn)(int);

/* Runs f(arg); returns 0 and sets *result, or 1 with the error message in `error`. */
static int pcall(protected_fn f, int arg, int *result, char *error) {
    struct handler h;
    h.prev = innermost;
    innermost = &h;
    if (setjmp(h.buf) == 0) {
        *result = f(arg);
        innermost = h.prev;
        return 0;
    }
    innermost = h.prev;
    strcpy(error, h.message);
    return 1;
}

static int recurse_then_fail(int n) {
    if (n == 0) raise_error("depth reached");
    return recurse_then_fail(n - 1) + 1;
}

static int checked_div(int x) {
    if (x % 7 == 0) raise_error("multiple of seven");
    return 1000 / (x % 7);
}

/* A protected call inside a protected call: the inner error is caught inside. */
static int nested(int n) {
    int result = 0;
    char error[64];
    int failed = pcall(recurse_then_fail, n, &result, error);
    if (failed) return (int)strlen(error) * 100 + n;
    return -1;
}

int main(void) {
    int result;
    char error[64];
    for (int depth = 0; depth <= 2000; depth += 500) {
        int failed = pcall(recurse_then_fail, depth, &result, error);
        printf("depth %d: failed=%d error=%s\n", depth, failed, failed ? error : "-");
    }
    long sum = 0;
    int errors = 0;
    for (int i = 1; i <= 100000; i++) {
        if (pcall(checked_div, i, &result, error)) errors++;
        else sum += result;
    }
    printf("100000 protected divisions: sum %ld, %d errors\n", sum, errors);
    if (pcall(nested, 300, &result, error) == 0) printf("nested: %d\n", result);
    /* longjmp with 0 makes setjmp return 1. */
    jmp_buf b;
    volatile int rounds = 0;
    int v = setjmp(b);
    rounds++;
    if (rounds < 3) longjmp(b, 0);
    printf("setjmp returned %d after %d rounds\n", v, rounds);
    return 0;
}
