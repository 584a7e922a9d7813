/*
 * SIMD from C through clang's <wasm_simd128.h>: v128 loads and stores, byte
 * shuffles and swizzles, bitmasks, any/all-true, saturating and widening
 * integer arithmetic, the i16 dot product and f32x4 arithmetic, on generated
 * data. `cargo xtask test` builds it twice with `zig cc`: for wasm32-wasi with
 * -msimd128 (the SIMD kernels) and for the host (the scalar twins below, under
 * #ifndef __wasm_simd128__, with exactly the wasm semantics), and the test
 * compares Kiln's output with the native one byte for byte.
 *
 * Everything printed is exact: integers, checksums and f32 bit patterns; no NaN
 * is ever printed. Both builds use -ffp-contract=off so that no a*b+c is fused.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#ifdef __wasm_simd128__
#include <wasm_simd128.h>
#endif

#define N 4099

/* Deterministic data from a 64-bit LCG. */
static uint64_t rng_state;

static uint32_t next_u32(void) {
    rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t)(rng_state >> 32);
}

/* FNV-1a: a compact, exact checksum of a kernel's whole output. */
static uint64_t fnv(const void *data, size_t len) {
    const uint8_t *p = data;
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < len; i++) {
        h = (h ^ p[i]) * 0x100000001b3ull;
    }
    return h;
}

static uint32_t bits(float f) {
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

#ifdef __wasm_simd128__

/* Positions of `needle`: compare 16 bytes at once, walk the bitmask's set bits. */
static size_t find_byte(const uint8_t *hay, size_t len, uint8_t needle, uint32_t *found) {
    size_t count = 0, at = 0;
    v128_t splat = wasm_u8x16_splat(needle);
    for (; at + 16 <= len; at += 16) {
        uint32_t mask = wasm_i8x16_bitmask(wasm_i8x16_eq(wasm_v128_load(hay + at), splat));
        while (mask) {
            found[count++] = (uint32_t)(at + __builtin_ctz(mask));
            mask &= mask - 1;
        }
    }
    for (; at < len; at++) {
        if (hay[at] == needle) found[count++] = (uint32_t)at;
    }
    return count;
}

/* Reverses the bytes of each 32-bit word (len a multiple of 4). */
static void bswap32(uint32_t *words, size_t len) {
    for (size_t i = 0; i < len; i += 4) {
        v128_t v = wasm_v128_load(words + i);
        wasm_v128_store(words + i,
                        wasm_i8x16_shuffle(v, v, 3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8, 15, 14, 13, 12));
    }
}

/* Lowercase hex of 8 bytes at a time: nibbles interleaved by a shuffle, then
 * looked up with a swizzle (len a multiple of 8). */
static void to_hex(const uint8_t *bytes, size_t len, char *out) {
    v128_t digits = wasm_i8x16_make('0', '1', '2', '3', '4', '5', '6', '7', '8', '9', 'a', 'b',
                                    'c', 'd', 'e', 'f');
    for (size_t i = 0; i < len; i += 8) {
        v128_t v = wasm_v128_load64_zero(bytes + i);
        v128_t high = wasm_u8x16_shr(v, 4);
        v128_t low = wasm_v128_and(v, wasm_u8x16_splat(0x0f));
        v128_t nibbles = wasm_i8x16_shuffle(high, low, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21,
                                            6, 22, 7, 23);
        wasm_v128_store(out + 2 * i, wasm_i8x16_swizzle(digits, nibbles));
    }
    out[2 * len] = 0;
}

/* Saturating add, and (a + b + 1) / 2 computed in 16-bit lanes and narrowed
 * back with unsigned saturation (len a multiple of 16). */
static void blend(const uint8_t *a, const uint8_t *b, size_t len, uint8_t *sum, uint8_t *avg) {
    for (size_t i = 0; i < len; i += 16) {
        v128_t va = wasm_v128_load(a + i), vb = wasm_v128_load(b + i);
        wasm_v128_store(sum + i, wasm_u8x16_add_sat(va, vb));
        v128_t one = wasm_i16x8_splat(1);
        v128_t lo = wasm_u16x8_shr(
            wasm_i16x8_add(wasm_i16x8_add(wasm_u16x8_extend_low_u8x16(va),
                                          wasm_u16x8_extend_low_u8x16(vb)),
                           one),
            1);
        v128_t hi = wasm_u16x8_shr(
            wasm_i16x8_add(wasm_i16x8_add(wasm_u16x8_extend_high_u8x16(va),
                                          wasm_u16x8_extend_high_u8x16(vb)),
                           one),
            1);
        wasm_v128_store(avg + i, wasm_u8x16_narrow_i16x8(lo, hi));
    }
}

/* Saturating i16 sums and Σ a·b with i32x4.dot_i16x8_s (len a multiple of 8). */
static int32_t mix_dot(const int16_t *a, const int16_t *b, size_t len, int16_t *mixed) {
    v128_t acc = wasm_i32x4_splat(0);
    for (size_t i = 0; i < len; i += 8) {
        v128_t va = wasm_v128_load(a + i), vb = wasm_v128_load(b + i);
        wasm_v128_store(mixed + i, wasm_i16x8_add_sat(va, vb));
        acc = wasm_i32x4_add(acc, wasm_i32x4_dot_i16x8(va, vb));
    }
    uint32_t sum = (uint32_t)wasm_i32x4_extract_lane(acc, 0) + (uint32_t)wasm_i32x4_extract_lane(acc, 1) +
                   (uint32_t)wasm_i32x4_extract_lane(acc, 2) + (uint32_t)wasm_i32x4_extract_lane(acc, 3);
    return (int32_t)sum;
}

/* A 4×4 f32 matrix product, row by row: c[i] = Σk a[i][k]·b[k], k = 0..3. */
static void matmul4(const float *a, const float *b, float *c) {
    for (int i = 0; i < 4; i++) {
        v128_t acc = wasm_f32x4_splat(0.0f);
        for (int k = 0; k < 4; k++) {
            acc = wasm_f32x4_add(acc, wasm_f32x4_mul(wasm_f32x4_splat(a[4 * i + k]),
                                                     wasm_v128_load(b + 4 * k)));
        }
        wasm_v128_store(c + 4 * i, acc);
    }
}

/* sqrt(max(min(x, hi), lo)) and min(x, 0), which keeps the sign of a zero (len a
 * multiple of 4). */
static void float_lanes(const float *x, size_t len, float lo, float hi, float *root, float *neg) {
    for (size_t i = 0; i < len; i += 4) {
        v128_t v = wasm_v128_load(x + i);
        v128_t clamped = wasm_f32x4_max(wasm_f32x4_min(v, wasm_f32x4_splat(hi)), wasm_f32x4_splat(lo));
        wasm_v128_store(root + i, wasm_f32x4_sqrt(clamped));
        wasm_v128_store(neg + i, wasm_f32x4_min(v, wasm_f32x4_splat(0.0f)));
    }
}

/* Lane access and the all/any tests: [x, y, x, z], its product with itself,
 * whether every lane is non-zero, whether any is negative. */
static void lanes(int32_t x, int32_t y, int32_t z, int32_t out[4], int *all_nonzero,
                  int *any_negative) {
    v128_t v = wasm_i32x4_replace_lane(wasm_i32x4_splat(x), 1, y);
    v = wasm_i32x4_replace_lane(v, 3, z);
    v128_t square = wasm_i32x4_mul(v, v);
    out[0] = wasm_i32x4_extract_lane(square, 0);
    out[1] = wasm_i32x4_extract_lane(square, 1);
    out[2] = wasm_i32x4_extract_lane(square, 2);
    out[3] = wasm_i32x4_extract_lane(square, 3);
    *all_nonzero = wasm_i32x4_all_true(v);
    *any_negative = wasm_v128_any_true(wasm_i32x4_lt(v, wasm_i32x4_splat(0)));
}

#else /* the scalar twins, with wasm's semantics */

static size_t find_byte(const uint8_t *hay, size_t len, uint8_t needle, uint32_t *found) {
    size_t count = 0;
    for (size_t i = 0; i < len; i++) {
        if (hay[i] == needle) found[count++] = (uint32_t)i;
    }
    return count;
}

static void bswap32(uint32_t *words, size_t len) {
    for (size_t i = 0; i < len; i++) {
        uint32_t w = words[i];
        words[i] = (w >> 24) | ((w >> 8) & 0xff00) | ((w << 8) & 0xff0000) | (w << 24);
    }
}

static void to_hex(const uint8_t *bytes, size_t len, char *out) {
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = "0123456789abcdef"[bytes[i] >> 4];
        out[2 * i + 1] = "0123456789abcdef"[bytes[i] & 15];
    }
    out[2 * len] = 0;
}

static void blend(const uint8_t *a, const uint8_t *b, size_t len, uint8_t *sum, uint8_t *avg) {
    for (size_t i = 0; i < len; i++) {
        unsigned s = (unsigned)a[i] + b[i];
        sum[i] = s > 255 ? 255 : (uint8_t)s;
        avg[i] = (uint8_t)((s + 1) >> 1);
    }
}

static int32_t mix_dot(const int16_t *a, const int16_t *b, size_t len, int16_t *mixed) {
    uint32_t sum = 0; /* unsigned: wraps like i32x4.add */
    for (size_t i = 0; i < len; i++) {
        int32_t s = (int32_t)a[i] + b[i];
        mixed[i] = (int16_t)(s > 32767 ? 32767 : s < -32768 ? -32768 : s);
        sum += (uint32_t)((int32_t)a[i] * b[i]);
    }
    return (int32_t)sum;
}

static void matmul4(const float *a, const float *b, float *c) {
    for (int i = 0; i < 4; i++) {
        for (int j = 0; j < 4; j++) {
            float acc = 0.0f;
            for (int k = 0; k < 4; k++) {
                acc = acc + a[4 * i + k] * b[4 * k + j];
            }
            c[4 * i + j] = acc;
        }
    }
}

/* f32x4.min and f32x4.max order -0 below +0 (no NaN reaches them here). */
static float wasm_min(float a, float b) {
    if (a == b) {
        uint32_t u = bits(a) | bits(b);
        memcpy(&a, &u, sizeof a);
        return a;
    }
    return a < b ? a : b;
}

static float wasm_max(float a, float b) {
    if (a == b) {
        uint32_t u = bits(a) & bits(b);
        memcpy(&a, &u, sizeof a);
        return a;
    }
    return a > b ? a : b;
}

static void float_lanes(const float *x, size_t len, float lo, float hi, float *root, float *neg) {
    for (size_t i = 0; i < len; i++) {
        root[i] = __builtin_sqrtf(wasm_max(wasm_min(x[i], hi), lo));
        neg[i] = wasm_min(x[i], 0.0f);
    }
}

static void lanes(int32_t x, int32_t y, int32_t z, int32_t out[4], int *all_nonzero,
                  int *any_negative) {
    int32_t v[4] = {x, y, x, z};
    *all_nonzero = 1;
    *any_negative = 0;
    for (int i = 0; i < 4; i++) {
        out[i] = (int32_t)((uint32_t)v[i] * (uint32_t)v[i]);
        *all_nonzero &= v[i] != 0;
        *any_negative |= v[i] < 0;
    }
}

#endif

/* The data lives in static arrays: 16-byte aligned for the vector kernels. */
static uint8_t bytes_a[N] __attribute__((aligned(16)));
static uint8_t bytes_b[N] __attribute__((aligned(16)));
static uint8_t sum[N], avg[N];
static uint32_t found[N];
static uint32_t words[1024];
static int16_t samples_a[N], samples_b[N], mixed[N];
static float floats[1000], root[1000], neg[1000];
static char hex[2 * 40 + 1];

int main(void) {
    /* A volatile seed: nothing is computed at compile time. */
    volatile uint64_t seed = 0xc51d0c0de;
    rng_state = seed;
    const size_t len = N - N % 16; /* the kernels take whole vectors */

    for (size_t i = 0; i < N; i++) {
        bytes_a[i] = (uint8_t)(next_u32() >> 24);
        bytes_b[i] = (uint8_t)(next_u32() >> 24);
        samples_a[i] = (int16_t)(next_u32() >> 16);
        samples_b[i] = (int16_t)(next_u32() >> 16);
    }
    /* Saturation and the dot product's one overflow: (-32768)² + (-32768)². */
    samples_a[0] = samples_b[0] = samples_a[1] = samples_b[1] = -32768;
    samples_a[2] = samples_b[2] = 32767;

    size_t hits = find_byte(bytes_a, N, 0x2a, found);
    uint64_t position_sum = 0;
    for (size_t i = 0; i < hits; i++) position_sum += found[i];
    printf("find 0x2a: %zu hits, first %u, last %u, position sum %llu\n", hits, found[0],
           found[hits - 1], (unsigned long long)position_sum);

    to_hex(bytes_a, 40, hex);
    printf("hex: %s\n", hex);

    for (size_t i = 0; i < 1024; i++) words[i] = next_u32();
    uint32_t before = words[0];
    bswap32(words, 1024);
    printf("bswap32: %08x -> %08x, checksum %016llx\n", before, words[0],
           (unsigned long long)fnv(words, sizeof words));

    blend(bytes_a, bytes_b, len, sum, avg);
    printf("blend: sum %016llx avg %016llx first %u %u\n", (unsigned long long)fnv(sum, len),
           (unsigned long long)fnv(avg, len), avg[0], avg[1]);

    int32_t dot = mix_dot(samples_a, samples_b, len, mixed);
    printf("mix: %d %d %d, checksum %016llx; dot %d\n", mixed[0], mixed[2], mixed[3],
           (unsigned long long)fnv(mixed, len * sizeof mixed[0]), dot);

    float ma[16], mb[16], mc[16];
    for (int i = 0; i < 16; i++) {
        ma[i] = (float)((int32_t)(next_u32() >> 22) - 512) / 8.0f;
        mb[i] = (float)((int32_t)(next_u32() >> 20) - 2048) / 3.0f;
    }
    matmul4(ma, mb, mc);
    printf("matmul4: c[0] %08x %08x %08x %08x, checksum %016llx\n", bits(mc[0]), bits(mc[1]),
           bits(mc[2]), bits(mc[3]), (unsigned long long)fnv(mc, sizeof mc));

    for (int i = 0; i < 1000; i++) {
        floats[i] = (float)((int32_t)(next_u32() >> 19) - 4096) / 64.0f;
    }
    floats[0] = 0.0f;
    floats[1] = -0.0f;
    floats[2] = __builtin_inff();
    floats[3] = -__builtin_inff();
    float_lanes(floats, 1000, 0.0f, 50.0f, root, neg);
    printf("float_lanes: root %08x %08x %08x %08x checksum %016llx; neg %08x %08x checksum "
           "%016llx\n",
           bits(root[0]), bits(root[1]), bits(root[2]), bits(root[3]),
           (unsigned long long)fnv(root, sizeof root), bits(neg[0]), bits(neg[1]),
           (unsigned long long)fnv(neg, sizeof neg));

    volatile int32_t lane_inputs[2][3] = {{-7, 123456, INT32_MIN}, {3, 0, 5}};
    for (int t = 0; t < 2; t++) {
        int32_t out[4];
        int all_nonzero, any_negative;
        lanes(lane_inputs[t][0], lane_inputs[t][1], lane_inputs[t][2], out, &all_nonzero,
              &any_negative);
        printf("lanes: squares %d %d %d %d all_nonzero %d any_negative %d\n", out[0], out[1],
               out[2], out[3], all_nonzero, any_negative);
    }
    return 0;
}
