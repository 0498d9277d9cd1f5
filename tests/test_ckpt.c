/* test_ckpt.c - checkpoints as bytes: exact round trips for every learner and detector,
 * corruption of every kind refused, newer versions refused with a message, a replay of the fuzz
 * corpus, the frame hash against libxxhash. Files and directories: test_ckpt_files.c. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <xxhash.h>

#include "proto/checkpoint.pb-c.h"
#include "storage/ckpt.h"
#include "storage/ckpt_hash.h"
#include "tests/ckpt_util.h"
#include "tests/ckpt_dir_util.h"

#define RL_FUZZ_CORPUS RL_TEST_DATA "/../fuzz/corpus"

/* Steps a model, checkpoints it through bytes, and checks that the restored one continues
 * bitwise identical to the one that never stopped. Returns the number of drifts seen. */
static uint64_t roundtrip_one(const rl_model_config *c, unsigned flags)
{
    char err[256];
    rl_model *a = tu_new_model(c);
    tu_stream sa, sb;
    tu_stream_init(&sa, 7, rl_model_learner(a), 400);
    tu_step_n(a, &sa, 300);

    rl_ckpt ck, back;
    rl_ckpt_init(&ck);
    rl_ckpt_init(&back);
    assert_int_equal(rl_ckpt_set_ids(&ck, "m1", "inst-a", err, sizeof(err)), RL_OK);
    assert_int_equal(rl_ckpt_from_model(&ck, a, err, sizeof(err)), RL_OK);
    ck.seq = 12;
    ck.snapshot_version = 5;
    ck.has_published_loss = 1;
    ck.published_loss = 0.3125;
    assert_int_equal(rl_ckpt_set_offset(&ck, "events", 3, 1234, err, sizeof(err)), RL_OK);
    rl_buf bytes;
    rl_buf_init(&bytes);
    assert_int_equal(rl_ckpt_encode(&ck, flags, &bytes, err, sizeof(err)), RL_OK);
    rl_err e = rl_ckpt_decode(bytes.data, bytes.len, &back, err, sizeof(err));
    if (e != RL_OK)
        fail_msg("decode: %s", err);
    assert_string_equal(back.model_name, "m1");
    assert_string_equal(back.instance_id, "inst-a");
    assert_int_equal(back.seq, 12);
    assert_int_equal(back.snapshot_version, 5);
    assert_true(back.has_published_loss && back.published_loss == 0.3125);
    assert_int_equal(back.events, 300);
    assert_int_equal(rl_ckpt_get_offset(&back, "events", 3), 1234);
    assert_int_equal(rl_ckpt_get_offset(&back, "events", 4), -1);
    assert_int_equal(back.frame.flags, flags);
    rl_learner_params want = c->learner;
    want.set_keys = 0; /* which keys were given is not stored: the values are */
    assert_memory_equal(&back.config.learner, &want, sizeof(want));

    rl_model *b = NULL;
    e = rl_ckpt_to_model(&back, NULL, NULL, &b, err, sizeof(err));
    if (e != RL_OK)
        fail_msg("to_model %s/%s: %s", c->learner.learner, c->detector, err);
    tu_assert_same_state(a, b);
    sb = sa; /* the same remaining stream */
    rl_example ea, eb;
    rl_pred pa, pb;
    for (int i = 0; i < 500; i++) {
        tu_example(&sa, &ea, NULL);
        tu_example(&sb, &eb, NULL);
        double la = rl_model_step(a, &ea, NULL, &pa);
        double lb = rl_model_step(b, &eb, NULL, &pb);
        if (!tu_same_pred(&pa, &pb) || !tu_same_double(la, lb))
            fail_msg("%s/%s: diverged at step %d after restore", c->learner.learner, c->detector,
                     i);
    }
    tu_assert_same_state(a, b);
    /* Without a published loss (an older writer) none is invented. */
    ck.has_published_loss = 0;
    rl_buf_reset(&bytes);
    assert_int_equal(rl_ckpt_encode(&ck, flags, &bytes, err, sizeof(err)), RL_OK);
    assert_int_equal(rl_ckpt_decode(bytes.data, bytes.len, &back, err, sizeof(err)), RL_OK);
    assert_false(back.has_published_loss);
    uint64_t drifts = rl_model_drifts(a);
    rl_model_destroy(a);
    rl_model_destroy(b);
    rl_ckpt_clear(&ck);
    rl_ckpt_clear(&back);
    rl_buf_free(&bytes);
    return drifts;
}

static void test_roundtrip_every_learner_and_detector(void **state)
{
    (void)state;
    static const struct {
        const char *learner, *loss;
    } kinds[] = {
        {"sgd", NULL},      {"sgd", "hinge"},     {"sgd", "squared"},
        {"sgd", "poisson"}, {"perceptron", NULL}, {"avg_perceptron", NULL},
        {"ogd", NULL},      {"ftrl", NULL},       {"softmax", NULL},
    };
    const struct rl_detector_ops *const *dets = rl_detector_all();
    int combos = 0;
    for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
        /* Every learner registered must be covered by this table. */
        assert_non_null(rl_learner_find(kinds[k].learner));
        for (int d = -1; d == -1 || dets[d]; d++) {
            rl_model_config c;
            rl_response resp = (rl_response)((k + (size_t)(d + 1)) % 4);
            tu_config(&c, kinds[k].learner, kinds[k].loss, d < 0 ? NULL : dets[d]->name, resp, 12);
            rl_model *probe = NULL;
            char err[256];
            if (rl_model_new(&c, NULL, NULL, &probe, err, sizeof(err)) != RL_OK) {
                /* Only the documented incompatibility may refuse: 0/1-only detectors on a
                 * regression error stream. */
                assert_non_null(strstr(err, "regression"));
                continue;
            }
            rl_model_destroy(probe);
            roundtrip_one(&c, combos % 2 ? RL_FRAME_ZSTD : 0);
            combos++;
        }
    }
    /* Every learner in the registry appears in the table above. */
    size_t n_learners = 0;
    for (const struct rl_learner_ops *const *l = rl_learner_all(); *l; l++) {
        int found = 0;
        for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++)
            found |= strcmp(kinds[k].learner, (*l)->name) == 0;
        if (!found)
            fail_msg("learner %s is not covered by the round-trip test", (*l)->name);
        n_learners++;
    }
    assert_true(combos >= (int)n_learners);
}

/* Drift and the challenger response must survive too: a stream that drifts mid-way. */
static void test_roundtrip_across_drift_with_challenger(void **state)
{
    (void)state;
    rl_model_config c;
    tu_config(&c, "sgd", NULL, "ddm", RL_RESPONSE_CHALLENGER, 12);
    rl_model *a = tu_new_model(&c);
    tu_stream s;
    tu_stream_init(&s, 3, rl_model_learner(a), 350);
    char err[256];
    rl_ckpt ck;
    rl_ckpt_init(&ck);
    rl_buf bytes;
    rl_buf_init(&bytes);
    uint64_t restored_steps = 0;
    rl_model *b = NULL;
    /* Checkpoint every 97 examples, restoring each time into b and comparing. */
    for (int round = 0; round < 10; round++) {
        tu_step_n(a, &s, 97);
        rl_buf_reset(&bytes);
        assert_int_equal(rl_ckpt_from_model(&ck, a, err, sizeof(err)), RL_OK);
        assert_int_equal(rl_ckpt_encode(&ck, 0, &bytes, err, sizeof(err)), RL_OK);
        rl_ckpt back;
        rl_ckpt_init(&back);
        assert_int_equal(rl_ckpt_decode(bytes.data, bytes.len, &back, err, sizeof(err)), RL_OK);
        rl_model_destroy(b);
        assert_int_equal(rl_ckpt_to_model(&back, NULL, NULL, &b, err, sizeof(err)), RL_OK);
        tu_assert_same_state(a, b);
        restored_steps += 97;
        rl_ckpt_clear(&back);
    }
    assert_true(rl_model_warnings(a) + rl_model_drifts(a) > 0);
    assert_int_equal(rl_model_position(b), restored_steps);
    rl_model_destroy(a);
    rl_model_destroy(b);
    rl_ckpt_clear(&ck);
    rl_buf_free(&bytes);
}

static void make_ckpt_bytes(rl_buf *out, unsigned flags, uint32_t bits)
{
    rl_model_config c;
    char err[256];
    tu_config(&c, "ftrl", NULL, "adwin", RL_RESPONSE_BOOST, bits);
    rl_model *m = tu_new_model(&c);
    tu_stream s;
    tu_stream_init(&s, 11, rl_model_learner(m), 1000);
    tu_step_n(m, &s, 200);
    rl_ckpt ck;
    rl_ckpt_init(&ck);
    assert_int_equal(rl_ckpt_set_ids(&ck, "m", "i", err, sizeof(err)), RL_OK);
    assert_int_equal(rl_ckpt_from_model(&ck, m, err, sizeof(err)), RL_OK);
    assert_int_equal(rl_ckpt_set_offset(&ck, "t", 0, 99, err, sizeof(err)), RL_OK);
    assert_int_equal(rl_dict_new(64, &ck.dict, err, sizeof(err)), RL_OK);
    rl_dict_add(ck.dict, 5, "five", 4);
    rl_dict_add(ck.dict, 9, "nine", 4);
    assert_int_equal(rl_ckpt_encode(&ck, flags, out, err, sizeof(err)), RL_OK);
    rl_ckpt_clear(&ck);
    rl_model_destroy(m);
}

static void test_corruption_refused(void **state)
{
    (void)state;
    char err[256];
    for (unsigned flags = 0; flags <= RL_FRAME_ZSTD; flags += RL_FRAME_ZSTD) {
        rl_buf b;
        rl_buf_init(&b);
        make_ckpt_bytes(&b, flags, 10);
        rl_ckpt c;
        rl_ckpt_init(&c);
        assert_int_equal(rl_ckpt_decode(b.data, b.len, &c, err, sizeof(err)), RL_OK);
        assert_non_null(c.dict);
        assert_string_equal(rl_dict_lookup(c.dict, 9, NULL), "nine");
        /* empty */
        assert_int_equal(rl_ckpt_decode(b.data, 0, &c, err, sizeof(err)), RL_ERR_FORMAT);
        assert_non_null(strstr(err, "empty"));
        /* truncated at every length (step keeps it fast) */
        for (size_t n = 1; n < b.len; n += (n < 64 ? 1 : 37)) {
            rl_err e = rl_ckpt_decode(b.data, n, &c, err, sizeof(err));
            assert_int_not_equal(e, RL_OK);
        }
        /* every single-bit flip: at every byte of header and trailer, and across the body */
        for (size_t i = 0; i < b.len; i += (i < 32 || i + 16 > b.len) ? 1 : 13) {
            for (int bit = 0; bit < 8; bit += 3) {
                b.data[i] ^= (uint8_t)(1u << bit);
                rl_err e = rl_ckpt_decode(b.data, b.len, &c, err, sizeof(err));
                b.data[i] ^= (uint8_t)(1u << bit);
                if (e == RL_OK)
                    fail_msg("bit %d of byte %zu flipped, still decoded", bit, i);
                assert_true(e == RL_ERR_CHECKSUM || e == RL_ERR_FORMAT || e == RL_ERR_VERSION);
            }
        }
        /* trailing garbage */
        rl_buf_put_u8(&b, 0);
        assert_int_equal(rl_ckpt_decode(b.data, b.len, &c, err, sizeof(err)), RL_ERR_FORMAT);
        b.len--;
        /* a snapshot magic is not a checkpoint */
        memcpy(b.data, RL_MAGIC_SNAPSHOT, 4);
        assert_int_equal(rl_ckpt_decode(b.data, b.len, &c, err, sizeof(err)), RL_ERR_FORMAT);
        assert_non_null(strstr(err, "magic"));
        rl_ckpt_clear(&c);
        rl_buf_free(&b);
    }
}

/* Re-frames bytes with a correct checksum so only the version is wrong. */
static void test_newer_versions_refused(void **state)
{
    (void)state;
    char err[256];
    rl_buf b;
    rl_buf_init(&b);
    make_ckpt_bytes(&b, 0, 10);
    rl_ckpt c;
    rl_ckpt_init(&c);
    /* container version 2 with a valid checksum */
    b.data[4] = 2;
    uint64_t sum = XXH3_64bits(b.data, b.len - 8);
    for (int i = 0; i < 8; i++)
        b.data[b.len - 8 + i] = (uint8_t)(sum >> (8 * i));
    assert_int_equal(rl_ckpt_decode(b.data, b.len, &c, err, sizeof(err)), RL_ERR_VERSION);
    assert_non_null(strstr(err, "newer"));
    /* an unknown flag: a newer writer's feature */
    b.data[4] = 1;
    b.data[6] = 0x80;
    sum = XXH3_64bits(b.data, b.len - 8);
    for (int i = 0; i < 8; i++)
        b.data[b.len - 8 + i] = (uint8_t)(sum >> (8 * i));
    assert_int_equal(rl_ckpt_decode(b.data, b.len, &c, err, sizeof(err)), RL_ERR_VERSION);
    /* message format_version 2 inside a valid frame */
    Relearn__Checkpoint *m = relearn__checkpoint__unpack(NULL, b.len - 32, b.data + 24);
    assert_non_null(m);
    m->format_version = RL_CKPT_FORMAT_VERSION + 1;
    size_t n = relearn__checkpoint__get_packed_size(m);
    uint8_t *raw = malloc(n);
    relearn__checkpoint__pack(m, raw);
    rl_buf f;
    rl_buf_init(&f);
    assert_int_equal(rl_frame_encode(RL_MAGIC_CKPT, raw, n, 0, 0, &f, err, sizeof(err)), RL_OK);
    assert_int_equal(rl_ckpt_decode(f.data, f.len, &c, err, sizeof(err)), RL_ERR_VERSION);
    assert_non_null(strstr(err, "checkpoint: format version 2 is newer"));
    /* format_version missing altogether */
    m->has_format_version = 0;
    n = relearn__checkpoint__get_packed_size(m);
    relearn__checkpoint__pack(m, raw);
    rl_buf_reset(&f);
    assert_int_equal(rl_frame_encode(RL_MAGIC_CKPT, raw, n, 0, 0, &f, err, sizeof(err)), RL_OK);
    assert_int_equal(rl_ckpt_decode(f.data, f.len, &c, err, sizeof(err)), RL_ERR_FORMAT);
    free(raw);
    relearn__checkpoint__free_unpacked(m, NULL);
    rl_buf_free(&f);
    rl_buf_free(&b);
}

/* The frame checksum runs through storage/'s own XXH3 (an AVX2 build where the CPU has it): it
 * must give libxxhash's values, one-shot and streamed in any pieces. */
static void test_hash_matches_libxxhash(void **state)
{
    (void)state;
    size_t n = (1u << 20) + 77;
    uint8_t *b = malloc(n);
    assert_non_null(b);
    uint64_t x = 0x9e3779b97f4a7c15ull;
    for (size_t i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        b[i] = (uint8_t)x;
    }
    for (size_t len = 0; len <= 300; len++)
        assert_true(rl_fmt_hash64(b, len) == XXH3_64bits(b, len));
    const size_t lens[] = {1023, 1024, 1025, 4096, 65536 + 3, 1u << 20, n};
    const size_t steps[] = {1, 63, 64, 1000, 262144};
    for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
        uint64_t want = XXH3_64bits(b, lens[i]);
        assert_true(rl_fmt_hash64(b, lens[i]) == want);
        for (size_t k = 0; k < sizeof(steps) / sizeof(steps[0]); k++) {
            rl_fmt_hash h;
            assert_int_equal(rl_fmt_hash_init(&h), 0);
            for (size_t at = 0; at < lens[i]; at += steps[k])
                rl_fmt_hash_update(&h, b + at, lens[i] - at < steps[k] ? lens[i] - at : steps[k]);
            assert_true(rl_fmt_hash_digest(&h) == want);
            rl_fmt_hash_free(&h);
        }
    }
    free(b);
}

static void test_fuzz_corpus_replay(void **state)
{
    (void)state;
    char dir[512], path[1024], err[512];
    snprintf(dir, sizeof(dir), "%s/ckpt", RL_FUZZ_CORPUS);
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *de;
    int n = 0, ok = 0;
    rl_buf b;
    rl_buf_init(&b);
    rl_ckpt c;
    rl_ckpt_init(&c);
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
        assert_int_equal(rl_file_read(path, &b, err, sizeof(err)), RL_OK);
        /* The file reader (which hashes as it reads, into a reused buffer) must judge every
         * seed as the in-memory decoder does. */
        rl_err fe = rl_ckpt_read_file(path, &c, err, sizeof(err));
        rl_err e = rl_ckpt_decode(b.data, b.len, &c, err, sizeof(err));
        if (fe != e)
            fail_msg("%s: read_file says %s, decode %s", path, rl_err_str(fe), rl_err_str(e));
        if (strncmp(de->d_name, "valid", 5) == 0) {
            if (e != RL_OK)
                fail_msg("%s: %s", path, err);
            /* Rebuilding also parses the learner/detector blobs, whose layouts belong to
             * learners/ and drift/ (a seed may predate a change there): it must not crash,
             * and a refusal must say why. */
            rl_model *m = NULL;
            if (rl_ckpt_to_model(&c, NULL, NULL, &m, err, sizeof(err)) != RL_OK)
                assert_true(err[0] != '\0');
            rl_model_destroy(m);
        }
        ok += e == RL_OK;
        n++;
    }
    closedir(d);
    rl_buf_free(&b);
    rl_ckpt_clear(&c);
    assert_true(n >= 4);
    assert_true(ok >= 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip_every_learner_and_detector),
        cmocka_unit_test(test_roundtrip_across_drift_with_challenger),
        cmocka_unit_test(test_corruption_refused),
        cmocka_unit_test(test_newer_versions_refused),
        cmocka_unit_test(test_fuzz_corpus_replay),
        cmocka_unit_test(test_hash_matches_libxxhash),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
