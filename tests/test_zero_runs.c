/* test_zero_runs.c - the zero-run coding (storage/zero_runs.c): every shape of input (empty,
 * all zeros, dense, sparse, runs just under, at and over the minimum, split into pieces at odd
 * places) decodes to itself through the buffer decoder and the streaming reader at any read
 * size; long literals are referred to, not copied; zeros shrink; and every truncated, extended or
 * malformed coding is refused by both decoders. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "storage/zero_runs.h"

static uint64_t rng = 88172645463325252ull;
static uint32_t next_u32(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 11);
}

/* n bytes: stretches of non-zero bytes (some holding short zero runs) between zero runs of
 * lengths around the minimum, or long ones; density picks how much is non-zero. */
static void fill(uint8_t *p, size_t n, unsigned density_pct)
{
    size_t i = 0;
    while (i < n) {
        size_t k = 1 + next_u32() % 64;
        if (next_u32() % 100 < density_pct) {
            for (size_t j = 0; j < k && i < n; j++, i++)
                p[i] = next_u32() % 5 == 0 ? 0 : (uint8_t)(1 + next_u32() % 255);
        } else {
            static const size_t runs[] = {
                RL_ZR_MIN_RUN - 1, RL_ZR_MIN_RUN, RL_ZR_MIN_RUN + 1, 7, 300, 5000};
            k = runs[next_u32() % 6];
            for (size_t j = 0; j < k && i < n; j++, i++)
                p[i] = 0;
        }
    }
}

/* The coded pieces joined. */
static uint8_t *join(const rl_zr_enc *z, size_t *len)
{
    uint8_t *out = malloc(z->len + 1);
    assert_non_null(out);
    size_t at = 0;
    for (size_t k = 0; k < z->n_iov; k++) {
        memcpy(out + at, z->iov[k].iov_base, z->iov[k].iov_len);
        at += z->iov[k].iov_len;
    }
    assert_int_equal(at, z->len);
    *len = at;
    return out;
}

typedef struct mem_src {
    const uint8_t *p;
    size_t len, pos;
} mem_src;

static int mem_pull(void *ctx, void *dst, size_t n)
{
    mem_src *m = ctx;
    if (n > m->len - m->pos)
        return -1;
    memcpy(dst, m->p + m->pos, n);
    m->pos += n;
    return 0;
}

/* Streams coded[0..clen) into out[0..raw) in reads of random sizes up to max_read: 0 on
 * success (including the final check), -1 on the first refusal. */
static int stream_decode(const uint8_t *coded, size_t clen, uint8_t *out, size_t raw,
                         size_t max_read)
{
    rl_zr_reader *r = malloc(sizeof(*r));
    assert_non_null(r);
    mem_src m = {coded, clen, 0};
    rl_zr_reader_init(r, mem_pull, &m, clen);
    int rc = 0;
    size_t at = 0;
    while (at < raw && rc == 0) {
        size_t k = 1 + next_u32() % max_read;
        if (k > raw - at)
            k = raw - at;
        rc = rl_zr_read(r, out + at, k);
        at += k;
    }
    if (rc == 0)
        rc = rl_zr_reader_finish(r);
    free(r);
    return rc;
}

static void round_trip(const uint8_t *p, size_t n, int n_pieces)
{
    struct iovec in[5];
    size_t cut[6] = {0};
    for (int i = 1; i < n_pieces; i++)
        cut[i] = n ? next_u32() % (n + 1) : 0;
    cut[n_pieces] = n;
    for (int i = 1; i < n_pieces; i++) /* sort the inner cuts */
        for (int j = i + 1; j < n_pieces; j++)
            if (cut[j] < cut[i]) {
                size_t t = cut[i];
                cut[i] = cut[j];
                cut[j] = t;
            }
    for (int i = 0; i < n_pieces; i++)
        in[i] = (struct iovec){(void *)(p + cut[i]), cut[i + 1] - cut[i]};
    rl_zr_enc z;
    rl_zr_enc_init(&z);
    assert_int_equal(rl_zr_encode(&z, in, n_pieces), RL_OK);
    size_t clen;
    uint8_t *coded = join(&z, &clen);
    uint8_t *out = malloc(n + 1);
    assert_non_null(out);
    memset(out, 0xa5, n + 1);
    const char *why = NULL;
    if (rl_zr_decode(coded, clen, out, n, &why) != 0)
        fail_msg("n %zu pieces %d: %s", n, n_pieces, why);
    assert_memory_equal(out, p, n);
    assert_int_equal(out[n], 0xa5);
    for (size_t max_read = 1; max_read <= 1u << 20; max_read *= 37) {
        memset(out, 0xa5, n + 1);
        assert_int_equal(stream_decode(coded, clen, out, n, max_read), 0);
        assert_memory_equal(out, p, n);
    }
    free(out);
    free(coded);
    rl_zr_enc_free(&z);
}

static void test_round_trips(void **state)
{
    (void)state;
    static const size_t sizes[] = {0, 1, 7, 8, 15, 16, 17, 33, 100, 4095, 4096, 70000, 300000};
    static const unsigned densities[] = {0, 1, 10, 50, 100};
    uint8_t *p = malloc(300001);
    assert_non_null(p);
    for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++)
        for (size_t d = 0; d < sizeof(densities) / sizeof(densities[0]); d++)
            for (int pieces = 1; pieces <= 5; pieces += 2) {
                fill(p, sizes[s], densities[d]);
                round_trip(p, sizes[s], pieces);
            }
    /* runs of every length around the minimum, at every offset from the 8-byte grid */
    for (size_t run = 1; run <= 2 * RL_ZR_MIN_RUN; run++)
        for (size_t off = 0; off < 9; off++) {
            memset(p, 0x11, 64);
            memset(p + off, 0, run);
            round_trip(p, 64, 1);
        }
    free(p);
}

/* Zeros go, long literals are referred to in place, short ones copied. */
static void test_shape_of_the_coding(void **state)
{
    (void)state;
    size_t n = 1u << 20;
    uint8_t *p = calloc(n, 1);
    assert_non_null(p);
    rl_zr_enc z;
    rl_zr_enc_init(&z);
    struct iovec in = {p, n};
    assert_int_equal(rl_zr_encode(&z, &in, 1), RL_OK);
    assert_true(z.len <= 5); /* one record: no literal, 2^20 zeros */

    /* 1% of the 4-byte words set, as a sparse float array: ~7 bytes per value */
    for (size_t i = 0; i < n; i += 400)
        p[i + 1] = 0x3f;
    assert_int_equal(rl_zr_encode(&z, &in, 1), RL_OK);
    assert_true(z.len < (n / 400) * 6);

    /* a dense stretch of 64 KiB: referred to, not copied into side */
    memset(p + 4096, 0x7f, 65536);
    assert_int_equal(rl_zr_encode(&z, &in, 1), RL_OK);
    int referred = 0;
    for (size_t k = 0; k < z.n_iov; k++)
        if ((uint8_t *)z.iov[k].iov_base >= p && (uint8_t *)z.iov[k].iov_base < p + n)
            referred++;
    assert_int_equal(referred, 1);
    assert_true(z.side.len < 20000);
    rl_zr_enc_free(&z);
    free(p);
}

static void expect_refused(const uint8_t *coded, size_t clen, size_t raw)
{
    uint8_t *out = malloc(raw + 1);
    assert_non_null(out);
    const char *why = NULL;
    assert_int_equal(rl_zr_decode(coded, clen, out, raw, &why), -1);
    assert_non_null(why);
    assert_int_equal(stream_decode(coded, clen, out, raw, 1 + next_u32() % 100), -1);
    free(out);
}

static void test_malformed_refused(void **state)
{
    (void)state;
    /* the 40 bytes 00*10 11*10 00*20 coded: [0][10 zeros] [10 literal][20 zeros] */
    static const uint8_t good[] = {0x00, 0x0a, 0x0a, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 0x14};
    uint8_t out[64];
    const char *why = NULL;
    assert_int_equal(rl_zr_decode(good, sizeof(good), out, 40, &why), 0);
    assert_int_equal(stream_decode(good, sizeof(good), out, 40, 7), 0);
    /* every truncation */
    for (size_t cut = 0; cut < sizeof(good); cut++)
        expect_refused(good, cut, 40);
    /* a decoded length the coding does not reach, or overruns */
    expect_refused(good, sizeof(good), 41);
    expect_refused(good, sizeof(good), 39);
    expect_refused(good, sizeof(good), 20);
    /* a byte after the end */
    uint8_t longer[sizeof(good) + 1];
    memcpy(longer, good, sizeof(good));
    longer[sizeof(good)] = 0;
    expect_refused(longer, sizeof(longer), 40);
    /* an empty record */
    static const uint8_t empty_rec[] = {0x00, 0x00, 0x00, 0x0a};
    expect_refused(empty_rec, sizeof(empty_rec), 10);
    /* a literal longer than what is left, a varint that never ends */
    static const uint8_t long_lit[] = {0x20, 1, 2, 3, 0x00};
    expect_refused(long_lit, sizeof(long_lit), 3);
    static const uint8_t endless[] = {0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
                                      0x80, 0x80, 0x80, 0x80, 0x80, 0x01};
    expect_refused(endless, sizeof(endless), 10);
    /* every single-byte change of a real coding: refused or decoded, never past the end */
    uint8_t p[4000];
    fill(p, sizeof(p), 10);
    rl_zr_enc z;
    rl_zr_enc_init(&z);
    struct iovec in = {p, sizeof(p)};
    assert_int_equal(rl_zr_encode(&z, &in, 1), RL_OK);
    size_t clen;
    uint8_t *coded = join(&z, &clen);
    uint8_t *dst = malloc(sizeof(p) + 1);
    assert_non_null(dst);
    for (size_t i = 0; i < clen; i++) {
        uint8_t keep = coded[i];
        coded[i] ^= (uint8_t)(1u << (i % 8));
        dst[sizeof(p)] = 0x5a;
        int a = rl_zr_decode(coded, clen, dst, sizeof(p), &why);
        int b = stream_decode(coded, clen, dst, sizeof(p), 64);
        assert_int_equal(a, b); /* both decoders judge alike */
        assert_int_equal(dst[sizeof(p)], 0x5a);
        coded[i] = keep;
    }
    free(dst);
    free(coded);
    rl_zr_enc_free(&z);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trips),
        cmocka_unit_test(test_shape_of_the_coding),
        cmocka_unit_test(test_malformed_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
