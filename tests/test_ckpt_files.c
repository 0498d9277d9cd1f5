/* test_ckpt_files.c - checkpoints as files: atomic writes under injected ENOSPC/EIO, keep-K and
 * loading the newest valid checkpoint, a world-writable directory refused, relearn eval --save's
 * file, the compression chosen by content, and file reads that reuse their buffer. */
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
    return tu_new_model(&c);
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
    tu_step_n(m, &s, 50);
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
        tu_step_n(m, &s, 10);
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
        tu_step_n(m, &s, 10);
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
    tu_step_n(m, &s, 77);
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
    tu_step_n(m, &s, 5);
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
    rl_model *m = tu_new_model(&c);
    tu_stream s;
    tu_stream_init(&s, 5, rl_model_learner(m), 100000);
    tu_step_n(m, &s, 50);
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

/* A model of 2^bits weights, `every`-th one set (1: dense), exported into ck. */
static rl_model *filled_model(uint32_t bits, size_t every, rl_ckpt *ck)
{
    char err[256];
    rl_model_config c;
    tu_config(&c, "sgd", NULL, NULL, RL_RESPONSE_ALERT, bits);
    c.learner.schedule = RL_SCHED_CONSTANT;
    rl_model *m = tu_new_model(&c);
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_atomic_write_survives_faults, tu_setup_dir,
                                        tu_teardown_dir),
        cmocka_unit_test_setup_teardown(test_keep_k_and_load_newest_valid, tu_setup_dir,
                                        tu_teardown_dir),
        cmocka_unit_test_setup_teardown(test_world_writable_dir_refused, tu_setup_dir,
                                        tu_teardown_dir),
        cmocka_unit_test_setup_teardown(test_save_model_file, tu_setup_dir, tu_teardown_dir),
        cmocka_unit_test_setup_teardown(test_compress_auto_by_content, tu_setup_dir,
                                        tu_teardown_dir),
        cmocka_unit_test_setup_teardown(test_file_reads_reuse_and_verify, tu_setup_dir,
                                        tu_teardown_dir),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
