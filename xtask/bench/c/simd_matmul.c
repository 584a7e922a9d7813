/* f32 matrix multiply with 128-bit SIMD: a chain of N x N products
   X <- A * X, each renormalised by an exact power of two, using a 4 x 8
   register-tiled kernel over a packed panel of X's columns. Exercises
   v128 loads and stores, f32x4.splat, f32x4.mul and f32x4.add in a tight
   loop (eight independent accumulators), and f32x4.abs/max for the
   renormalisation.

   SIMD: WebAssembly `wasm_simd128.h` when built with -msimd128 (required
   on wasm); natively SSE intrinsics on x86-64, otherwise portable
   four-lane loops (auto-vectorised by clang, e.g. to NEON). Every lane
   operation is the same IEEE single-precision add or multiply in the same
   order, and contraction to fused multiply-add is off, so all builds give
   the same bits.

   Self-checks: an integer-valued 256 x 256 product equals the exact
   integer product; sampled rows of every product equal a plain scalar
   triple loop bit for bit; the final matrix's FNV hash against a
   constant. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#pragma STDC FP_CONTRACT OFF

#if defined(__wasm__)
#ifndef __wasm_simd128__
#error "simd_matmul: build with -msimd128"
#endif
#include <wasm_simd128.h>
typedef v128_t f32x4;
static inline f32x4 f4_load(const float *p) { return wasm_v128_load(p); }
static inline void f4_store(float *p, f32x4 v) { wasm_v128_store(p, v); }
static inline f32x4 f4_splat(float x) { return wasm_f32x4_splat(x); }
static inline f32x4 f4_add(f32x4 a, f32x4 b) { return wasm_f32x4_add(a, b); }
static inline f32x4 f4_mul(f32x4 a, f32x4 b) { return wasm_f32x4_mul(a, b); }
static inline f32x4 f4_abs(f32x4 a) { return wasm_f32x4_abs(a); }
static inline f32x4 f4_max(f32x4 a, f32x4 b) { return wasm_f32x4_max(a, b); }
static inline float f4_lane(f32x4 a, int i) {
    float out[4];
    wasm_v128_store(out, a);
    return out[i];
}
#elif defined(__SSE2__) && !defined(SIMD_PORTABLE)
#include <emmintrin.h>
typedef __m128 f32x4;
static inline f32x4 f4_load(const float *p) { return _mm_loadu_ps(p); }
static inline void f4_store(float *p, f32x4 v) { _mm_storeu_ps(p, v); }
static inline f32x4 f4_splat(float x) { return _mm_set1_ps(x); }
static inline f32x4 f4_add(f32x4 a, f32x4 b) { return _mm_add_ps(a, b); }
static inline f32x4 f4_mul(f32x4 a, f32x4 b) { return _mm_mul_ps(a, b); }
static inline f32x4 f4_abs(f32x4 a) { return _mm_andnot_ps(_mm_set1_ps(-0.0f), a); }
/* Inputs are never NaN, so maxps agrees with f32x4.max. */
static inline f32x4 f4_max(f32x4 a, f32x4 b) { return _mm_max_ps(a, b); }
static inline float f4_lane(f32x4 a, int i) {
    float out[4];
    _mm_storeu_ps(out, a);
    return out[i];
}
#else
typedef struct {
    float v[4];
} f32x4;
static inline f32x4 f4_load(const float *p) {
    f32x4 r;
    memcpy(r.v, p, sizeof r.v);
    return r;
}
static inline void f4_store(float *p, f32x4 v) { memcpy(p, v.v, sizeof v.v); }
static inline f32x4 f4_splat(float x) { return (f32x4){{x, x, x, x}}; }
static inline f32x4 f4_add(f32x4 a, f32x4 b) {
    for (int i = 0; i < 4; i++) a.v[i] = a.v[i] + b.v[i];
    return a;
}
static inline f32x4 f4_mul(f32x4 a, f32x4 b) {
    for (int i = 0; i < 4; i++) a.v[i] = a.v[i] * b.v[i];
    return a;
}
static inline f32x4 f4_abs(f32x4 a) {
    for (int i = 0; i < 4; i++) a.v[i] = fabsf(a.v[i]);
    return a;
}
static inline f32x4 f4_max(f32x4 a, f32x4 b) {
    for (int i = 0; i < 4; i++) a.v[i] = a.v[i] > b.v[i] ? a.v[i] : b.v[i];
    return a;
}
static inline float f4_lane(f32x4 a, int i) { return a.v[i]; }
#endif

#define N 512          /* matrix order, a multiple of 8 */
#define STEPS 40       /* products in the chain */
#define SAMPLE_ROWS 4  /* rows of each product checked against the scalar loop */
#define EXACT_N 256
/* FNV-1a over the bits of the final matrix. */
#define EXPECTED 0xefdb4a0bu

static float mat_a[N * N], mat_x[N * N], mat_y[N * N];
static float panel[N * 8];

static void fail(const char *msg) {
    fprintf(stderr, "simd_matmul: FAILED: %s\n", msg);
    exit(1);
}

/* c = a * b for n x n row-major matrices (n a multiple of 8). Each element
   is summed over k in increasing order starting from +0.0, exactly as the
   scalar reference does. */
static void matmul(const float *a, const float *b, float *c, int n) {
    for (int j = 0; j < n; j += 8) {
        /* Pack columns j..j+7 of b: one contiguous row of 8 per k. */
        for (int k = 0; k < n; k++) {
            f4_store(panel + 8 * k, f4_load(b + (size_t)k * n + j));
            f4_store(panel + 8 * k + 4, f4_load(b + (size_t)k * n + j + 4));
        }
        for (int i = 0; i < n; i += 4) {
            const float *a0 = a + (size_t)i * n, *a1 = a0 + n, *a2 = a1 + n, *a3 = a2 + n;
            f32x4 zero = f4_splat(0.0f);
            f32x4 c00 = zero, c01 = zero, c10 = zero, c11 = zero;
            f32x4 c20 = zero, c21 = zero, c30 = zero, c31 = zero;
            for (int k = 0; k < n; k++) {
                f32x4 b0 = f4_load(panel + 8 * k), b1 = f4_load(panel + 8 * k + 4);
                f32x4 x = f4_splat(a0[k]);
                c00 = f4_add(c00, f4_mul(x, b0));
                c01 = f4_add(c01, f4_mul(x, b1));
                x = f4_splat(a1[k]);
                c10 = f4_add(c10, f4_mul(x, b0));
                c11 = f4_add(c11, f4_mul(x, b1));
                x = f4_splat(a2[k]);
                c20 = f4_add(c20, f4_mul(x, b0));
                c21 = f4_add(c21, f4_mul(x, b1));
                x = f4_splat(a3[k]);
                c30 = f4_add(c30, f4_mul(x, b0));
                c31 = f4_add(c31, f4_mul(x, b1));
            }
            float *r = c + (size_t)i * n + j;
            f4_store(r, c00);
            f4_store(r + 4, c01);
            r += n;
            f4_store(r, c10);
            f4_store(r + 4, c11);
            r += n;
            f4_store(r, c20);
            f4_store(r + 4, c21);
            r += n;
            f4_store(r, c30);
            f4_store(r + 4, c31);
        }
    }
}

/* Row i of a * b in plain C: the same sums in the same order (k
   increasing from +0.0), with no SIMD types involved. */
static void scalar_row(const float *a, const float *b, float *out, int n, int i) {
    for (int j = 0; j < n; j++) out[j] = 0.0f;
    for (int k = 0; k < n; k++) {
        float aik = a[(size_t)i * n + k];
        for (int j = 0; j < n; j++) out[j] = out[j] + aik * b[(size_t)k * n + j];
    }
}

/* Scales m so its largest magnitude lies in [0.5, 1): by a power of two,
   which is exact. Returns the binary exponent removed. */
static int renormalise(float *m, size_t len) {
    f32x4 big = f4_splat(0.0f);
    for (size_t i = 0; i < len; i += 4) big = f4_max(big, f4_abs(f4_load(m + i)));
    float largest = 0.0f;
    for (int l = 0; l < 4; l++)
        if (f4_lane(big, l) > largest) largest = f4_lane(big, l);
    if (!(largest > 0.0f)) fail("the product vanished");
    int e;
    frexpf(largest, &e);
    f32x4 scale = f4_splat(ldexpf(1.0f, -e));
    for (size_t i = 0; i < len; i += 4) f4_store(m + i, f4_mul(f4_load(m + i), scale));
    return e;
}

static uint64_t rng = 0x243f6a8885a308d3ull;
static uint32_t next_u32(void) {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 32);
}

/* An integer-valued product must be exact: every partial sum is an integer
   well below 2^24. */
static void exact_check(void) {
    static int32_t ia[EXACT_N * EXACT_N], ib[EXACT_N * EXACT_N];
    float *fa = mat_a, *fb = mat_x, *fc = mat_y;
    for (int i = 0; i < EXACT_N * EXACT_N; i++) {
        ia[i] = (int32_t)(next_u32() % 31) - 15;
        ib[i] = (int32_t)(next_u32() % 31) - 15;
        fa[i] = (float)ia[i];
        fb[i] = (float)ib[i];
    }
    matmul(fa, fb, fc, EXACT_N);
    for (int i = 0; i < EXACT_N; i++)
        for (int j = 0; j < EXACT_N; j++) {
            int32_t s = 0;
            for (int k = 0; k < EXACT_N; k++) s += ia[i * EXACT_N + k] * ib[k * EXACT_N + j];
            if (fc[i * EXACT_N + j] != (float)s) {
                fprintf(stderr, "simd_matmul: c[%d][%d] = %.1f, exact %d\n", i, j,
                        (double)fc[i * EXACT_N + j], s);
                fail("integer-valued product is not exact");
            }
        }
}

int main(void) {
    exact_check();
    printf("exact %dx%d integer product: ok\n", EXACT_N, EXACT_N);

    /* A: entries uniform in [-1, 1) / 16; X: uniform in [-1, 1). */
    for (size_t i = 0; i < (size_t)N * N; i++) {
        mat_a[i] = ((float)(int32_t)next_u32() * 0x1p-31f) * 0.0625f;
        mat_x[i] = (float)(int32_t)next_u32() * 0x1p-31f;
    }
    static float want[N];
    float *x = mat_x, *y = mat_y;
    int exponent_sum = 0;
    for (int step = 0; step < STEPS; step++) {
        matmul(mat_a, x, y, N);
        for (int s = 0; s < SAMPLE_ROWS; s++) {
            int row = (step * 97 + s * 89) % N;
            scalar_row(mat_a, x, want, N, row);
            if (memcmp(want, y + (size_t)row * N, sizeof want) != 0) {
                fprintf(stderr, "simd_matmul: product %d, row %d differs from the scalar loop\n",
                        step, row);
                fail("SIMD product differs from the scalar product");
            }
        }
        exponent_sum += renormalise(y, (size_t)N * N);
        float *t = x;
        x = y;
        y = t;
    }

    uint32_t h = 2166136261u;
    for (size_t i = 0; i < (size_t)N * N; i++) {
        uint32_t bits;
        memcpy(&bits, &x[i], 4);
        for (int b = 0; b < 4; b++) {
            h ^= (bits >> (8 * b)) & 0xff;
            h *= 16777619u;
        }
    }
    uint32_t corner;
    memcpy(&corner, &x[0], 4);
    printf("%d products of %dx%d: exponent sum %d, x[0][0] bits 0x%08x\n", STEPS, N, N,
           exponent_sum, corner);
    if (h != EXPECTED) {
        fprintf(stderr, "simd_matmul: checksum 0x%08x, expected 0x%08x\n", h, EXPECTED);
        fail("wrong checksum");
    }
    printf("checksum: 0x%08x\n", h);
    return 0;
}
