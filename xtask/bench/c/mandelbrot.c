/* Mandelbrot set: computes a SIZE x SIZE one-bit-per-pixel bitmap of the
   region [-1.5, 0.5] x [-1, 1] (at most 50 iterations, escape at |z| > 2)
   and prints a hash of it instead of writing the image. Exercises scalar
   double arithmetic in a tight loop with a data-dependent exit.

   Self-checks: the set is symmetric about the real axis and the pixel grid
   is too, so row y must equal row SIZE-1-y bit for bit (negation is exact
   in IEEE arithmetic); the number of pixels in the set and the hash of the
   bitmap must match constants. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SIZE 3200 /* even, and a multiple of 8 */
#define ITERATIONS 50
#define EXPECTED_INSIDE 4064132ul
/* FNV-1a over the bitmap, 32-bit. */
#define EXPECTED 0x05a30985u

static uint8_t bitmap[SIZE][SIZE / 8];

static int inside(double cr, double ci) {
    double zr = 0.0, zi = 0.0, zr2 = 0.0, zi2 = 0.0;
    for (int i = 0; i < ITERATIONS; i++) {
        zi = 2.0 * zr * zi + ci;
        zr = zr2 - zi2 + cr;
        zr2 = zr * zr;
        zi2 = zi * zi;
        if (zr2 + zi2 > 4.0) return 0;
    }
    return 1;
}

static void fail(const char *msg) {
    fprintf(stderr, "mandelbrot: FAILED: %s\n", msg);
    exit(1);
}

int main(void) {
    const double scale = 2.0 / SIZE;
    unsigned long count = 0;
    for (int y = 0; y < SIZE; y++) {
        double ci = ((double)y - 0.5 * (SIZE - 1)) * scale;
        for (int xb = 0; xb < SIZE / 8; xb++) {
            unsigned bits = 0;
            for (int k = 0; k < 8; k++) {
                double cr = (double)(xb * 8 + k) * scale - 1.5;
                int in = inside(cr, ci);
                bits = (bits << 1) | (unsigned)in;
                count += (unsigned long)in;
            }
            bitmap[y][xb] = (uint8_t)bits;
        }
    }

    for (int y = 0; y < SIZE / 2; y++)
        if (memcmp(bitmap[y], bitmap[SIZE - 1 - y], SIZE / 8) != 0) {
            fprintf(stderr, "mandelbrot: rows %d and %d differ\n", y, SIZE - 1 - y);
            fail("the bitmap is not symmetric about the real axis");
        }

    uint32_t hash = 2166136261u;
    for (int y = 0; y < SIZE; y++)
        for (int xb = 0; xb < SIZE / 8; xb++) {
            hash ^= bitmap[y][xb];
            hash *= 16777619u;
        }
    printf("%dx%d pixels, %lu inside the set, symmetric\n", SIZE, SIZE, count);
    if (count != EXPECTED_INSIDE) {
        fprintf(stderr, "mandelbrot: %lu pixels inside, expected %lu\n", count, EXPECTED_INSIDE);
        fail("wrong number of pixels inside the set");
    }
    if (hash != EXPECTED) {
        fprintf(stderr, "mandelbrot: checksum 0x%08x, expected 0x%08x\n", hash, EXPECTED);
        fail("wrong checksum");
    }
    printf("checksum: 0x%08x\n", hash);
    return 0;
}
