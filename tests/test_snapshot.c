/* test_snapshot.c - snapshots: weights read back bitwise for every learner kind, a learner
 * rebuilt from a snapshot predicting exactly as the publishing model, dense/sparse choice,
 * zstd, metrics/ranges/dictionary, newer versions and corruption refused, chunking with
 * missing, duplicated, reordered and corrupt chunks, and a replay of the fuzz corpus. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <xxhash.h>

#include "tests/ckpt_util.h"
#include "storage/model_file.h"
#include "storage/snapshot.h"
#include "proto/snapshot.pb-c.h"
#include "tests/snapshot_pb_util.h"

#define RL_FUZZ_CORPUS RL_TEST_DATA "/../fuzz/corpus"

static rl_model *trained(const char *learner, const char *loss, uint32_t bits, int steps,
                         uint32_t dense_dim)
{
    rl_model_config c;
    rl_model *m = NULL;
    char err[256];
    tu_config(&c, learner, loss, NULL, RL_RESPONSE_ALERT, bits);
    c.learner.dense_dim = dense_dim;
    if (rl_model_new(&c, NULL, NULL, &m, err, sizeof(err)) != RL_OK)
        fail_msg("%s: %s", learner, err);
    tu_stream s;
    tu_stream_init(&s, 21, rl_model_learner(m), 1u << 30);
    rl_example ex;
    for (int i = 0; i < steps; i++) {
        tu_example(&s, &ex, NULL);
        rl_model_step(m, &ex, NULL, NULL);
    }
    return m;
}

static void encode(const rl_model *m, const rl_snapshot_meta *meta, unsigned flags, rl_buf *out)
{
    char err[256];
    rl_err e = rl_snapshot_encode_model(m, meta, flags, out, err, sizeof(err));
    if (e != RL_OK)
        fail_msg("encode: %s", err);
}

static void assert_weights_equal(const rl_model *m, const rl_snapshot *s)
{
    rl_weights w;
    rl_learner_weights(rl_model_learner_c(m), &w);
    assert_int_equal(s->n_rows, w.n_rows);
    assert_int_equal(s->n_sparse, w.n_sparse);
    assert_int_equal(s->dense_dim, w.dense_dim);
    char err[256];
    for (uint32_t r = 0; r < w.n_rows; r++) {
        const float *d;
        float *owned;
        assert_int_equal(rl_snapshot_row_dense(s, r, &d, &owned, err, sizeof(err)), RL_OK);
        assert_memory_equal(d, w.w + (size_t)r * w.n_sparse, w.n_sparse * sizeof(float));
        for (uint64_t k = 0; k < w.n_sparse; k += 17) {
            float a = rl_snapshot_weight(s, r, k), b = w.w[(size_t)r * w.n_sparse + k];
            assert_memory_equal(&a, &b, sizeof(float));
        }
        free(owned);
        assert_memory_equal(&s->rows[r].bias, &w.bias[r], sizeof(float));
        if (w.dense_dim)
            assert_memory_equal(s->rows[r].dense_block, w.dense + (size_t)r * w.dense_dim,
                                w.dense_dim * sizeof(float));
    }
}

/* Learners whose set_weights reproduces predictions bitwise. */
static int bitwise_kind(const char *learner)
{
    return strcmp(learner, "ftrl") != 0;
}

static void test_every_learner_round_trip_and_predicts_exactly(void **state)
{
    (void)state;
    static const struct {
        const char *learner, *loss;
        uint32_t dense;
    } kinds[] = {{"sgd", NULL, 3},        {"sgd", "squared", 0},
                 {"perceptron", NULL, 0}, {"avg_perceptron", NULL, 0},
                 {"ogd", NULL, 2},        {"ftrl", NULL, 0},
                 {"softmax", NULL, 0}};
    char err[256];
    for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
        for (unsigned flags = 0; flags <= RL_FRAME_ZSTD; flags += RL_FRAME_ZSTD) {
            rl_model *m = trained(kinds[k].learner, kinds[k].loss, 11, 400, kinds[k].dense);
            rl_snapshot_range ranges[2] = {{(char *)"events", 0, 10, 210},
                                           {(char *)"events", 1, 0, 200}};
            rl_snapshot_meta meta = {"mod", "inst-1", 7, 6, 1234, ranges, 2, NULL};
            rl_buf b;
            rl_buf_init(&b);
            encode(m, &meta, flags, &b);
            rl_snapshot s;
            rl_snapshot_init(&s);
            rl_err e = rl_snapshot_decode(b.data, b.len, &s, err, sizeof(err));
            if (e != RL_OK)
                fail_msg("%s: %s", kinds[k].learner, err);
            assert_string_equal(s.model_name, "mod");
            assert_string_equal(s.instance_id, "inst-1");
            assert_int_equal(s.version, 7);
            assert_int_equal(s.parent_version, 6);
            assert_int_equal(s.created_ms, 1234);
            assert_int_equal(s.events, 400);
            assert_int_equal(s.hash_seed, 42);
            assert_int_equal(s.n_ranges, 2);
            assert_string_equal(s.ranges[1].topic, "events");
            assert_int_equal(s.ranges[0].first_offset, 10);
            assert_int_equal(s.ranges[0].end_offset, 210);
            assert_int_equal(s.frame.flags, flags);
            assert_int_equal(s.frame.checksum, XXH3_64bits(b.data, b.len - 8));
            assert_true(s.has_metrics);
            rl_metrics_summary sum;
            rl_model_summary(m, &sum);
            assert_int_equal(s.metrics.n, sum.n);
            assert_true(tu_same_double(s.metrics.mean_loss, sum.mean_loss));
            assert_true(tu_same_double(s.metrics.auc, sum.auc));
            assert_memory_equal(&s.learner, &rl_model_learner_c(m)->params, sizeof(s.learner));
            assert_weights_equal(m, &s);

            /* A learner rebuilt from the snapshot predicts exactly as the model, on the kind
             * of data the model was trained on (the same stream replayed: sgd's normalized
             * rule clips a value beyond its coordinate's known scale, which is optimizer state
             * a weights-only snapshot does not carry). */
            rl_learner *l = NULL;
            e = rl_snapshot_to_learner(&s, &l, err, sizeof(err));
            if (e != RL_OK)
                fail_msg("%s: %s", kinds[k].learner, err);
            tu_stream st;
            tu_stream_init(&st, 21, l, 1u << 30);
            rl_example ex;
            rl_pred pm, pl;
            for (int i = 0; i < 200; i++) {
                tu_example(&st, &ex, NULL);
                rl_model_predict(m, &ex, &pm);
                rl_learner_predict(l, &ex, &pl);
                pm.prob_true = pl.prob_true = 0; /* filled by learn() only */
                if (!bitwise_kind(kinds[k].learner)) {
                    /* ftrl rebuilds its z state from a weight in float arithmetic: scores
                     * agree to float precision, not bitwise (the stored weights themselves are
                     * bitwise, and test_predictor scores them exactly). */
                    assert_true(fabs(pm.score - pl.score) <= 1e-6 * (1 + fabs(pm.score)));
                    continue;
                }
                if (!tu_same_pred(&pm, &pl))
                    fail_msg("%s: snapshot learner predicts %.17g, model %.17g (example %d)",
                             kinds[k].learner, pl.score, pm.score, i);
            }
            /* ... and so does a fresh model the snapshot is applied to. */
            rl_model *fresh = trained(kinds[k].learner, kinds[k].loss, 11, 0, kinds[k].dense);
            assert_int_equal(rl_snapshot_apply_to_model(&s, fresh, err, sizeof(err)), RL_OK);
            tu_stream_init(&st, 21, l, 1u << 30);
            for (int i = 0; i < 50; i++) {
                tu_example(&st, &ex, NULL);
                rl_model_predict(m, &ex, &pm);
                rl_model_predict(fresh, &ex, &pl);
                if (!bitwise_kind(kinds[k].learner))
                    assert_true(fabs(pm.score - pl.score) <= 1e-6 * (1 + fabs(pm.score)));
                else
                    assert_true(tu_same_double(pm.score, pl.score));
            }
            rl_model_destroy(fresh);
            rl_learner_destroy(l);
            rl_snapshot_clear(&s);
            rl_buf_free(&b);
            rl_model_destroy(m);
        }
    }
}

static void test_dense_or_sparse_whichever_smaller(void **state)
{
    (void)state;
    char err[256];
    /* Few updates on 2^16 slots: sparse, far below 4 bytes a slot. */
    rl_model *m = trained("sgd", NULL, 16, 20, 0);
    rl_buf b;
    rl_buf_init(&b);
    encode(m, NULL, 0, &b);
    rl_snapshot s;
    rl_snapshot_init(&s);
    assert_int_equal(rl_snapshot_decode(b.data, b.len, &s, err, sizeof(err)), RL_OK);
    assert_null(s.rows[0].w);
    assert_true(s.rows[0].nnz > 0 && s.rows[0].nnz < 200);
    assert_true(b.len < 2000);
    assert_weights_equal(m, &s);
    rl_model_destroy(m);
    /* Many updates on 2^10 slots: every slot touched, dense. */
    m = trained("sgd", NULL, 10, 3000, 0);
    rl_buf_reset(&b);
    encode(m, NULL, 0, &b);
    assert_int_equal(rl_snapshot_decode(b.data, b.len, &s, err, sizeof(err)), RL_OK);
    rl_weights w;
    rl_learner_weights(rl_model_learner_c(m), &w);
    uint64_t nnz = 0;
    for (uint64_t i = 0; i < w.n_sparse; i++)
        nnz += w.w[i] != 0;
    /* sparse costs at least 5 bytes an entry: dense wins once more than 4/5 are set */
    if (nnz * 5 > w.n_sparse * 4)
        assert_non_null(s.rows[0].w);
    else
        assert_null(s.rows[0].w);
    assert_weights_equal(m, &s);
    /* An untrained model: no weights stored at all. */
    rl_model_destroy(m);
    m = trained("ftrl", NULL, 20, 0, 0);
    rl_buf_reset(&b);
    encode(m, NULL, RL_FRAME_ZSTD, &b);
    assert_true(b.len < 1000);
    assert_int_equal(rl_snapshot_decode(b.data, b.len, &s, err, sizeof(err)), RL_OK);
    assert_int_equal(s.rows[0].nnz, 0);
    assert_true(rl_snapshot_weight(&s, 0, 12345) == 0.0f);
    rl_snapshot_clear(&s);
    rl_model_destroy(m);
    rl_buf_free(&b);
}

/* Feeds m examples whose features sweep every slot of 2^bits, so every weight gets set. */
static void train_every_slot(rl_model *m, uint32_t bits, int steps)
{
    rl_feature f[40];
    for (int i = 0; i < steps; i++) {
        for (uint32_t k = 0; k < 40; k++) {
            f[k].index = ((uint32_t)i * 40 + k) & ((1u << bits) - 1);
            f[k].value = 0.5f + 0.01f * (float)k;
        }
        rl_example ex = {(float)(i % 2), 1, f, 40, NULL, 0, NULL};
        rl_model_step(m, &ex, NULL, NULL);
    }
}

/* RL_SNAPSHOT_COMPRESS_AUTO: zstd exactly when every row went out sparse; the weights read back
 * bitwise either way. */
static void test_auto_compression_follows_encoding(void **state)
{
    (void)state;
    char err[256];
    static const char *const learners[] = {"sgd", "softmax"};
    for (size_t i = 0; i < 4; i++) {
        int dense = (int)(i % 2);
        rl_model *m = trained(learners[i / 2], NULL, dense ? 10 : 16, dense ? 0 : 20, 0);
        if (dense)
            train_every_slot(m, 10, 400);
        rl_buf b;
        rl_buf_init(&b);
        encode(m, NULL, RL_SNAPSHOT_COMPRESS_AUTO | RL_FRAME_ZSTD, &b);
        rl_snapshot s;
        rl_snapshot_init(&s);
        if (rl_snapshot_decode(b.data, b.len, &s, err, sizeof(err)) != RL_OK)
            fail_msg("%s: %s", learners[i / 2], err);
        int any_dense = 0;
        for (uint32_t r = 0; r < s.n_rows; r++)
            any_dense |= s.rows[r].w != NULL;
        assert_int_equal(any_dense, dense);
        assert_int_equal(s.frame.flags, dense ? 0 : RL_FRAME_ZSTD);
        assert_weights_equal(m, &s);
        rl_snapshot_clear(&s);
        rl_buf_free(&b);
        rl_model_destroy(m);
    }
}

static void test_dictionary_travels(void **state)
{
    (void)state;
    char err[256];
    rl_dict *d = NULL;
    assert_int_equal(rl_dict_new(32, &d, err, sizeof(err)), RL_OK);
    rl_dict_add(d, 4, "user_age", 8);
    rl_dict_add(d, 4, "user_age", 8);
    rl_dict_add(d, 9, "\xff\xfe raw bytes", 12);
    rl_model *m = trained("sgd", NULL, 10, 50, 0);
    rl_snapshot_meta meta = {"mod", "i", 1, 0, 0, NULL, 0, d};
    rl_buf b;
    rl_buf_init(&b);
    encode(m, &meta, 0, &b);
    rl_snapshot s;
    rl_snapshot_init(&s);
    assert_int_equal(rl_snapshot_decode(b.data, b.len, &s, err, sizeof(err)), RL_OK);
    assert_non_null(s.dict);
    uint32_t len;
    assert_string_equal(rl_dict_lookup(s.dict, 4, &len), "user_age");
    assert_memory_equal(rl_dict_lookup(s.dict, 9, &len), "\xff\xfe raw bytes", 12);
    assert_int_equal(len, 12);
    assert_int_equal(rl_dict_total(s.dict), 3);
    assert_true(s.created_ms > 1600000000000); /* 0 means "now" */
    rl_snapshot_clear(&s);
    rl_buf_free(&b);
    rl_model_destroy(m);
    rl_dict_destroy(d);
}

static void test_versions_and_corruption_refused(void **state)
{
    (void)state;
    char err[256];
    rl_model *m = trained("sgd", NULL, 10, 100, 0);
    rl_buf b;
    rl_buf_init(&b);
    encode(m, NULL, 0, &b);
    rl_snapshot s;
    rl_snapshot_init(&s);
    Relearn__Snapshot *pb = tu_snapshot_unpack(&b);
    pb->format_version = RL_SNAPSHOT_FORMAT_VERSION + 1;
    rl_buf f;
    tu_snapshot_frame(pb, &f);
    assert_int_equal(rl_snapshot_decode(f.data, f.len, &s, err, sizeof(err)), RL_ERR_VERSION);
    assert_non_null(strstr(err, "snapshot: format version 4 is newer"));
    /* interactions change the scoring function: refused in a format below 3 */
    pb->format_version = 2;
    pb->learner->interactions = (char *)"ab";
    rl_buf_free(&f);
    tu_snapshot_frame(pb, &f);
    assert_int_equal(rl_snapshot_decode(f.data, f.len, &s, err, sizeof(err)), RL_ERR_FORMAT);
    assert_non_null(strstr(err, "format-3 field (learner interactions)"));
    pb->learner->interactions = NULL;
    /* an index outside 2^bits, with a valid frame: refused by structure */
    pb->format_version = 1;
    pb->learner->bits = 10;
    Relearn__WeightRow *row = pb->rows[0];
    uint32_t delta[2] = {5, 2000};
    float vals[2] = {1, 2};
    float *keep_w = row->dense_weights, *keep_v = row->sparse_values;
    uint32_t *keep_d = row->sparse_delta;
    size_t keep_n = row->n_dense_weights, keep_nd = row->n_sparse_delta;
    row->dense_weights = NULL;
    row->n_dense_weights = 0;
    row->sparse_delta = delta;
    row->n_sparse_delta = 2;
    row->sparse_values = vals;
    row->n_sparse_values = 2;
    rl_buf_free(&f);
    tu_snapshot_frame(pb, &f);
    assert_int_equal(rl_snapshot_decode(f.data, f.len, &s, err, sizeof(err)), RL_ERR_FORMAT);
    assert_non_null(strstr(err, "outside 2^bits"));
    /* a repeated index */
    delta[1] = 0;
    rl_buf_free(&f);
    tu_snapshot_frame(pb, &f);
    assert_int_equal(rl_snapshot_decode(f.data, f.len, &s, err, sizeof(err)), RL_ERR_FORMAT);
    row->sparse_delta = keep_d;
    row->n_sparse_delta = keep_nd;
    row->sparse_values = keep_v;
    row->n_sparse_values = keep_nd;
    row->dense_weights = keep_w;
    row->n_dense_weights = keep_n;
    relearn__snapshot__free_unpacked(pb, NULL);
    rl_buf_free(&f);
    /* bit flips and truncation anywhere */
    for (size_t i = 0; i < b.len; i += 3) {
        b.data[i] ^= 0x20;
        assert_int_not_equal(rl_snapshot_decode(b.data, b.len, &s, err, sizeof(err)), RL_OK);
        b.data[i] ^= 0x20;
        assert_int_not_equal(rl_snapshot_decode(b.data, i, &s, err, sizeof(err)), RL_OK);
    }
    assert_int_equal(rl_snapshot_decode(b.data, b.len, &s, err, sizeof(err)), RL_OK);
    rl_snapshot_clear(&s);
    rl_buf_free(&b);
    rl_model_destroy(m);
}

static void shuffle(size_t *v, size_t n, uint64_t *seed)
{
    for (size_t i = n; i > 1; i--) {
        *seed = *seed * 6364136223846793005ull + 1442695040888963407ull;
        size_t j = (size_t)((*seed >> 33) % i);
        size_t t = v[i - 1];
        v[i - 1] = v[j];
        v[j] = t;
    }
}

/* A model whose every weight is set (random), so its snapshot is dense and large. */
static rl_model *dense_model(uint32_t bits)
{
    char err[256];
    rl_model *m = trained("sgd", NULL, bits, 0, 0);
    size_t n = (size_t)1 << bits;
    float *w = malloc((n + 1) * sizeof(float));
    uint64_t x = 12345;
    for (size_t i = 0; i <= n; i++) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        w[i] = (float)((double)(x >> 40) / (double)(1 << 24) - 0.5);
    }
    rl_weights v = {w, n, NULL, 0, w + n, 1};
    assert_int_equal(rl_learner_set_weights(rl_model_learner(m), &v, err, sizeof(err)), RL_OK);
    free(w);
    return m;
}

static void test_chunks_reassemble_in_any_order(void **state)
{
    (void)state;
    char err[512];
    rl_model *m = dense_model(14);
    rl_snapshot_meta meta = {"big", "inst", 11, 10, 5, NULL, 0, NULL};
    rl_buf b;
    rl_buf_init(&b);
    encode(m, &meta, 0, &b);
    assert_true(b.len > 8000);
    const size_t limit = b.len / 6 + 700;
    rl_buf *parts = NULL;
    size_t n = 0;
    assert_int_equal(
        rl_snapshot_split(b.data, b.len, "big", "inst", 11, limit, &parts, &n, err, sizeof(err)),
        RL_OK);
    assert_true(n >= 5);
    for (size_t i = 0; i < n; i++)
        assert_true(parts[i].len <= limit);
    rl_snapshot_id id;
    assert_int_equal(rl_snapshot_peek(parts[2].data, parts[2].len, &id, err, sizeof(err)), RL_OK);
    assert_true(id.is_chunk);
    assert_int_equal(id.index, 2);
    assert_int_equal(id.count, n);
    assert_int_equal(id.version, 11);
    assert_string_equal(id.model_name, "big");
    /* a chunk given where a whole snapshot belongs (relearnd --init-model) says what it is */
    rl_snapshot one;
    rl_snapshot_init(&one);
    assert_int_equal(rl_snapshot_decode(parts[2].data, parts[2].len, &one, err, sizeof(err)),
                     RL_ERR_FORMAT);
    assert_non_null(strstr(err, "one chunk of a snapshot"));
    assert_non_null(strstr(err, "relearn snapshots --get"));

    size_t *order = malloc(n * sizeof(*order));
    uint64_t seed = 1;
    for (int round = 0; round < 5; round++) {
        rl_snapshot_asm *a = NULL;
        assert_int_equal(rl_snapshot_asm_new(0, &a, err, sizeof(err)), RL_OK);
        for (size_t i = 0; i < n; i++)
            order[i] = i;
        shuffle(order, n, &seed);
        rl_buf whole;
        rl_buf_init(&whole);
        int complete = 0;
        /* all but the last in random order, each also duplicated */
        for (size_t i = 0; i + 1 < n; i++) {
            for (int dup = 0; dup < 2; dup++) {
                assert_int_equal(rl_snapshot_asm_add(a, parts[order[i]].data, parts[order[i]].len,
                                                     &complete, &id, &whole, err, sizeof(err)),
                                 RL_OK);
                assert_false(complete);
            }
        }
        /* one missing: never complete */
        assert_int_equal(rl_snapshot_asm_missing(a, "big", 11), 1);
        assert_int_equal(rl_snapshot_asm_missing(a, "big", 12), -1);
        assert_int_equal(rl_snapshot_asm_add(a, parts[order[n - 1]].data, parts[order[n - 1]].len,
                                             &complete, &id, &whole, err, sizeof(err)),
                         RL_OK);
        assert_true(complete);
        assert_int_equal(id.version, 11);
        assert_int_equal(whole.len, b.len);
        assert_memory_equal(whole.data, b.data, b.len);
        /* a late duplicate after completion is ignored */
        assert_int_equal(rl_snapshot_asm_add(a, parts[0].data, parts[0].len, &complete, &id, &whole,
                                             err, sizeof(err)),
                         RL_OK);
        assert_false(complete);
        assert_int_equal(rl_snapshot_asm_missing(a, "big", 11), -1);
        rl_buf_free(&whole);
        rl_snapshot_asm_destroy(a);
    }
    free(order);

    /* A whole snapshot passes straight through. */
    rl_snapshot_asm *a = NULL;
    assert_int_equal(rl_snapshot_asm_new(0, &a, err, sizeof(err)), RL_OK);
    rl_buf whole;
    rl_buf_init(&whole);
    int complete = 0;
    assert_int_equal(
        rl_snapshot_asm_add(a, b.data, b.len, &complete, &id, &whole, err, sizeof(err)), RL_OK);
    assert_true(complete);
    assert_false(id.is_chunk);
    assert_int_equal(whole.len, b.len);

    /* A corrupt chunk is refused; the assembler stays usable. */
    parts[1].data[parts[1].len / 2] ^= 1;
    assert_int_equal(rl_snapshot_asm_add(a, parts[1].data, parts[1].len, &complete, &id, &whole,
                                         err, sizeof(err)),
                     RL_ERR_CHECKSUM);
    parts[1].data[parts[1].len / 2] ^= 1;
    /* A chunk that claims another total length than its siblings: partial dropped. */
    rl_snapshot_asm *a2 = NULL;
    assert_int_equal(rl_snapshot_asm_new(0, &a2, err, sizeof(err)), RL_OK);
    assert_int_equal(rl_snapshot_asm_add(a2, parts[0].data, parts[0].len, &complete, &id, NULL, err,
                                         sizeof(err)),
                     RL_OK);
    assert_int_equal(rl_snapshot_asm_missing(a2, "big", 11), (int64_t)n - 1);
    rl_buf *other = NULL;
    size_t n2 = 0;
    assert_int_equal(rl_snapshot_split(b.data, b.len - 1, "big", "inst", 11, limit, &other, &n2,
                                       err, sizeof(err)),
                     RL_OK);
    assert_int_equal(rl_snapshot_asm_add(a2, other[1].data, other[1].len, &complete, &id, NULL, err,
                                         sizeof(err)),
                     RL_ERR_FORMAT);
    assert_non_null(strstr(err, "disagrees"));
    assert_int_equal(rl_snapshot_asm_missing(a2, "big", 11), -1);
    rl_snapshot_chunks_free(other, n2);
    /* A copy tampered with before it was split: its chunks carry another whole-payload
     * checksum than the genuine ones. */
    rl_buf tampered;
    rl_buf_init(&tampered);
    rl_buf_put(&tampered, b.data, b.len);
    tampered.data[b.len / 2] ^= 1;
    rl_buf *bad = NULL;
    size_t n3 = 0;
    assert_int_equal(rl_snapshot_split(tampered.data, tampered.len, "big", "inst", 11, limit, &bad,
                                       &n3, err, sizeof(err)),
                     RL_OK);
    /* mixed with a genuine chunk: the headers disagree */
    assert_int_equal(rl_snapshot_asm_add(a2, parts[0].data, parts[0].len, &complete, &id, NULL, err,
                                         sizeof(err)),
                     RL_OK);
    assert_int_equal(
        rl_snapshot_asm_add(a2, bad[1].data, bad[1].len, &complete, &id, NULL, err, sizeof(err)),
        RL_ERR_FORMAT);
    /* all chunks of the tampered copy: it reassembles to bytes whose own frame checksum
     * fails, so nothing is delivered */
    int got_err = 0;
    for (size_t i = 0; i < n3; i++)
        if (rl_snapshot_asm_add(a2, bad[i].data, bad[i].len, &complete, &id, NULL, err,
                                sizeof(err)) != RL_OK)
            got_err = 1;
    assert_true(got_err);
    assert_false(complete);
    assert_non_null(strstr(err, "checksum"));
    rl_snapshot_chunks_free(bad, n3);
    rl_buf_free(&tampered);
    rl_snapshot_asm_destroy(a2);
    /* Limit too small for headers: refused with a reason. */
    assert_int_equal(rl_snapshot_split(whole.data, whole.len, "big", "inst", 11, 100, &bad, &n3,
                                       err, sizeof(err)),
                     RL_ERR_INVALID_ARG);
    rl_buf_free(&whole);
    rl_snapshot_asm_destroy(a);
    rl_snapshot_chunks_free(parts, n);
    rl_buf_free(&b);
    rl_model_destroy(m);
}

static void test_interleaved_versions(void **state)
{
    (void)state;
    char err[256];
    rl_model *m1 = dense_model(12);
    rl_model *m2 = dense_model(13);
    rl_snapshot_meta meta1 = {"mod", "a", 1, 0, 5, NULL, 0, NULL};
    rl_snapshot_meta meta2 = {"mod", "b", 1, 0, 5, NULL, 0, NULL};
    rl_buf b1, b2;
    rl_buf_init(&b1);
    rl_buf_init(&b2);
    encode(m1, &meta1, 0, &b1);
    encode(m2, &meta2, 0, &b2);
    rl_buf *p1, *p2;
    size_t n1, n2;
    assert_int_equal(
        rl_snapshot_split(b1.data, b1.len, "mod", "a", 1, 2000, &p1, &n1, err, sizeof(err)), RL_OK);
    assert_int_equal(
        rl_snapshot_split(b2.data, b2.len, "mod", "b", 1, 2000, &p2, &n2, err, sizeof(err)), RL_OK);
    rl_snapshot_asm *a = NULL;
    assert_int_equal(rl_snapshot_asm_new(0, &a, err, sizeof(err)), RL_OK);
    int done1 = 0, done2 = 0, complete;
    rl_snapshot_id id;
    rl_buf whole;
    rl_buf_init(&whole);
    for (size_t i = 0; i < (n1 > n2 ? n1 : n2); i++) {
        if (i < n2) {
            assert_int_equal(rl_snapshot_asm_add(a, p2[n2 - 1 - i].data, p2[n2 - 1 - i].len,
                                                 &complete, &id, &whole, err, sizeof(err)),
                             RL_OK);
            if (complete) {
                assert_string_equal(id.instance_id, "b");
                assert_memory_equal(whole.data, b2.data, b2.len);
                done2++;
            }
        }
        if (i < n1) {
            assert_int_equal(rl_snapshot_asm_add(a, p1[i].data, p1[i].len, &complete, &id, &whole,
                                                 err, sizeof(err)),
                             RL_OK);
            if (complete) {
                assert_string_equal(id.instance_id, "a");
                assert_memory_equal(whole.data, b1.data, b1.len);
                done1++;
            }
        }
    }
    assert_int_equal(done1, 1);
    assert_int_equal(done2, 1);
    rl_buf_free(&whole);
    rl_snapshot_asm_destroy(a);
    rl_snapshot_chunks_free(p1, n1);
    rl_snapshot_chunks_free(p2, n2);
    rl_buf_free(&b1);
    rl_buf_free(&b2);
    rl_model_destroy(m1);
    rl_model_destroy(m2);
}

static void test_fuzz_corpus_replay(void **state)
{
    (void)state;
    char dir[512], path[1024], err[512];
    snprintf(dir, sizeof(dir), "%s/snapshot", RL_FUZZ_CORPUS);
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *de;
    int n = 0;
    rl_buf b;
    rl_buf_init(&b);
    rl_snapshot s;
    rl_snapshot_init(&s);
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
        assert_int_equal(rl_file_read(path, &b, err, sizeof(err)), RL_OK);
        rl_snapshot_id id;
        rl_err e = rl_snapshot_peek(b.data, b.len, &id, err, sizeof(err));
        int valid = strncmp(de->d_name, "valid", 5) == 0;
        if (valid && e != RL_OK)
            fail_msg("%s: %s", path, err);
        if (!valid)
            assert_int_not_equal(e, RL_OK);
        /* The file reader (which hashes as it reads) judges every seed as the decoder does. */
        rl_err fe = rl_snapshot_read_file(path, &s, err, sizeof(err));
        rl_err de2 = rl_snapshot_decode(b.data, b.len, &s, err, sizeof(err));
        if (fe != de2)
            fail_msg("%s: read_file says %s, decode %s", path, rl_err_str(fe), rl_err_str(de2));
        if (valid && !id.is_chunk) {
            assert_int_equal(de2, RL_OK);
            rl_learner *l = NULL;
            assert_int_equal(rl_snapshot_to_learner(&s, &l, err, sizeof(err)), RL_OK);
            rl_learner_destroy(l);
        }
        n++;
    }
    closedir(d);
    rl_buf_free(&b);
    rl_snapshot_clear(&s);
    assert_true(n >= 5);
}

/* The tools' view: a file's weights flat, labelled with dictionary names, top-K by
 * magnitude. */
static void test_model_file_view_labels_and_top(void **state)
{
    (void)state;
    char err[512], path[] = "/tmp/rl_test_view.XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    rl_model *m = dense_model(10);
    rl_weights w;
    rl_learner_weights(rl_model_learner_c(m), &w);
    /* the slot with the largest |w| gets a name with a non-printable byte */
    uint64_t best = 0;
    for (uint64_t i = 1; i < w.n_sparse; i++)
        if (fabsf(w.w[i]) > fabsf(w.w[best]))
            best = i;
    rl_dict *d = NULL;
    assert_int_equal(rl_dict_new(8, &d, err, sizeof(err)), RL_OK);
    rl_dict_add(d, (uint32_t)best, "top\tfeature", 11);
    rl_snapshot_meta meta = {"v", "i", 1, 0, 0, NULL, 0, d};
    rl_buf b;
    rl_buf_init(&b);
    encode(m, &meta, 0, &b);
    assert_int_equal(rl_snapshot_write_file(path, b.data, b.len, err, sizeof(err)), RL_OK);
    rl_model_file f;
    assert_int_equal(rl_model_file_open(path, &f, err, sizeof(err)), RL_OK);
    assert_int_equal(f.kind, RL_FILE_SNAPSHOT);
    assert_int_equal(rl_model_file_dim(&f), w.n_sparse + 1);
    float *v = malloc(rl_model_file_dim(&f) * sizeof(float));
    rl_model_file_flatten(&f, v);
    assert_memory_equal(v, w.w, w.n_sparse * sizeof(float));
    assert_memory_equal(&v[w.n_sparse], w.bias, sizeof(float));
    uint64_t idx[3];
    assert_int_equal(rl_top_abs(v, rl_model_file_dim(&f), 3, 1, idx), 3);
    assert_int_equal(idx[0], best);
    assert_true(fabsf(v[idx[1]]) >= fabsf(v[idx[2]]));
    char label[128];
    rl_model_file_label(&f, idx[0], label, sizeof(label));
    assert_string_equal(label, "top\\x09feature");
    rl_model_file_label(&f, w.n_sparse, label, sizeof(label));
    assert_string_equal(label, "bias");
    rl_model_file_label(&f, 5 == best ? 6 : 5, label, sizeof(label));
    assert_non_null(strstr(label, "slot "));
    assert_int_equal(rl_model_file_slot(&f, w.n_sparse), -1);
    free(v);
    rl_model_file_close(&f);
    /* a corrupt file does not open, and says why */
    b.data[b.len - 1] ^= 1;
    assert_int_equal(rl_snapshot_write_file(path, b.data, b.len, err, sizeof(err)), RL_OK);
    assert_int_equal(rl_model_file_open(path, &f, err, sizeof(err)), RL_ERR_CHECKSUM);
    assert_non_null(strstr(err, path));
    unlink(path);
    rl_buf_free(&b);
    rl_dict_destroy(d);
    rl_model_destroy(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_learner_round_trip_and_predicts_exactly),
        cmocka_unit_test(test_dense_or_sparse_whichever_smaller),
        cmocka_unit_test(test_auto_compression_follows_encoding),
        cmocka_unit_test(test_dictionary_travels),
        cmocka_unit_test(test_versions_and_corruption_refused),
        cmocka_unit_test(test_chunks_reassemble_in_any_order),
        cmocka_unit_test(test_interleaved_versions),
        cmocka_unit_test(test_fuzz_corpus_replay),
        cmocka_unit_test(test_model_file_view_labels_and_top),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
