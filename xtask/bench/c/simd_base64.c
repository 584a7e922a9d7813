/* Base64 (RFC 4648) encoding and strict decoding with 128-bit SIMD, 12
   bytes <-> 16 characters per step, over a 3 MiB generated buffer, many
   times. Exercises byte shuffles (i8x16.swizzle with in-range and
   zeroing indices), table lookups on nibbles, saturating u8 subtraction,
   byte compares and i8x16.bitmask, 8-bit shifts, 16- and 32-bit shifts and
   masks, and i32x4.dot_i16x8_s to merge sextets.

   SIMD: WebAssembly `wasm_simd128.h` when built with -msimd128 (required
   on wasm); natively SSSE3 intrinsics on x86-64 (pshufb, pmaddwd, pmovmskb;
   build with -march=x86-64-v2), otherwise portable 16-lane loops. The
   lookups only use indices 0..15 or 0x80, on which i8x16.swizzle and
   pshufb agree.

   Self-checks: the RFC 4648 test vectors; SIMD encoding equals a plain
   scalar encoder for every length 0..300; every byte value at every
   position of a 64-character text is accepted exactly when it is in the
   alphabet, and decodes as the scalar decoder does; every round decodes
   back to its input; the hash of sampled text and lengths against a
   constant. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__wasm__)
#ifndef __wasm_simd128__
#error "simd_base64: build with -msimd128"
#endif
#include <wasm_simd128.h>
typedef v128_t vec;
static inline vec v_load(const void *p) { return wasm_v128_load(p); }
static inline void v_store(void *p, vec v) { wasm_v128_store(p, v); }
static inline vec v_splat8(uint8_t x) { return wasm_i8x16_splat((int8_t)x); }
static inline vec v_splat16(uint16_t x) { return wasm_i16x8_splat((int16_t)x); }
static inline vec v_splat32(uint32_t x) { return wasm_i32x4_splat((int32_t)x); }
static inline vec v_and(vec a, vec b) { return wasm_v128_and(a, b); }
static inline vec v_or(vec a, vec b) { return wasm_v128_or(a, b); }
static inline vec v_add8(vec a, vec b) { return wasm_i8x16_add(a, b); }
static inline vec v_subs_u8(vec a, vec b) { return wasm_u8x16_sub_sat(a, b); }
static inline vec v_gt_s8(vec a, vec b) { return wasm_i8x16_gt(a, b); }
static inline vec v_eq8(vec a, vec b) { return wasm_i8x16_eq(a, b); }
static inline vec v_shr8_4(vec a) { return wasm_u8x16_shr(a, 4); }
#define V_SHL16(a, n) wasm_i16x8_shl(a, n)
#define V_SHR16(a, n) wasm_u16x8_shr(a, n)
#define V_SHL32(a, n) wasm_i32x4_shl(a, n)
#define V_SHR32(a, n) wasm_u32x4_shr(a, n)
static inline vec v_dot16(vec a, vec b) { return wasm_i32x4_dot_i16x8(a, b); }
static inline vec v_swizzle(vec table, vec idx) { return wasm_i8x16_swizzle(table, idx); }
static inline unsigned v_bitmask8(vec a) { return wasm_i8x16_bitmask(a); }
#elif defined(__SSSE3__) && !defined(SIMD_PORTABLE)
#include <tmmintrin.h>
typedef __m128i vec;
static inline vec v_load(const void *p) { return _mm_loadu_si128((const __m128i *)p); }
static inline void v_store(void *p, vec v) { _mm_storeu_si128((__m128i *)p, v); }
static inline vec v_splat8(uint8_t x) { return _mm_set1_epi8((char)x); }
static inline vec v_splat16(uint16_t x) { return _mm_set1_epi16((short)x); }
static inline vec v_splat32(uint32_t x) { return _mm_set1_epi32((int)x); }
static inline vec v_and(vec a, vec b) { return _mm_and_si128(a, b); }
static inline vec v_or(vec a, vec b) { return _mm_or_si128(a, b); }
static inline vec v_add8(vec a, vec b) { return _mm_add_epi8(a, b); }
static inline vec v_subs_u8(vec a, vec b) { return _mm_subs_epu8(a, b); }
static inline vec v_gt_s8(vec a, vec b) { return _mm_cmpgt_epi8(a, b); }
static inline vec v_eq8(vec a, vec b) { return _mm_cmpeq_epi8(a, b); }
static inline vec v_shr8_4(vec a) { return _mm_and_si128(_mm_srli_epi16(a, 4), _mm_set1_epi8(0x0f)); }
#define V_SHL16(a, n) _mm_slli_epi16(a, n)
#define V_SHR16(a, n) _mm_srli_epi16(a, n)
#define V_SHL32(a, n) _mm_slli_epi32(a, n)
#define V_SHR32(a, n) _mm_srli_epi32(a, n)
static inline vec v_dot16(vec a, vec b) { return _mm_madd_epi16(a, b); }
static inline vec v_swizzle(vec table, vec idx) { return _mm_shuffle_epi8(table, idx); }
static inline unsigned v_bitmask8(vec a) { return (unsigned)_mm_movemask_epi8(a); }
#elif defined(__x86_64__) && !defined(SIMD_PORTABLE)
#error "simd_base64: build natively with -march=x86-64-v2 (SSSE3)"
#else
/* Portable lanes; assumes a little-endian host, as every target of the
   benchmarks is. */
typedef struct {
    uint8_t b[16];
} vec;
static inline vec v_load(const void *p) {
    vec r;
    memcpy(r.b, p, 16);
    return r;
}
static inline void v_store(void *p, vec v) { memcpy(p, v.b, 16); }
static inline vec v_splat8(uint8_t x) {
    vec r;
    memset(r.b, x, 16);
    return r;
}
static inline vec v_splat16(uint16_t x) {
    vec r;
    for (int i = 0; i < 16; i += 2) memcpy(r.b + i, &x, 2);
    return r;
}
static inline vec v_splat32(uint32_t x) {
    vec r;
    for (int i = 0; i < 16; i += 4) memcpy(r.b + i, &x, 4);
    return r;
}
#define LANES8(expr)                                  \
    do {                                              \
        for (int i = 0; i < 16; i++) r.b[i] = (expr); \
    } while (0)
static inline vec v_and(vec a, vec b) {
    vec r;
    LANES8(a.b[i] & b.b[i]);
    return r;
}
static inline vec v_or(vec a, vec b) {
    vec r;
    LANES8(a.b[i] | b.b[i]);
    return r;
}
static inline vec v_add8(vec a, vec b) {
    vec r;
    LANES8((uint8_t)(a.b[i] + b.b[i]));
    return r;
}
static inline vec v_subs_u8(vec a, vec b) {
    vec r;
    LANES8(a.b[i] > b.b[i] ? a.b[i] - b.b[i] : 0);
    return r;
}
static inline vec v_gt_s8(vec a, vec b) {
    vec r;
    LANES8((int8_t)a.b[i] > (int8_t)b.b[i] ? 0xff : 0);
    return r;
}
static inline vec v_eq8(vec a, vec b) {
    vec r;
    LANES8(a.b[i] == b.b[i] ? 0xff : 0);
    return r;
}
static inline vec v_shr8_4(vec a) {
    vec r;
    LANES8(a.b[i] >> 4);
    return r;
}
#define LANES_N(T, a, expr)                              \
    do {                                                 \
        for (int i = 0; i < 16; i += sizeof(T)) {        \
            T x;                                         \
            memcpy(&x, (a).b + i, sizeof(T));            \
            x = (T)(expr);                               \
            memcpy(r.b + i, &x, sizeof(T));              \
        }                                                \
    } while (0)
static inline vec v_shl16(vec a, int n) {
    vec r;
    LANES_N(uint16_t, a, x << n);
    return r;
}
static inline vec v_shr16(vec a, int n) {
    vec r;
    LANES_N(uint16_t, a, x >> n);
    return r;
}
static inline vec v_shl32(vec a, int n) {
    vec r;
    LANES_N(uint32_t, a, x << n);
    return r;
}
static inline vec v_shr32(vec a, int n) {
    vec r;
    LANES_N(uint32_t, a, x >> n);
    return r;
}
#define V_SHL16(a, n) v_shl16(a, n)
#define V_SHR16(a, n) v_shr16(a, n)
#define V_SHL32(a, n) v_shl32(a, n)
#define V_SHR32(a, n) v_shr32(a, n)
static inline vec v_dot16(vec a, vec b) {
    vec r;
    for (int i = 0; i < 16; i += 4) {
        int16_t x[2], y[2];
        memcpy(x, a.b + i, 4);
        memcpy(y, b.b + i, 4);
        int32_t s = (int32_t)x[0] * y[0] + (int32_t)x[1] * y[1];
        memcpy(r.b + i, &s, 4);
    }
    return r;
}
static inline vec v_swizzle(vec table, vec idx) {
    vec r;
    LANES8(idx.b[i] < 16 ? table.b[idx.b[i]] : 0);
    return r;
}
static inline unsigned v_bitmask8(vec a) {
    unsigned m = 0;
    for (int i = 0; i < 16; i++) m |= (unsigned)(a.b[i] >> 7) << i;
    return m;
}
#endif

#define DATA_LEN ((3u << 20) + 2) /* not a multiple of 3: the last quantum is padded */
#define ROUNDS 360
/* FNV-1a over the sampled text, decoded bytes and lengths of every round. */
#define EXPECTED 0x6d4a22f3u

static const char ALPHABET[65] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Encoding: the bytes of each 3-byte group, reversed, in one 32-bit lane. */
static const uint8_t ENC_SHUFFLE[16] = {2, 1, 0, 0x80, 5, 4, 3, 0x80, 8, 7, 6, 0x80, 11, 10, 9, 0x80};
/* Sextet -> character offset, indexed by sat(s - 51), or 13 for s < 26. */
static const int8_t ENC_OFFSET[16] = {71, -4, -4, -4, -4, -4, -4, -4, -4, -4, -4, -19, -16, 65, 0, 0};
/* Decoding, validity: a character is valid iff HI_CLASS[c >> 4] & LO_CLASS[c & 15] != 0.
   Classes: bit 0 = "+/" (0x2_), bit 1 = digits (0x3_), bit 2 = A-O and a-o
   (0x4_, 0x6_), bit 3 = P-Z and p-z (0x5_, 0x7_). */
static const uint8_t HI_CLASS[16] = {0, 0, 1, 2, 4, 8, 4, 8, 0, 0, 0, 0, 0, 0, 0, 0};
static const uint8_t LO_CLASS[16] = {0x0a, 0x0e, 0x0e, 0x0e, 0x0e, 0x0e, 0x0e, 0x0e,
                                     0x0e, 0x0e, 0x0c, 0x05, 0x04, 0x04, 0x04, 0x05};
/* Character -> sextet offset by high nibble; '/' needs 3 less than '+'. */
static const int8_t HI_OFFSET[16] = {0, 0, 19, 4, -65, -65, -71, -71, 0, 0, 0, 0, 0, 0, 0, 0};
/* Decoding: three bytes out of each 32-bit lane, big-endian, packed into 12. */
static const uint8_t DEC_SHUFFLE[16] = {2, 1, 0, 6, 5, 4, 10, 9, 8, 14, 13, 12, 0x80, 0x80, 0x80, 0x80};

static int8_t DECODE[256];

static void fail(const char *msg) {
    fprintf(stderr, "simd_base64: FAILED: %s\n", msg);
    exit(1);
}

static size_t encoded_len(size_t n) { return (n + 2) / 3 * 4; }

static size_t encode_scalar(const uint8_t *in, size_t len, char *out) {
    size_t o = 0, i = 0;
    for (; i + 3 <= len; i += 3) {
        uint32_t w = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
        out[o++] = ALPHABET[w >> 18];
        out[o++] = ALPHABET[(w >> 12) & 63];
        out[o++] = ALPHABET[(w >> 6) & 63];
        out[o++] = ALPHABET[w & 63];
    }
    if (len - i == 1) {
        uint32_t w = (uint32_t)in[i] << 16;
        out[o++] = ALPHABET[w >> 18];
        out[o++] = ALPHABET[(w >> 12) & 63];
        out[o++] = '=';
        out[o++] = '=';
    } else if (len - i == 2) {
        uint32_t w = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
        out[o++] = ALPHABET[w >> 18];
        out[o++] = ALPHABET[(w >> 12) & 63];
        out[o++] = ALPHABET[(w >> 6) & 63];
        out[o++] = '=';
    }
    return o;
}

/* Strict decoding: length a multiple of 4, only alphabet characters, '='
   only as padding at the very end. Returns the number of bytes, or -1. */
static long decode_scalar(const char *in, size_t len, uint8_t *out) {
    if (len % 4 != 0) return -1;
    size_t o = 0;
    for (size_t i = 0; i < len; i += 4) {
        const uint8_t *q = (const uint8_t *)in + i;
        int pad = 0;
        if (i + 4 == len) pad = q[3] == '=' ? (q[2] == '=' ? 2 : 1) : 0;
        int a = DECODE[q[0]], b = DECODE[q[1]];
        int c = pad >= 2 ? 0 : DECODE[q[2]], d = pad >= 1 ? 0 : DECODE[q[3]];
        if ((a | b | c | d) < 0) return -1;
        uint32_t w = (uint32_t)a << 18 | (uint32_t)b << 12 | (uint32_t)c << 6 | (uint32_t)d;
        out[o++] = (uint8_t)(w >> 16);
        if (pad < 2) out[o++] = (uint8_t)(w >> 8);
        if (pad < 1) out[o++] = (uint8_t)w;
    }
    return (long)o;
}

static size_t encode(const uint8_t *in, size_t len, char *out) {
    const vec shuffle = v_load(ENC_SHUFFLE), offsets = v_load(ENC_OFFSET);
    const vec m0 = v_splat32(0x0000003f), m1 = v_splat32(0x00003f00);
    const vec m2 = v_splat32(0x003f0000), m3 = v_splat32(0x3f000000);
    const vec k51 = v_splat8(51), k26 = v_splat8(26), k13 = v_splat8(13);
    size_t i = 0, o = 0;
    /* Each step reads 16 bytes and consumes 12. */
    for (; i + 16 <= len; i += 12, o += 16) {
        vec w = v_swizzle(v_load(in + i), shuffle);
        vec s = v_or(v_or(v_and(V_SHR32(w, 18), m0), v_and(V_SHR32(w, 4), m1)),
                     v_or(v_and(V_SHL32(w, 10), m2), v_and(V_SHL32(w, 24), m3)));
        vec idx = v_or(v_subs_u8(s, k51), v_and(v_gt_s8(k26, s), k13));
        v_store(out + o, v_add8(s, v_swizzle(offsets, idx)));
    }
    return o + encode_scalar(in + i, len - i, out + o);
}

/* Like decode_scalar; writes up to 4 bytes past the decoded length. */
static long decode(const char *in, size_t len, uint8_t *out) {
    if (len % 4 != 0) return -1;
    const vec hi_class = v_load(HI_CLASS), lo_class = v_load(LO_CLASS);
    const vec hi_offset = v_load(HI_OFFSET), shuffle = v_load(DEC_SHUFFLE);
    const vec k0f = v_splat8(0x0f), slash = v_splat8('/'), minus3 = v_splat8(0xfd);
    const vec zero = v_splat8(0), low_byte = v_splat16(0x00ff), merge = v_splat32(0x00011000);
    size_t i = 0, o = 0;
    /* Padding can only be in the last 4 characters: leave them to the scalar code. */
    for (; i + 20 <= len; i += 16, o += 12) {
        vec c = v_load(in + i);
        vec hi = v_shr8_4(c);
        vec cls = v_and(v_swizzle(hi_class, hi), v_swizzle(lo_class, v_and(c, k0f)));
        if (v_bitmask8(v_eq8(cls, zero)) != 0) return -1;
        vec off = v_add8(v_swizzle(hi_offset, hi), v_and(v_eq8(c, slash), minus3));
        vec s = v_add8(c, off);
        /* 16-bit lanes [s0, s1] -> s0 << 6 | s1; 32-bit lanes -> t0 << 12 | t1. */
        vec t = v_or(V_SHL16(v_and(s, low_byte), 6), V_SHR16(s, 8));
        vec w = v_dot16(t, merge);
        v_store(out + o, v_swizzle(w, shuffle));
    }
    long rest = decode_scalar(in + i, len - i, out + o);
    return rest < 0 ? -1 : (long)o + rest;
}

/* Whether a and b hold the same n bytes, 16 at a time. (Not memcmp: that is
   a byte loop in wasi-libc and vectorised in glibc, so it would time the C
   libraries rather than the compilers.) */
static int same_bytes(const uint8_t *a, const uint8_t *b, size_t n) {
    size_t i = 0;
    for (; i + 16 <= n; i += 16)
        if (v_bitmask8(v_eq8(v_load(a + i), v_load(b + i))) != 0xffff) return 0;
    for (; i < n; i++)
        if (a[i] != b[i]) return 0;
    return 1;
}

static uint32_t fnv(uint32_t h, const void *p, size_t n) {
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++) {
        h ^= b[i];
        h *= 16777619u;
    }
    return h;
}

static uint64_t rng = 0x452821e638d01377ull;
static uint64_t next_u64(void) {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static void known_answers(void) {
    static const char *const cases[7][2] = {
        {"", ""},         {"f", "Zg=="},         {"fo", "Zm8="},         {"foo", "Zm9v"},
        {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"},
    };
    char text[16];
    uint8_t bytes[16 + 4];
    for (int k = 0; k < 7; k++) {
        const char *plain = cases[k][0], *coded = cases[k][1];
        size_t n = encode((const uint8_t *)plain, strlen(plain), text);
        if (n != strlen(coded) || memcmp(text, coded, n) != 0) fail("RFC 4648 encoding vector");
        long m = decode(coded, strlen(coded), bytes);
        if (m != (long)strlen(plain) || memcmp(bytes, plain, (size_t)m) != 0)
            fail("RFC 4648 decoding vector");
    }
}

static void against_scalar(void) {
    uint8_t data[300], back[300 + 4];
    char simd[400], plain[400];
    for (size_t i = 0; i < sizeof data; i++) data[i] = (uint8_t)next_u64();
    for (size_t len = 0; len <= sizeof data; len++) {
        size_t n = encode(data, len, simd);
        if (n != encoded_len(len) || encode_scalar(data, len, plain) != n ||
            memcmp(simd, plain, n) != 0) {
            fprintf(stderr, "simd_base64: length %zu\n", len);
            fail("SIMD encoding differs from scalar encoding");
        }
        if (decode(simd, n, back) != (long)len || memcmp(back, data, len) != 0) {
            fprintf(stderr, "simd_base64: length %zu\n", len);
            fail("decoding does not give back the input");
        }
    }
}

/* Every byte value at every position of a 64-character text: positions
   0..47 go through the SIMD loop, 48..63 through the scalar tail. */
static void every_character(void) {
    char text[64];
    uint8_t simd[48 + 4], plain[48];
    for (int i = 0; i < 64; i++) text[i] = ALPHABET[(i * 37 + 11) % 64];
    for (int c = 0; c < 256; c++) {
        if (c == '=') continue;
        int valid = DECODE[c] >= 0;
        for (int at = 0; at < 64; at++) {
            char saved = text[at];
            text[at] = (char)c;
            long got = decode(text, 64, simd);
            if (got != (valid ? 48 : -1)) {
                fprintf(stderr, "simd_base64: byte 0x%02x at %d: %s\n", c, at,
                        valid ? "rejected" : "accepted");
                fail("character validation");
            }
            if (valid && (decode_scalar(text, 64, plain) != 48 || memcmp(simd, plain, 48) != 0))
                fail("SIMD decoding differs from scalar decoding");
            text[at] = saved;
        }
    }
}

int main(void) {
    memset(DECODE, -1, sizeof DECODE);
    for (int i = 0; i < 64; i++) DECODE[(uint8_t)ALPHABET[i]] = (int8_t)i;

    known_answers();
    against_scalar();
    every_character();
    printf("known answers and scalar comparisons: ok\n");

    size_t text_len = encoded_len(DATA_LEN);
    uint8_t *data = malloc(DATA_LEN), *back = malloc(DATA_LEN + 4);
    char *text = malloc(text_len);
    if (!data || !back || !text) fail("out of memory");
    for (size_t i = 0; i < DATA_LEN; i++) data[i] = (uint8_t)(next_u64() >> 56);

    uint32_t h = 2166136261u;
    for (unsigned round = 0; round < ROUNDS; round++) {
        size_t n = encode(data, DATA_LEN, text);
        long m = decode(text, n, back);
        if (n != text_len || m != (long)DATA_LEN || !same_bytes(back, data, DATA_LEN)) {
            fprintf(stderr, "simd_base64: round %u\n", round);
            fail("round trip");
        }
        size_t at = (round * 40503u) % (text_len - 64);
        h = fnv(h, text + at, 64);
        h = fnv(h, text + text_len - 8, 8);
        uint32_t decoded = (uint32_t)m;
        h = fnv(h, &decoded, 4);
        /* Change the data for the next round. */
        size_t flip = (round * 7919u * 13u) % DATA_LEN;
        data[flip] ^= (uint8_t)(h | 1);
    }
    printf("%u round trips of %u bytes (%zu characters)\n", ROUNDS, DATA_LEN, text_len);
    free(data);
    free(back);
    free(text);
    if (h != EXPECTED) {
        fprintf(stderr, "simd_base64: checksum 0x%08x, expected 0x%08x\n", h, EXPECTED);
        fail("wrong checksum");
    }
    printf("checksum: 0x%08x\n", h);
    return 0;
}
