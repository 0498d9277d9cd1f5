/* fuzz_snapshot.c - libFuzzer target: the snapshot reader (whole snapshots and chunks), the
 * weight lookups on what decodes, the learner rebuild, and the chunk reassembler fed the input
 * whole and cut in two. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "storage/snapshot.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void one(const uint8_t *data, size_t size)
{
    char err[512];
    rl_snapshot s;
    rl_snapshot_init(&s);
    if (rl_snapshot_decode(data, size, &s, err, sizeof(err)) == RL_OK) {
        volatile float acc = 0;
        for (uint32_t r = 0; r < s.n_rows; r++)
            for (uint64_t k = 0; k < s.n_sparse; k += 1 + s.n_sparse / 64)
                acc += rl_snapshot_weight(&s, r, k);
        (void)acc;
        /* bounded: a valid snapshot may describe a 2^30-weight learner */
        uint64_t rows = s.learner.n_classes > 1 ? s.learner.n_classes : 1;
        if (rows < s.n_rows)
            rows = s.n_rows;
        if ((s.n_sparse + s.dense_dim + 1) * rows <= ((uint64_t)1 << 22)) {
            rl_learner *l = NULL;
            if (rl_snapshot_to_learner(&s, &l, err, sizeof(err)) == RL_OK)
                rl_learner_destroy(l);
        }
    }
    rl_snapshot_clear(&s);

    rl_snapshot_asm *a = NULL;
    if (rl_snapshot_asm_new((uint64_t)1 << 24, &a, err, sizeof(err)) != RL_OK)
        return;
    int complete = 0;
    rl_snapshot_id id;
    rl_buf whole;
    rl_buf_init(&whole);
    rl_snapshot_asm_add(a, data, size, &complete, &id, &whole, err, sizeof(err));
    if (complete) {
        rl_snapshot back;
        rl_snapshot_init(&back);
        if (rl_snapshot_decode(whole.data, whole.len, &back, err, sizeof(err)) != RL_OK)
            abort(); /* the assembler only hands over snapshots that decode */
        rl_snapshot_clear(&back);
    }
    /* the same bytes cut in two: neither half may crash the assembler */
    rl_snapshot_asm_add(a, data, size / 2, &complete, &id, &whole, err, sizeof(err));
    rl_snapshot_asm_add(a, data + size / 2, size - size / 2, &complete, &id, &whole, err,
                        sizeof(err));
    rl_buf_free(&whole);
    rl_snapshot_asm_destroy(a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[512];
    one(data, size);
    /* The body under a valid frame (as snapshot, and as chunk when the input is one), so the
     * protobuf and structure checks see mutated messages despite the checksum. */
    size_t skip = size > RL_FRAME_HEADER_LEN + RL_FRAME_TRAILER_LEN ? RL_FRAME_HEADER_LEN : 0;
    size_t body = skip ? size - RL_FRAME_HEADER_LEN - RL_FRAME_TRAILER_LEN : size;
    const char *magic =
        size >= 4 && memcmp(data, RL_MAGIC_CHUNK, 4) == 0 ? RL_MAGIC_CHUNK : RL_MAGIC_SNAPSHOT;
    rl_buf f;
    rl_buf_init(&f);
    if (rl_frame_encode(magic, data + skip, body, 0, 0, &f, err, sizeof(err)) == RL_OK)
        one(f.data, f.len);
    rl_buf_free(&f);
    return 0;
}
