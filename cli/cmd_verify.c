/* cmd_verify.c - `relearn verify FILE...`: checks each checkpoint, snapshot or snapshot chunk
 * (frame, XXH3-64 checksum, versions, every structural rule; a checkpoint is also rebuilt into
 * a model so its state blobs are checked, a snapshot's weights into a learner). One line per
 * file: "PATH: OK (...)" on stdout, or "PATH: reason" on stderr. Exit 0 only if every file
 * verifies, 1 if any does not, 2 on usage errors. */
#include <stdio.h>
#include <string.h>

#include "cli/options.h"
#include "cli/commands.h"
#include "storage/model_file.h"

static int verify_one(const char *path)
{
    rl_model_file f;
    char err[1024];
    if (rl_model_file_open(path, &f, err, sizeof(err)) != RL_OK) {
        /* err already starts with the path */
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    int rc = 0;
    switch (f.kind) {
    case RL_FILE_CHECKPOINT:
        printf("%s: OK (checkpoint v%u, %s, seq %llu, %llu events, %zu bytes%s%s)\n", path,
               f.ckpt.format_version, f.params->learner, (unsigned long long)f.ckpt.seq,
               (unsigned long long)f.ckpt.events, f.file_len, f.frame->flags ? ", " : "",
               f.frame->flags ? rl_frame_coding_name(f.frame->flags) : "");
        break;
    case RL_FILE_SNAPSHOT: {
        rl_learner *l = NULL;
        if (rl_snapshot_to_learner(&f.snap, &l, err, sizeof(err)) != RL_OK) {
            fprintf(stderr, "%s: %s\n", path, err);
            rc = 1;
            break;
        }
        rl_learner_destroy(l);
        printf("%s: OK (snapshot v%u, %s version %llu, %s, %zu bytes%s)\n", path,
               f.snap.format_version, f.snap.model_name[0] ? f.snap.model_name : "-",
               (unsigned long long)f.snap.version, f.params->learner, f.file_len,
               f.frame->flags & RL_FRAME_ZSTD ? ", zstd" : "");
        break;
    }
    case RL_FILE_CHUNK:
        printf("%s: OK (snapshot chunk %u of %u, %s version %llu)\n", path, f.chunk.index + 1,
               f.chunk.count, f.chunk.model_name[0] ? f.chunk.model_name : "-",
               (unsigned long long)f.chunk.version);
        break;
    }
    rl_model_file_close(&f);
    return rc;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: relearn verify FILE...\n"
               "  Checks checksums and structure of checkpoints, snapshots and snapshot\n"
               "  chunks; exit status 0 only if every file verifies. '--' before a file named\n"
               "  like an option.\n");
}

int rl_cmd_verify(int argc, char **argv)
{
    static const rl_opt opts[] = {{RL_OPT_END}};
    int first, bad = 0;
    int rc = rl_opts_parse(argc, argv, "verify", opts, usage, &first);
    if (rc >= 0)
        return rc;
    if (first == argc) {
        usage(stderr);
        return 2;
    }
    for (int i = first; i < argc; i++)
        bad += verify_one(argv[i]);
    return bad ? 1 : 0;
}
