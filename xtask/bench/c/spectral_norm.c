/* Spectral norm of the infinite matrix A with a(i,j) = 1/((i+j)(i+j+1)/2
   + i + 1), truncated to N x N, by power iteration on A^T A. Exercises
   double division and multiply-add in nested loops over arrays.

   Self-checks: the norm must be within 1e-6 of its known limit 1.2742241,
   the Rayleigh quotient must have settled (the last two estimates agree
   to 1e-9), and the bits of the result must match a constant. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N 3500
#define STEPS 10
/* High and low halves of the result's bits, xored. */
#define EXPECTED 0xe28eff6bu

static double u[N], v[N], tmp[N];

static double a(int i, int j) {
    int s = i + j;
    return 1.0 / (double)(s * (s + 1) / 2 + i + 1);
}

/* out = A x */
static void mul_a(const double *x, double *out) {
    for (int i = 0; i < N; i++) {
        double sum = 0.0;
        for (int j = 0; j < N; j++) sum += a(i, j) * x[j];
        out[i] = sum;
    }
}

/* out = A^T x */
static void mul_at(const double *x, double *out) {
    for (int i = 0; i < N; i++) {
        double sum = 0.0;
        for (int j = 0; j < N; j++) sum += a(j, i) * x[j];
        out[i] = sum;
    }
}

static void mul_ata(const double *x, double *out) {
    mul_a(x, tmp);
    mul_at(tmp, out);
}

static double rayleigh(void) {
    double uv = 0.0, vv = 0.0;
    for (int i = 0; i < N; i++) {
        uv += u[i] * v[i];
        vv += v[i] * v[i];
    }
    return sqrt(uv / vv);
}

static void fail(const char *msg, double got) {
    fprintf(stderr, "spectral_norm: FAILED: %s (%.12f)\n", msg, got);
    exit(1);
}

int main(void) {
    for (int i = 0; i < N; i++) u[i] = 1.0;
    double previous = 0.0, norm = 0.0;
    for (int step = 0; step < STEPS; step++) {
        mul_ata(u, v);
        mul_ata(v, u);
        previous = norm;
        norm = rayleigh();
    }
    printf("n = %d: spectral norm %.9f\n", N, norm);
    if (fabs(norm - 1.2742241) > 1e-6) fail("the norm is not near 1.2742241", norm);
    if (fabs(norm - previous) > 1e-9) fail("the power iteration has not converged", norm - previous);

    uint64_t bits;
    memcpy(&bits, &norm, sizeof bits);
    uint32_t checksum = (uint32_t)(bits ^ (bits >> 32));
    if (checksum != EXPECTED) {
        fprintf(stderr, "spectral_norm: checksum 0x%08x, expected 0x%08x\n", checksum, EXPECTED);
        fail("wrong checksum", norm);
    }
    printf("checksum: 0x%08x\n", checksum);
    return 0;
}
