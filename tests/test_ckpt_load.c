/* test_ckpt_load.c - rl_ckpt_load_model, the loader that streams the learner's state from the
 * file into the learner: for every learner kind, plain and zstd, with a detector and a
 * challenger, it gives exactly the model of the buffered path (rl_ckpt_read_file +
 * rl_ckpt_to_model) and takes the streamed path, plain or zstd; every corrupted, truncated or
 * extended file
 * is refused with the buffered path's error; a file in another field order still loads; the
 * directory loader skips bad files and stops at a file that verifies but cannot become a
 * model; and the fuzz corpus is judged as the buffered path judges it. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "storage/ckpt.h"
#include "tests/ckpt_util.h"
#include "tests/ckpt_dir_util.h"

#define RL_FUZZ_CORPUS RL_TEST_DATA "/../fuzz/corpus"

/* plain, zstd, zero-run coded, both */
#define N_FLAG_SETS 4
static const unsigned flag_sets[N_FLAG_SETS] = {0, RL_FRAME_ZSTD, RL_FRAME_ZERO_RUNS,
                                                RL_FRAME_ZSTD | RL_FRAME_ZERO_RUNS};
/* Zero-run coding is used only where it saves an eighth: count the files that got it. */
static int n_zero_runs;

/* A model of config c after n examples of seed 11, written to path with flags; ck keeps what
 * was written. */
static rl_model *write_trained(const rl_model_config *c, int n, const char *path, unsigned flags,
                               rl_ckpt *ck)
{
    char err[256];
    rl_model *m = NULL;
    if (rl_model_new(c, NULL, NULL, &m, err, sizeof(err)) != RL_OK)
        fail_msg("%s: %s", c->learner.learner, err);
    tu_stream s;
    tu_stream_init(&s, 11, rl_model_learner(m), (uint64_t)n * 2 / 3);
    rl_example ex;
    for (int i = 0; i < n; i++) {
        tu_example(&s, &ex, NULL);
        rl_model_step(m, &ex, NULL, NULL);
    }
    rl_ckpt_init(ck);
    assert_int_equal(rl_ckpt_set_ids(ck, "m", "inst", err, sizeof(err)), RL_OK);
    assert_int_equal(rl_ckpt_from_model(ck, m, err, sizeof(err)), RL_OK);
    ck->seq = 3;
    ck->snapshot_version = 2;
    ck->has_published_loss = 1;
    ck->published_loss = 0.25;
    assert_int_equal(rl_ckpt_set_offset(ck, "events", 1, 777, err, sizeof(err)), RL_OK);
    if (rl_ckpt_write_file(path, ck, flags, err, sizeof(err)) != RL_OK)
        fail_msg("write %s: %s", path, err);
    return m;
}

static rl_model *buffered(const char *path)
{
    char err[512];
    rl_ckpt c;
    rl_model *m = NULL;
    rl_ckpt_init(&c);
    if (rl_ckpt_read_file(path, &c, err, sizeof(err)) != RL_OK ||
        rl_ckpt_to_model(&c, NULL, NULL, &m, err, sizeof(err)) != RL_OK)
        fail_msg("buffered load of %s: %s", path, err);
    rl_ckpt_clear(&c);
    return m;
}

static void test_streamed_equals_buffered(void **state)
{
    (void)state;
    static const struct {
        const char *learner, *loss, *schedule;
        uint32_t dense;
    } kinds[] = {
        {"sgd", NULL, NULL, 0},  {"sgd", "hinge", "adagrad", 3}, {"sgd", NULL, "constant", 0},
        {"ogd", NULL, NULL, 2},  {"perceptron", NULL, NULL, 0},  {"avg_perceptron", NULL, NULL, 0},
        {"ftrl", NULL, NULL, 0}, {"softmax", NULL, NULL, 0},
    };
    char path[512], err[512];
    for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
        for (int fi = 0; fi < N_FLAG_SETS; fi++) {
            unsigned flags = flag_sets[fi];
            rl_model_config c;
            tu_config(&c, kinds[k].learner, kinds[k].loss, "adwin", RL_RESPONSE_CHALLENGER, 14);
            c.learner.dense_dim = kinds[k].dense;
            if (kinds[k].schedule)
                assert_int_equal(rl_learner_params_set(&c.learner, "schedule", kinds[k].schedule,
                                                       err, sizeof(err)),
                                 RL_OK);
            snprintf(path, sizeof(path), "%s/k%zu-%u.rlck", tmpdir, k, flags);
            rl_ckpt ck, got;
            rl_model *orig = write_trained(&c, 1500, path, flags, &ck);
            rl_ckpt_init(&got);
            rl_model *m = NULL;
            int stage = -1;
            rl_err e = rl_ckpt_load_model(path, &got, NULL, NULL, &m, &stage, err, sizeof(err));
            if (e != RL_OK)
                fail_msg("%s flags %u: %s", kinds[k].learner, flags, err);
            /* The streamed path was taken: the learner's state never landed in got. */
            if (got.learner_state.len != 0)
                fail_msg("%s flags %u: loaded through the buffered path", kinds[k].learner, flags);
            assert_int_equal(got.seq, 3);
            assert_int_equal(got.snapshot_version, 2);
            assert_true(got.has_published_loss && got.published_loss == 0.25);
            assert_int_equal(got.events, 1500);
            assert_int_equal(rl_ckpt_get_offset(&got, "events", 1), 777);
            assert_int_equal(got.frame.flags & ~RL_FRAME_ZERO_RUNS, flags & ~RL_FRAME_ZERO_RUNS);
            if (!(flags & RL_FRAME_ZERO_RUNS))
                assert_int_equal(got.frame.flags, flags);
            n_zero_runs += (got.frame.flags & RL_FRAME_ZERO_RUNS) != 0;
            assert_string_equal(got.instance_id, "inst");
            rl_model *b = buffered(path);
            tu_assert_same_state(m, b);
            tu_assert_same_state(m, orig);
            /* and they go on identically */
            tu_stream s1, s2;
            tu_stream_init(&s1, 99, rl_model_learner(m), 1u << 30);
            s2 = s1;
            for (int i = 0; i < 200; i++) {
                rl_example e1, e2;
                rl_pred p1, p2;
                tu_example(&s1, &e1, NULL);
                tu_example(&s2, &e2, NULL);
                rl_model_step(m, &e1, NULL, &p1);
                rl_model_step(orig, &e2, NULL, &p2);
                assert_true(tu_same_pred(&p1, &p2));
            }
            rl_model_destroy(m);
            rl_model_destroy(b);
            rl_model_destroy(orig);
            rl_ckpt_clear(&ck);
            rl_ckpt_clear(&got);
        }
    }
    /* the hashed learners at 14 bits after 1500 examples are mostly zeros */
    assert_true(n_zero_runs >= 8);
}

static void read_all(const char *path, rl_buf *b)
{
    char err[256];
    assert_int_equal(rl_file_read(path, b, err, sizeof(err)), RL_OK);
}

/* Every damaged variant of a good file: the streamed loader gives the buffered path's error
 * (code and message) and no model. */
static void test_damage_refused_as_buffered(void **state)
{
    (void)state;
    char good[512], bad[512], e1[512], e2[512];
    for (int fi = 0; fi < N_FLAG_SETS; fi++) {
        unsigned flags = flag_sets[fi];
        rl_model_config c;
        tu_config(&c, "sgd", NULL, "adwin", RL_RESPONSE_ALERT, 12);
        snprintf(good, sizeof(good), "%s/good%u.rlck", tmpdir, flags);
        snprintf(bad, sizeof(bad), "%s/bad%u.rlck", tmpdir, flags);
        rl_ckpt ck;
        rl_model *orig = write_trained(&c, 800, good, flags, &ck);
        rl_buf b;
        rl_buf_init(&b);
        read_all(good, &b);
        size_t n = b.len;
        uint8_t *copy = malloc(n + 1);
        assert_non_null(copy);
        /* flips at 40 places spread over the file (header, fields, blobs, trailer), then cuts
         * at 12, and one byte too many */
        for (int v = 0; v < 53; v++) {
            size_t len = n;
            memcpy(copy, b.data, n);
            if (v < 40) {
                copy[(size_t)v * (n - 1) / 39] ^= 0x10;
            } else if (v < 52) {
                len = (size_t)(v - 40) * n / 12;
            } else {
                copy[n] = 0;
                len = n + 1;
            }
            tu_write_bytes(bad, copy, len);
            rl_ckpt c1, c2;
            rl_ckpt_init(&c1);
            rl_ckpt_init(&c2);
            rl_model *m = NULL;
            int stage = -1;
            rl_err got = rl_ckpt_load_model(bad, &c1, NULL, NULL, &m, &stage, e1, sizeof(e1));
            rl_err want = rl_ckpt_read_file(bad, &c2, e2, sizeof(e2));
            if (got != want || (got != RL_OK && (strcmp(e1, e2) != 0 || m != NULL || stage != 0)))
                fail_msg("flags %u variant %d: streamed %s '%s', buffered %s '%s'", flags, v,
                         rl_err_str(got), e1, rl_err_str(want), e2);
            if (got == RL_OK) /* a flip the format cannot see (none expected): same model */
                fail_msg("flags %u variant %d: a damaged file loaded", flags, v);
            rl_ckpt_clear(&c1);
            rl_ckpt_clear(&c2);
        }
        free(copy);
        rl_buf_free(&b);
        rl_ckpt_clear(&ck);
        rl_model_destroy(orig);
    }
}

/* rl_ckpt_encode packs in field-number order (offsets, dict and published loss after the
 * blobs): not the order the stream expects, so the buffered path loads it, identically. */
static void test_other_field_order_loads(void **state)
{
    (void)state;
    char path[512], err[512];
    rl_model_config c;
    tu_config(&c, "sgd", NULL, NULL, RL_RESPONSE_ALERT, 12);
    snprintf(path, sizeof(path), "%s/order.rlck", tmpdir);
    rl_ckpt ck;
    rl_model *orig = write_trained(&c, 500, path, 0, &ck);
    for (unsigned flags = 0; flags <= RL_FRAME_ZSTD; flags += RL_FRAME_ZSTD) {
        rl_buf b;
        rl_buf_init(&b);
        assert_int_equal(rl_ckpt_encode(&ck, flags, &b, err, sizeof(err)), RL_OK);
        assert_int_equal(rl_file_write_atomic(path, b.data, b.len, err, sizeof(err)), RL_OK);
        rl_ckpt got;
        rl_ckpt_init(&got);
        rl_model *m = NULL;
        assert_int_equal(rl_ckpt_load_model(path, &got, NULL, NULL, &m, NULL, err, sizeof(err)),
                         RL_OK);
        assert_true(got.learner_state.len > 0); /* the buffered path */
        assert_int_equal(got.frame.flags, flags);
        assert_int_equal(rl_ckpt_get_offset(&got, "events", 1), 777);
        tu_assert_same_state(m, orig);
        rl_model_destroy(m);
        rl_ckpt_clear(&got);
        rl_buf_free(&b);
    }
    rl_model_destroy(orig);
    rl_ckpt_clear(&ck);
}

static int n_reports;
static void on_report(void *opaque, const char *path, rl_err err, const char *reason)
{
    (void)opaque;
    (void)path;
    (void)err;
    (void)reason;
    n_reports++;
}

/* The directory loader: the newest file is corrupt (skipped, reported), the one before loads;
 * then a newest file that verifies but whose state does not fit its own config is an error. */
static void test_dir_load_newest_model(void **state)
{
    (void)state;
    char dir[512], path[600], err[1024], got_path[600];
    snprintf(dir, sizeof(dir), "%s/dir", tmpdir);
    assert_int_equal(rl_ckpt_dir_prepare(dir, err, sizeof(err)), RL_OK);
    rl_model_config c;
    tu_config(&c, "sgd", NULL, NULL, RL_RESPONSE_ALERT, 12);
    rl_model *ms[2];
    rl_ckpt ck;
    for (int i = 0; i < 2; i++) {
        assert_int_equal(rl_ckpt_dir_path(dir, (uint64_t)i + 1, path, sizeof(path)), RL_OK);
        ms[i] = write_trained(&c, 300 + 100 * i, path, 0, &ck);
        ck.seq = (uint64_t)i + 1;
        assert_int_equal(rl_ckpt_write_file(path, &ck, 0, err, sizeof(err)), RL_OK);
        rl_ckpt_clear(&ck);
    }
    rl_buf b;
    rl_buf_init(&b);
    read_all(path, &b); /* seq 2: flip a byte in the middle */
    b.data[b.len / 2] ^= 1;
    tu_write_bytes(path, b.data, b.len);
    rl_ckpt got;
    rl_ckpt_init(&got);
    rl_model *m = NULL;
    n_reports = 0;
    assert_int_equal(rl_ckpt_dir_load_newest_model(dir, &got, on_report, NULL, NULL, NULL, &m,
                                                   got_path, sizeof(got_path), err, sizeof(err)),
                     RL_OK);
    assert_int_equal(n_reports, 1);
    assert_int_equal(got.seq, 1);
    assert_non_null(strstr(got_path, "ckpt-00000000000000000001"));
    tu_assert_same_state(m, ms[0]);
    rl_model_destroy(m);

    /* seq 3 verifies, but its config says bits 13 while its learner state is for 12 */
    snprintf(path, sizeof(path), "%s/scratch.rlck", tmpdir);
    rl_model_destroy(write_trained(&c, 100, path, 0, &ck));
    rl_model_destroy(ms[1]);
    ck.seq = 3;
    ck.config.learner.bits = 13;
    assert_int_equal(rl_ckpt_dir_path(dir, 3, path, sizeof(path)), RL_OK);
    assert_int_equal(rl_ckpt_write_file(path, &ck, 0, err, sizeof(err)), RL_OK);
    n_reports = 0;
    m = NULL;
    rl_err e = rl_ckpt_dir_load_newest_model(dir, &got, on_report, NULL, NULL, NULL, &m, NULL, 0,
                                             err, sizeof(err));
    assert_int_not_equal(e, RL_OK);
    assert_null(m);
    assert_int_equal(n_reports, 0);
    assert_non_null(strstr(err, "ckpt-00000000000000000003"));
    rl_ckpt_clear(&ck);
    rl_ckpt_clear(&got);
    rl_buf_free(&b);
    rl_model_destroy(ms[0]);
}

static void test_fuzz_corpus_as_buffered(void **state)
{
    (void)state;
    char dir[512], path[1024], why[1600];
    snprintf(dir, sizeof(dir), "%s/ckpt", RL_FUZZ_CORPUS);
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *de;
    int n = 0;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
        if (!tu_streamed_agrees(path, why, sizeof(why)))
            fail_msg("%s", why);
        n++;
    }
    closedir(d);
    assert_true(n >= 4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_streamed_equals_buffered, tu_setup_dir,
                                        tu_teardown_dir),
        cmocka_unit_test_setup_teardown(test_damage_refused_as_buffered, tu_setup_dir,
                                        tu_teardown_dir),
        cmocka_unit_test_setup_teardown(test_other_field_order_loads, tu_setup_dir,
                                        tu_teardown_dir),
        cmocka_unit_test_setup_teardown(test_dir_load_newest_model, tu_setup_dir, tu_teardown_dir),
        cmocka_unit_test(test_fuzz_corpus_as_buffered),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
