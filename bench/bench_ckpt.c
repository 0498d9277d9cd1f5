/* bench_ckpt.c - checkpoint and snapshot write/load time and size against a plain fsync'd
 * write() / read() of the raw weight array, in the same run.
 *
 *   bench_ckpt [DIR] [REPS] [BITS]   (DIR on a real disk, default ./bench-ckpt.tmp; REPS
 *                                    default 3; BITS: only that size, e.g. 22, for profiling)
 *
 * Model: sgd with the constant schedule (one float of state per weight, so the checkpoint
 * carries the same 4 bytes a weight as the raw array), 2^18, 2^22 and 2^24 weights, "dense"
 * (every weight set) and "sparse" (1% set); checkpoints plain, zero-run coded, zstd (level
 * 1) and both; snapshots plain and zstd.
 * The checkpoint writer reuses one rl_ckpt across checkpoints and the snapshot writer one
 * encode buffer across snapshots, as relearnd does (rld_ckpt, rld_publish).
 *
 * Loads are measured twice, like for like against the raw read:
 *   warm: the destination is reused memory, already faulted in: the raw read goes into one
 *         buffer allocated (and touched) once; the checkpoint load reads into one rl_ckpt
 *         (whose file buffer rl_ckpt_read_file reuses) and imports into one model, both
 *         created (and loaded) once. This isolates what the loader adds (checksum, decode,
 *         copies) and is the strict comparison.
 *   cold: the destination is fresh memory, as in a process that just started: the raw read
 *         goes into a fresh anonymous mapping (mmap/munmap per round) with the page policy of
 *         sgd's state (huge pages from 2 MiB up); the checkpoint load builds a fresh model
 *         with rl_ckpt_load_model, as relearnd does at start (the learner's state read, or
 *         decompressed, from the file straight into the fresh model), and a snapshot load
 *         decodes into fresh
 *         arrays (it always does, so it has no warm figure).
 * malloc's mmap threshold is pinned (M_MMAP_THRESHOLD), so a large block freed in one round is
 * not handed back, already mapped, in the next: glibc otherwise raises the threshold after the
 * first free and cold loads turn into something between cold and warm.
 * Times are the best of REPS:
 *   raw write:  open, write(4N bytes), fsync, close
 *   raw read:   open, read(4N bytes), close (page cache warm)
 *   ckpt write: rl_ckpt_from_model (export) + rl_ckpt_write_file (temp, write, fsync, rename,
 *               fsync dir)
 *   ckpt load:  warm: rl_ckpt_read_file (read, verify, decode) + rl_model_import into the
 *               existing model; cold: rl_ckpt_load_model (verify while the learner reads its
 *               state from the file)
 *   snap write: rl_snapshot_encode_model (dense or sparse rows) into the reused buffer +
 *               rl_snapshot_write_file
 *   snap load:  rl_snapshot_read_file (map, verify, decode; sparse rows stay sparse)
 * Output: one Markdown table row per case, ratios against raw write / raw read. */
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "storage/ckpt.h"
#include "storage/snapshot.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void die(const char *what, const char *err)
{
    fprintf(stderr, "bench_ckpt: %s: %s\n", what, err);
    exit(1);
}

static double raw_write(const char *path, const float *w, size_t n)
{
    double t = now_s();
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0)
        die(path, strerror(errno));
    const char *p = (const char *)w;
    size_t left = n * sizeof(float);
    while (left) {
        ssize_t k = write(fd, p, left);
        if (k <= 0)
            die(path, strerror(errno));
        p += k;
        left -= (size_t)k;
    }
    if (fsync(fd) != 0 || close(fd) != 0)
        die(path, strerror(errno));
    return now_s() - t;
}

#define HUGE_PAGE ((size_t)2 << 20)

/* warm != NULL: into that buffer (allocated and touched once by the caller); else into a fresh
 * anonymous mapping, as a process that just started has (every page faults in). The fresh
 * mapping follows the page policy of the memory a cold load fills (sgd's state, see
 * learners/sgd.c): from 2 MiB up aligned to and advised for transparent huge pages, below that
 * ordinary 4 KiB pages. */
static double raw_read(const char *path, size_t n, float *warm)
{
    size_t bytes = n * sizeof(float), len = 0;
    void *map = NULL;
    double t = now_s();
    float *buf = warm;
    if (!warm) {
        len = bytes >= HUGE_PAGE ? bytes + HUGE_PAGE : bytes;
        map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (map == MAP_FAILED)
            die(path, "mmap");
        buf = map;
        if (bytes >= HUGE_PAGE) {
            buf = (float *)(((uintptr_t)map + HUGE_PAGE - 1) & ~(uintptr_t)(HUGE_PAGE - 1));
            madvise(buf, bytes, MADV_HUGEPAGE);
        }
    }
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        die(path, "open");
    char *p = (char *)buf;
    size_t left = bytes;
    while (left) {
        ssize_t k = read(fd, p, left);
        if (k <= 0)
            die(path, "short read");
        p += k;
        left -= (size_t)k;
    }
    close(fd);
    t = now_s() - t;
    /* touch so the read cannot be optimized away */
    volatile float sink = buf[n / 2];
    (void)sink;
    if (map)
        munmap(map, len);
    return t;
}

static rl_model *make_model(uint32_t bits, double density, float **weights)
{
    rl_model_config c;
    rl_model *m = NULL;
    char err[256];
    rl_model_config_default(&c);
    c.learner.bits = bits;
    c.learner.schedule = RL_SCHED_CONSTANT;
    if (rl_model_new(&c, NULL, NULL, &m, err, sizeof(err)) != RL_OK)
        die("model", err);
    size_t n = (size_t)1 << bits;
    float *w = calloc(n + 1, sizeof(float));
    uint64_t x = 88172645463325252ull;
    for (size_t i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        if ((double)(x >> 11) / 9007199254740992.0 < density)
            w[i] = (float)((double)(x >> 40) / (double)(1 << 24) - 0.5);
    }
    w[n] = 0.25f;
    rl_weights v = {w, n, NULL, 0, w + n, 1};
    if (rl_learner_set_weights(rl_model_learner(m), &v, err, sizeof(err)) != RL_OK)
        die("set_weights", err);
    *weights = w;
    return m;
}

static off_t file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? st.st_size : -1;
}

static double minf(double a, double b)
{
    return a < b ? a : b;
}

/* One table row; negative times print as "-". */
static void row(uint32_t bits, const char *fill, const char *what, const char *z, long long bytes,
                double w, double rw, double lw, double rrw, double lc, double rrc)
{
    char f[3][64];
    if (w >= 0)
        snprintf(f[0], sizeof(f[0]), "%.4f | %.2f", w, w / rw);
    else
        snprintf(f[0], sizeof(f[0]), "- | -");
    if (lw >= 0)
        snprintf(f[1], sizeof(f[1]), "%.4f | %.2f", lw, lw / rrw);
    else
        snprintf(f[1], sizeof(f[1]), "- | -");
    if (lc >= 0)
        snprintf(f[2], sizeof(f[2]), "%.4f | %.2f", lc, lc / rrc);
    else
        snprintf(f[2], sizeof(f[2]), "- | -");
    printf("| 2^%u | %s | %s | %s | %lld | %s | %s | %s |\n", bits, fill, what, z, bytes, f[0],
           f[1], f[2]);
    fflush(stdout);
}

/* The coding asked for, and what the file got when zero runs did not pay. */
static const char *coding_name(unsigned asked, unsigned got)
{
    if (asked & RL_FRAME_ZERO_RUNS && !(got & RL_FRAME_ZERO_RUNS))
        return asked & RL_FRAME_ZSTD ? "zero runs + zstd (zstd only: runs did not pay)"
                                     : "zero runs (plain: runs did not pay)";
    switch (asked) {
    case 0:
        return "plain";
    case RL_FRAME_ZERO_RUNS:
        return "zero runs";
    case RL_FRAME_ZSTD:
        return "zstd";
    default:
        return "zero runs + zstd";
    }
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : "./bench-ckpt.tmp";
    int reps = argc > 2 ? atoi(argv[2]) : 3;
    uint32_t only_bits = argc > 3 ? (uint32_t)atoi(argv[3]) : 0;
    char err[512], raw[1024], ck[1024], sn[1024];
    if (reps < 1)
        reps = 1;
    /* Pinned: large blocks are fresh mappings every time (see the top of this file). */
    mallopt(M_MMAP_THRESHOLD, 128 * 1024);
    mkdir(dir, 0700);
    if (rl_ckpt_dir_prepare(dir, err, sizeof(err)) != RL_OK)
        die(dir, err);
    snprintf(raw, sizeof(raw), "%s/raw.bin", dir);
    snprintf(ck, sizeof(ck), "%s/bench.rlck", dir);
    snprintf(sn, sizeof(sn), "%s/bench.rlsn", dir);
    const uint32_t bits_list[] = {18, 22, 24};
    const double dens[] = {1.0, 0.01};
    printf("| weights | fill | what | coding | bytes | write s | x raw write | load warm s | x raw "
           "warm read | load cold s | x raw cold read |\n");
    printf("|---|---|---|---|---|---|---|---|---|---|---|\n");
    for (size_t bi = 0; bi < 3; bi++) {
        if (only_bits && bits_list[bi] != only_bits)
            continue;
        for (size_t di = 0; di < 2; di++) {
            float *w;
            uint32_t bits = bits_list[bi];
            rl_model *m = make_model(bits, dens[di], &w);
            size_t n = (size_t)1 << bits;
            const char *fill = dens[di] == 1.0 ? "dense" : "sparse 1%";
            float *warm = malloc(n * sizeof(float));
            if (!warm)
                die("raw read", "out of memory");
            memset(warm, 0, n * sizeof(float));
            double rw = 1e9, rrw = 1e9, rrc = 1e9;
            for (int r = 0; r < reps; r++) {
                rw = minf(rw, raw_write(raw, w, n));
                rrw = minf(rrw, raw_read(raw, n, warm));
                rrc = minf(rrc, raw_read(raw, n, NULL));
            }
            row(bits, fill, "raw array", "-", (long long)(n * sizeof(float)), rw, rw, rrw, rrw, rrc,
                rrc);
            rl_ckpt w_ck;
            rl_ckpt_init(&w_ck);
            rl_buf snap_buf; /* reused across snapshots, as rld_publish's */
            rl_buf_init(&snap_buf);
            /* checkpoint codings: plain, zero runs, zstd, both (snapshots: plain and zstd) */
            static const unsigned sets[4] = {0, RL_FRAME_ZERO_RUNS, RL_FRAME_ZSTD,
                                             RL_FRAME_ZSTD | RL_FRAME_ZERO_RUNS};
            double ck_w[4] = {0}, ck_lw[4] = {0}, ck_lc[4] = {0};
            long long ck_b[4] = {0};
            unsigned ck_f[4] = {0}; /* what the files got: zero runs only where they pay */
            for (int si = 0; si < 4; si++) {
                unsigned flags = sets[si];
                double cw = 1e9, clw = 1e9, clc = 1e9, sw = 1e9, sl = 1e9;
                /* The warm load's destination, loaded once up front, and its rl_ckpt, whose
                 * buffer rl_ckpt_read_file reuses from one load to the next. */
                rl_model *hot = NULL;
                rl_ckpt hot_ck;
                rl_ckpt_init(&hot_ck);
                for (int r = 0; r < reps; r++) {
                    rl_ckpt c;
                    rl_ckpt_init(&c);
                    double t = now_s();
                    if (rl_ckpt_from_model(&w_ck, m, err, sizeof(err)) != RL_OK ||
                        rl_ckpt_write_file(ck, &w_ck, flags, err, sizeof(err)) != RL_OK)
                        die("checkpoint write", err);
                    cw = minf(cw, now_s() - t);
                    if (!hot) {
                        if (rl_ckpt_read_file(ck, &hot_ck, err, sizeof(err)) != RL_OK ||
                            rl_ckpt_to_model(&hot_ck, NULL, NULL, &hot, err, sizeof(err)) != RL_OK)
                            die("checkpoint load", err);
                    }
                    t = now_s();
                    if (rl_ckpt_read_file(ck, &hot_ck, err, sizeof(err)) != RL_OK ||
                        rl_model_import(hot, hot_ck.learner_state.data, hot_ck.learner_state.len,
                                        hot_ck.detector_state.data, hot_ck.detector_state.len,
                                        hot_ck.rest_state.data, hot_ck.rest_state.len, err,
                                        sizeof(err)) != RL_OK)
                        die("checkpoint load (warm)", err);
                    clw = minf(clw, now_s() - t);
                    rl_model *back = NULL;
                    t = now_s();
                    if (rl_ckpt_load_model(ck, &c, NULL, NULL, &back, NULL, err, sizeof(err)) !=
                        RL_OK)
                        die("checkpoint load (cold)", err);
                    clc = minf(clc, now_s() - t);
                    if (c.learner_state.len != 0)
                        die("checkpoint load (cold)", "took the buffered path");
                    ck_f[si] = c.frame.flags;
                    rl_ckpt_clear(&c);
                    rl_model_destroy(back);

                    if (flags & RL_FRAME_ZERO_RUNS)
                        continue; /* snapshots have sparse rows instead */
                    rl_buf_reset(&snap_buf);
                    t = now_s();
                    if (rl_snapshot_encode_model(m, NULL, flags, &snap_buf, err, sizeof(err)) !=
                            RL_OK ||
                        rl_snapshot_write_file(sn, snap_buf.data, snap_buf.len, err, sizeof(err)) !=
                            RL_OK)
                        die("snapshot write", err);
                    sw = minf(sw, now_s() - t);
                    rl_snapshot s;
                    rl_snapshot_init(&s);
                    t = now_s();
                    if (rl_snapshot_read_file(sn, &s, err, sizeof(err)) != RL_OK)
                        die("snapshot load", err);
                    sl = minf(sl, now_s() - t);
                    rl_snapshot_clear(&s);
                }
                rl_model_destroy(hot);
                rl_ckpt_clear(&hot_ck);
                ck_w[si] = cw;
                ck_lw[si] = clw;
                ck_lc[si] = clc;
                ck_b[si] = (long long)file_size(ck);
                row(bits, fill, "checkpoint", coding_name(flags, ck_f[si]), ck_b[si], cw, rw, clw,
                    rrw, clc, rrc);
                if (!(flags & RL_FRAME_ZERO_RUNS))
                    row(bits, fill, "snapshot", flags ? "zstd" : "plain", (long long)file_size(sn),
                        sw, rw, -1, rrw, sl, rrc);
            }
            /* What relearnd writes (RL_CKPT_COMPRESS_AUTO): the same file as one of the rows
             * above, so its figures are repeated rather than measured again. */
            unsigned af = rl_ckpt_auto_flags(&w_ck);
            int a = 0;
            while (a < 3 && sets[a] != af)
                a++;
            row(bits, fill, "checkpoint, auto (relearnd)", coding_name(af, ck_f[a]), ck_b[a],
                ck_w[a], rw, ck_lw[a], rrw, ck_lc[a], rrc);
            rl_ckpt_clear(&w_ck);
            rl_buf_free(&snap_buf);
            free(warm);
            free(w);
            rl_model_destroy(m);
        }
    }
    unlink(raw);
    unlink(ck);
    unlink(sn);
    rmdir(dir);
    return 0;
}
