/* rel_ckpt_dump.c - reads a checkpoint the way relearnd does and prints what the reliability
 * scripts compare, one "key=value" per line, so a shell test can check exactly-once without
 * depending on the CLI's inspect output:
 *
 *   rel_ckpt_dump DIR     the newest checkpoint of DIR that verifies (skipped ones on stderr)
 *   rel_ckpt_dump -f FILE one checkpoint file
 *
 * Prints path, seq, events, snapshot_version, instance, one "offset TOPIC PARTITION NEXT" line
 * per partition, and the XXH3-64 of each model state blob (learner, detector, rest), so two
 * checkpoints with equal hashes hold bitwise-equal weights. Exit 0 when a checkpoint was read,
 * 1 when none verifies (the reason on stderr), 2 on usage errors. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <xxhash.h>

#include "storage/ckpt.h"

static void on_skip(void *opaque, const char *path, rl_err err, const char *reason)
{
    (void)opaque;
    fprintf(stderr, "rel_ckpt_dump: skipped %s: %s: %s\n", path, rl_err_str(err), reason);
}

static uint64_t blob_hash(const rl_buf *b)
{
    return XXH3_64bits_withSeed(b->data, b->len, 0);
}

int main(int argc, char **argv)
{
    char err[1024], path[4096];
    rl_ckpt c;
    rl_err e;

    rl_ckpt_init(&c);
    if (argc == 3 && strcmp(argv[1], "-f") == 0) {
        snprintf(path, sizeof(path), "%s", argv[2]);
        e = rl_ckpt_read_file(argv[2], &c, err, sizeof(err));
    } else if (argc == 2) {
        e = rl_ckpt_dir_load_newest(argv[1], &c, on_skip, NULL, path, sizeof(path), err,
                                    sizeof(err));
    } else {
        fprintf(stderr, "usage: rel_ckpt_dump DIR | rel_ckpt_dump -f FILE\n");
        return 2;
    }
    if (e != RL_OK) {
        fprintf(stderr, "rel_ckpt_dump: %s: %s\n", rl_err_str(e), err);
        rl_ckpt_clear(&c);
        return 1;
    }
    printf("path=%s\n", path);
    printf("seq=%" PRIu64 "\n", c.seq);
    printf("events=%" PRIu64 "\n", c.events);
    printf("snapshot_version=%" PRIu64 "\n", c.snapshot_version);
    printf("instance=%s\n", c.instance_id);
    for (size_t i = 0; i < c.n_offsets; i++)
        printf("offset %s %d %" PRId64 "\n", c.offsets[i].topic, (int)c.offsets[i].partition,
               c.offsets[i].next_offset);
    printf("learner_state=%016" PRIx64 " len=%zu\n", blob_hash(&c.learner_state),
           c.learner_state.len);
    printf("detector_state=%016" PRIx64 " len=%zu\n", blob_hash(&c.detector_state),
           c.detector_state.len);
    printf("rest_state=%016" PRIx64 " len=%zu\n", blob_hash(&c.rest_state), c.rest_state.len);
    rl_ckpt_clear(&c);
    return 0;
}
