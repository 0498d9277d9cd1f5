/* snapshot_pb_util.h - for the tests that alter a snapshot's message to see it refused: the
 * Snapshot message inside a plain frame, and an altered message framed again. Include after
 * cmocka.h. */
#ifndef RL_TEST_SNAPSHOT_PB_UTIL_H
#define RL_TEST_SNAPSHOT_PB_UTIL_H

#include <stdlib.h>

#include "proto/snapshot.pb-c.h"
#include "storage/snapshot.h"

/* The message of an uncompressed snapshot frame (a 24-byte header and an 8-byte checksum around
 * it); free with relearn__snapshot__free_unpacked(pb, NULL). */
static inline Relearn__Snapshot *tu_snapshot_unpack(const rl_buf *b)
{
    Relearn__Snapshot *pb = relearn__snapshot__unpack(NULL, b->len - 32, b->data + 24);
    assert_non_null(pb);
    return pb;
}

/* pb packed and framed as a plain snapshot into f (initialized here; the caller frees it). */
static inline void tu_snapshot_frame(const Relearn__Snapshot *pb, rl_buf *f)
{
    char err[256];
    size_t n = relearn__snapshot__get_packed_size(pb);
    uint8_t *raw = malloc(n);
    assert_non_null(raw);
    relearn__snapshot__pack(pb, raw);
    rl_buf_init(f);
    assert_int_equal(rl_frame_encode(RL_MAGIC_SNAPSHOT, raw, n, 0, 0, f, err, sizeof(err)), RL_OK);
    free(raw);
}

#endif
