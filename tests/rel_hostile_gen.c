/* rel_hostile_gen.c - writes hostile Kafka message payloads for rel_hostile.sh, one file per
 * message (kcat -P sends each file given to it as one message), plus a manifest saying what
 * relearnd must do with each: "FILE learned" or "FILE dead REASON".
 *
 *   rel_hostile_gen DIR
 *
 * Valid-looking events are built with rl_event_encode (so they are exactly what a producer
 * could send); the malformed wire forms (repeated fields, groups, truncations) are written by
 * hand. The expected outcomes follow wire/event_codec.h: duplicate features and non-UTF-8
 * names are accepted (hashed, never printed); limits, non-finite numbers and malformed bytes
 * are refused with their reason. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wire/event_codec.h"
#include "common/rl_common.h"

static FILE *manifest;
static const char *dir;

static void emit(const char *name, const void *p, size_t n, const char *expect)
{
    char path[4096];
    FILE *f;
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    f = fopen(path, "wb");
    if (!f || (n && fwrite(p, 1, n, f) != n) || fclose(f) != 0) {
        fprintf(stderr, "rel_hostile_gen: cannot write %s\n", path);
        exit(1);
    }
    fprintf(manifest, "%s %s\n", name, expect);
}

static void put_varint(rl_buf *b, uint64_t v)
{
    while (v >= 0x80) {
        rl_buf_put_u8(b, (uint8_t)(v | 0x80));
        v >>= 7;
    }
    rl_buf_put_u8(b, (uint8_t)v);
}

/* An event of n indexed features (index i % modulo + 1), label 1. */
static void many_features(rl_buf *b, size_t n, uint64_t modulo)
{
    rl_event_feature *f = calloc(n, sizeof(*f));
    rl_event_record r;
    if (!f) {
        fprintf(stderr, "rel_hostile_gen: out of memory\n");
        exit(1);
    }
    for (size_t i = 0; i < n; i++) {
        f[i].index = i % modulo + 1;
        f[i].value = 0.5f;
    }
    memset(&r, 0, sizeof(r));
    r.has_label = 1;
    r.label = 1;
    r.weight = 1;
    r.feats = f;
    r.n_feats = n;
    rl_buf_reset(b);
    if (rl_event_encode(&r, b) != RL_OK || b->failed) {
        fprintf(stderr, "rel_hostile_gen: encode failed\n");
        exit(1);
    }
    free(f);
}

static void one(rl_buf *b, float label, float weight, const rl_event_feature *f, size_t n)
{
    rl_event_record r;
    memset(&r, 0, sizeof(r));
    r.has_label = 1;
    r.label = label;
    r.weight = weight;
    r.feats = f;
    r.n_feats = n;
    rl_buf_reset(b);
    if (rl_event_encode(&r, b) != RL_OK) {
        fprintf(stderr, "rel_hostile_gen: encode failed\n");
        exit(1);
    }
}

int main(int argc, char **argv)
{
    char path[4096];
    rl_buf b;
    rl_event_feature f[4];

    if (argc != 2) {
        fprintf(stderr, "usage: rel_hostile_gen DIR\n");
        return 2;
    }
    dir = argv[1];
    snprintf(path, sizeof(path), "%s/manifest", dir);
    manifest = fopen(path, "w");
    if (!manifest) {
        fprintf(stderr, "rel_hostile_gen: cannot write %s\n", path);
        return 1;
    }
    rl_buf_init(&b);

    /* Millions of features: 2,000,000 (about 8 MB), over the 1 MiB event limit. */
    many_features(&b, 2000000, 1000);
    emit("millions_of_features", b.data, b.len, "dead oversized");
    /* 100,000 features in 400 KB: under the byte limit, over max_features (65536). */
    many_features(&b, 100000, 1000);
    emit("too_many_features", b.data, b.len, "dead too_many_features");
    /* Oversized by bytes alone: one feature name of 1.5 MB. */
    {
        size_t n = 1500000;
        char *name = malloc(n);
        if (!name)
            return 1;
        memset(name, 'x', n);
        f[0].name = name;
        f[0].name_len = n;
        f[0].value = 1;
        one(&b, 1, 1, f, 1);
        emit("oversized_name", b.data, b.len, "dead oversized");
        free(name);
    }
    /* The label field repeated 100,000 times (protobuf: the last one wins): a valid event. */
    rl_buf_reset(&b);
    for (int i = 0; i < 100000; i++) {
        rl_buf_put_u8(&b, (2 << 3) | 5); /* field 2, fixed32 */
        rl_buf_put_f32(&b, (i % 2) ? 1.0f : 0.0f);
    }
    rl_buf_put_u8(&b, (4 << 3) | 2); /* one feature {index = 7} */
    rl_buf_put_u8(&b, 2);
    rl_buf_put_u8(&b, (2 << 3) | 0);
    rl_buf_put_u8(&b, 7);
    emit("repeated_label_100k", b.data, b.len, "learned");
    /* An unknown length-delimited field repeated 50,000 times: skipped, the event is valid. */
    rl_buf_reset(&b);
    rl_buf_put_u8(&b, (2 << 3) | 5);
    rl_buf_put_f32(&b, 1.0f);
    for (int i = 0; i < 50000; i++) {
        rl_buf_put_u8(&b, (15 << 3) | 2);
        rl_buf_put_u8(&b, 3);
        rl_buf_put(&b, "abc", 3);
    }
    emit("unknown_field_50k", b.data, b.len, "learned");
    /* 100,000 nested group starts (wire type 3): refused, not recursed into. */
    rl_buf_reset(&b);
    for (int i = 0; i < 100000; i++)
        rl_buf_put_u8(&b, (15 << 3) | 3);
    emit("nested_groups_100k", b.data, b.len, "dead undecodable");
    /* A length prefix far past the end. */
    rl_buf_reset(&b);
    rl_buf_put_u8(&b, (4 << 3) | 2);
    put_varint(&b, (uint64_t)1 << 40);
    rl_buf_put(&b, "zz", 2);
    emit("length_past_end", b.data, b.len, "dead undecodable");
    /* A varint that never ends (11 continuation bytes). */
    rl_buf_reset(&b);
    rl_buf_put_u8(&b, (1 << 3) | 0);
    for (int i = 0; i < 11; i++)
        rl_buf_put_u8(&b, 0xff);
    emit("endless_varint", b.data, b.len, "dead undecodable");
    /* Empty payload: no label. */
    emit("empty", "", 0, "dead missing_label");

    /* NaN / Inf. */
    f[0].name = NULL;
    f[0].name_len = 0;
    f[0].index = 3;
    f[0].value = 1;
    one(&b, NAN, 1, f, 1);
    emit("nan_label", b.data, b.len, "dead nonfinite_label");
    one(&b, INFINITY, 1, f, 1);
    emit("inf_label", b.data, b.len, "dead nonfinite_label");
    one(&b, 1, NAN, f, 1);
    emit("nan_weight", b.data, b.len, "dead bad_weight");
    one(&b, 1, -2, f, 1);
    emit("negative_weight", b.data, b.len, "dead bad_weight");
    f[1] = f[0];
    f[1].index = 4;
    f[1].value = -INFINITY;
    one(&b, 1, 1, f, 2);
    emit("inf_value", b.data, b.len, "dead nonfinite_value");
    f[1].value = NAN;
    one(&b, 0, 1, f, 2);
    emit("nan_value", b.data, b.len, "dead nonfinite_value");
    /* finite, but its square is not a float: it made the default learner's counters NaN */
    f[1].value = 1e20f;
    one(&b, 1, 1, f, 2);
    emit("huge_value", b.data, b.len, "dead value_too_large");
    f[1].value = -1e19f;
    one(&b, 0, 1, f, 2);
    emit("huge_negative_value", b.data, b.len, "dead value_too_large");

    /* Duplicate features: the same name 4 times (kept, as if summed: accepted). */
    for (int i = 0; i < 4; i++) {
        f[i].name = "dup";
        f[i].name_len = 3;
        f[i].value = 0.25f;
    }
    one(&b, 1, 1, f, 4);
    emit("duplicate_features", b.data, b.len, "learned");
    /* Non-UTF-8 names (overlong NUL, lone continuation, 0xff, an embedded NUL and newline):
     * hashed like any bytes, never printed raw. */
    f[0].name = "\xc0\x80";
    f[0].name_len = 2;
    f[1].name = "\x80\x80\x80";
    f[1].name_len = 3;
    f[2].name = "\xff\xfe\xfd";
    f[2].name_len = 3;
    f[3].name = "a\0b\nc";
    f[3].name_len = 5;
    for (int i = 0; i < 4; i++)
        f[i].value = 1;
    one(&b, 0, 1, f, 4);
    emit("non_utf8_names", b.data, b.len, "learned");
    /* The same names in an event that is refused: the detail must not quote them either. */
    f[3].value = NAN;
    one(&b, 0, 1, f, 4);
    emit("non_utf8_names_nan", b.data, b.len, "dead nonfinite_value");
    /* A feature with neither name nor index. */
    rl_buf_reset(&b);
    rl_buf_put_u8(&b, (2 << 3) | 5);
    rl_buf_put_f32(&b, 1.0f);
    rl_buf_put_u8(&b, (4 << 3) | 2);
    rl_buf_put_u8(&b, 5);
    rl_buf_put_u8(&b, (3 << 3) | 5);
    rl_buf_put_f32(&b, 1.0f);
    emit("nameless_feature", b.data, b.len, "dead bad_feature");
    /* A newer format version. */
    rl_buf_reset(&b);
    rl_buf_put_u8(&b, (1 << 3) | 0);
    rl_buf_put_u8(&b, 99);
    rl_buf_put_u8(&b, (2 << 3) | 5);
    rl_buf_put_f32(&b, 1.0f);
    emit("newer_version", b.data, b.len, "dead newer_version");
    /* Label 7 on a binary model. */
    f[0].name = NULL;
    f[0].index = 1;
    f[0].value = 1;
    one(&b, 7, 1, f, 1);
    emit("label_7", b.data, b.len, "dead label_out_of_domain");

    rl_buf_free(&b);
    if (fclose(manifest) != 0)
        return 1;
    return 0;
}
