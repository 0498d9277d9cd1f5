/* test_relearn.c - librelearn (include/relearn.h): opening snapshots (bytes, chunks, files,
 * refusals), predicting by name and by index as the publishing learner does, explaining,
 * concurrent predictions, and the follower's swap, pin, roll-back and refusals. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>

#include <cmocka.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/ckpt_util.h"
#include "wire/event_codec.h"
#include "learners/features.h"
#include "relearn.h"
#include "storage/frame.h"
#include "storage/snapshot.h"
#include "proto/snapshot.pb-c.h"
#include "tests/alloc_count.h"
#include "tests/snapshot_pb_util.h"

#define BITS 12

/* A learner of `kind` trained on a stream whose features are named "f^k<i>"; version v
 * trains v * 50 more steps, so versions differ. */
static rl_learner *trained(const char *kind, const char *schedule, int steps)
{
    rl_learner_params p;
    rl_learner *l = NULL;
    char err[256], bits[8];
    rl_learner_params_default(&p);
    snprintf(bits, sizeof(bits), "%d", BITS);
    assert_int_equal(rl_learner_params_set(&p, "learner", kind, err, sizeof(err)), RL_OK);
    assert_int_equal(rl_learner_params_set(&p, "bits", bits, err, sizeof(err)), RL_OK);
    if (schedule)
        assert_int_equal(rl_learner_params_set(&p, "schedule", schedule, err, sizeof(err)), RL_OK);
    if (strcmp(kind, "softmax") == 0)
        assert_int_equal(rl_learner_params_set(&p, "classes", "3", err, sizeof(err)), RL_OK);
    if (rl_learner_new(&p, &l, err, sizeof(err)) != RL_OK)
        fail_msg("%s: %s", kind, err);
    tu_stream s;
    tu_stream_init(&s, 7, l, 1u << 30);
    rl_example ex;
    rl_pred pr;
    for (int i = 0; i < steps; i++) {
        tu_example(&s, &ex, NULL);
        rl_learner_learn(l, &ex, &pr);
    }
    return l;
}

static void encode(const rl_learner *l, const char *model, uint64_t version, rl_buf *out)
{
    rl_snapshot_meta meta;
    char err[256];
    memset(&meta, 0, sizeof(meta));
    meta.model_name = model;
    meta.instance_id = "test-1";
    meta.version = version;
    meta.parent_version = version ? version - 1 : 0;
    rl_buf_init(out);
    if (rl_snapshot_encode_learner(l, RL_HASH_SEED_DEFAULT, 1000, NULL, &meta, 0, out, err,
                                   sizeof(err)) != RL_OK)
        fail_msg("encode: %s", err);
}

/* Named features name[i] = "f^k<i>" with values; the same as hashed slots for the learner. */
typedef struct probe {
    char names[40][16];
    relearn_feature f[40];
    rl_feature hashed[40];
    relearn_event ev;
    rl_example ex;
} probe;

static void make_probe(probe *p, uint64_t seed, int by_index)
{
    rl_hasher h;
    rl_hasher_init(&h, BITS, RL_HASH_SEED_DEFAULT);
    memset(p, 0, sizeof(*p));
    for (int i = 0; i < 40; i++) {
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        snprintf(p->names[i], sizeof(p->names[i]), "f^k%u", (unsigned)(seed >> 52));
        float v = (float)((seed >> 20) % 1000) / 100.0f - 5.0f;
        if (by_index) {
            p->f[i].index = seed >> 40;
            p->hashed[i].index = rl_hash_index(&h, p->f[i].index);
        } else {
            p->f[i].name = p->names[i];
            p->f[i].name_len = strlen(p->names[i]);
            p->hashed[i].index = rl_hash_name(&h, p->names[i], p->f[i].name_len);
        }
        p->f[i].value = v;
        p->hashed[i].value = v;
    }
    p->ev.features = p->f;
    p->ev.n_features = 40;
    p->ex.feats = p->hashed;
    p->ex.n_feats = 40;
    p->ex.weight = 1;
}

static relearn_model *open_learner(const rl_learner *l, uint64_t version)
{
    rl_buf b;
    relearn_model *m = NULL;
    char err[256];
    encode(l, "flights", version, &b);
    if (relearn_model_open_bytes(b.data, b.len, &m, err, sizeof(err)) != RELEARN_OK)
        fail_msg("open: %s", err);
    rl_buf_free(&b);
    return m;
}

/* Every learner scores bitwise from its snapshot (storage/predictor.h), by name and by index. */
static void test_predicts_as_the_learner(void **state)
{
    (void)state;
    static const char *kinds[][2] = {
        {"sgd", NULL}, {"sgd", "constant"}, {"perceptron", NULL}, {"avg_perceptron", NULL},
        {"ogd", NULL}, {"ftrl", NULL},      {"softmax", NULL}};
    for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
        rl_learner *l = trained(kinds[k][0], kinds[k][1], 500);
        relearn_model *m = open_learner(l, 3);
        relearn_info info;
        relearn_model_info(m, &info);
        assert_string_equal(info.model_name, "flights");
        assert_string_equal(info.learner, kinds[k][0]);
        assert_int_equal(info.version, 3);
        assert_int_equal(info.parent_version, 2);
        assert_int_equal(info.bits, BITS);
        for (int by_index = 0; by_index < 2; by_index++) {
            for (uint64_t seed = 1; seed < 50; seed++) {
                probe p;
                relearn_prediction out;
                double probs[3] = {0};
                rl_pred want;
                make_probe(&p, seed, by_index);
                rl_learner_predict(l, &p.ex, &want);
                assert_int_equal(relearn_predict(m, &p.ev, &out, probs), RELEARN_OK);
                assert_true(tu_same_double(out.score, want.score));
                relearn_slot_feature sf[40];
                relearn_prediction by_slot;
                for (int i = 0; i < 40; i++)
                    sf[i] = (relearn_slot_feature){p.hashed[i].index, p.hashed[i].value};
                assert_int_equal(relearn_predict_slots(m, sf, 40, NULL, 0, &by_slot, NULL),
                                 RELEARN_OK);
                assert_true(tu_same_double(by_slot.output, out.output));
                assert_int_equal(out.cls, want.cls);
                if (strcmp(info.output, "probability") == 0)
                    assert_true(tu_same_double(out.output, want.prob));
                if (strcmp(kinds[k][0], "softmax") == 0) {
                    assert_int_equal(info.n_outputs, 3);
                    assert_true(fabs(probs[0] + probs[1] + probs[2] - 1) < 1e-12);
                    assert_true(tu_same_double(probs[want.cls], want.prob));
                }
            }
        }
        relearn_model_release(m);
        rl_learner_destroy(l);
    }
}

static void test_refuses_bad_bytes_and_events(void **state)
{
    (void)state;
    rl_learner *l = trained("sgd", NULL, 200);
    rl_buf b;
    relearn_model *m = NULL;
    char err[256];
    encode(l, "flights", 1, &b);
    b.data[b.len / 2] ^= 1;
    assert_int_equal(relearn_model_open_bytes(b.data, b.len, &m, err, sizeof(err)),
                     RELEARN_ERR_CHECKSUM);
    assert_null(m);
    b.data[b.len / 2] ^= 1;
    assert_int_not_equal(relearn_model_open_bytes(b.data, b.len - 9, &m, err, sizeof(err)),
                         RELEARN_OK);
    assert_null(m);
    assert_int_not_equal(relearn_model_open_bytes("RLSNxxxx", 8, &m, err, sizeof(err)), RELEARN_OK);
    assert_int_equal(relearn_model_open_file("/nonexistent/x", &m, err, sizeof(err)),
                     RELEARN_ERR_NOT_FOUND);
    assert_non_null(strstr(err, "/nonexistent/x"));
    assert_int_equal(relearn_model_open_bytes(b.data, b.len, &m, err, sizeof(err)), RELEARN_OK);
    probe p;
    relearn_prediction out;
    make_probe(&p, 3, 0);
    p.f[5].value = NAN;
    assert_int_equal(relearn_predict(m, &p.ev, &out, NULL), RELEARN_ERR_BAD_EVENT);
    p.f[5].value = 2e18f;
    assert_int_equal(relearn_predict(m, &p.ev, &out, NULL), RELEARN_ERR_BAD_EVENT);
    p.f[5].value = 1;
    float dense[2] = {1, 2};
    p.ev.dense = dense;
    p.ev.n_dense = 2;
    assert_int_equal(relearn_predict(m, &p.ev, &out, NULL), RELEARN_ERR_MISMATCH);
    assert_string_equal(relearn_err_str(RELEARN_ERR_MISMATCH), rl_err_str(RL_ERR_MISMATCH));
    relearn_model_release(m);
    rl_buf_free(&b);
    rl_learner_destroy(l);
}

/* A snapshot from a newer format is refused with a message saying so, never guessed at. */
static void test_newer_format_refused(void **state)
{
    (void)state;
    rl_learner *l = trained("sgd", NULL, 100);
    rl_buf b, f;
    relearn_model *m = NULL;
    char err[256];
    encode(l, "flights", 1, &b); /* uncompressed: a 24-byte header and an 8-byte checksum */
    Relearn__Snapshot *pb = tu_snapshot_unpack(&b);
    pb->format_version = RL_SNAPSHOT_FORMAT_VERSION + 1;
    tu_snapshot_frame(pb, &f);
    assert_int_equal(relearn_model_open_bytes(f.data, f.len, &m, err, sizeof(err)),
                     RELEARN_ERR_VERSION);
    assert_null(m);
    assert_non_null(strstr(err, "is newer"));
    relearn__snapshot__free_unpacked(pb, NULL);
    rl_buf_free(&f);
    rl_buf_free(&b);
    rl_learner_destroy(l);
}

static void test_chunks_in_any_order(void **state)
{
    (void)state;
    rl_learner *l = trained("sgd", "constant", 2000);
    rl_buf b, *chunks = NULL;
    size_t n = 0;
    char err[256];
    relearn_model *m = NULL, *whole = open_learner(l, 4);
    encode(l, "flights", 4, &b);
    assert_int_equal(rl_snapshot_split(b.data, b.len, "flights", "test-1", 4, 600, &chunks, &n, err,
                                       sizeof(err)),
                     RL_OK);
    assert_true(n > 2);
    const void **msgs = calloc(n, sizeof(*msgs));
    size_t *lens = calloc(n, sizeof(*lens));
    for (size_t i = 0; i < n; i++) {
        msgs[i] = chunks[n - 1 - i].data;
        lens[i] = chunks[n - 1 - i].len;
    }
    assert_int_equal(relearn_model_open_chunks(msgs, lens, n, &m, err, sizeof(err)), RELEARN_OK);
    probe p;
    relearn_prediction a, c;
    make_probe(&p, 11, 0);
    assert_int_equal(relearn_predict(m, &p.ev, &a, NULL), RELEARN_OK);
    assert_int_equal(relearn_predict(whole, &p.ev, &c, NULL), RELEARN_OK);
    assert_true(tu_same_double(a.output, c.output));
    relearn_model_release(m);
    m = NULL;
    /* one chunk missing: incomplete, refused */
    assert_int_equal(relearn_model_open_chunks(msgs, lens, n - 1, &m, err, sizeof(err)),
                     RELEARN_ERR_FORMAT);
    assert_non_null(strstr(err, "incomplete"));
    assert_null(m);
    free(msgs);
    free(lens);
    rl_snapshot_chunks_free(chunks, n);
    rl_buf_free(&b);
    relearn_model_release(whole);
    rl_learner_destroy(l);
}

static void test_explain_adds_up(void **state)
{
    (void)state;
    rl_learner *l = trained("sgd", "constant", 800);
    relearn_model *m = open_learner(l, 1);
    probe p;
    relearn_contribution top[64];
    relearn_prediction pred;
    size_t n = 0;
    make_probe(&p, 5, 0);
    assert_int_equal(relearn_explain(m, &p.ev, 64, top, &n, &pred), RELEARN_OK);
    assert_int_equal(n, 41); /* 40 features + bias */
    double sum = 0;
    for (size_t i = 0; i < n; i++) {
        sum += top[i].contribution;
        if (i)
            assert_true(fabs(top[i].contribution) <= fabs(top[i - 1].contribution));
        if (top[i].kind == RELEARN_TERM_FEATURE)
            assert_int_equal(strncmp(top[i].name, "f^k", 3), 0);
    }
    assert_true(fabs(sum - pred.score) < 1e-4 * (1 + fabs(pred.score)));
    size_t k3 = 0;
    relearn_contribution three[3];
    assert_int_equal(relearn_explain(m, &p.ev, 3, three, &k3, NULL), RELEARN_OK);
    assert_int_equal(k3, 3);
    for (int i = 0; i < 3; i++)
        assert_true(three[i].contribution == top[i].contribution);
    relearn_model_release(m);
    rl_learner_destroy(l);
}

/* Features given by index are named from the snapshot's dictionary where it has their slot. */
static void test_explain_names_from_dictionary(void **state)
{
    (void)state;
    rl_learner *l = trained("sgd", "constant", 500);
    rl_dict *d = NULL;
    rl_snapshot_meta meta;
    rl_buf b;
    relearn_model *m = NULL;
    char err[256];
    assert_int_equal(rl_dict_new(0, &d, err, sizeof(err)), RL_OK);
    rl_dict_add(d, 17, "carrier=AA", 10);
    memset(&meta, 0, sizeof(meta));
    meta.model_name = "flights";
    meta.instance_id = "test-1";
    meta.version = 1;
    meta.dict = d;
    rl_buf_init(&b);
    assert_int_equal(rl_snapshot_encode_learner(l, RL_HASH_SEED_DEFAULT, 500, NULL, &meta, 0, &b,
                                                err, sizeof(err)),
                     RL_OK);
    assert_int_equal(relearn_model_open_bytes(b.data, b.len, &m, err, sizeof(err)), RELEARN_OK);
    relearn_info info;
    relearn_model_info(m, &info);
    assert_int_equal(info.dict_size, 1);
    relearn_feature f[2] = {{NULL, 0, 17, 2.0f}, {NULL, 0, 18, 1.0f}};
    relearn_event ev = {f, 2, NULL, 0};
    relearn_contribution c[3];
    size_t n = 0;
    assert_int_equal(relearn_explain(m, &ev, 3, c, &n, NULL), RELEARN_OK);
    int named = 0, unnamed = 0;
    for (size_t i = 0; i < n; i++) {
        if (c[i].kind != RELEARN_TERM_FEATURE)
            continue;
        if (c[i].slot == 17) {
            assert_non_null(c[i].name);
            assert_int_equal(c[i].name_len, 10);
            assert_memory_equal(c[i].name, "carrier=AA", 10);
            named++;
        } else {
            assert_null(c[i].name);
            unnamed++;
        }
    }
    assert_int_equal(named, 1);
    assert_int_equal(unnamed, 1);
    relearn_model_release(m);
    rl_dict_destroy(d);
    rl_buf_free(&b);
    rl_learner_destroy(l);
}

/* With namespace interactions (-q ff) the crossed features are terms too: explain reports them
 * as RELEARN_TERM_CROSSED and all terms still add up to the score. */
static void test_explain_with_interactions(void **state)
{
    (void)state;
    rl_learner_params p;
    rl_learner *l = NULL;
    char err[256];
    rl_learner_params_default(&p);
    assert_int_equal(rl_learner_params_set(&p, "bits", "12", err, sizeof(err)), RL_OK);
    assert_int_equal(rl_learner_params_set(&p, "schedule", "constant", err, sizeof(err)), RL_OK);
    assert_int_equal(rl_learner_params_set(&p, "interactions", "ff", err, sizeof(err)), RL_OK);
    assert_int_equal(rl_learner_new(&p, &l, err, sizeof(err)), RL_OK);
    tu_stream st;
    tu_stream_init(&st, 3, l, 1u << 30);
    rl_example ex;
    rl_pred pr;
    for (int i = 0; i < 300; i++) {
        tu_example(&st, &ex, NULL);
        rl_learner_learn(l, &ex, &pr);
    }
    relearn_model *m = open_learner(l, 1);
    probe q;
    relearn_contribution top[2000];
    relearn_prediction pred;
    size_t n = 0, crossed = 0;
    make_probe(&q, 5, 0);
    q.ev.n_features = 10;
    assert_int_equal(relearn_explain(m, &q.ev, 2000, top, &n, &pred), RELEARN_OK);
    double sum = 0;
    for (size_t i = 0; i < n; i++) {
        sum += top[i].contribution;
        crossed += top[i].kind == RELEARN_TERM_CROSSED;
    }
    assert_int_equal(crossed, 55); /* 10 features of namespace f: 10 * 11 / 2 unordered pairs */
    assert_int_equal(n, 10 + 55 + 1);
    assert_true(fabs(sum - pred.score) < 1e-4 * (1 + fabs(pred.score)));
    relearn_model_release(m);
    rl_learner_destroy(l);
}

/* A relearn.Event body (no label: a scoring request has none) scores as the same features given
 * by name; garbage and a NaN value are refused with a reason. */
static void test_protobuf_event(void **state)
{
    (void)state;
    rl_learner *l = trained("sgd", NULL, 500);
    relearn_model *m = open_learner(l, 1);
    probe p;
    rl_event_feature ef[40];
    rl_event_record rec;
    rl_buf b;
    relearn_prediction want, got;
    char err[256];
    make_probe(&p, 9, 0);
    for (int i = 0; i < 40; i++)
        ef[i] = (rl_event_feature){p.f[i].name, p.f[i].name_len, 0, p.f[i].value};
    memset(&rec, 0, sizeof(rec));
    rec.weight = 1;
    rec.feats = ef;
    rec.n_feats = 40;
    rl_buf_init(&b);
    assert_int_equal(rl_event_encode(&rec, &b), RL_OK);
    assert_int_equal(relearn_predict(m, &p.ev, &want, NULL), RELEARN_OK);
    assert_int_equal(relearn_predict_protobuf(m, b.data, b.len, &got, NULL, err, sizeof(err)),
                     RELEARN_OK);
    assert_true(tu_same_double(want.output, got.output));
    assert_int_equal(relearn_predict_protobuf(m, "\xff\xff\xff", 3, &got, NULL, err, sizeof(err)),
                     RELEARN_ERR_BAD_EVENT);
    ef[3].value = NAN;
    rl_buf_reset(&b);
    assert_int_equal(rl_event_encode(&rec, &b), RL_OK);
    assert_int_equal(relearn_predict_protobuf(m, b.data, b.len, &got, NULL, err, sizeof(err)),
                     RELEARN_ERR_BAD_EVENT);
    assert_non_null(strstr(err, "nonfinite_value"));
    rl_buf_free(&b);
    relearn_model_release(m);
    rl_learner_destroy(l);
}

/* relearn_predict and relearn_explain allocate nothing: malloc, calloc and realloc are wrapped
 * (-Wl,--wrap, tests/relearn.cmake) and counted while they run. */
static void test_predict_allocates_nothing(void **state)
{
    (void)state;
    rl_learner *l = trained("softmax", NULL, 300);
    relearn_model *m = open_learner(l, 1);
    probe p;
    relearn_prediction out;
    relearn_contribution top[8];
    double probs[3];
    size_t n;
    make_probe(&p, 2, 0);
    tu_allocs = 0;
    tu_alloc_counting = 1;
    for (int i = 0; i < 100; i++) {
        assert_int_equal(relearn_predict(m, &p.ev, &out, probs), RELEARN_OK);
        assert_int_equal(relearn_predict_batch(m, &p.ev, 1, &out, probs, &n), RELEARN_OK);
        assert_int_equal(relearn_explain(m, &p.ev, 8, top, &n, &out), RELEARN_OK);
    }
    tu_alloc_counting = 0;
    assert_int_equal(tu_allocs, 0);
    /* and the counting works: the protobuf path allocates its decoder */
    rl_buf b;
    rl_buf_init(&b);
    rl_buf_put_u8(&b, 0x0a); /* an empty feature: refused, after the decoder was made */
    rl_buf_put_u8(&b, 0x00);
    tu_alloc_counting = 1;
    relearn_predict_protobuf(m, b.data, b.len, &out, NULL, NULL, 0);
    tu_alloc_counting = 0;
    assert_true(tu_allocs > 0);
    rl_buf_free(&b);
    relearn_model_release(m);
    rl_learner_destroy(l);
}

/* Threads share one model and must each get the single-threaded answers. */
typedef struct shared_run {
    relearn_model *m;
    relearn_follower *f;
    double want[64];
    int bad;
} shared_run;

static void *predict_many(void *arg)
{
    shared_run *r = arg;
    for (int round = 0; round < 200; round++) {
        for (uint64_t s = 0; s < 64; s++) {
            probe p;
            relearn_prediction out;
            make_probe(&p, s, 0);
            if (relearn_predict(r->m, &p.ev, &out, NULL) != RELEARN_OK ||
                !tu_same_double(out.output, r->want[s]))
                r->bad++;
        }
    }
    return NULL;
}

static void test_threads_predict_on_one_model(void **state)
{
    (void)state;
    rl_learner *l = trained("sgd", NULL, 800);
    shared_run r[4];
    pthread_t t[4];
    relearn_model *m = open_learner(l, 1);
    for (int i = 0; i < 4; i++) {
        memset(&r[i], 0, sizeof(r[i]));
        r[i].m = m;
        for (uint64_t s = 0; s < 64; s++) {
            probe p;
            relearn_prediction out;
            make_probe(&p, s, 0);
            assert_int_equal(relearn_predict(m, &p.ev, &out, NULL), RELEARN_OK);
            r[i].want[s] = out.output;
        }
    }
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&t[i], NULL, predict_many, &r[i]), 0);
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(r[i].bad, 0);
    }
    relearn_model_release(m);
    rl_learner_destroy(l);
}

static relearn_follower *new_follower(uint32_t keep)
{
    relearn_follower_conf c;
    relearn_follower *f = NULL;
    char err[256];
    memset(&c, 0, sizeof(c));
    c.model_name = "flights";
    c.keep = keep;
    assert_int_equal(relearn_follower_new(&c, &f, err, sizeof(err)), RELEARN_OK);
    return f;
}

static void feed(relearn_follower *f, const rl_learner *l, const char *model, uint64_t v,
                 int want_swap)
{
    rl_buf b;
    int swapped = -1;
    char err[256];
    encode(l, model, v, &b);
    if (relearn_follower_feed(f, b.data, b.len, &swapped, err, sizeof(err)) != RELEARN_OK)
        fail_msg("feed %llu: %s", (unsigned long long)v, err);
    assert_int_equal(swapped, want_swap);
    rl_buf_free(&b);
}

static uint64_t served(relearn_follower *f)
{
    relearn_model *m = relearn_follower_acquire(f);
    relearn_info info;
    if (!m)
        return 0;
    relearn_model_info(m, &info);
    relearn_model_release(m);
    return info.version;
}

static void test_follower_swaps_pins_rolls_back_refuses(void **state)
{
    (void)state;
    rl_learner *l = trained("sgd", NULL, 100);
    relearn_follower *f = new_follower(3);
    relearn_follower_stats st;
    char err[256];
    assert_null(relearn_follower_acquire(f));
    feed(f, l, "flights", 1, 1);
    feed(f, l, "flights", 2, 1);
    relearn_model *held = relearn_follower_acquire(f); /* survives every swap below */
    feed(f, l, "other", 9, 0);                         /* another model: ignored */
    feed(f, l, "flights", 2, 0);                       /* a replay: ignored */
    feed(f, l, "flights", 3, 1);
    assert_int_equal(served(f), 3);
    assert_int_equal(relearn_follower_pin(f, 2, err, sizeof(err)), RELEARN_OK);
    feed(f, l, "flights", 4, 0); /* kept, not served while pinned */
    assert_int_equal(served(f), 2);
    assert_int_equal(relearn_follower_pin(f, 1, err, sizeof(err)), RELEARN_ERR_NOT_FOUND);
    relearn_follower_unpin(f);
    assert_int_equal(served(f), 4);
    assert_int_equal(relearn_follower_rollback(f, err, sizeof(err)), RELEARN_OK);
    assert_int_equal(served(f), 3);
    uint64_t vs[8];
    assert_int_equal(relearn_follower_versions(f, vs, 8), 3);
    assert_int_equal(vs[0], 4);
    assert_int_equal(vs[2], 2);
    /* truncated and corrupt messages: refused, counted, the served version unchanged */
    rl_buf b;
    encode(l, "flights", 5, &b);
    assert_int_not_equal(relearn_follower_feed(f, b.data, b.len - 3, NULL, err, sizeof(err)),
                         RELEARN_OK);
    b.data[40] ^= 0x10;
    assert_int_not_equal(relearn_follower_feed(f, b.data, b.len, NULL, err, sizeof(err)),
                         RELEARN_OK);
    rl_buf_free(&b);
    relearn_follower_get_stats(f, &st);
    assert_int_equal(st.refused, 2);
    assert_int_equal(st.ignored, 2);
    assert_int_equal(st.versions, 4);
    assert_int_equal(st.served_version, 3);
    assert_int_equal(st.newest_version, 4);
    assert_int_equal(st.pinned, 1);
    relearn_info info;
    relearn_model_info(held, &info);
    assert_int_equal(info.version, 2);
    relearn_follower_destroy(f);
    relearn_model_release(held); /* outlives its follower */
    rl_learner_destroy(l);
}

/* Readers score continuously while versions are swapped in: every answer must be exactly the
 * answer of the version it acquired (recorded per version before the swaps). */
#define SWAPS 50
static double g_want[SWAPS + 1][8];

static void *acquire_and_check(void *arg)
{
    shared_run *r = arg;
    for (int i = 0; i < 20000; i++) {
        relearn_model *m = relearn_follower_acquire(r->f);
        if (!m)
            continue;
        relearn_info info;
        relearn_prediction out;
        probe p;
        relearn_model_info(m, &info);
        make_probe(&p, (uint64_t)i % 8, 0);
        if (relearn_predict(m, &p.ev, &out, NULL) != RELEARN_OK ||
            !tu_same_double(out.output, g_want[info.version][i % 8]))
            r->bad++;
        relearn_model_release(m);
    }
    return NULL;
}

static void test_follower_swaps_under_readers(void **state)
{
    (void)state;
    rl_learner *ls[SWAPS + 1];
    for (int v = 1; v <= SWAPS; v++) {
        ls[v] = trained("sgd", NULL, 20 + v * 7);
        relearn_model *m = open_learner(ls[v], (uint64_t)v);
        for (uint64_t s = 0; s < 8; s++) {
            probe p;
            relearn_prediction out;
            make_probe(&p, s, 0);
            assert_int_equal(relearn_predict(m, &p.ev, &out, NULL), RELEARN_OK);
            g_want[v][s] = out.output;
        }
        relearn_model_release(m);
    }
    relearn_follower *f = new_follower(2);
    shared_run r[3];
    pthread_t t[3];
    feed(f, ls[1], "flights", 1, 1);
    for (int i = 0; i < 3; i++) {
        memset(&r[i], 0, sizeof(r[i]));
        r[i].f = f;
        assert_int_equal(pthread_create(&t[i], NULL, acquire_and_check, &r[i]), 0);
    }
    for (int v = 2; v <= SWAPS; v++)
        feed(f, ls[v], "flights", (uint64_t)v, 1);
    for (int i = 0; i < 3; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(r[i].bad, 0);
    }
    assert_int_equal(served(f), SWAPS);
    relearn_follower_destroy(f);
    for (int v = 1; v <= SWAPS; v++)
        rl_learner_destroy(ls[v]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_predicts_as_the_learner),
        cmocka_unit_test(test_refuses_bad_bytes_and_events),
        cmocka_unit_test(test_newer_format_refused),
        cmocka_unit_test(test_chunks_in_any_order),
        cmocka_unit_test(test_explain_adds_up),
        cmocka_unit_test(test_protobuf_event),
        cmocka_unit_test(test_explain_with_interactions),
        cmocka_unit_test(test_explain_names_from_dictionary),
        cmocka_unit_test(test_predict_allocates_nothing),
        cmocka_unit_test(test_threads_predict_on_one_model),
        cmocka_unit_test(test_follower_swaps_pins_rolls_back_refuses),
        cmocka_unit_test(test_follower_swaps_under_readers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
