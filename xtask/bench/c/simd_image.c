/* An 8-bit grayscale image pipeline with 128-bit SIMD, run on 640 frames
   of 1280 x 720 (each a different window of a generated picture): a
   separable 5-tap Gaussian blur ([1 4 6 4 1] twice, rounded), a Sobel edge
   magnitude with an edge count and sum, an unsharp mask, and a running
   average of the sharpened frames. Exercises u8 -> u16 widening
   (extend_low/high), i16x8 add/sub/mul/shl/shr_u/abs, saturating narrowing
   (u8x16.narrow_i16x8), saturating u8 add/sub, u8x16.avgr, u8 max and
   compare, i8x16.bitmask, i32x4.dot_i16x8_s and unaligned loads.

   SIMD: WebAssembly `wasm_simd128.h` when built with -msimd128 (required
   on wasm); natively SSSE3 intrinsics on x86-64 (punpck, packuswb,
   pabsw, pavgb, pmaddwd; build with -march=x86-64-v2), otherwise portable
   lane loops. All integer: every build gives the same bytes.

   Self-checks: a plain scalar version of the whole pipeline agrees byte
   for byte (blurred, edge and sharpened images, counts and sums) on the
   first and last frames and every 64th; blurring a constant picture gives
   it back and finds no edges; the hash of the results against a
   constant. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__wasm__)
#ifndef __wasm_simd128__
#error "simd_image: build with -msimd128"
#endif
#include <wasm_simd128.h>
typedef v128_t vec;
static inline vec v_load(const void *p) { return wasm_v128_load(p); }
static inline void v_store(void *p, vec v) { wasm_v128_store(p, v); }
static inline vec v_splat8(uint8_t x) { return wasm_i8x16_splat((int8_t)x); }
static inline vec v_splat16(uint16_t x) { return wasm_i16x8_splat((int16_t)x); }
static inline vec v_widen_lo(vec a) { return wasm_u16x8_extend_low_u8x16(a); }
static inline vec v_widen_hi(vec a) { return wasm_u16x8_extend_high_u8x16(a); }
static inline vec v_narrow(vec lo, vec hi) { return wasm_u8x16_narrow_i16x8(lo, hi); }
static inline vec v_add16(vec a, vec b) { return wasm_i16x8_add(a, b); }
static inline vec v_sub16(vec a, vec b) { return wasm_i16x8_sub(a, b); }
static inline vec v_mul16(vec a, vec b) { return wasm_i16x8_mul(a, b); }
static inline vec v_abs16(vec a) { return wasm_i16x8_abs(a); }
#define V_SHL16(a, n) wasm_i16x8_shl(a, n)
#define V_SHR16(a, n) wasm_u16x8_shr(a, n)
static inline vec v_adds_u8(vec a, vec b) { return wasm_u8x16_add_sat(a, b); }
static inline vec v_subs_u8(vec a, vec b) { return wasm_u8x16_sub_sat(a, b); }
static inline vec v_avgr_u8(vec a, vec b) { return wasm_u8x16_avgr(a, b); }
static inline vec v_max_u8(vec a, vec b) { return wasm_u8x16_max(a, b); }
static inline vec v_eq8(vec a, vec b) { return wasm_i8x16_eq(a, b); }
static inline unsigned v_bitmask8(vec a) { return wasm_i8x16_bitmask(a); }
static inline vec v_dot16(vec a, vec b) { return wasm_i32x4_dot_i16x8(a, b); }
static inline vec v_add32(vec a, vec b) { return wasm_i32x4_add(a, b); }
#elif defined(__SSSE3__) && !defined(SIMD_PORTABLE)
#include <tmmintrin.h>
typedef __m128i vec;
static inline vec v_load(const void *p) { return _mm_loadu_si128((const __m128i *)p); }
static inline void v_store(void *p, vec v) { _mm_storeu_si128((__m128i *)p, v); }
static inline vec v_splat8(uint8_t x) { return _mm_set1_epi8((char)x); }
static inline vec v_splat16(uint16_t x) { return _mm_set1_epi16((short)x); }
static inline vec v_widen_lo(vec a) { return _mm_unpacklo_epi8(a, _mm_setzero_si128()); }
static inline vec v_widen_hi(vec a) { return _mm_unpackhi_epi8(a, _mm_setzero_si128()); }
static inline vec v_narrow(vec lo, vec hi) { return _mm_packus_epi16(lo, hi); }
static inline vec v_add16(vec a, vec b) { return _mm_add_epi16(a, b); }
static inline vec v_sub16(vec a, vec b) { return _mm_sub_epi16(a, b); }
static inline vec v_mul16(vec a, vec b) { return _mm_mullo_epi16(a, b); }
static inline vec v_abs16(vec a) { return _mm_abs_epi16(a); }
#define V_SHL16(a, n) _mm_slli_epi16(a, n)
#define V_SHR16(a, n) _mm_srli_epi16(a, n)
static inline vec v_adds_u8(vec a, vec b) { return _mm_adds_epu8(a, b); }
static inline vec v_subs_u8(vec a, vec b) { return _mm_subs_epu8(a, b); }
static inline vec v_avgr_u8(vec a, vec b) { return _mm_avg_epu8(a, b); }
static inline vec v_max_u8(vec a, vec b) { return _mm_max_epu8(a, b); }
static inline vec v_eq8(vec a, vec b) { return _mm_cmpeq_epi8(a, b); }
static inline unsigned v_bitmask8(vec a) { return (unsigned)_mm_movemask_epi8(a); }
static inline vec v_dot16(vec a, vec b) { return _mm_madd_epi16(a, b); }
static inline vec v_add32(vec a, vec b) { return _mm_add_epi32(a, b); }
#elif defined(__x86_64__) && !defined(SIMD_PORTABLE)
#error "simd_image: build natively with -march=x86-64-v2 (SSSE3)"
#else
/* Portable lanes: 16 u8, 8 u16/i16 or 4 i32 in 16 bytes (little-endian host). */
typedef union {
    uint8_t b[16];
    uint16_t h[8];
    int32_t w[4];
} vec;
static inline vec v_load(const void *p) {
    vec r;
    memcpy(r.b, p, 16);
    return r;
}
static inline void v_store(void *p, vec v) { memcpy(p, v.b, 16); }
#define LANES(n, expr)                              \
    vec r;                                          \
    for (int i = 0; i < (n); i++) expr;             \
    return r
static inline vec v_splat8(uint8_t x) { LANES(16, r.b[i] = x); }
static inline vec v_splat16(uint16_t x) { LANES(8, r.h[i] = x); }
static inline vec v_widen_lo(vec a) { LANES(8, r.h[i] = a.b[i]); }
static inline vec v_widen_hi(vec a) { LANES(8, r.h[i] = a.b[8 + i]); }
static inline uint8_t sat_u8(int16_t x) { return x < 0 ? 0 : x > 255 ? 255 : (uint8_t)x; }
static inline vec v_narrow(vec lo, vec hi) {
    LANES(8, (r.b[i] = sat_u8((int16_t)lo.h[i]), r.b[8 + i] = sat_u8((int16_t)hi.h[i])));
}
static inline vec v_add16(vec a, vec b) { LANES(8, r.h[i] = (uint16_t)(a.h[i] + b.h[i])); }
static inline vec v_sub16(vec a, vec b) { LANES(8, r.h[i] = (uint16_t)(a.h[i] - b.h[i])); }
static inline vec v_mul16(vec a, vec b) { LANES(8, r.h[i] = (uint16_t)(a.h[i] * b.h[i])); }
static inline vec v_abs16(vec a) {
    LANES(8, r.h[i] = (uint16_t)((int16_t)a.h[i] < 0 ? -(int16_t)a.h[i] : a.h[i]));
}
static inline vec v_shl16(vec a, int n) { LANES(8, r.h[i] = (uint16_t)(a.h[i] << n)); }
static inline vec v_shr16(vec a, int n) { LANES(8, r.h[i] = (uint16_t)(a.h[i] >> n)); }
#define V_SHL16(a, n) v_shl16(a, n)
#define V_SHR16(a, n) v_shr16(a, n)
static inline vec v_adds_u8(vec a, vec b) {
    LANES(16, r.b[i] = (uint8_t)(a.b[i] + b.b[i] > 255 ? 255 : a.b[i] + b.b[i]));
}
static inline vec v_subs_u8(vec a, vec b) { LANES(16, r.b[i] = a.b[i] > b.b[i] ? a.b[i] - b.b[i] : 0); }
static inline vec v_avgr_u8(vec a, vec b) { LANES(16, r.b[i] = (uint8_t)((a.b[i] + b.b[i] + 1) >> 1)); }
static inline vec v_max_u8(vec a, vec b) { LANES(16, r.b[i] = a.b[i] > b.b[i] ? a.b[i] : b.b[i]); }
static inline vec v_eq8(vec a, vec b) { LANES(16, r.b[i] = a.b[i] == b.b[i] ? 0xff : 0); }
static inline unsigned v_bitmask8(vec a) {
    unsigned m = 0;
    for (int i = 0; i < 16; i++) m |= (unsigned)(a.b[i] >> 7) << i;
    return m;
}
static inline vec v_dot16(vec a, vec b) {
    LANES(4, r.w[i] = (int16_t)a.h[2 * i] * (int16_t)b.h[2 * i] +
                      (int16_t)a.h[2 * i + 1] * (int16_t)b.h[2 * i + 1]);
}
static inline vec v_add32(vec a, vec b) { LANES(4, r.w[i] = (int32_t)((uint32_t)a.w[i] + (uint32_t)b.w[i])); }
#endif

#define W 1280 /* output width, a multiple of 16 */
#define H 720
#define FRAMES 640
#define THRESHOLD 24 /* an edge: magnitude / 8 above this */
/* The picture frames are cut from, and the input window of one frame: the
   output plus a halo of 3 (2 for the blur, 1 for Sobel), and 16 columns
   more so every row of the blurred image is a whole number of vectors. */
#define PIC_W (W + 96)
#define PIC_H (H + 48)
#define BW (W + 16) /* blurred image: (H + 2) x BW */
#define BH (H + 2)
/* FNV-1a over every frame's counts and sums and the final average. */
#define EXPECTED 0xd9187a8bu

static uint8_t picture[PIC_H * PIC_W];
static uint16_t tmp[(BH + 4) * BW]; /* horizontal pass, 16-bit */
static uint8_t blurred[BH * BW], edges[H * W], sharp[H * W], average[H * W];
static uint8_t ref_blurred[BH * BW], ref_edges[H * W], ref_sharp[H * W];

struct stats {
    uint32_t count; /* pixels with magnitude / 8 > THRESHOLD */
    uint32_t sum;   /* sum of magnitudes */
};

static void fail(const char *msg) {
    fprintf(stderr, "simd_image: FAILED: %s\n", msg);
    exit(1);
}

/* in: top-left of the frame's input window, row stride PIC_W. */
static struct stats pipeline(const uint8_t *in) {
    const vec six = v_splat16(6), round = v_splat16(128), ones = v_splat16(1);
    /* Horizontal 1 4 6 4 1 into 16 bits: rows 0..BH+3 of the window. */
    for (int y = 0; y < BH + 4; y++) {
        const uint8_t *row = in + (size_t)y * PIC_W;
        uint16_t *out = tmp + (size_t)y * BW;
        for (int x = 0; x < BW; x += 16) {
            vec p0 = v_load(row + x), p1 = v_load(row + x + 1), p2 = v_load(row + x + 2);
            vec p3 = v_load(row + x + 3), p4 = v_load(row + x + 4);
            vec lo = v_add16(v_add16(v_widen_lo(p0), v_widen_lo(p4)),
                             v_add16(V_SHL16(v_add16(v_widen_lo(p1), v_widen_lo(p3)), 2),
                                     v_mul16(v_widen_lo(p2), six)));
            vec hi = v_add16(v_add16(v_widen_hi(p0), v_widen_hi(p4)),
                             v_add16(V_SHL16(v_add16(v_widen_hi(p1), v_widen_hi(p3)), 2),
                                     v_mul16(v_widen_hi(p2), six)));
            v_store(out + x, lo);
            v_store(out + x + 8, hi);
        }
    }
    /* Vertical 1 4 6 4 1, (sum + 128) >> 8: at most 65280 + 128, so u16 holds it. */
    for (int y = 0; y < BH; y++) {
        const uint16_t *t = tmp + (size_t)y * BW;
        uint8_t *out = blurred + (size_t)y * BW;
        for (int x = 0; x < BW; x += 16) {
            vec half[2];
            for (int k = 0; k < 2; k++) {
                const uint16_t *c = t + x + 8 * k;
                vec s = v_add16(v_add16(v_load(c), v_load(c + 4 * BW)),
                                v_add16(V_SHL16(v_add16(v_load(c + BW), v_load(c + 3 * BW)), 2),
                                        v_mul16(v_load(c + 2 * BW), six)));
                half[k] = V_SHR16(v_add16(s, round), 8);
            }
            v_store(out + x, v_narrow(half[0], half[1]));
        }
    }
    /* Sobel on the blurred image, unsharp mask against the input, average. */
    const vec limit = v_splat8(THRESHOLD + 1);
    vec sums = v_splat16(0);
    uint32_t count = 0;
    for (int y = 0; y < H; y++) {
        const uint8_t *b0 = blurred + (size_t)y * BW, *b1 = b0 + BW, *b2 = b1 + BW;
        const uint8_t *src = in + (size_t)(y + 3) * PIC_W + 3;
        for (int x = 0; x < W; x += 16) {
            vec mag[2];
            vec a0 = v_load(b0 + x), a1 = v_load(b0 + x + 1), a2 = v_load(b0 + x + 2);
            vec m0 = v_load(b1 + x), m2 = v_load(b1 + x + 2);
            vec c0 = v_load(b2 + x), c1 = v_load(b2 + x + 1), c2 = v_load(b2 + x + 2);
            for (int k = 0; k < 2; k++) {
                vec (*w)(vec) = k ? v_widen_hi : v_widen_lo;
                vec left = v_add16(v_add16(w(a0), w(c0)), V_SHL16(w(m0), 1));
                vec right = v_add16(v_add16(w(a2), w(c2)), V_SHL16(w(m2), 1));
                vec top = v_add16(v_add16(w(a0), w(a2)), V_SHL16(w(a1), 1));
                vec bottom = v_add16(v_add16(w(c0), w(c2)), V_SHL16(w(c1), 1));
                vec m = v_add16(v_abs16(v_sub16(right, left)), v_abs16(v_sub16(bottom, top)));
                sums = v_add32(sums, v_dot16(m, ones));
                mag[k] = V_SHR16(m, 3);
            }
            vec e = v_narrow(mag[0], mag[1]);
            v_store(edges + (size_t)y * W + x, e);
            count += (uint32_t)__builtin_popcount(v_bitmask8(v_eq8(v_max_u8(e, limit), e)));

            vec s = v_load(src + x), blur = v_load(b1 + x + 1);
            vec sharpened = v_subs_u8(v_adds_u8(s, v_subs_u8(s, blur)), v_subs_u8(blur, s));
            v_store(sharp + (size_t)y * W + x, sharpened);
            uint8_t *avg = average + (size_t)y * W + x;
            v_store(avg, v_avgr_u8(v_load(avg), sharpened));
        }
    }
    int32_t lanes[4];
    v_store(lanes, sums);
    struct stats st = {count, (uint32_t)lanes[0] + (uint32_t)lanes[1] + (uint32_t)lanes[2] +
                                  (uint32_t)lanes[3]};
    return st;
}

static int sat(int x) { return x < 0 ? 0 : x > 255 ? 255 : x; }

/* The same pipeline, pixel by pixel (without the running average). */
static struct stats reference(const uint8_t *in) {
    static const int k[5] = {1, 4, 6, 4, 1};
    for (int y = 0; y < BH; y++)
        for (int x = 0; x < BW; x++) {
            int s = 0;
            for (int i = 0; i < 5; i++)
                for (int j = 0; j < 5; j++) s += k[i] * k[j] * in[(size_t)(y + i) * PIC_W + x + j];
            ref_blurred[(size_t)y * BW + x] = (uint8_t)((s + 128) >> 8);
        }
    struct stats st = {0, 0};
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
#define B(dy, dx) ((int)ref_blurred[(size_t)(y + (dy)) * BW + x + (dx)])
            int gx = B(0, 2) + 2 * B(1, 2) + B(2, 2) - B(0, 0) - 2 * B(1, 0) - B(2, 0);
            int gy = B(2, 0) + 2 * B(2, 1) + B(2, 2) - B(0, 0) - 2 * B(0, 1) - B(0, 2);
            int m = abs(gx) + abs(gy);
            st.sum += (uint32_t)m;
            ref_edges[(size_t)y * W + x] = (uint8_t)(m >> 3);
            if ((m >> 3) > THRESHOLD) st.count++;
            int s = in[(size_t)(y + 3) * PIC_W + x + 3], b = B(1, 1);
            ref_sharp[(size_t)y * W + x] = (uint8_t)sat(sat(s + sat(s - b)) - sat(b - s));
#undef B
        }
    return st;
}

static uint32_t fnv(uint32_t h, const void *p, size_t n) {
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++) {
        h ^= b[i];
        h *= 16777619u;
    }
    return h;
}

static void check_frame(const uint8_t *in, struct stats got, int frame) {
    struct stats want = reference(in);
    if (got.count != want.count || got.sum != want.sum) {
        fprintf(stderr, "simd_image: frame %d: count %u sum %u, scalar count %u sum %u\n", frame,
                got.count, got.sum, want.count, want.sum);
        fail("edge statistics differ from the scalar pipeline");
    }
    for (int y = 0; y < BH; y++)
        if (memcmp(blurred + (size_t)y * BW, ref_blurred + (size_t)y * BW, BW) != 0)
            fail("blurred image differs from the scalar pipeline");
    if (memcmp(edges, ref_edges, sizeof edges) != 0)
        fail("edge image differs from the scalar pipeline");
    if (memcmp(sharp, ref_sharp, sizeof sharp) != 0)
        fail("sharpened image differs from the scalar pipeline");
}

int main(void) {
    /* A constant picture: blurred and sharpened it stays the same, no edges. */
    memset(picture, 77, sizeof picture);
    struct stats flat = pipeline(picture);
    for (size_t i = 0; i < sizeof sharp; i++)
        if (sharp[i] != 77 || edges[i] != 0) fail("a constant picture changed");
    if (flat.count != 0 || flat.sum != 0 || blurred[BW + 5] != 77) fail("a constant picture changed");

    /* Smooth shapes, hard-edged blocks and noise. */
    uint64_t rng = 0xbe5466cf34e90c6cull;
    for (int y = 0; y < PIC_H; y++)
        for (int x = 0; x < PIC_W; x++) {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            int v = (x * 3 + y * 2) % 256 / 2 + ((x / 40 + y / 30) % 2) * 70 + (int)(rng >> 59);
            if ((x - 700) * (x - 700) + (y - 380) * (y - 380) < 250 * 250) v = 255 - v;
            picture[(size_t)y * PIC_W + x] = (uint8_t)sat(v);
        }
    memset(average, 0, sizeof average);

    uint32_t h = 2166136261u;
    uint64_t total_count = 0;
    for (int frame = 0; frame < FRAMES; frame++) {
        const uint8_t *in = picture + (size_t)(frame * 7 % 40) * PIC_W + frame * 13 % 72;
        struct stats st = pipeline(in);
        if (frame % 64 == 0 || frame == FRAMES - 1) check_frame(in, st, frame);
        total_count += st.count;
        h = fnv(h, &st, sizeof st);
    }
    h = fnv(h, average, sizeof average);
    printf("%d frames of %dx%d: %llu edge pixels, average[360][640] = %u\n", FRAMES, W, H,
           (unsigned long long)total_count, average[360 * W + 640]);
    if (h != EXPECTED) {
        fprintf(stderr, "simd_image: checksum 0x%08x, expected 0x%08x\n", h, EXPECTED);
        fail("wrong checksum");
    }
    printf("checksum: 0x%08x\n", h);
    return 0;
}
