/* test_ckpt.c - checkpoints: exact round trips for every learner and detector, corruption of
 * every kind refused, newer versions refused with a message, atomic writes under injected
 * ENOSPC/EIO, keep-K, loading the newest valid checkpoint, a replay of the fuzz corpus, the
 * frame hash against libxxhash, and file reads that reuse their buffer. */
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

#define RL_FUZZ_CORPUS RL_TEST_DATA "/../fuzz/corpus"

static char tmpdir[256];

static int setup_dir(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/rl_test_ckpt.XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown_dir(void **state)
{
    (void)state;
    rl_ckpt_set_io(NULL); /* a failed test must not leave the fault seam in place */
    DIR *d = opendir(tmpdir);
    if (d) {
        struct dirent *de;
        char p[512];
        while ((de = readdir(d)) != NULL) {
            if (de->d_name[0] == '.')
                continue;
            snprintf(p, sizeof(p), "%s/%s", tmpdir, de->d_name);
            unlink(p);
        }
        closedir(d);
    }
    rmdir(tmpdir);
    return 0;
}

static rl_model *new_model(const rl_model_config *c)
{
    rl_model *m = NULL;
    char err[256];
    rl_err e = rl_model_new(c, NULL, NULL, &m, err, sizeof(err));
    if (e != RL_OK)
        fail_msg("rl_model_new(%s, %s): %s", c->learner.learner, c->detector, err);
    return m;
}

static void step_n(rl_model *m, tu_stream *s, int n)
{
    rl_example ex;
    for (int i = 0; i < n; i++) {
        tu_example(s, &ex, NULL);
        rl_model_step(m, &ex, NULL, NULL);
    }
}

/* Steps a model, checkpoints it through bytes, and checks that the restored one continues
 * bitwise identical to the one that never stopped. Returns the number of drifts seen. */
static uint64_t roundtrip_one(const rl_model_config *c, unsigned flags)
{
    char err[256];
    rl_model *a = new_model(c);
    tu_stream sa, sb;
    tu_stream_init(&sa, 7, rl_model_learner(a), 400);
    step_n(a, &sa, 300);

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
    rl_model *a = new_model(&c);
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
        step_n(a, &s, 97);
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
    rl_model *m = new_model(&c);
    tu_stream s;
    tu_stream_init(&s, 11, rl_model_learner(m), 1000);
    step_n(m, &s, 200);
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

/* ---- fault seam: fail the Nth call of one kind with ENOSPC or EIO ---- */
static int fail_write_after = -1, fail_fsync_after = -1, fail_rename = 0, fail_errno = ENOSPC;
static int short_writes = 0;
static int faulty_open(const char *p, int f, mode_t m)
{
    return open(p, f, m);
}
static ssize_t faulty_write(int fd, const void *p, size_t n)
{
    if (fail_write_after == 0) {
        errno = fail_errno;
        return -1;
    }
    if (fail_write_after > 0)
        fail_write_after--;
    if (short_writes > 0) {
        /* short writes, so the write loop has to come back for the rest */
        short_writes--;
        return write(fd, p, n > 100 ? 100 : n);
    }
    return write(fd, p, n);
}
static int faulty_fsync(int fd)
{
    if (fail_fsync_after == 0) {
        errno = fail_errno;
        return -1;
    }
    if (fail_fsync_after > 0)
        fail_fsync_after--;
    return fsync(fd);
}
static int faulty_rename(const char *a, const char *b)
{
    if (fail_rename) {
        errno = fail_errno;
        return -1;
    }
    return rename(a, b);
}
static const rl_ckpt_io faulty_io = {1,     faulty_open,   faulty_write, faulty_fsync,
                                     close, faulty_rename, unlink};

static int count_files(const char *dir, const char *needle)
{
    int n = 0;
    DIR *d = opendir(dir);
    struct dirent *de;
    while (d && (de = readdir(d)) != NULL)
        if (strstr(de->d_name, needle))
            n++;
    if (d)
        closedir(d);
    return n;
}

static rl_model *model_for_dir(void)
{
    rl_model_config c;
    tu_config(&c, "sgd", NULL, "page_hinkley", RL_RESPONSE_ALERT, 11);
    return new_model(&c);
}

static void test_atomic_write_survives_faults(void **state)
{
    (void)state;
    char err[512], path[512];
    rl_model *m = model_for_dir();
    tu_stream s;
    tu_stream_init(&s, 5, rl_model_learner(m), 100000);
    rl_ckpt ck, back;
    rl_ckpt_init(&ck);
    rl_ckpt_init(&back);
    step_n(m, &s, 50);
    assert_int_equal(rl_ckpt_from_model(&ck, m, err, sizeof(err)), RL_OK);
    ck.seq = 1;
    assert_int_equal(
        rl_ckpt_dir_write(tmpdir, &ck, 0, 3, NULL, NULL, path, sizeof(path), err, sizeof(err)),
        RL_OK);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);

    rl_ckpt_set_io(&faulty_io);
    struct {
        int w, f, r, en;
    } faults[] = {{0, -1, 0, ENOSPC}, {2, -1, 0, ENOSPC}, {-1, 0, 0, EIO}, {-1, -1, 1, EIO}};
    for (size_t k = 0; k < sizeof(faults) / sizeof(faults[0]); k++) {
        fail_write_after = faults[k].w;
        fail_fsync_after = faults[k].f;
        fail_rename = faults[k].r;
        fail_errno = faults[k].en;
        short_writes = 2;
        step_n(m, &s, 10);
        assert_int_equal(rl_ckpt_from_model(&ck, m, err, sizeof(err)), RL_OK);
        ck.seq = 2 + k;
        rl_err e = rl_ckpt_dir_write(tmpdir, &ck, 0, 3, NULL, NULL, NULL, 0, err, sizeof(err));
        assert_int_equal(e, RL_ERR_IO);
        assert_non_null(strstr(err, strerror(faults[k].en)));
        assert_non_null(strstr(err, tmpdir)); /* names the path */
        /* The previous checkpoint is still the newest that loads; no temp file is left. */
        assert_int_equal(rl_ckpt_dir_load_newest(tmpdir, &back, NULL, NULL, path, sizeof(path), err,
                                                 sizeof(err)),
                         RL_OK);
        assert_int_equal(back.seq, 1);
        assert_int_equal(back.events, 50);
        assert_int_equal(count_files(tmpdir, ".tmp."), 0);
        assert_int_equal(count_files(tmpdir, ".rlck"), 1);
    }
    /* The directory fsync fails after the rename: the write reports the error (so the caller
     * does not commit offsets on it), yet whatever is loaded is a complete checkpoint. */
    fail_write_after = -1;
    fail_fsync_after = 1;
    fail_rename = 0;
    fail_errno = EIO;
    ck.seq = 9;
    assert_int_equal(rl_ckpt_dir_write(tmpdir, &ck, 0, 3, NULL, NULL, NULL, 0, err, sizeof(err)),
                     RL_ERR_IO);
    if (!strstr(err, "fsync directory"))
        fail_msg("%s", err);
    assert_int_equal(rl_ckpt_dir_load_newest(tmpdir, &back, NULL, NULL, NULL, 0, err, sizeof(err)),
                     RL_OK);
    assert_true(back.seq == 9 || back.seq == 1);
    /* Once the disk recovers, writes succeed again (short writes included). */
    fail_write_after = -1;
    fail_fsync_after = -1;
    fail_rename = 0;
    short_writes = 5;
    ck.seq = 10;
    assert_int_equal(rl_ckpt_dir_write(tmpdir, &ck, 0, 3, NULL, NULL, NULL, 0, err, sizeof(err)),
                     RL_OK);
    rl_ckpt_set_io(NULL);
    assert_int_equal(rl_ckpt_dir_load_newest(tmpdir, &back, NULL, NULL, NULL, 0, err, sizeof(err)),
                     RL_OK);
    assert_int_equal(back.seq, 10);
    rl_ckpt_clear(&ck);
    rl_ckpt_clear(&back);
    rl_model_destroy(m);
}

typedef struct reports {
    int n;
    char paths[8][512];
    rl_err errs[8];
} reports;

static void on_report(void *opaque, const char *path, rl_err err, const char *reason)
{
    reports *r = opaque;
    assert_non_null(reason);
    assert_true(reason[0] != '\0');
    if (r->n < 8) {
        snprintf(r->paths[r->n], sizeof(r->paths[r->n]), "%s", path);
        r->errs[r->n] = err;
    }
    r->n++;
}

static void test_keep_k_and_load_newest_valid(void **state)
{
    (void)state;
    char err[512], path[512];
    rl_model *m = model_for_dir();
    tu_stream s;
    tu_stream_init(&s, 9, rl_model_learner(m), 100000);
    rl_ckpt ck, back;
    rl_ckpt_init(&ck);
    rl_ckpt_init(&back);
    for (uint64_t seq = 1; seq <= 6; seq++) {
        step_n(m, &s, 10);
        assert_int_equal(rl_ckpt_from_model(&ck, m, err, sizeof(err)), RL_OK);
        ck.seq = seq;
        assert_int_equal(rl_ckpt_dir_write(tmpdir, &ck, seq % 2 ? RL_FRAME_ZSTD : 0, 3, NULL, NULL,
                                           NULL, 0, err, sizeof(err)),
                         RL_OK);
    }
    assert_int_equal(count_files(tmpdir, ".rlck"), 3);
    for (uint64_t seq = 4; seq <= 6; seq++) {
        assert_int_equal(rl_ckpt_dir_path(tmpdir, seq, path, sizeof(path)), RL_OK);
        assert_int_equal(access(path, F_OK), 0);
    }
    /* Newest (6) truncated, 5 bit-flipped: 4 is loaded, 6 and 5 reported. */
    assert_int_equal(rl_ckpt_dir_path(tmpdir, 6, path, sizeof(path)), RL_OK);
    assert_int_equal(truncate(path, 100), 0);
    assert_int_equal(rl_ckpt_dir_path(tmpdir, 5, path, sizeof(path)), RL_OK);
    int fd = open(path, O_RDWR);
    assert_true(fd >= 0);
    uint8_t byte;
    assert_int_equal(pread(fd, &byte, 1, 40), 1);
    byte ^= 0x10;
    assert_int_equal(pwrite(fd, &byte, 1, 40), 1);
    close(fd);
    /* and an empty file newer than all of them */
    assert_int_equal(rl_ckpt_dir_path(tmpdir, 7, path, sizeof(path)), RL_OK);
    fd = open(path, O_CREAT | O_WRONLY, 0600);
    close(fd);
    reports r = {0};
    assert_int_equal(
        rl_ckpt_dir_load_newest(tmpdir, &back, on_report, &r, path, sizeof(path), err, sizeof(err)),
        RL_OK);
    assert_int_equal(back.seq, 4);
    assert_int_equal(back.events, 40);
    assert_int_equal(r.n, 3);
    assert_non_null(strstr(r.paths[0], "ckpt-00000000000000000007.rlck"));
    assert_int_equal(r.errs[0], RL_ERR_FORMAT);
    assert_non_null(strstr(r.paths[1], "ckpt-00000000000000000006.rlck"));
    assert_int_equal(r.errs[1], RL_ERR_FORMAT);
    assert_non_null(strstr(r.paths[2], "ckpt-00000000000000000005.rlck"));
    /* the flip landed in the payload of a zstd or plain file: checksum either way */
    assert_int_equal(r.errs[2], RL_ERR_CHECKSUM);
    /* The restored model continues from 40 events. */
    rl_model *b = NULL;
    assert_int_equal(rl_ckpt_to_model(&back, NULL, NULL, &b, err, sizeof(err)), RL_OK);
    assert_int_equal(rl_model_position(b), 40);
    rl_model_destroy(b);

    /* Writing seq 8 prunes down to 3 files, never the one just written. */
    ck.seq = 8;
    assert_int_equal(rl_ckpt_dir_write(tmpdir, &ck, 0, 3, NULL, NULL, NULL, 0, err, sizeof(err)),
                     RL_OK);
    assert_int_equal(count_files(tmpdir, ".rlck"), 3);
    assert_int_equal(rl_ckpt_dir_path(tmpdir, 8, path, sizeof(path)), RL_OK);
    assert_int_equal(access(path, F_OK), 0);

    /* Nothing valid at all: NOT_FOUND with every file reported. */
    char empty[300];
    snprintf(empty, sizeof(empty), "%s/none", tmpdir);
    assert_int_equal(mkdir(empty, 0700), 0);
    assert_int_equal(rl_ckpt_dir_load_newest(empty, &back, NULL, NULL, NULL, 0, err, sizeof(err)),
                     RL_ERR_NOT_FOUND);
    rmdir(empty);
    rl_ckpt_clear(&ck);
    rl_ckpt_clear(&back);
    rl_model_destroy(m);
}

static void test_world_writable_dir_refused(void **state)
{
    (void)state;
    char err[512], dir[300];
    snprintf(dir, sizeof(dir), "%s/ww", tmpdir);
    assert_int_equal(rl_ckpt_dir_prepare(dir, err, sizeof(err)), RL_OK); /* creates it */
    struct stat st;
    assert_int_equal(stat(dir, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
    assert_int_equal(chmod(dir, 0777), 0);
    assert_int_equal(rl_ckpt_dir_prepare(dir, err, sizeof(err)), RL_ERR_IO);
    assert_non_null(strstr(err, "world-writable"));
    assert_non_null(strstr(err, dir));
    rl_ckpt c;
    rl_ckpt_init(&c);
    assert_int_equal(rl_ckpt_dir_write(dir, &c, 0, 3, NULL, NULL, NULL, 0, err, sizeof(err)),
                     RL_ERR_IO);
    char file[400];
    snprintf(file, sizeof(file), "%s/x.rlck", dir);
    assert_int_equal(rl_file_write_atomic(file, "x", 1, err, sizeof(err)), RL_ERR_IO);
    rmdir(dir);
    /* Not a directory */
    snprintf(file, sizeof(file), "%s/plain", tmpdir);
    assert_int_equal(rl_file_write_atomic(file, "x", 1, err, sizeof(err)), RL_OK);
    assert_int_equal(rl_ckpt_dir_prepare(file, err, sizeof(err)), RL_ERR_IO);
    assert_non_null(strstr(err, "not a directory"));
    unlink(file);
}

static void test_save_model_file(void **state)
{
    (void)state;
    char err[512], path[300];
    snprintf(path, sizeof(path), "%s/eval.rlck", tmpdir);
    rl_model *m = model_for_dir();
    tu_stream s;
    tu_stream_init(&s, 13, rl_model_learner(m), 100000);
    step_n(m, &s, 77);
    assert_int_equal(rl_ckpt_save_model_file(path, m, "evalmodel", NULL, err, sizeof(err)), RL_OK);
    rl_ckpt c;
    rl_ckpt_init(&c);
    assert_int_equal(rl_ckpt_read_file(path, &c, err, sizeof(err)), RL_OK);
    assert_string_equal(c.model_name, "evalmodel");
    assert_int_equal(c.events, 77);
    rl_model *b = NULL;
    assert_int_equal(rl_ckpt_to_model(&c, NULL, NULL, &b, err, sizeof(err)), RL_OK);
    tu_assert_same_state(m, b);
    /* A checkpoint read from a file (blobs borrowed from the mapping) can be reused for the
     * next capture and encoded again. */
    step_n(m, &s, 5);
    assert_int_equal(rl_ckpt_from_model(&c, m, err, sizeof(err)), RL_OK);
    rl_buf again;
    rl_buf_init(&again);
    assert_int_equal(rl_ckpt_encode(&c, 0, &again, err, sizeof(err)), RL_OK);
    rl_ckpt d;
    rl_ckpt_init(&d);
    assert_int_equal(rl_ckpt_decode(again.data, again.len, &d, err, sizeof(err)), RL_OK);
    assert_int_equal(d.events, 82);
    /* A blob field repeated in the payload: the last occurrence wins, as in protobuf. */
    size_t plen = again.len - RL_FRAME_HEADER_LEN - RL_FRAME_TRAILER_LEN;
    rl_buf pay;
    rl_buf_init(&pay);
    rl_buf_put(&pay, again.data + RL_FRAME_HEADER_LEN, plen);
    const uint8_t extra[] = {0x5a, 0x03, 'a', 'b', 'c'}; /* field 11 (detector) = "abc" */
    rl_buf_put(&pay, extra, sizeof(extra));
    rl_buf_reset(&again);
    assert_int_equal(
        rl_frame_encode(RL_MAGIC_CKPT, pay.data, pay.len, 0, 0, &again, err, sizeof(err)), RL_OK);
    assert_int_equal(rl_ckpt_decode(again.data, again.len, &d, err, sizeof(err)), RL_OK);
    assert_int_equal(d.detector_state.len, 3);
    assert_memory_equal(d.detector_state.data, "abc", 3);
    rl_ckpt_clear(&d);
    rl_buf_free(&pay);
    rl_buf_free(&again);
    /* A missing file names the path. */
    snprintf(path, sizeof(path), "%s/missing.rlck", tmpdir);
    assert_int_equal(rl_ckpt_read_file(path, &c, err, sizeof(err)), RL_ERR_NOT_FOUND);
    assert_non_null(strstr(err, path));
    rl_model_destroy(b);
    rl_model_destroy(m);
    rl_ckpt_clear(&c);
}

/* Replays the committed fuzz corpus through the decoder under plain gcc (and ASan in the
 * sanitizer build): nothing may crash, and the seeds that are valid files must decode. */
/* Writes m's checkpoint to dir with RL_CKPT_COMPRESS_AUTO and returns the stored flags, after
 * checking that it reads back to the same state. The file has what AUTO chose, less zero runs
 * where they do not pay. */
static unsigned auto_written_flags(rl_model *m, uint64_t seq)
{
    char err[512], path[512];
    rl_ckpt ck, back;
    rl_ckpt_init(&ck);
    rl_ckpt_init(&back);
    assert_int_equal(rl_ckpt_from_model(&ck, m, err, sizeof(err)), RL_OK);
    ck.seq = seq;
    assert_int_equal(rl_ckpt_dir_write(tmpdir, &ck, RL_CKPT_COMPRESS_AUTO, 3, NULL, NULL, path,
                                       sizeof(path), err, sizeof(err)),
                     RL_OK);
    unsigned chosen = rl_ckpt_auto_flags(&ck);
    assert_int_equal(rl_ckpt_read_file(path, &back, err, sizeof(err)), RL_OK);
    assert_int_equal(back.frame.flags & ~RL_FRAME_ZERO_RUNS, chosen & ~RL_FRAME_ZERO_RUNS);
    assert_true(!(back.frame.flags & RL_FRAME_ZERO_RUNS) || (chosen & RL_FRAME_ZERO_RUNS));
    chosen = back.frame.flags;
    rl_model *m2 = NULL;
    assert_int_equal(rl_ckpt_to_model(&back, NULL, NULL, &m2, err, sizeof(err)), RL_OK);
    tu_assert_same_state(m, m2);
    rl_model_destroy(m2);
    rl_ckpt_clear(&back);
    rl_ckpt_clear(&ck);
    return chosen;
}

static void test_compress_auto_by_content(void **state)
{
    (void)state;
    char err[256];
    rl_model_config c;
    /* 2^18 weights (1 MiB), so the fixed ~64 KiB of mostly-zero metrics in the rest blob is
     * small beside them, as in any real model. */
    tu_config(&c, "sgd", NULL, NULL, RL_RESPONSE_ALERT, 18);
    c.learner.schedule = RL_SCHED_CONSTANT;
    rl_model *m = new_model(&c);
    tu_stream s;
    tu_stream_init(&s, 5, rl_model_learner(m), 100000);
    step_n(m, &s, 50);
    /* A few hundred touched weights out of 2^18: mostly zero bytes, so zero runs and zstd. */
    assert_int_equal(auto_written_flags(m, 1), RL_FRAME_ZERO_RUNS | RL_FRAME_ZSTD);

    /* Every weight set to a distinct non-zero float: zstd would gain little, so plain. */
    size_t n = (size_t)1 << 18;
    float *w = malloc((n + 1) * sizeof(float));
    assert_non_null(w);
    for (size_t i = 0; i <= n; i++)
        w[i] = (float)(tu_u01(&s) - 0.5) + 1e-3f;
    rl_weights v = {w, n, NULL, 0, w + n, 1};
    assert_int_equal(rl_learner_set_weights(rl_model_learner(m), &v, err, sizeof(err)), RL_OK);
    assert_int_equal(auto_written_flags(m, 2), 0);
    /* Asked for zero runs outright, a dense state is still written plain: the coding would not
     * save an eighth, and a plain file stays readable by builds that predate it. */
    {
        rl_ckpt ck, back;
        char path[512];
        rl_ckpt_init(&ck);
        rl_ckpt_init(&back);
        snprintf(path, sizeof(path), "%s/dense-zr.rlck", tmpdir);
        assert_int_equal(rl_ckpt_from_model(&ck, m, err, sizeof(err)), RL_OK);
        assert_int_equal(rl_ckpt_write_file(path, &ck, RL_FRAME_ZERO_RUNS, err, sizeof(err)),
                         RL_OK);
        assert_int_equal(rl_ckpt_read_file(path, &back, err, sizeof(err)), RL_OK);
        assert_int_equal(back.frame.flags, 0);
        assert_int_equal(back.frame.payload_len, back.frame.raw_len);
        rl_ckpt_clear(&back);
        rl_ckpt_clear(&ck);
    }

    /* Half the weights zero, as whole floats: the sampled zero bytes decide (>= half: zstd);
     * runs of 4 zero bytes are too short for zero runs, so the file has zstd alone. */
    for (size_t i = 0; i < n; i += 2)
        w[i] = 0.0f;
    assert_int_equal(rl_learner_set_weights(rl_model_learner(m), &v, err, sizeof(err)), RL_OK);
    assert_int_equal(auto_written_flags(m, 3), RL_FRAME_ZSTD);
    free(w);

    /* An unknown flag next to AUTO is still refused, naming the path. */
    rl_ckpt ck;
    rl_ckpt_init(&ck);
    assert_int_equal(rl_ckpt_from_model(&ck, m, err, sizeof(err)), RL_OK);
    char path[512];
    snprintf(path, sizeof(path), "%s/bad.rlck", tmpdir);
    assert_int_equal(
        rl_ckpt_write_file(path, &ck, RL_CKPT_COMPRESS_AUTO | 0x4000u, err, sizeof(err)),
        RL_ERR_INVALID_ARG);
    assert_non_null(strstr(err, "bad.rlck"));
    assert_int_equal(access(path, F_OK), -1);
    rl_ckpt_clear(&ck);
    rl_model_destroy(m);
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

/* A model of 2^bits weights, `every`-th one set (1: dense), exported into ck. */
static rl_model *filled_model(uint32_t bits, size_t every, rl_ckpt *ck)
{
    char err[256];
    rl_model_config c;
    tu_config(&c, "sgd", NULL, NULL, RL_RESPONSE_ALERT, bits);
    c.learner.schedule = RL_SCHED_CONSTANT;
    rl_model *m = new_model(&c);
    size_t n = (size_t)1 << bits;
    float *w = calloc(n + 1, sizeof(float));
    assert_non_null(w);
    for (size_t i = 0; i < n; i += every)
        w[i] = (float)i * 1e-3f - 7.0f;
    w[n] = 0.5f;
    rl_weights v = {w, n, NULL, 0, w + n, 1};
    assert_int_equal(rl_learner_set_weights(rl_model_learner(m), &v, err, sizeof(err)), RL_OK);
    free(w);
    rl_ckpt_init(ck);
    assert_int_equal(rl_ckpt_from_model(ck, m, err, sizeof(err)), RL_OK);
    return m;
}

static void assert_same_blobs(const rl_ckpt *a, const rl_ckpt *b)
{
    assert_int_equal(a->learner_state.len, b->learner_state.len);
    assert_memory_equal(a->learner_state.data, b->learner_state.data, a->learner_state.len);
    assert_int_equal(a->rest_state.len, b->rest_state.len);
    assert_memory_equal(a->rest_state.data, b->rest_state.data, a->rest_state.len);
    assert_int_equal(a->detector_state.len, b->detector_state.len);
}

/* rl_ckpt_read_file reads the file (hashing it as it arrives) and reuses the buffer of the
 * checkpoint the rl_ckpt held before: loads of different sizes and compressions in any order
 * into one rl_ckpt give exactly what was written, and corruption is still caught. */
static void test_file_reads_reuse_and_verify(void **state)
{
    (void)state;
    char err[512], p[4][512];
    rl_ckpt w[3];
    rl_model *m[3];
    m[0] = filled_model(18, 1, &w[0]);   /* 1 MiB dense: huge-page buffer */
    m[1] = filled_model(18, 100, &w[1]); /* mostly zero: written with zstd */
    m[2] = filled_model(12, 1, &w[2]);   /* small */
    const unsigned flags[3] = {0, RL_FRAME_ZSTD, 0};
    for (int i = 0; i < 3; i++) {
        snprintf(p[i], sizeof(p[i]), "%s/f%d.rlck", tmpdir, i);
        assert_int_equal(rl_ckpt_write_file(p[i], &w[i], flags[i], err, sizeof(err)), RL_OK);
    }
    snprintf(p[3], sizeof(p[3]), "%s/bad.rlck", tmpdir);
    rl_buf good;
    rl_buf_init(&good);
    assert_int_equal(rl_file_read(p[0], &good, err, sizeof(err)), RL_OK);

    rl_ckpt c;
    rl_ckpt_init(&c);
    const int order[] = {0, 1, 0, 2, 1, 1, 0, 2, 0};
    for (size_t k = 0; k < sizeof(order) / sizeof(order[0]); k++) {
        int i = order[k];
        rl_err e = rl_ckpt_read_file(p[i], &c, err, sizeof(err));
        if (e != RL_OK)
            fail_msg("read %s: %s", p[i], err);
        assert_int_equal(c.frame.flags, flags[i]);
        assert_same_blobs(&c, &w[i]);
        rl_model *back = NULL;
        assert_int_equal(rl_ckpt_to_model(&c, NULL, NULL, &back, err, sizeof(err)), RL_OK);
        tu_assert_same_state(back, m[i]);
        rl_model_destroy(back);
    }
    /* A flipped bit in the weights, past the first read chunk: the hash taken while reading
     * says so, and c is left empty. */
    size_t at = good.len - 300000;
    good.data[at] ^= 0x10;
    tu_write_bytes(p[3], good.data, good.len);
    assert_int_equal(rl_ckpt_read_file(p[3], &c, err, sizeof(err)), RL_ERR_CHECKSUM);
    assert_non_null(strstr(err, "bad.rlck"));
    assert_int_equal(c.learner_state.len, 0);
    good.data[at] ^= 0x10;
    /* A flipped trailer, a truncated file and an empty one. */
    good.data[good.len - 1] ^= 1;
    tu_write_bytes(p[3], good.data, good.len);
    assert_int_equal(rl_ckpt_read_file(p[3], &c, err, sizeof(err)), RL_ERR_CHECKSUM);
    good.data[good.len - 1] ^= 1;
    tu_write_bytes(p[3], good.data, good.len - 1);
    assert_int_equal(rl_ckpt_read_file(p[3], &c, err, sizeof(err)), RL_ERR_FORMAT);
    tu_write_bytes(p[3], good.data, 0);
    assert_int_equal(rl_ckpt_read_file(p[3], &c, err, sizeof(err)), RL_ERR_FORMAT);
    assert_non_null(strstr(err, "empty"));
    /* The untouched bytes load again, into the same rl_ckpt. */
    tu_write_bytes(p[3], good.data, good.len);
    assert_int_equal(rl_ckpt_read_file(p[3], &c, err, sizeof(err)), RL_OK);
    assert_same_blobs(&c, &w[0]);
    /* Not there / not a file. */
    assert_int_equal(rl_ckpt_read_file(tmpdir, &c, err, sizeof(err)), RL_ERR_IO);
    unlink(p[3]);
    assert_int_equal(rl_ckpt_read_file(p[3], &c, err, sizeof(err)), RL_ERR_NOT_FOUND);
    rl_ckpt_clear(&c);
    rl_buf_free(&good);
    for (int i = 0; i < 3; i++) {
        rl_ckpt_clear(&w[i]);
        rl_model_destroy(m[i]);
    }
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
        cmocka_unit_test_setup_teardown(test_atomic_write_survives_faults, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_keep_k_and_load_newest_valid, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_world_writable_dir_refused, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_save_model_file, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_compress_auto_by_content, setup_dir, teardown_dir),
        cmocka_unit_test(test_fuzz_corpus_replay),
        cmocka_unit_test(test_hash_matches_libxxhash),
        cmocka_unit_test_setup_teardown(test_file_reads_reuse_and_verify, setup_dir, teardown_dir),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
