/* bench_ckpt.c - checkpoint and snapshot write/load time and size against a plain fsync'd
 * write() / read() of the raw weight array, in the same run.
 *
 *   bench_ckpt [DIR] [REPS]     (DIR on a real disk, default ./bench-ckpt.tmp; REPS default 3)
 *
 * Model: sgd with the constant schedule (one float of state per weight, so the checkpoint
 * carries the same 4 bytes a weight as the raw array), 2^18, 2^22 and 2^24 weights, "dense"
 * (every weight set) and "sparse" (1% set), checkpoint/snapshot plain and zstd (level 1).
 * The checkpoint writer reuses one rl_ckpt across checkpoints, as a daemon does (its export
 * buffers keep their capacity); loads start from nothing, as a restart does.
 * Times are the best of REPS:
 *   raw write:  open, write(4N bytes), fsync, close
 *   raw read:   open, read(4N bytes) into malloc'd memory, close (page cache warm); also
 *               shown into freshly mapped pages (what a restart gets; faults every page)
 *   ckpt write: rl_model_export + encode + atomic write (temp, fsync, rename, fsync dir)
 *   ckpt load:  read file + verify checksum + decode + rl_model_new + rl_model_import
 *   snap write: encode weights (dense or sparse) + atomic write
 *   snap load:  read file + verify + decode (sparse rows stay sparse)
 * Output: one Markdown table row per case, ratios against raw write / raw read. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ckpt.h"
#include "snapshot.h"

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

/* fresh = 1: into freshly mapped pages, as a restarting process has (every page faults in);
 * fresh = 0: into malloc'd memory, which after the first round is the last round's pages,
 * already mapped (the stricter baseline: the ratios are against it). */
static double raw_read(const char *path, size_t n, int fresh)
{
    double t = now_s();
    float *buf = fresh ? mmap(NULL, n * sizeof(float), PROT_READ | PROT_WRITE,
                              MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
                       : malloc(n * sizeof(float));
    int fd = open(path, O_RDONLY);
    if (fd < 0 || !buf || buf == MAP_FAILED)
        die(path, "open/alloc");
    char *p = (char *)buf;
    size_t left = n * sizeof(float);
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
    if (fresh)
        munmap(buf, n * sizeof(float));
    else
        free(buf);
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

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : "./bench-ckpt.tmp";
    int reps = argc > 2 ? atoi(argv[2]) : 3;
    char err[512], raw[1024], ck[1024], sn[1024];
    if (reps < 1)
        reps = 1;
    mkdir(dir, 0700);
    if (rl_ckpt_dir_prepare(dir, err, sizeof(err)) != RL_OK)
        die(dir, err);
    snprintf(raw, sizeof(raw), "%s/raw.bin", dir);
    snprintf(ck, sizeof(ck), "%s/bench.rlck", dir);
    snprintf(sn, sizeof(sn), "%s/bench.rlsn", dir);
    const uint32_t bits_list[] = {18, 22, 24};
    const double dens[] = {1.0, 0.01};
    printf(
        "| weights | fill | what | zstd | bytes | write s | x raw write | load s | x raw read |\n");
    printf("|---|---|---|---|---|---|---|---|---|\n");
    for (size_t bi = 0; bi < 3; bi++) {
        for (size_t di = 0; di < 2; di++) {
            float *w;
            rl_model *m = make_model(bits_list[bi], dens[di], &w);
            size_t n = (size_t)1 << bits_list[bi];
            const char *fill = dens[di] == 1.0 ? "dense" : "sparse 1%";
            double rw = 1e9, rr = 1e9, rf = 1e9;
            for (int r = 0; r < reps; r++) {
                double t = raw_write(raw, w, n);
                rw = t < rw ? t : rw;
                t = raw_read(raw, n, 0);
                rr = t < rr ? t : rr;
                t = raw_read(raw, n, 1);
                rf = t < rf ? t : rf;
            }
            printf("| 2^%u | %s | raw array | - | %zu | %.4f | 1.00 | %.4f | 1.00 |\n",
                   bits_list[bi], fill, n * sizeof(float), rw, rr);
            printf("| 2^%u | %s | raw array, read into fresh pages | - | %zu | - | - | %.4f | "
                   "%.2f |\n",
                   bits_list[bi], fill, n * sizeof(float), rf, rf / rr);
            rl_ckpt w_ck;
            rl_ckpt_init(&w_ck);
            double ck_w[2] = {0, 0}, ck_l[2] = {0, 0};
            long long ck_b[2] = {0, 0};
            for (unsigned flags = 0; flags <= RL_FRAME_ZSTD; flags += RL_FRAME_ZSTD) {
                double cw = 1e9, cl = 1e9, sw = 1e9, sl = 1e9;
                for (int r = 0; r < reps; r++) {
                    rl_ckpt c;
                    rl_ckpt_init(&c);
                    double t = now_s();
                    if (rl_ckpt_from_model(&w_ck, m, err, sizeof(err)) != RL_OK ||
                        rl_ckpt_write_file(ck, &w_ck, flags, err, sizeof(err)) != RL_OK)
                        die("checkpoint write", err);
                    t = now_s() - t;
                    cw = t < cw ? t : cw;
                    rl_model *back = NULL;
                    t = now_s();
                    if (rl_ckpt_read_file(ck, &c, err, sizeof(err)) != RL_OK ||
                        rl_ckpt_to_model(&c, NULL, NULL, &back, err, sizeof(err)) != RL_OK)
                        die("checkpoint load", err);
                    t = now_s() - t;
                    cl = t < cl ? t : cl;
                    rl_model_destroy(back);
                    rl_ckpt_clear(&c);

                    rl_buf b;
                    rl_buf_init(&b);
                    t = now_s();
                    if (rl_snapshot_encode_model(m, NULL, flags, &b, err, sizeof(err)) != RL_OK ||
                        rl_snapshot_write_file(sn, b.data, b.len, err, sizeof(err)) != RL_OK)
                        die("snapshot write", err);
                    t = now_s() - t;
                    sw = t < sw ? t : sw;
                    rl_buf_free(&b);
                    rl_snapshot s;
                    rl_snapshot_init(&s);
                    t = now_s();
                    if (rl_snapshot_read_file(sn, &s, err, sizeof(err)) != RL_OK)
                        die("snapshot load", err);
                    t = now_s() - t;
                    sl = t < sl ? t : sl;
                    rl_snapshot_clear(&s);
                }
                const char *z = flags ? "yes" : "no";
                ck_w[flags ? 1 : 0] = cw;
                ck_l[flags ? 1 : 0] = cl;
                ck_b[flags ? 1 : 0] = (long long)file_size(ck);
                printf("| 2^%u | %s | checkpoint | %s | %lld | %.4f | %.2f | %.4f | %.2f |\n",
                       bits_list[bi], fill, z, (long long)file_size(ck), cw, cw / rw, cl, cl / rr);
                printf("| 2^%u | %s | snapshot | %s | %lld | %.4f | %.2f | %.4f | %.2f |\n",
                       bits_list[bi], fill, z, (long long)file_size(sn), sw, sw / rw, sl, sl / rr);
                fflush(stdout);
            }
            /* What relearnd writes (RL_CKPT_COMPRESS_AUTO): the same file as one of the rows
             * above, so its figures are repeated rather than measured a third time. */
            int a = rl_ckpt_auto_flags(&w_ck) & RL_FRAME_ZSTD ? 1 : 0;
            printf("| 2^%u | %s | checkpoint, auto (relearnd) | %s | %lld | %.4f | %.2f | %.4f | "
                   "%.2f |\n",
                   bits_list[bi], fill, a ? "yes" : "no", ck_b[a], ck_w[a], ck_w[a] / rw, ck_l[a],
                   ck_l[a] / rr);
            rl_ckpt_clear(&w_ck);
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
