/* BLAKE2s (RFC 7693), written out by hand, hashing a generated buffer many
   times over. Exercises 32-bit add/xor/rotate chains and little-endian
   loads.

   Self-checks: the RFC 7693 test vector for "abc" (Appendix B), the RFC's
   keyed and unkeyed self-test over many lengths (Appendix E), streaming in
   odd pieces against one-shot hashing, and the final chained digest
   against a constant. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BUF_LEN (4u << 20)
#define ROUNDS 64
/* First four bytes (big endian) of the final chained digest. */
#define EXPECTED 0x6214ca7cu

static const uint32_t IV[8] = {
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
    0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
};

static const uint8_t SIGMA[10][16] = {
    {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15},
    {14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3},
    {11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4},
    {7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8},
    {9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13},
    {2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9},
    {12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11},
    {13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10},
    {6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5},
    {10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0},
};

struct blake2s {
    uint32_t h[8];
    uint32_t t[2];
    uint8_t buf[64];
    size_t filled;
    size_t outlen;
};

static uint32_t rotr(uint32_t x, int n) { return (x >> n) | (x << (32 - n)); }

static uint32_t load32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

#define G(a, b, c, d, x, y)          \
    do {                             \
        v[a] = v[a] + v[b] + (x);    \
        v[d] = rotr(v[d] ^ v[a], 16); \
        v[c] = v[c] + v[d];          \
        v[b] = rotr(v[b] ^ v[c], 12); \
        v[a] = v[a] + v[b] + (y);    \
        v[d] = rotr(v[d] ^ v[a], 8);  \
        v[c] = v[c] + v[d];          \
        v[b] = rotr(v[b] ^ v[c], 7);  \
    } while (0)

static void compress(struct blake2s *s, const uint8_t block[64], int last) {
    uint32_t m[16], v[16];
    for (int i = 0; i < 16; i++) m[i] = load32(block + 4 * i);
    for (int i = 0; i < 8; i++) {
        v[i] = s->h[i];
        v[i + 8] = IV[i];
    }
    v[12] ^= s->t[0];
    v[13] ^= s->t[1];
    if (last) v[14] = ~v[14];
    for (int r = 0; r < 10; r++) {
        const uint8_t *sg = SIGMA[r];
        G(0, 4, 8, 12, m[sg[0]], m[sg[1]]);
        G(1, 5, 9, 13, m[sg[2]], m[sg[3]]);
        G(2, 6, 10, 14, m[sg[4]], m[sg[5]]);
        G(3, 7, 11, 15, m[sg[6]], m[sg[7]]);
        G(0, 5, 10, 15, m[sg[8]], m[sg[9]]);
        G(1, 6, 11, 12, m[sg[10]], m[sg[11]]);
        G(2, 7, 8, 13, m[sg[12]], m[sg[13]]);
        G(3, 4, 9, 14, m[sg[14]], m[sg[15]]);
    }
    for (int i = 0; i < 8; i++) s->h[i] ^= v[i] ^ v[i + 8];
}

static void count_bytes(struct blake2s *s, uint32_t n) {
    s->t[0] += n;
    if (s->t[0] < n) s->t[1]++;
}

static void b2s_update(struct blake2s *s, const void *data, size_t len) {
    const uint8_t *p = data;
    while (len > 0) {
        /* The last block is compressed in b2s_final, so only compress a
           full buffer once more input is known to follow. */
        if (s->filled == 64) {
            count_bytes(s, 64);
            compress(s, s->buf, 0);
            s->filled = 0;
        }
        if (s->filled == 0) {
            while (len > 64) {
                count_bytes(s, 64);
                compress(s, p, 0);
                p += 64;
                len -= 64;
            }
        }
        size_t take = 64 - s->filled < len ? 64 - s->filled : len;
        memcpy(s->buf + s->filled, p, take);
        s->filled += take;
        p += take;
        len -= take;
    }
}

static void b2s_init(struct blake2s *s, size_t outlen, const void *key, size_t keylen) {
    memcpy(s->h, IV, sizeof IV);
    s->h[0] ^= 0x01010000u ^ (uint32_t)(keylen << 8) ^ (uint32_t)outlen;
    s->t[0] = s->t[1] = 0;
    s->filled = 0;
    s->outlen = outlen;
    if (keylen > 0) {
        uint8_t block[64] = {0};
        memcpy(block, key, keylen);
        b2s_update(s, block, 64);
    }
}

static void b2s_final(struct blake2s *s, uint8_t *out) {
    count_bytes(s, (uint32_t)s->filled);
    memset(s->buf + s->filled, 0, 64 - s->filled);
    compress(s, s->buf, 1);
    for (size_t i = 0; i < s->outlen; i++) out[i] = (uint8_t)(s->h[i / 4] >> (8 * (i % 4)));
}

static void blake2s(uint8_t *out, size_t outlen, const void *key, size_t keylen, const void *in,
                    size_t inlen) {
    struct blake2s s;
    b2s_init(&s, outlen, key, keylen);
    b2s_update(&s, in, inlen);
    b2s_final(&s, out);
}

static void fail(const char *msg) {
    fprintf(stderr, "blake2s: FAILED: %s\n", msg);
    exit(1);
}

static void to_hex(const uint8_t *d, size_t n, char *out) {
    for (size_t i = 0; i < n; i++) sprintf(out + 2 * i, "%02x", d[i]);
}

/* The RFC 7693 Appendix E test sequence: a Fibonacci-like generator. */
static void selftest_seq(uint8_t *out, size_t len, uint32_t seed) {
    uint32_t a = 0xdead4badu * seed, b = 1;
    for (size_t i = 0; i < len; i++) {
        uint32_t t = a + b;
        a = b;
        b = t;
        out[i] = (uint8_t)(t >> 24);
    }
}

static void known_answers(void) {
    uint8_t md[32];
    char hex[65];
    blake2s(md, 32, NULL, 0, "abc", 3);
    to_hex(md, 32, hex);
    if (strcmp(hex, "508c5e8c327c14e2e1a72ba34eeb452f37458b209ed63a294d999b4c86675982") != 0) {
        fprintf(stderr, "blake2s: \"abc\" gave %s\n", hex);
        fail("RFC 7693 test vector");
    }

    static const size_t md_lens[] = {16, 20, 28, 32};
    static const size_t in_lens[] = {0, 3, 64, 65, 255, 1024};
    uint8_t in[1024], key[32];
    struct blake2s all;
    b2s_init(&all, 32, NULL, 0);
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 6; j++) {
            size_t outlen = md_lens[i], inlen = in_lens[j];
            selftest_seq(in, inlen, (uint32_t)inlen);
            blake2s(md, outlen, NULL, 0, in, inlen);
            b2s_update(&all, md, outlen);
            selftest_seq(key, outlen, (uint32_t)outlen);
            blake2s(md, outlen, key, outlen, in, inlen);
            b2s_update(&all, md, outlen);
        }
    b2s_final(&all, md);
    to_hex(md, 32, hex);
    if (strcmp(hex, "6a411f08ce25adcdfb02aba641451cec53c598b24f4fc787fbdc88797f4c1dfe") != 0) {
        fprintf(stderr, "blake2s: self-test gave %s\n", hex);
        fail("RFC 7693 Appendix E self-test");
    }
}

int main(void) {
    known_answers();
    printf("known answers: ok\n");

    uint8_t *buf = malloc(BUF_LEN);
    if (!buf) fail("out of memory");
    uint64_t x = 0x9e3779b97f4a7c15ull;
    for (size_t i = 0; i < BUF_LEN; i += 8) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        memcpy(buf + i, &x, 8);
    }

    /* Streaming in odd-sized pieces must agree with hashing in one go. */
    uint8_t one[32], streamed[32];
    blake2s(one, 32, NULL, 0, buf, 100003);
    struct blake2s s;
    b2s_init(&s, 32, NULL, 0);
    for (size_t at = 0; at < 100003; at += 61) b2s_update(&s, buf + at, 100003 - at < 61 ? 100003 - at : 61);
    b2s_final(&s, streamed);
    if (memcmp(one, streamed, 32) != 0) fail("streamed digest differs from one-shot digest");

    /* Hash the buffer ROUNDS times, folding each digest back in. */
    uint8_t md[32] = {0};
    for (unsigned round = 0; round < ROUNDS; round++) {
        blake2s(md, 32, NULL, 0, buf, BUF_LEN);
        size_t at = (round * 4099u) % (BUF_LEN - 32);
        for (int i = 0; i < 32; i++) buf[at + i] ^= md[i];
    }
    char hex[65];
    to_hex(md, 32, hex);
    printf("hashed %u MiB: %s\n", (BUF_LEN * ROUNDS) >> 20, hex);
    uint32_t checksum = (uint32_t)md[0] << 24 | (uint32_t)md[1] << 16 | (uint32_t)md[2] << 8 | md[3];
    free(buf);
    if (checksum != EXPECTED) {
        fprintf(stderr, "blake2s: checksum 0x%08x, expected 0x%08x\n", checksum, EXPECTED);
        fail("wrong checksum");
    }
    printf("checksum: 0x%08x\n", checksum);
    return 0;
}
