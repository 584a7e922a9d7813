/* Pancake flipping over every permutation of N elements: for each
   permutation, repeatedly reverse the prefix whose length is given by the
   first element until the first element is 0, and count the reversals.
   Exercises small-array shuffling, tight loops and unpredictable branches.

   The permutations are enumerated REPS times, each time starting from a
   different relabelling, so the enumeration is never the same twice.

   Self-checks: the most flips over all permutations of 10 is 38 (OEIS
   A000375) whatever the labels; the total number of flips is the same in
   every repetition; the signed checksum for the identity start is the
   published 73196; and the combined checksum matches a constant. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define N 10
#define REPS 4
#define MAX_FLIPS_10 38
#define SIGNED_CHECKSUM_10 73196
/* FNV-1a over every repetition's results, folded to 32 bits. */
#define EXPECTED 0x37da9456u

struct result {
    int max_flips;
    long signed_sum;
    long total_flips;
};

static void fail(const char *what, long got, long want) {
    fprintf(stderr, "fannkuch: FAILED: %s: got %ld, want %ld\n", what, got, want);
    exit(1);
}

/* Enumerates all permutations of `start` by prefix rotations: rotating the
   first r+1 elements left by one, r+1 times, returns them to where they
   were, so a mixed-radix counter drives the whole enumeration. */
static struct result pancakes(const int start[N]) {
    int perm[N], work[N], count[N];
    struct result res = {0, 0, 0};
    long index = 0;
    int r = N;

    for (int i = 0; i < N; i++) perm[i] = start[i];
    for (;;) {
        for (; r > 1; r--) count[r - 1] = r;

        int first = perm[0];
        if (first != 0) {
            int flips = 0;
            for (int i = 1; i < N; i++) work[i] = perm[i];
            do {
                /* Reverse work[0..first], with work[0] held in `first`. */
                int lo = 1, hi = first - 1;
                while (lo < hi) {
                    int t = work[lo];
                    work[lo] = work[hi];
                    work[hi] = t;
                    lo++;
                    hi--;
                }
                int next = work[first];
                work[first] = first;
                first = next;
                flips++;
            } while (first != 0);
            if (flips > res.max_flips) res.max_flips = flips;
            res.signed_sum += (index & 1) ? -flips : flips;
            res.total_flips += flips;
        }

        /* Advance the counter; rotate the prefix that each digit owns. */
        for (;;) {
            if (r == N) return res;
            int head = perm[0];
            for (int i = 0; i < r; i++) perm[i] = perm[i + 1];
            perm[r] = head;
            if (--count[r] > 0) break;
            r++;
        }
        index++;
    }
}

int main(void) {
    uint64_t hash = 0xcbf29ce484222325ull;
    long total0 = 0;
    for (int rep = 0; rep < REPS; rep++) {
        /* Relabel: start from a rotation of the identity, reversed on odd reps. */
        int start[N];
        for (int i = 0; i < N; i++) {
            int v = (i + rep) % N;
            start[(rep & 1) ? N - 1 - i : i] = v;
        }
        struct result r = pancakes(start);
        printf("rep %d: max flips %d, signed checksum %ld, total flips %ld\n",
               rep, r.max_flips, r.signed_sum, r.total_flips);
        if (r.max_flips != MAX_FLIPS_10) fail("max flips", r.max_flips, MAX_FLIPS_10);
        if (rep == 0) {
            total0 = r.total_flips;
            if (r.signed_sum != SIGNED_CHECKSUM_10)
                fail("signed checksum of the identity start", r.signed_sum, SIGNED_CHECKSUM_10);
        } else if (r.total_flips != total0) {
            fail("total flips differ between repetitions", r.total_flips, total0);
        }
        uint64_t vals[3] = {(uint64_t)r.max_flips, (uint64_t)r.signed_sum, (uint64_t)r.total_flips};
        for (int k = 0; k < 3; k++)
            for (int b = 0; b < 8; b++) {
                hash ^= (vals[k] >> (8 * b)) & 0xff;
                hash *= 0x100000001b3ull;
            }
    }
    uint32_t checksum = (uint32_t)(hash ^ (hash >> 32));
    if (checksum != EXPECTED) {
        fprintf(stderr, "fannkuch: FAILED: checksum 0x%08x, expected 0x%08x\n", checksum, EXPECTED);
        exit(1);
    }
    printf("checksum: 0x%08x\n", checksum);
    return 0;
}
