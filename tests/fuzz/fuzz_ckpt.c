/* fuzz_ckpt.c - libFuzzer target: the checkpoint reader (frame, zstd, protobuf, every field
 * check) and, for inputs that decode, the model rebuild that parses the three state blobs,
 * plus a re-encode that must decode to the same thing. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "storage/ckpt.h"
#include "storage/ckpt_hash.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void one(const uint8_t *data, size_t size)
{
    char err[512];
    rl_ckpt c, again;
    rl_ckpt_init(&c);
    rl_ckpt_init(&again);
    if (rl_ckpt_decode(data, size, &c, err, sizeof(err)) == RL_OK) {
        /* A valid config may ask for 2^30 weights (legitimately): libFuzzer would call that
         * allocation a crash, so only small models are rebuilt. */
        const rl_learner_params *p = &c.config.learner;
        uint64_t rows = p->n_classes > 1 ? p->n_classes : 1;
        if ((((uint64_t)1 << p->bits) + p->dense_dim + 1) * rows <= ((uint64_t)1 << 22)) {
            rl_model *m = NULL;
            if (rl_ckpt_to_model(&c, NULL, NULL, &m, err, sizeof(err)) == RL_OK)
                rl_model_destroy(m);
        }
        rl_buf b;
        rl_buf_init(&b);
        c.created_ms = c.created_ms ? c.created_ms : 1;
        if (rl_ckpt_encode(&c, 0, &b, err, sizeof(err)) == RL_OK) {
            if (rl_ckpt_decode(b.data, b.len, &again, err, sizeof(err)) != RL_OK)
                abort(); /* what we wrote we must read */
            if (again.learner_state.len != c.learner_state.len || again.seq != c.seq ||
                again.n_offsets != c.n_offsets)
                abort();
        }
        rl_buf_free(&b);
    }
    rl_ckpt_clear(&c);
    rl_ckpt_clear(&again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[512];
    /* As a whole file: mostly exercises the frame, since a mutation rarely keeps the
     * checksum right. */
    one(data, size);
    /* The input after the 24-byte header (or all of it, if shorter) as a payload under a
     * valid frame, so the protobuf, field and blob checks see mutated messages too. */
    size_t skip = size > RL_FRAME_HEADER_LEN + RL_FRAME_TRAILER_LEN ? RL_FRAME_HEADER_LEN : 0;
    size_t body = skip ? size - RL_FRAME_HEADER_LEN - RL_FRAME_TRAILER_LEN : size;
    rl_buf f;
    rl_buf_init(&f);
    if (rl_frame_encode(RL_MAGIC_CKPT, data + skip, body, 0, 0, &f, err, sizeof(err)) == RL_OK)
        one(f.data, f.len);
    /* The same bytes as the zero-run coding of a payload whose length the first two bytes
     * pick (up to 64 KiB), under a valid frame: the record parser sees every mutation. */
    if (f.len >= RL_FRAME_HEADER_LEN + RL_FRAME_TRAILER_LEN && size >= 2) {
        uint64_t raw = (uint64_t)data[0] | (uint64_t)data[1] << 8;
        f.data[6] = (uint8_t)RL_FRAME_ZERO_RUNS;
        for (int i = 0; i < 8; i++)
            f.data[16 + i] = (uint8_t)(raw >> (8 * i));
        size_t body_end = f.len - RL_FRAME_TRAILER_LEN;
        uint64_t h = rl_fmt_hash64(f.data, body_end);
        for (int i = 0; i < 8; i++)
            f.data[body_end + i] = (uint8_t)(h >> (8 * i));
        one(f.data, f.len);
    }
    rl_buf_free(&f);
    return 0;
}
