/* test_event_codec.c - the Event codec against protobuf-c (both directions), every refusal
 * reason, the bounds, hostile names, and the text-record encoder against the eval path. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "proto/event.pb-c.h"
#include "wire/event_codec.h"
#include "input/reader.h"

static rl_event_decoder *new_decoder(rl_task task, uint32_t n_classes, int poisson,
                                     uint32_t dense_dim, uint32_t max_features, size_t max_bytes)
{
    rl_event_codec_config c;
    rl_event_decoder *d = NULL;
    char err[256];
    rl_event_codec_config_default(&c);
    c.task = task;
    c.n_classes = n_classes;
    c.poisson = poisson;
    c.bits = 18;
    c.seed = 42;
    c.dense_dim = dense_dim;
    if (max_features)
        c.max_features = max_features;
    if (max_bytes)
        c.max_bytes = max_bytes;
    assert_int_equal(rl_event_decoder_new(&c, &d, err, sizeof(err)), RL_OK);
    assert_non_null(d);
    return d;
}

static rl_event_decoder *binary_decoder(void)
{
    return new_decoder(RL_TASK_BINARY, 2, 0, 0, 0, 0);
}

/* Encodes rec and decodes it with d; returns the reason. */
static rl_event_reason roundtrip(rl_event_decoder *d, const rl_event_record *rec, rl_example *ex,
                                 rl_event_info *info, rl_buf *b, char *err, size_t errlen)
{
    rl_buf_reset(b);
    assert_int_equal(rl_event_encode(rec, b), RL_OK);
    return rl_event_decode(d, b->data, b->len, ex, info, err, errlen);
}

static void base_record(rl_event_record *r)
{
    memset(r, 0, sizeof(*r));
    r->has_label = 1;
    r->label = 1.0f;
    r->weight = 1.0f;
}

static void test_roundtrip_full(void **state)
{
    (void)state;
    rl_event_decoder *d = new_decoder(RL_TASK_REGRESSION, 0, 0, 3, 0, 0);
    rl_hasher h;
    rl_hasher_init(&h, 18, 42);
    const char nonutf8[] = {(char)0xff, (char)0xfe, 0, 'x', (char)0xc3};
    rl_event_feature f[] = {
        {"age", 3, 0, 0.5f},
        {NULL, 0, 7, 2.0f},
        {NULL, 0, 1ull << 40, -1.0f},
        {nonutf8, sizeof(nonutf8), 0, 1.0f},
        {"", 0, 0, 3.0f},
        {"age", 3, 0, 0.25f}, /* duplicate: kept as is */
    };
    float dense[3] = {0.1f, -2.0f, 1e18f}; /* the largest value taken */
    rl_event_record r;
    base_record(&r);
    r.label = -3.25f;
    r.weight = 0.5f;
    r.feats = f;
    r.n_feats = 6;
    r.dense = dense;
    r.n_dense = 3;
    r.has_event_time = 1;
    r.event_time_ms = -5; /* negative int64 is 10 varint bytes on the wire */
    r.key = "user-9";
    r.key_len = 6;

    rl_buf b;
    rl_buf_init(&b);
    rl_example ex;
    rl_event_info info;
    char err[256];
    assert_int_equal(roundtrip(d, &r, &ex, &info, &b, err, sizeof(err)), RL_EVENT_OK);
    assert_true(ex.label == -3.25f);
    assert_true(ex.weight == 0.5f);
    assert_int_equal(ex.n_feats, 6);
    assert_int_equal(ex.feats[0].index, rl_hash_name(&h, "age", 3));
    assert_true(ex.feats[0].value == 0.5f);
    assert_int_equal(ex.feats[1].index, 7);
    assert_int_equal(ex.feats[2].index, rl_hash_index(&h, 1ull << 40));
    assert_true(ex.feats[2].index < (1u << 18));
    assert_int_equal(ex.feats[3].index, rl_hash_name(&h, nonutf8, sizeof(nonutf8)));
    assert_int_equal(ex.feats[4].index, rl_hash_name(&h, "", 0));
    assert_int_equal(ex.feats[5].index, ex.feats[0].index);
    assert_true(ex.feats[5].value == 0.25f);
    /* Each feature's name, as hashed, points into the input bytes; indexed ones have none. */
    size_t nl = 99;
    const uint8_t *nm = rl_event_feature_name(d, 0, &nl);
    assert_ptr_not_equal(nm, NULL);
    assert_int_equal(nl, 3);
    assert_memory_equal(nm, "age", 3);
    assert_true(nm >= b.data && nm + nl <= b.data + b.len);
    assert_null(rl_event_feature_name(d, 1, &nl));
    assert_int_equal(nl, 0);
    assert_null(rl_event_feature_name(d, 2, &nl));
    nm = rl_event_feature_name(d, 3, &nl);
    assert_int_equal(nl, sizeof(nonutf8));
    assert_memory_equal(nm, nonutf8, sizeof(nonutf8));
    assert_int_equal(rl_hash_name(&h, nm, nl), ex.feats[3].index);
    nm = rl_event_feature_name(d, 4, &nl);
    assert_non_null(nm);
    assert_int_equal(nl, 0);
    assert_null(rl_event_feature_name(NULL, 0, &nl));
    assert_null(rl_event_feature_name(d, 1u << 30, &nl));
    assert_int_equal(ex.n_dense, 3);
    assert_memory_equal(ex.dense, dense, sizeof(dense));
    assert_int_equal(info.format_version, 1);
    assert_true(info.has_event_time);
    assert_true(info.event_time_ms == -5);
    assert_int_equal(info.key_len, 6);
    assert_memory_equal(info.key, "user-9", 6);

    /* protobuf-c reads our encoding the same way. */
    Relearn__Event *pe = relearn__event__unpack(NULL, b.len, b.data);
    assert_non_null(pe);
    assert_true(pe->has_format_version && pe->format_version == 1);
    assert_true(pe->has_label && pe->label == -3.25f);
    assert_true(pe->has_weight && pe->weight == 0.5f);
    assert_int_equal(pe->n_features, 6);
    assert_string_equal(pe->features[0]->name, "age");
    assert_true(pe->features[0]->value == 0.5f);
    assert_null(pe->features[1]->name);
    assert_true(pe->features[1]->has_index && pe->features[1]->index == 7);
    assert_true(pe->features[2]->index == 1ull << 40);
    assert_int_equal(pe->n_dense, 3);
    assert_memory_equal(pe->dense, dense, sizeof(dense));
    assert_true(pe->has_event_time_ms && pe->event_time_ms == -5);
    assert_true(pe->has_key && pe->key.len == 6);
    relearn__event__free_unpacked(pe, NULL);

    rl_buf_free(&b);
    rl_event_decoder_destroy(d);
}

/* protobuf-c's packer -> our decoder, including defaults and name-wins-over-index. */
static void test_decode_protobuf_c(void **state)
{
    (void)state;
    rl_event_decoder *d = binary_decoder();
    rl_hasher h;
    rl_hasher_init(&h, 18, 42);
    Relearn__Feature f0 = RELEARN__FEATURE__INIT, f1 = RELEARN__FEATURE__INIT;
    f0.name = "colour^red"; /* value absent: defaults to 1 */
    f1.name = "both";
    f1.has_index = 1;
    f1.index = 5; /* name wins */
    f1.has_value = 1;
    f1.value = 0.0f; /* zero values are kept */
    Relearn__Feature *fs[] = {&f0, &f1};
    Relearn__Event e = RELEARN__EVENT__INIT;
    e.has_label = 1;
    e.label = 0.0f; /* label 0 is present, not missing */
    e.n_features = 2;
    e.features = fs;
    uint8_t buf[256];
    size_t n = relearn__event__pack(&e, buf);

    rl_example ex;
    rl_event_info info;
    char err[256];
    assert_int_equal(rl_event_decode(d, buf, n, &ex, &info, err, sizeof(err)), RL_EVENT_OK);
    assert_true(ex.label == 0.0f);
    assert_true(ex.weight == 1.0f); /* default */
    assert_int_equal(ex.n_feats, 2);
    assert_int_equal(ex.feats[0].index, rl_hash_name(&h, "colour^red", 10));
    assert_true(ex.feats[0].value == 1.0f);
    assert_int_equal(ex.feats[1].index, rl_hash_name(&h, "both", 4));
    assert_true(ex.feats[1].value == 0.0f);
    assert_null(ex.dense);
    assert_int_equal(info.format_version, 1); /* absent means 1 */
    assert_null(info.key);
    assert_false(info.has_event_time);
    rl_event_decoder_destroy(d);
}

/* Hand-written wire bytes: unknown fields of every wire type are skipped, an unpacked dense
 * field is accepted, repeated scalars take the last value. */
static void test_wire_details(void **state)
{
    (void)state;
    rl_event_decoder *d = new_decoder(RL_TASK_BINARY, 2, 0, 2, 0, 0);
    const uint8_t msg[] = {
        0x78, 0x96, 0x01,                               /* field 15 varint 150 (unknown) */
        0x15, 0x00, 0x00, 0x00, 0x00,                   /* label 0 */
        0x15, 0x00, 0x00, 0x80, 0x3f,                   /* label 1 (last wins) */
        0x81, 0x01, 1,    2,    3,    4,    5, 6, 7, 8, /* field 16 fixed64 (unknown) */
        0x8a, 0x01, 0x02, 0xaa, 0xbb,                   /* field 17 bytes (unknown) */
        0x8d, 0x01, 1,    2,    3,    4,                /* field 17 fixed32 (unknown) */
        0x2d, 0x00, 0x00, 0x80, 0x3f,                   /* dense 1.0, unpacked */
        0x2a, 0x04, 0x00, 0x00, 0x00, 0x40,             /* dense [2.0], packed */
        0x22, 0x04, 0x10, 0x03, 0x78, 0x01,             /* feature index 3 + unknown field 15 */
    };
    rl_example ex;
    char err[256];
    assert_int_equal(rl_event_decode(d, msg, sizeof(msg), &ex, NULL, err, sizeof(err)),
                     RL_EVENT_OK);
    assert_true(ex.label == 1.0f);
    assert_int_equal(ex.n_dense, 2);
    assert_true(ex.dense[0] == 1.0f && ex.dense[1] == 2.0f);
    assert_int_equal(ex.n_feats, 1);
    assert_int_equal(ex.feats[0].index, 3);
    rl_event_decoder_destroy(d);
}

static void expect_reason(rl_event_decoder *d, const void *buf, size_t len, rl_event_reason want)
{
    rl_example ex;
    char err[256] = "";
    rl_event_reason got = rl_event_decode(d, buf, len, &ex, NULL, err, sizeof(err));
    if (got != want)
        fail_msg("expected %s, got %s (%s)", rl_event_reason_name(want), rl_event_reason_name(got),
                 err);
    if (want != RL_EVENT_OK && err[0] == '\0')
        fail_msg("reason %s without a message", rl_event_reason_name(want));
}

static void test_undecodable(void **state)
{
    (void)state;
    rl_event_decoder *d = binary_decoder();
    const uint8_t garbage[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    const uint8_t field0[] = {0x00, 0x01};
    const uint8_t label_as_varint[] = {0x10, 0x01};
    const uint8_t group[] = {0x15, 0, 0, 0x80, 0x3f, 0x1b, 0x1c};
    const uint8_t wt7[] = {0x15, 0, 0, 0x80, 0x3f, 0x7f};
    const uint8_t len_past_end[] = {0x15, 0, 0, 0x80, 0x3f, 0x22, 0x09, 0x10, 0x01};
    const uint8_t bad_packed[] = {0x15, 0, 0, 0x80, 0x3f, 0x2a, 0x03, 0, 0, 0};
    const uint8_t bad_feature[] = {0x15, 0, 0, 0x80, 0x3f, 0x22, 0x02, 0x0d, 0x00};
    const uint8_t name_as_varint[] = {0x15, 0, 0, 0x80, 0x3f, 0x22, 0x02, 0x08, 0x01};
    expect_reason(d, garbage, sizeof(garbage), RL_EVENT_UNDECODABLE);
    expect_reason(d, field0, sizeof(field0), RL_EVENT_UNDECODABLE);
    expect_reason(d, label_as_varint, sizeof(label_as_varint), RL_EVENT_UNDECODABLE);
    expect_reason(d, group, sizeof(group), RL_EVENT_UNDECODABLE);
    expect_reason(d, wt7, sizeof(wt7), RL_EVENT_UNDECODABLE);
    expect_reason(d, len_past_end, sizeof(len_past_end), RL_EVENT_UNDECODABLE);
    expect_reason(d, bad_packed, sizeof(bad_packed), RL_EVENT_UNDECODABLE);
    expect_reason(d, bad_feature, sizeof(bad_feature), RL_EVENT_UNDECODABLE);
    expect_reason(d, name_as_varint, sizeof(name_as_varint), RL_EVENT_UNDECODABLE);

    /* Every strict prefix of a valid event that cuts a field is refused, never misread. */
    rl_event_feature f[] = {{"abc", 3, 0, 2.0f}, {NULL, 0, 300, 1.0f}};
    rl_event_record r;
    base_record(&r);
    r.feats = f;
    r.n_feats = 2;
    rl_buf b;
    rl_buf_init(&b);
    assert_int_equal(rl_event_encode(&r, &b), RL_OK);
    for (size_t cut = 1; cut < b.len; cut++) {
        rl_example ex;
        char err[256];
        rl_event_reason got = rl_event_decode(d, b.data, cut, &ex, NULL, err, sizeof(err));
        /* A cut at a field boundary is a valid shorter event (or one missing its label). */
        assert_true(got == RL_EVENT_UNDECODABLE || got == RL_EVENT_MISSING_LABEL ||
                    got == RL_EVENT_OK);
        Relearn__Event *pe = relearn__event__unpack(NULL, cut, b.data);
        assert_int_equal(got == RL_EVENT_UNDECODABLE, pe == NULL);
        relearn__event__free_unpacked(pe, NULL);
    }
    rl_buf_free(&b);
    rl_event_decoder_destroy(d);
}

static void test_version_and_label_reasons(void **state)
{
    (void)state;
    rl_event_decoder *bin = binary_decoder();
    rl_event_decoder *mc = new_decoder(RL_TASK_MULTICLASS, 3, 0, 0, 0, 0);
    rl_event_decoder *poi = new_decoder(RL_TASK_REGRESSION, 0, 1, 0, 0, 0);
    rl_event_decoder *reg = new_decoder(RL_TASK_REGRESSION, 0, 0, 0, 0, 0);
    rl_buf b;
    rl_buf_init(&b);
    rl_event_record r;
    rl_example ex;
    char err[256];

    /* format_version 2, hand-encoded since the encoder always writes 1. */
    const uint8_t v2[] = {0x08, 0x02, 0x15, 0, 0, 0x80, 0x3f};
    expect_reason(bin, v2, sizeof(v2), RL_EVENT_NEWER_VERSION);
    const uint8_t v2_garbage[] = {0x08, 0x02, 0xff};
    expect_reason(bin, v2_garbage, sizeof(v2_garbage), RL_EVENT_NEWER_VERSION);
    const uint8_t v0[] = {0x08, 0x00, 0x15, 0, 0, 0x80, 0x3f};
    expect_reason(bin, v0, sizeof(v0), RL_EVENT_UNDECODABLE);

    base_record(&r);
    r.has_label = 0;
    assert_int_equal(roundtrip(bin, &r, &ex, NULL, &b, err, sizeof(err)), RL_EVENT_MISSING_LABEL);
    expect_reason(bin, "", 0, RL_EVENT_MISSING_LABEL); /* the empty message is an Event */

    struct {
        rl_event_decoder *d;
        float label;
        rl_event_reason want;
        float mapped;
    } cases[] = {
        {bin, NAN, RL_EVENT_NONFINITE_LABEL, 0},
        {bin, INFINITY, RL_EVENT_NONFINITE_LABEL, 0},
        {reg, -INFINITY, RL_EVENT_NONFINITE_LABEL, 0},
        {bin, 0.5f, RL_EVENT_LABEL_DOMAIN, 0},
        {bin, 2.0f, RL_EVENT_LABEL_DOMAIN, 0},
        {bin, -1.0f, RL_EVENT_OK, 0.0f}, /* libsvm's -1 */
        {bin, 1.0f, RL_EVENT_OK, 1.0f},
        {mc, 2.0f, RL_EVENT_OK, 2.0f},
        {mc, 3.0f, RL_EVENT_LABEL_DOMAIN, 0},
        {mc, 1.5f, RL_EVENT_LABEL_DOMAIN, 0},
        {mc, -1.0f, RL_EVENT_LABEL_DOMAIN, 0},
        {poi, -0.5f, RL_EVENT_LABEL_DOMAIN, 0},
        {poi, 7.0f, RL_EVENT_OK, 7.0f},
        {reg, -123.5f, RL_EVENT_OK, -123.5f},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        base_record(&r);
        r.label = cases[i].label;
        rl_event_reason got = roundtrip(cases[i].d, &r, &ex, NULL, &b, err, sizeof(err));
        if (got != cases[i].want)
            fail_msg("case %zu: label %g: expected %s, got %s (%s)", i, (double)cases[i].label,
                     rl_event_reason_name(cases[i].want), rl_event_reason_name(got), err);
        if (got == RL_EVENT_OK)
            assert_true(ex.label == cases[i].mapped);
    }
    rl_buf_free(&b);
    rl_event_decoder_destroy(bin);
    rl_event_decoder_destroy(mc);
    rl_event_decoder_destroy(poi);
    rl_event_decoder_destroy(reg);
}

static void test_weight_value_dense_reasons(void **state)
{
    (void)state;
    rl_event_decoder *d = new_decoder(RL_TASK_BINARY, 2, 0, 2, 0, 0);
    rl_event_decoder *nodense = binary_decoder();
    rl_buf b;
    rl_buf_init(&b);
    rl_event_record r;
    rl_example ex;
    char err[256];

    float weights[] = {-1.0f, NAN, INFINITY};
    for (size_t i = 0; i < 3; i++) {
        base_record(&r);
        r.weight = weights[i];
        assert_int_equal(roundtrip(d, &r, &ex, NULL, &b, err, sizeof(err)), RL_EVENT_BAD_WEIGHT);
    }
    base_record(&r);
    r.weight = 0.0f; /* score only: valid */
    assert_int_equal(roundtrip(d, &r, &ex, NULL, &b, err, sizeof(err)), RL_EVENT_OK);
    assert_true(ex.weight == 0.0f);

    rl_event_feature f[] = {{"a", 1, 0, 1.0f}, {"b", 1, 0, NAN}, {"c", 1, 0, -INFINITY}};
    base_record(&r);
    r.feats = f;
    r.n_feats = 3;
    assert_int_equal(roundtrip(d, &r, &ex, NULL, &b, err, sizeof(err)), RL_EVENT_NONFINITE_VALUE);
    assert_non_null(strstr(err, "feature 1"));
    assert_null(strstr(err, "\"b\"")); /* names are never quoted */
    /* finite but beyond what the learners take (its square overflows their float state);
     * exactly the limit is taken */
    rl_event_feature big[] = {
        {"a", 1, 0, 1.0f}, {"b", 1, 0, RL_FEATURE_VALUE_MAX}, {"c", 1, 0, -1e20f}};
    base_record(&r);
    r.feats = big;
    r.n_feats = 3;
    assert_int_equal(roundtrip(d, &r, &ex, NULL, &b, err, sizeof(err)), RL_EVENT_VALUE_TOO_LARGE);
    assert_non_null(strstr(err, "feature 2"));
    assert_string_equal(rl_event_reason_name(RL_EVENT_VALUE_TOO_LARGE), "value_too_large");
    r.n_feats = 2;
    assert_int_equal(roundtrip(d, &r, &ex, NULL, &b, err, sizeof(err)), RL_EVENT_OK);

    float dense3[] = {1, 2, 3}, dense_inf[] = {1, INFINITY};
    base_record(&r);
    r.dense = dense3;
    r.n_dense = 3;
    assert_int_equal(roundtrip(d, &r, &ex, NULL, &b, err, sizeof(err)), RL_EVENT_DENSE_MISMATCH);
    r.n_dense = 1;
    assert_int_equal(roundtrip(d, &r, &ex, NULL, &b, err, sizeof(err)), RL_EVENT_DENSE_MISMATCH);
    r.n_dense = 2;
    assert_int_equal(roundtrip(nodense, &r, &ex, NULL, &b, err, sizeof(err)),
                     RL_EVENT_DENSE_MISMATCH);
    assert_int_equal(roundtrip(d, &r, &ex, NULL, &b, err, sizeof(err)), RL_EVENT_OK);
    r.dense = dense_inf;
    assert_int_equal(roundtrip(d, &r, &ex, NULL, &b, err, sizeof(err)), RL_EVENT_NONFINITE_VALUE);
    float dense_big[] = {1, 3e19f};
    r.dense = dense_big;
    assert_int_equal(roundtrip(d, &r, &ex, NULL, &b, err, sizeof(err)), RL_EVENT_VALUE_TOO_LARGE);
    assert_non_null(strstr(err, "dense value 1"));
    r.dense = NULL; /* a dense model accepts events without a dense block */
    assert_int_equal(roundtrip(d, &r, &ex, NULL, &b, err, sizeof(err)), RL_EVENT_OK);
    assert_null(ex.dense);
    assert_int_equal(ex.n_dense, 0);

    const uint8_t no_name_no_index[] = {0x15, 0, 0, 0x80, 0x3f, 0x22, 0x05, 0x1d, 0, 0, 0, 0};
    expect_reason(d, no_name_no_index, sizeof(no_name_no_index), RL_EVENT_BAD_FEATURE);

    rl_buf_free(&b);
    rl_event_decoder_destroy(d);
    rl_event_decoder_destroy(nodense);
}

/* Limits: too many features is refused without storing past the limit; a message over
 * max_bytes is refused before parsing; a million features cost bounded memory. */
static void test_bounds(void **state)
{
    (void)state;
    rl_event_decoder *d = new_decoder(RL_TASK_BINARY, 2, 0, 0, 10, 0);
    rl_buf b;
    rl_buf_init(&b);
    rl_event_record r;
    rl_example ex;
    char err[256];
    rl_event_feature f[11];
    for (int i = 0; i < 11; i++)
        f[i] = (rl_event_feature){NULL, 0, (uint64_t)i, 1.0f};
    base_record(&r);
    r.feats = f;
    r.n_feats = 10;
    assert_int_equal(roundtrip(d, &r, &ex, NULL, &b, err, sizeof(err)), RL_EVENT_OK);
    assert_int_equal(ex.n_feats, 10);
    r.n_feats = 11;
    assert_int_equal(roundtrip(d, &r, &ex, NULL, &b, err, sizeof(err)), RL_EVENT_TOO_MANY_FEATURES);
    rl_event_decoder_destroy(d);

    /* One million features: 4 MB on the wire. Default max_bytes refuses it up front... */
    const size_t big = 1000000;
    rl_event_feature *many = malloc(big * sizeof(*many));
    assert_non_null(many);
    for (size_t i = 0; i < big; i++)
        many[i] = (rl_event_feature){NULL, 0, i % 100, 1.0f};
    base_record(&r);
    r.feats = many;
    r.n_feats = big;
    d = binary_decoder();
    assert_int_equal(roundtrip(d, &r, &ex, NULL, &b, err, sizeof(err)), RL_EVENT_OVERSIZED);
    rl_event_decoder_destroy(d);
    /* ...and with a larger max_bytes the default feature limit does. */
    d = new_decoder(RL_TASK_BINARY, 2, 0, 0, 0, 64u << 20);
    assert_int_equal(roundtrip(d, &r, &ex, NULL, &b, err, sizeof(err)), RL_EVENT_TOO_MANY_FEATURES);
    assert_non_null(strstr(err, "1000000"));
    rl_event_decoder_destroy(d);
    free(many);
    rl_buf_free(&b);
}

static void test_reason_names_and_config(void **state)
{
    (void)state;
    for (int i = 0; i < RL_EVENT_REASON__COUNT; i++) {
        const char *n = rl_event_reason_name((rl_event_reason)i);
        assert_non_null(n);
        assert_int_equal(rl_event_reason_parse(n), i);
        for (const char *p = n; *p; p++)
            assert_true((*p >= 'a' && *p <= 'z') || *p == '_');
        for (int j = 0; j < i; j++)
            assert_string_not_equal(n, rl_event_reason_name((rl_event_reason)j));
    }
    /* The names are an interface (metrics labels, dead-letter headers). */
    assert_string_equal(rl_event_reason_name(RL_EVENT_UNDECODABLE), "undecodable");
    assert_string_equal(rl_event_reason_name(RL_EVENT_NONFINITE_LABEL), "nonfinite_label");
    assert_string_equal(rl_event_reason_name(RL_EVENT_LABEL_DOMAIN), "label_out_of_domain");
    assert_string_equal(rl_event_reason_name(RL_EVENT_REASON__COUNT), "unknown");
    assert_int_equal(rl_event_reason_parse("nope"), RL_EVENT_REASON__COUNT);
    assert_int_equal(rl_event_reason_parse(NULL), RL_EVENT_REASON__COUNT);

    rl_event_codec_config c;
    rl_event_decoder *d = NULL;
    char err[256];
    rl_event_codec_config_default(&c);
    c.bits = 31;
    assert_int_equal(rl_event_decoder_new(&c, &d, err, sizeof(err)), RL_ERR_INVALID_ARG);
    assert_null(d);
    assert_non_null(strstr(err, "bits"));
    rl_event_codec_config_default(&c);
    c.max_features = 0;
    assert_int_equal(rl_event_decoder_new(&c, &d, err, sizeof(err)), RL_ERR_INVALID_ARG);
    rl_event_codec_config_default(&c);
    c.task = RL_TASK_MULTICLASS;
    c.n_classes = 1;
    assert_int_equal(rl_event_decoder_new(&c, &d, err, sizeof(err)), RL_ERR_INVALID_ARG);
    rl_event_decoder_destroy(NULL);
}

/* A text line encoded for `relearn produce` decodes to exactly what `relearn eval` builds from
 * the same line: the two paths hash the same names and indices. */
static void check_text_path(const char *name, const char *text, rl_text_format fmt)
{
    rl_reader_opts o;
    rl_reader *rd = NULL;
    char err[512];
    rl_reader_opts_default(&o);
    o.format = fmt;
    assert_int_equal(rl_reader_open_mem(name, text, strlen(text), &o, &rd, err, sizeof(err)),
                     RL_OK);
    rl_event_decoder *d = binary_decoder();
    rl_hasher h;
    rl_hasher_init(&h, 18, 42);
    rl_example_builder eb;
    rl_example_builder_init(&eb);
    rl_buf b;
    rl_buf_init(&b);
    int n = 0;
    for (;;) {
        const rl_record *rec = NULL;
        assert_int_equal(rl_reader_next(rd, &rec, err, sizeof(err)), RL_OK);
        if (!rec)
            break;
        float label;
        rl_example want, got;
        rl_event_info info;
        assert_int_equal(rl_record_label(rd, rec, RL_TASK_BINARY, 2, &label, err, sizeof(err)),
                         RL_OK);
        assert_int_equal(rl_example_from_record(&eb, &h, rec, label, &want, err, sizeof(err)),
                         RL_OK);
        rl_buf_reset(&b);
        assert_int_equal(rl_event_encode_text(rec, &b), RL_OK);
        assert_int_equal(rl_event_decode(d, b.data, b.len, &got, &info, err, sizeof(err)),
                         RL_EVENT_OK);
        assert_true(got.label == want.label);
        assert_true(got.weight == want.weight);
        assert_int_equal(got.n_feats, want.n_feats);
        for (uint32_t i = 0; i < got.n_feats; i++) {
            assert_int_equal(got.feats[i].index, want.feats[i].index);
            assert_true(got.feats[i].value == want.feats[i].value);
        }
        if (rec->tag) {
            assert_int_equal(info.key_len, rec->tag_len);
            assert_memory_equal(info.key, rec->tag, rec->tag_len);
        }
        n++;
    }
    assert_true(n >= 2);
    rl_buf_free(&b);
    rl_example_builder_free(&eb);
    rl_event_decoder_destroy(d);
    rl_reader_destroy(rd);
}

static void test_text_records(void **state)
{
    (void)state;
    check_text_path("t.libsvm", "+1 1:0.5 3:2 70000:1\n-1 2:1\n0 5:-3.5 5:1\n", RL_TEXT_LIBSVM);
    check_text_path("t.vw",
                    "1 2.5 'user42|a x:2 y |b:0.5 z w:4\n"
                    "-1 | plain \xff\xfe:3\n"
                    "0 |ns q\n",
                    RL_TEXT_VW);
    check_text_path("t.csv", "label,f1,f2\n1,0.5,\n0,,3\n", RL_TEXT_CSV);
}

/* One Feature message: name (or index when name is NULL) and value, in the writer's order or,
 * with value_first, the other way round (which the decoder's shortcut for the usual shape does
 * not take). Returns the bytes written. */
static size_t put_feature(uint8_t *o, const char *name, size_t name_len, uint64_t index,
                          uint32_t value_bits, int value_first)
{
    uint8_t body[512];
    size_t n = 0, k = 0;
    if (value_first) {
        body[n++] = 0x1d;
        memcpy(body + n, &value_bits, 4);
        n += 4;
    }
    if (name) {
        body[n++] = 0x0a;
        size_t l = name_len;
        do {
            body[n++] = (uint8_t)((l & 0x7f) | (l > 0x7f ? 0x80 : 0));
            l >>= 7;
        } while (l);
        memcpy(body + n, name, name_len);
        n += name_len;
    } else {
        body[n++] = 0x10;
        uint64_t v = index;
        do {
            body[n++] = (uint8_t)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
            v >>= 7;
        } while (v);
    }
    if (!value_first) {
        body[n++] = 0x1d;
        memcpy(body + n, &value_bits, 4);
        n += 4;
    }
    o[k++] = 0x22; /* Event.features */
    size_t l = n;
    do {
        o[k++] = (uint8_t)((l & 0x7f) | (l > 0x7f ? 0x80 : 0));
        l >>= 7;
    } while (l);
    memcpy(o + k, body, n);
    return k + n;
}

static void test_feature_shortcut_matches_general(void **state)
{
    (void)state;
    char long_name[200];
    memset(long_name, 'n', sizeof(long_name));
    const struct {
        const char *name;
        size_t len;
        uint64_t index;
        float value;
    } cases[] = {
        {"carrier=AA", 10, 0, 1.0f},
        {"", 0, 0, 2.5f},
        {long_name, 127, 0, -1.0f},
        {long_name, 128, 0, 0.25f},
        {long_name, 200, 0, 3.0f},
        {NULL, 0, 3, 0.5f},
        {NULL, 0, 300, 1.5f},
        {NULL, 0, 1ull << 40, 7.0f},
        {"x", 1, 0, NAN},
        {"y", 1, 0, 1e30f},
        {NULL, 0, 5, INFINITY},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        rl_event_decoder *a = binary_decoder(), *b = binary_decoder();
        uint8_t ma[600], mb[600];
        const uint8_t label[] = {0x15, 0x00, 0x00, 0x80, 0x3f};
        uint32_t bits;
        memcpy(&bits, &cases[i].value, 4);
        memcpy(ma, label, 5);
        memcpy(mb, label, 5);
        size_t la = 5 + put_feature(ma + 5, cases[i].name, cases[i].len, cases[i].index, bits, 0);
        size_t lb = 5 + put_feature(mb + 5, cases[i].name, cases[i].len, cases[i].index, bits, 1);
        rl_example ea, eb;
        char e1[256] = "", e2[256] = "";
        rl_event_reason ra = rl_event_decode(a, ma, la, &ea, NULL, e1, sizeof(e1));
        rl_event_reason rb = rl_event_decode(b, mb, lb, &eb, NULL, e2, sizeof(e2));
        assert_int_equal(ra, rb);
        assert_string_equal(e1, e2);
        if (ra == RL_EVENT_OK) {
            size_t na, nb;
            assert_int_equal(ea.n_feats, 1);
            assert_int_equal(eb.n_feats, 1);
            assert_int_equal(ea.feats[0].index, eb.feats[0].index);
            assert_memory_equal(&ea.feats[0].value, &eb.feats[0].value, sizeof(float));
            const uint8_t *fa = rl_event_feature_name(a, 0, &na);
            const uint8_t *fb = rl_event_feature_name(b, 0, &nb);
            assert_int_equal(na, nb);
            assert_true((fa == NULL) == (fb == NULL));
            if (fa)
                assert_memory_equal(fa, fb, na);
        }
        /* a truncated shortcut-shaped feature is refused as the general reader refuses it */
        ma[6]--;
        assert_int_equal(rl_event_decode(a, ma, la - 1, &ea, NULL, e1, sizeof(e1)),
                         RL_EVENT_UNDECODABLE);
        rl_event_decoder_destroy(a);
        rl_event_decoder_destroy(b);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip_full),
        cmocka_unit_test(test_decode_protobuf_c),
        cmocka_unit_test(test_wire_details),
        cmocka_unit_test(test_undecodable),
        cmocka_unit_test(test_version_and_label_reasons),
        cmocka_unit_test(test_weight_value_dense_reasons),
        cmocka_unit_test(test_bounds),
        cmocka_unit_test(test_reason_names_and_config),
        cmocka_unit_test(test_text_records),
        cmocka_unit_test(test_feature_shortcut_matches_general),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
