/* kafka_snapshot_gen.c - rl_snapshot_gen, a test tool: writes a real snapshot and its chunks
 * as files, so a script can publish them with kcat (headers as relearnd sets them) and check
 * `relearn snapshots` against them without needing the daemon.
 *
 *   rl_snapshot_gen --model M --instance I --version V --max-msg BYTES --dir D
 *
 * Trains an SGD learner (bits 14) on a deterministic stream so the weights are not trivial,
 * encodes a snapshot, writes D/whole and D/chunk.0 .. D/chunk.N-1 (rl_snapshot_split with
 * max-msg), and prints "N SIZE" (chunk count, whole snapshot bytes) on stdout. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "storage/snapshot.h"

static int write_all(const char *path, const void *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    size_t w = fwrite(p, 1, n, f);
    return (fclose(f) == 0 && w == n) ? 0 : -1;
}

int main(int argc, char **argv)
{
    const char *model = "m", *instance = "i", *dir = ".";
    uint64_t version = 1;
    size_t max_msg = 0;
    char err[512], path[4096];
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--model") == 0)
            model = argv[i + 1];
        else if (strcmp(argv[i], "--instance") == 0)
            instance = argv[i + 1];
        else if (strcmp(argv[i], "--version") == 0)
            version = strtoull(argv[i + 1], NULL, 10);
        else if (strcmp(argv[i], "--max-msg") == 0)
            max_msg = strtoull(argv[i + 1], NULL, 10);
        else if (strcmp(argv[i], "--dir") == 0)
            dir = argv[i + 1];
        else {
            fprintf(stderr, "rl_snapshot_gen: unknown option %s\n", argv[i]);
            return 2;
        }
    }
    rl_learner_params p;
    rl_learner *l = NULL;
    rl_learner_params_default(&p);
    if (rl_learner_params_set(&p, "bits", "14", err, sizeof(err)) != RL_OK ||
        rl_learner_new(&p, &l, err, sizeof(err)) != RL_OK) {
        fprintf(stderr, "rl_snapshot_gen: %s\n", err);
        return 1;
    }
    /* Deterministic stream: version changes the weights, so versions differ in bytes. */
    uint64_t s = 88172645463325252ull ^ version;
    rl_feature f[16];
    for (int n = 0; n < 400; n++) {
        for (int k = 0; k < 16; k++) {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            f[k].index = (uint32_t)(s & 0x3fff);
            f[k].value = 1.0f;
        }
        rl_example ex = {(float)(s >> 63), 1.0f, f, 16, NULL, 0, NULL};
        rl_pred pr;
        rl_learner_learn(l, &ex, &pr);
    }
    rl_snapshot_meta meta;
    memset(&meta, 0, sizeof(meta));
    meta.model_name = model;
    meta.instance_id = instance;
    meta.version = version;
    meta.parent_version = version - 1;
    rl_buf whole;
    rl_buf_init(&whole);
    rl_buf *chunks = NULL;
    size_t n_chunks = 0;
    int status = 1;
    if (rl_snapshot_encode_learner(l, 0, 400, NULL, &meta, 0, &whole, err, sizeof(err)) != RL_OK ||
        rl_snapshot_split(whole.data, whole.len, model, instance, version, max_msg, &chunks,
                          &n_chunks, err, sizeof(err)) != RL_OK) {
        fprintf(stderr, "rl_snapshot_gen: %s\n", err);
        goto done;
    }
    snprintf(path, sizeof(path), "%s/whole", dir);
    if (write_all(path, whole.data, whole.len) != 0)
        goto io_fail;
    for (size_t i = 0; i < n_chunks; i++) {
        snprintf(path, sizeof(path), "%s/chunk.%zu", dir, i);
        if (write_all(path, chunks[i].data, chunks[i].len) != 0)
            goto io_fail;
    }
    printf("%zu %zu\n", n_chunks, whole.len);
    status = 0;
    goto done;
io_fail:
    fprintf(stderr, "rl_snapshot_gen: cannot write %s\n", path);
done:
    rl_snapshot_chunks_free(chunks, n_chunks);
    rl_buf_free(&whole);
    rl_learner_destroy(l);
    return status;
}
