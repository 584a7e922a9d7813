/* A mixed integer workload in the spirit of embedded CPU benchmarks (our
   own kernels, not CoreMark's): each iteration updates a linked list and
   searches, reverses and merge-sorts it; multiplies small int16 matrices;
   and runs a number-recognising state machine over a generated text. All
   results are folded into a CRC-16. Exercises pointer chasing, branches,
   small integer multiplies and byte-wise table-free CRC arithmetic.

   Self-checks: sorting by key must give back keys 0..LIST_N-1 in order and
   sorting by value must leave values non-decreasing; (A*B)*v must equal
   A*(B*v) (wrapping arithmetic is associative); the state machine's class
   counts must equal what the text generator planted; and the final CRC and
   sum must match a constant. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ITERATIONS 30000
#define LIST_N 160
#define MAT_N 16
#define TOKENS 300
#define SLOT 8 /* each token sits in an 8-byte slot: text, ',', then spaces */
/* (crc << 16) ^ sum, see main. */
#define EXPECTED 0x0097af13u

static void fail(const char *msg) {
    fprintf(stderr, "coremark_like: FAILED: %s\n", msg);
    exit(1);
}

/* ---- deterministic generator and CRC ---- */

static uint32_t rng_state = 0x2545f491u;
static uint32_t rng(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return rng_state;
}

/* CRC-16/CCITT (polynomial 0x1021), bit by bit. */
static uint16_t crc_byte(uint16_t crc, uint8_t byte) {
    crc ^= (uint16_t)(byte << 8);
    for (int i = 0; i < 8; i++) crc = (crc & 0x8000) ? (uint16_t)((crc << 1) ^ 0x1021) : (uint16_t)(crc << 1);
    return crc;
}
static uint16_t crc_u16(uint16_t crc, uint16_t v) { return crc_byte(crc_byte(crc, (uint8_t)v), (uint8_t)(v >> 8)); }
static uint16_t crc_u32(uint16_t crc, uint32_t v) { return crc_u16(crc_u16(crc, (uint16_t)v), (uint16_t)(v >> 16)); }

/* ---- linked list ---- */

struct node {
    struct node *next;
    int16_t key;
    int16_t val;
};
static struct node pool[LIST_N];

static struct node *list_init(void) {
    for (int i = 0; i < LIST_N; i++) {
        pool[i].key = (int16_t)i;
        pool[i].val = (int16_t)(rng() & 0x3fff);
        pool[i].next = i + 1 < LIST_N ? &pool[i + 1] : NULL;
    }
    return &pool[0];
}

/* Position of the first node with this value, or -1. */
static int list_find(const struct node *n, int16_t val) {
    for (int pos = 0; n; n = n->next, pos++)
        if (n->val == val) return pos;
    return -1;
}

static struct node *list_reverse(struct node *n) {
    struct node *prev = NULL;
    while (n) {
        struct node *next = n->next;
        n->next = prev;
        prev = n;
        n = next;
    }
    return prev;
}

static int by_key(const struct node *a, const struct node *b) { return a->key - b->key; }
static int by_val(const struct node *a, const struct node *b) {
    return a->val != b->val ? a->val - b->val : a->key - b->key;
}

/* Bottom-up merge sort of a singly linked list. */
static struct node *list_sort(struct node *head, int (*cmp)(const struct node *, const struct node *)) {
    for (int width = 1;; width *= 2) {
        struct node *rest = head, *out = NULL, **tail = &out;
        int merges = 0;
        while (rest) {
            struct node *a = rest, *b = rest;
            int na = 0, nb = width;
            while (na < width && b) { b = b->next; na++; }
            merges++;
            while (na > 0 || (nb > 0 && b)) {
                struct node *take;
                if (na == 0) { take = b; b = b->next; nb--; }
                else if (nb == 0 || !b || cmp(a, b) <= 0) { take = a; a = a->next; na--; }
                else { take = b; b = b->next; nb--; }
                *tail = take;
                tail = &take->next;
            }
            rest = b;
        }
        *tail = NULL;
        head = out;
        if (merges <= 1) return head;
    }
}

static uint16_t list_work(struct node **headp, uint16_t crc, uint32_t *sum) {
    struct node *head = *headp;
    /* Perturb some values, then look some up (present or not). */
    for (struct node *n = head; n; n = n->next)
        if ((rng() & 7) == 0) n->val = (int16_t)((n->val * 5 + 1) & 0x3fff);
    int32_t found = 0;
    for (int i = 0; i < 8; i++) {
        int16_t target = (i & 1) ? pool[rng() % LIST_N].val : (int16_t)(rng() & 0x3fff);
        found += list_find(head, target);
    }
    crc = crc_u32(crc, (uint32_t)found);

    head = list_reverse(head);
    crc = crc_u16(crc, (uint16_t)head->key);

    head = list_sort(head, by_val);
    int count = 0;
    for (struct node *n = head; n; n = n->next, count++) {
        if (n->next && by_val(n, n->next) > 0) fail("list not sorted by value");
        if ((count & 15) == 0) crc = crc_u16(crc, (uint16_t)n->val);
    }
    if (count != LIST_N) fail("list lost nodes");
    *sum += (uint32_t)head->val + (uint32_t)found;

    head = list_sort(head, by_key);
    int key = 0;
    for (struct node *n = head; n; n = n->next, key++)
        if (n->key != key) fail("sorting by key did not give back 0..LIST_N-1");
    *headp = head;
    return crc;
}

/* ---- matrices ---- */

static int16_t ma[MAT_N][MAT_N], mb[MAT_N][MAT_N];
static int32_t mc[MAT_N][MAT_N];

static uint16_t matrix_work(uint16_t crc, uint32_t *sum) {
    int16_t bias = (int16_t)(rng() & 0xff);
    for (int i = 0; i < MAT_N; i++)
        for (int j = 0; j < MAT_N; j++) {
            ma[i][j] = (int16_t)((int32_t)(rng() & 0x3ff) - 0x200);
            mb[i][j] = (int16_t)(ma[i][j] * 3 + bias + i - j);
        }
    /* C = A * B + bias */
    for (int i = 0; i < MAT_N; i++)
        for (int j = 0; j < MAT_N; j++) {
            int32_t acc = bias;
            for (int k = 0; k < MAT_N; k++) acc += (int32_t)ma[i][k] * mb[k][j];
            mc[i][j] = acc;
        }
    /* (A*B)*v against A*(B*v), in wrapping unsigned arithmetic. */
    uint32_t v[MAT_N], bv[MAT_N];
    for (int i = 0; i < MAT_N; i++) v[i] = rng();
    for (int i = 0; i < MAT_N; i++) {
        uint32_t acc = 0;
        for (int k = 0; k < MAT_N; k++) acc += (uint32_t)(int32_t)mb[i][k] * v[k];
        bv[i] = acc;
    }
    for (int i = 0; i < MAT_N; i++) {
        uint32_t left = 0, right = 0;
        for (int j = 0; j < MAT_N; j++) left += ((uint32_t)mc[i][j] - (uint32_t)(int32_t)bias) * v[j];
        for (int k = 0; k < MAT_N; k++) right += (uint32_t)(int32_t)ma[i][k] * bv[k];
        if (left != right) fail("(A*B)*v differs from A*(B*v)");
    }
    /* Fold in a few bit fields of every element. */
    uint32_t bits = 0;
    for (int i = 0; i < MAT_N; i++)
        for (int j = 0; j < MAT_N; j++) bits += ((uint32_t)mc[i][j] >> ((i + j) & 7)) & 0x3f;
    *sum += bits;
    return crc_u32(crc_u32(crc, bits), (uint32_t)mc[MAT_N - 1][MAT_N - 1]);
}

/* ---- a state machine recognising numbers ---- */

enum cls { C_INT, C_FLOAT, C_EXP, C_INVALID, C_COUNT };
enum state { S_START, S_SIGN, S_INT, S_DOT, S_FRAC, S_E, S_ESIGN, S_EXP, S_BAD };

static char text[TOKENS * SLOT + 1];
static uint8_t token_class[TOKENS];
static int planted[C_COUNT];

/* Writes a token of the given class into its slot. */
static void make_token(int slot, enum cls c) {
    static const char *invalid[] = {"e5", "--1", "1.2.3", ".", "12a", "+", "1e", "x9", "3e+", "-."};
    char buf[SLOT + 1];
    int n = 0;
    switch (c) {
    case C_INT:
        if (rng() & 1) buf[n++] = (rng() & 1) ? '-' : '+';
        for (int d = 1 + rng() % 4; d > 0; d--) buf[n++] = (char)('0' + rng() % 10);
        break;
    case C_FLOAT:
        if (rng() & 1) buf[n++] = '-';
        for (int d = rng() % 3; d > 0; d--) buf[n++] = (char)('0' + rng() % 10);
        buf[n++] = '.';
        for (int d = 1 + rng() % 3; d > 0; d--) buf[n++] = (char)('0' + rng() % 10);
        break;
    case C_EXP:
        buf[n++] = (char)('1' + rng() % 9);
        if (rng() & 1) { buf[n++] = '.'; buf[n++] = (char)('0' + rng() % 10); }
        buf[n++] = (rng() & 1) ? 'e' : 'E';
        if (rng() & 1) buf[n++] = (rng() & 1) ? '-' : '+';
        buf[n++] = (char)('0' + rng() % 10);
        break;
    default: {
        const char *s = invalid[rng() % (sizeof invalid / sizeof *invalid)];
        n = (int)strlen(s);
        memcpy(buf, s, (size_t)n);
    }
    }
    buf[n++] = ',';
    while (n < SLOT) buf[n++] = ' ';
    memcpy(&text[slot * SLOT], buf, SLOT);
    token_class[slot] = (uint8_t)c;
}

static enum state step(enum state s, char ch) {
    int digit = ch >= '0' && ch <= '9';
    switch (s) {
    case S_START: return digit ? S_INT : (ch == '+' || ch == '-') ? S_SIGN : ch == '.' ? S_DOT : S_BAD;
    case S_SIGN: return digit ? S_INT : ch == '.' ? S_DOT : S_BAD;
    case S_INT: return digit ? S_INT : ch == '.' ? S_FRAC : (ch == 'e' || ch == 'E') ? S_E : S_BAD;
    case S_DOT: return digit ? S_FRAC : S_BAD;
    case S_FRAC: return digit ? S_FRAC : (ch == 'e' || ch == 'E') ? S_E : S_BAD;
    case S_E: return digit ? S_EXP : (ch == '+' || ch == '-') ? S_ESIGN : S_BAD;
    case S_ESIGN: return digit ? S_EXP : S_BAD;
    case S_EXP: return digit ? S_EXP : S_BAD;
    default: return S_BAD;
    }
}

static enum cls classify(enum state s) {
    switch (s) {
    case S_INT: return C_INT;
    case S_FRAC: return C_FLOAT;
    case S_EXP: return C_EXP;
    default: return C_INVALID;
    }
}

static uint16_t scan_work(uint16_t crc, uint32_t *sum) {
    int counts[C_COUNT] = {0};
    unsigned transitions = 0;
    enum state s = S_START;
    for (const char *p = text; *p; p++) {
        char ch = *p;
        if (ch == ' ') continue;
        if (ch == ',') {
            counts[classify(s)]++;
            s = S_START;
            continue;
        }
        enum state next = step(s, ch);
        transitions += next != s;
        s = next;
    }
    for (int c = 0; c < C_COUNT; c++) {
        if (counts[c] != planted[c]) fail("state machine counts differ from the planted tokens");
        crc = crc_u16(crc, (uint16_t)counts[c]);
    }
    *sum += transitions;
    /* Replace a few tokens for the next iteration, keeping the tally. */
    for (int i = 0; i < 4; i++) {
        int slot = (int)(rng() % TOKENS);
        enum cls c = (enum cls)(rng() % C_COUNT);
        planted[token_class[slot]]--;
        make_token(slot, c);
        planted[c]++;
    }
    return crc_u32(crc, transitions);
}

int main(void) {
    struct node *head = list_init();
    for (int i = 0; i < TOKENS; i++) {
        enum cls c = (enum cls)(rng() % C_COUNT);
        make_token(i, c);
        planted[c]++;
    }
    text[TOKENS * SLOT] = '\0';

    uint16_t crc = 0xffff;
    uint32_t sum = 0;
    for (int it = 0; it < ITERATIONS; it++) {
        crc = list_work(&head, crc, &sum);
        crc = matrix_work(crc, &sum);
        crc = scan_work(crc, &sum);
    }
    printf("%d iterations: crc 0x%04x, sum 0x%08x\n", ITERATIONS, crc, sum);
    printf("final tokens: %d int, %d float, %d exp, %d invalid\n", planted[C_INT], planted[C_FLOAT],
           planted[C_EXP], planted[C_INVALID]);
    uint32_t checksum = ((uint32_t)crc << 16) ^ sum;
    if (checksum != EXPECTED) {
        fprintf(stderr, "coremark_like: checksum 0x%08x, expected 0x%08x\n", checksum, EXPECTED);
        fail("wrong checksum");
    }
    printf("checksum: 0x%08x\n", checksum);
    return 0;
}
