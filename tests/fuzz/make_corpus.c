/* make_corpus.c - writes the seed corpus of the checkpoint and snapshot fuzz targets:
 * small valid files of several kinds (plain, zstd, dictionary, softmax, sparse/dense rows,
 * chunks) and a few broken ones. Run once, output committed under tests/fuzz/corpus/:
 *   make_corpus OUTDIR   (creates OUTDIR/ckpt and OUTDIR/snapshot) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "storage/ckpt.h"
#include "tests/ckpt_util.h"
#include "storage/snapshot.h"

static void put_file(const char *dir, const char *name, const void *p, size_t n)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(p, 1, n, f) != n || fclose(f) != 0) {
        fprintf(stderr, "make_corpus: %s: cannot write\n", path);
        exit(1);
    }
}

static rl_model *trained(const char *learner, const char *det, uint32_t bits, int steps)
{
    rl_model_config c;
    rl_model *m = NULL;
    char err[256];
    tu_config(&c, learner, NULL, det, RL_RESPONSE_CHALLENGER, bits);
    if (rl_model_new(&c, NULL, NULL, &m, err, sizeof(err)) != RL_OK) {
        fprintf(stderr, "make_corpus: %s\n", err);
        exit(1);
    }
    tu_stream s;
    tu_stream_init(&s, 1, rl_model_learner(m), (uint64_t)steps / 2);
    rl_example ex;
    for (int i = 0; i < steps; i++) {
        tu_example(&s, &ex, NULL);
        rl_model_step(m, &ex, NULL, NULL);
    }
    return m;
}

static void ckpt_seed(const char *dir, const char *name, rl_model *m, unsigned flags, int dict)
{
    rl_ckpt c;
    rl_buf b;
    char err[256];
    rl_ckpt_init(&c);
    rl_buf_init(&b);
    rl_ckpt_set_ids(&c, "seed", "inst", err, sizeof(err));
    rl_ckpt_from_model(&c, m, err, sizeof(err));
    c.seq = 3;
    c.created_ms = 1700000000000;
    rl_ckpt_set_offset(&c, "events", 0, 17, err, sizeof(err));
    rl_ckpt_set_offset(&c, "events", 1, 4, err, sizeof(err));
    if (dict) {
        rl_dict_new(16, &c.dict, err, sizeof(err));
        for (int i = 0; i < 40; i++)
            rl_dict_add(c.dict, (uint32_t)(i % 20), i % 2 ? "alpha" : "beta", 5);
    }
    if (flags & RL_FRAME_ZERO_RUNS) {
        /* zero runs are a file writer's coding (rl_ckpt_encode does not make them) */
        char path[1024];
        snprintf(path, sizeof(path), "%s/%s", dir, name);
        if (rl_ckpt_write_file(path, &c, flags, err, sizeof(err)) != RL_OK) {
            fprintf(stderr, "make_corpus: %s\n", err);
            exit(1);
        }
        rl_buf_free(&b);
        rl_ckpt_clear(&c);
        return;
    }
    if (rl_ckpt_encode(&c, flags, &b, err, sizeof(err)) != RL_OK) {
        fprintf(stderr, "make_corpus: %s\n", err);
        exit(1);
    }
    put_file(dir, name, b.data, b.len);
    if (!dict && !flags) {
        /* broken variants of the plain one */
        put_file(dir, "broken_truncated", b.data, b.len / 2);
        b.data[b.len / 3] ^= 4;
        put_file(dir, "broken_bitflip", b.data, b.len);
        put_file(dir, "broken_header_only", b.data, RL_FRAME_HEADER_LEN);
    }
    rl_buf_free(&b);
    rl_ckpt_clear(&c);
}

int main(int argc, char **argv)
{
    char ck[900], sn[900], err[256];
    if (argc != 2) {
        fprintf(stderr, "usage: make_corpus OUTDIR\n");
        return 2;
    }
    snprintf(ck, sizeof(ck), "%s/ckpt", argv[1]);
    snprintf(sn, sizeof(sn), "%s/snapshot", argv[1]);
    mkdir(argv[1], 0755);
    mkdir(ck, 0755);
    mkdir(sn, 0755);

    rl_model *sgd = trained("sgd", "ddm", 10, 300);
    rl_model *ftrl = trained("ftrl", "adwin", 10, 200);
    rl_model *soft = trained("softmax", NULL, 10, 100);
    ckpt_seed(ck, "valid_sgd_ddm", sgd, 0, 0);
    ckpt_seed(ck, "valid_ftrl_zstd", ftrl, RL_FRAME_ZSTD, 0);
    ckpt_seed(ck, "valid_softmax_dict", soft, 0, 1);
    ckpt_seed(ck, "valid_sgd_zero_runs", sgd, RL_FRAME_ZERO_RUNS, 0);
    ckpt_seed(ck, "valid_ftrl_zero_runs_zstd", ftrl, RL_FRAME_ZERO_RUNS | RL_FRAME_ZSTD, 0);

    rl_snapshot_range ranges[1] = {{(char *)"events", 0, 0, 300}};
    rl_dict *d = NULL;
    rl_dict_new(8, &d, err, sizeof(err));
    rl_dict_add(d, 3, "age", 3);
    rl_dict_add(d, 7, "country=fr", 10);
    rl_snapshot_meta meta = {"seed", "inst", 4, 3, 1700000000000, ranges, 1, d};
    rl_buf b;
    rl_buf_init(&b);
    rl_snapshot_encode_model(sgd, &meta, 0, &b, err, sizeof(err));
    put_file(sn, "valid_sgd", b.data, b.len);
    b.data[b.len / 2] ^= 1;
    put_file(sn, "broken_bitflip", b.data, b.len);
    rl_buf_reset(&b);
    rl_snapshot_encode_model(ftrl, &meta, RL_FRAME_ZSTD, &b, err, sizeof(err));
    put_file(sn, "valid_ftrl_zstd", b.data, b.len);
    rl_buf_reset(&b);
    meta.dict = NULL;
    rl_snapshot_encode_model(soft, &meta, 0, &b, err, sizeof(err));
    put_file(sn, "valid_softmax", b.data, b.len);
    put_file(sn, "broken_truncated", b.data, b.len - 9);
    /* chunks of it, as published under a tiny message limit */
    rl_buf *parts = NULL;
    size_t n = 0;
    if (rl_snapshot_split(b.data, b.len, "seed", "inst", 4, 1000, &parts, &n, err, sizeof(err)) !=
            RL_OK ||
        n < 3) {
        fprintf(stderr, "make_corpus: split: %s\n", err);
        return 1;
    }
    put_file(sn, "valid_chunk_first", parts[0].data, parts[0].len);
    put_file(sn, "valid_chunk_last", parts[n - 1].data, parts[n - 1].len);
    rl_snapshot_chunks_free(parts, n);
    rl_buf_free(&b);
    rl_dict_destroy(d);
    rl_model_destroy(sgd);
    rl_model_destroy(ftrl);
    rl_model_destroy(soft);
    return 0;
}
