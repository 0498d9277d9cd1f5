/* frame.c - the framing every relearn file shares: magic, container version, flags, lengths,
 * payload (plain, zstd, zero runs), XXH3-64 trailer. */
#include <stdlib.h>
#include <string.h>

#include <zstd.h>

#include "storage/ckpt_hash.h"
#include "storage/ckpt_internal.h"
#include "storage/zero_runs.h"

#define ZSTD_LEVEL_DEFAULT 1 /* floats barely compress better at 3; 1 is about twice as fast */

static void put_u16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void put_u64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint16_t get_u16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}

static uint64_t get_u64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

static int known_magic(const uint8_t *p)
{
    return memcmp(p, RL_MAGIC_CKPT, 4) == 0 || memcmp(p, RL_MAGIC_SNAPSHOT, 4) == 0 ||
           memcmp(p, RL_MAGIC_CHUNK, 4) == 0 || memcmp(p, RL_MAGIC_GATE, 4) == 0;
}

static void write_header(uint8_t *h, const char *magic, unsigned flags, uint64_t payload_len,
                         uint64_t raw_len)
{
    memcpy(h, magic, 4);
    put_u16(h + 4, RL_FRAME_VERSION);
    put_u16(h + 6, (uint16_t)flags);
    put_u64(h + 8, payload_len);
    put_u64(h + 16, raw_len);
}

/* Compresses raw into out after a header, then appends the trailer. */
static rl_err frame_zstd(const char *magic, const void *raw, size_t len, int level, rl_buf *out,
                         char *errstr, size_t errstr_size)
{
    size_t bound = ZSTD_compressBound(len);
    size_t start = out->len;
    if (rl_buf_reserve(out, RL_FRAME_HEADER_LEN + bound + RL_FRAME_TRAILER_LEN) != 0)
        return rl_set_err(errstr, errstr_size, RL_ERR_NOMEM, "frame of %zu bytes: out of memory",
                          len);
    uint8_t *h = out->data + start;
    size_t z = ZSTD_compress(h + RL_FRAME_HEADER_LEN, bound, raw, len,
                             level > 0 ? level : ZSTD_LEVEL_DEFAULT);
    if (ZSTD_isError(z))
        return rl_set_err(errstr, errstr_size, RL_ERR_IO, "zstd compression failed: %s",
                          ZSTD_getErrorName(z));
    write_header(h, magic, RL_FRAME_ZSTD, z, len);
    put_u64(h + RL_FRAME_HEADER_LEN + z, rl_fmt_hash64(h, RL_FRAME_HEADER_LEN + z));
    out->len = start + RL_FRAME_HEADER_LEN + z + RL_FRAME_TRAILER_LEN;
    return RL_OK;
}

static rl_err check_encode_args(const char *magic, unsigned flags, char *errstr, size_t errstr_size)
{
    if (!magic || strlen(magic) != 4 || !known_magic((const uint8_t *)magic))
        return rl_set_err(errstr, errstr_size, RL_ERR_INVALID_ARG, "frame: unknown magic");
    if (flags & ~RL_FRAME_ZSTD)
        return rl_set_err(errstr, errstr_size, RL_ERR_INVALID_ARG, "frame: unknown flags 0x%x",
                          flags);
    return RL_OK;
}

const char *rl_frame_coding_name(unsigned flags)
{
    switch (flags & RL_FRAME_KNOWN) {
    case RL_FRAME_ZSTD:
        return "zstd";
    case RL_FRAME_ZERO_RUNS:
        return "zero runs";
    case RL_FRAME_ZERO_RUNS | RL_FRAME_ZSTD:
        return "zero runs + zstd";
    default:
        return "plain";
    }
}

void rl_frame_header(uint8_t h[RL_FRAME_HEADER_LEN], const char *magic, unsigned flags,
                     uint64_t payload_len, uint64_t raw_len)
{
    write_header(h, magic, flags, payload_len, raw_len);
}

void rl_frame_put_u64(uint8_t *p, uint64_t v)
{
    put_u64(p, v);
}

uint64_t rl_frame_get_u64(const uint8_t *p)
{
    return get_u64(p);
}

void rl_frame_read_header(const uint8_t h[RL_FRAME_HEADER_LEN], rl_frame_info *info)
{
    memset(info, 0, sizeof(*info));
    memcpy(info->magic, h, 4);
    info->version = get_u16(h + 4);
    info->flags = get_u16(h + 6);
    info->payload_len = get_u64(h + 8);
    info->raw_len = get_u64(h + 16);
}

rl_err rl_frame_encode(const char *magic, const void *payload, size_t len, unsigned flags,
                       int zstd_level, rl_buf *out, char *errstr, size_t errstr_size)
{
    rl_err e = check_encode_args(magic, flags, errstr, errstr_size);
    if (e != RL_OK)
        return e;
    if (flags & RL_FRAME_ZSTD)
        return frame_zstd(magic, payload, len, zstd_level, out, errstr, errstr_size);
    size_t start = out->len;
    if (rl_buf_reserve(out, RL_FRAME_HEADER_LEN + len + RL_FRAME_TRAILER_LEN) != 0)
        return rl_set_err(errstr, errstr_size, RL_ERR_NOMEM, "frame of %zu bytes: out of memory",
                          len);
    uint8_t *h = out->data + start;
    write_header(h, magic, 0, len, len);
    if (len)
        memcpy(h + RL_FRAME_HEADER_LEN, payload, len);
    put_u64(h + RL_FRAME_HEADER_LEN + len, rl_fmt_hash64(h, RL_FRAME_HEADER_LEN + len));
    out->len = start + RL_FRAME_HEADER_LEN + len + RL_FRAME_TRAILER_LEN;
    return RL_OK;
}

/* A protobuf-c output buffer that compresses whatever is packed into it, so a message is
 * framed with zstd without first being packed whole into a fresh buffer (for a large state
 * that copy, and the page faults of its buffer, cost more than the compression). */
typedef struct zstd_sink {
    ProtobufCBuffer base;
    ZSTD_CCtx *cx;
    ZSTD_outBuffer ob;
    size_t err;   /* a zstd error code, 0 = none */
    int overflow; /* output would exceed the bound (cannot happen; checked anyway) */
} zstd_sink;

static void zstd_sink_append(ProtobufCBuffer *b, size_t len, const uint8_t *data)
{
    zstd_sink *z = (zstd_sink *)b;
    ZSTD_inBuffer ib = {data, len, 0};
    while (ib.pos < ib.size && !z->err && !z->overflow) {
        size_t r = ZSTD_compressStream2(z->cx, &z->ob, &ib, ZSTD_e_continue);
        if (ZSTD_isError(r))
            z->err = r;
        else if (z->ob.pos == z->ob.size && ib.pos < ib.size)
            z->overflow = 1;
    }
}

static rl_err frame_zstd_msg(const char *magic, const ProtobufCMessage *msg, size_t len, int level,
                             rl_buf *out, char *errstr, size_t errstr_size)
{
    size_t bound = ZSTD_compressBound(len);
    size_t start = out->len;
    if (bound == 0 || rl_buf_reserve(out, RL_FRAME_HEADER_LEN + bound + RL_FRAME_TRAILER_LEN) != 0)
        return rl_set_err(errstr, errstr_size, RL_ERR_NOMEM, "frame of %zu bytes: out of memory",
                          len);
    uint8_t *h = out->data + start;
    zstd_sink z = {{NULL}, ZSTD_createCCtx(), {h + RL_FRAME_HEADER_LEN, bound, 0}, 0, 0};
    z.base.append = zstd_sink_append;
    if (!z.cx)
        return rl_set_err(errstr, errstr_size, RL_ERR_NOMEM, "zstd: out of memory");
    size_t r = ZSTD_CCtx_setParameter(z.cx, ZSTD_c_compressionLevel,
                                      level > 0 ? level : ZSTD_LEVEL_DEFAULT);
    if (!ZSTD_isError(r))
        r = ZSTD_CCtx_setPledgedSrcSize(z.cx, len);
    if (ZSTD_isError(r))
        z.err = r;
    size_t packed = z.err ? 0 : protobuf_c_message_pack_to_buffer(msg, &z.base);
    if (!z.err && !z.overflow) {
        ZSTD_inBuffer none = {NULL, 0, 0};
        do
            r = ZSTD_compressStream2(z.cx, &z.ob, &none, ZSTD_e_end);
        while (r != 0 && !ZSTD_isError(r) && z.ob.pos < z.ob.size);
        if (ZSTD_isError(r))
            z.err = r;
        else if (r != 0)
            z.overflow = 1;
    }
    ZSTD_freeCCtx(z.cx);
    if (z.err)
        return rl_set_err(errstr, errstr_size, RL_ERR_IO, "zstd compression failed: %s",
                          ZSTD_getErrorName(z.err));
    if (z.overflow)
        return rl_set_err(errstr, errstr_size, RL_ERR_IO, "zstd: output exceeds its bound");
    if (packed != len)
        return rl_set_err(errstr, errstr_size, RL_ERR_FORMAT,
                          "protobuf packed %zu bytes, expected %zu", packed, len);
    write_header(h, magic, RL_FRAME_ZSTD, z.ob.pos, len);
    put_u64(h + RL_FRAME_HEADER_LEN + z.ob.pos, rl_fmt_hash64(h, RL_FRAME_HEADER_LEN + z.ob.pos));
    out->len = start + RL_FRAME_HEADER_LEN + z.ob.pos + RL_FRAME_TRAILER_LEN;
    return RL_OK;
}

rl_err rl_frame_encode_msg(const char *magic, const ProtobufCMessage *msg, unsigned flags,
                           int zstd_level, rl_buf *out, char *errstr, size_t errstr_size)
{
    rl_err e = check_encode_args(magic, flags, errstr, errstr_size);
    if (e != RL_OK)
        return e;
    size_t len = protobuf_c_message_get_packed_size(msg);
    if (flags & RL_FRAME_ZSTD)
        return frame_zstd_msg(magic, msg, len, zstd_level, out, errstr, errstr_size);
    size_t start = out->len;
    if (rl_buf_reserve(out, RL_FRAME_HEADER_LEN + len + RL_FRAME_TRAILER_LEN) != 0)
        return rl_set_err(errstr, errstr_size, RL_ERR_NOMEM, "message of %zu bytes: out of memory",
                          len);
    uint8_t *h = out->data + start;
    write_header(h, magic, 0, len, len);
    size_t packed = protobuf_c_message_pack(msg, h + RL_FRAME_HEADER_LEN);
    if (packed != len)
        return rl_set_err(errstr, errstr_size, RL_ERR_FORMAT,
                          "protobuf packed %zu bytes, expected %zu", packed, len);
    put_u64(h + RL_FRAME_HEADER_LEN + len, rl_fmt_hash64(h, RL_FRAME_HEADER_LEN + len));
    out->len = start + RL_FRAME_HEADER_LEN + len + RL_FRAME_TRAILER_LEN;
    return RL_OK;
}

rl_err rl_frame_decode(const void *p, size_t len, const char *expect_magic, rl_frame_info *info,
                       const uint8_t **payload, size_t *payload_len, void **owned, char *errstr,
                       size_t errstr_size)
{
    return rl_frame_decode_ex(p, len, expect_magic, NULL, NULL, 0, info, payload, payload_len,
                              owned, errstr, errstr_size);
}

rl_err rl_frame_decode_ex(const void *p, size_t len, const char *expect_magic,
                          const rl_fmt_sum *sum, void *scratch, size_t scratch_cap,
                          rl_frame_info *info, const uint8_t **payload, size_t *payload_len,
                          void **owned, char *errstr, size_t errstr_size)
{
    const uint8_t *b = p;
    *owned = NULL;
    *payload = NULL;
    *payload_len = 0;
    memset(info, 0, sizeof(*info));
    if (len == 0)
        return rl_set_err(errstr, errstr_size, RL_ERR_FORMAT, "empty (0 bytes)");
    if (len < 4 || !known_magic(b)) {
        return rl_set_err(errstr, errstr_size, RL_ERR_FORMAT,
                          "not a relearn file (no RLCK/RLSN/RLSC magic)");
    }
    memcpy(info->magic, b, 4);
    if (expect_magic && memcmp(b, expect_magic, 4) != 0) {
        if (memcmp(b, RL_MAGIC_CHUNK, 4) == 0 && memcmp(expect_magic, RL_MAGIC_SNAPSHOT, 4) == 0)
            return rl_set_err(errstr, errstr_size, RL_ERR_FORMAT,
                              "one chunk of a snapshot (magic RLSC), not a whole snapshot (RLSN): "
                              "`relearn snapshots --get VERSION -o FILE` joins a version's chunks");
        return rl_set_err(errstr, errstr_size, RL_ERR_FORMAT, "magic %s, expected %s", info->magic,
                          expect_magic);
    }
    if (len < 6)
        return rl_set_err(errstr, errstr_size, RL_ERR_FORMAT,
                          "truncated: %zu bytes, shorter than the %d-byte header", len,
                          RL_FRAME_HEADER_LEN);
    info->version = get_u16(b + 4);
    rl_err ve = rl_check_format_version(info->version, 1, RL_FRAME_VERSION, "container", errstr,
                                        errstr_size);
    if (ve != RL_OK)
        return ve;
    if (len < RL_FRAME_HEADER_LEN + RL_FRAME_TRAILER_LEN)
        return rl_set_err(errstr, errstr_size, RL_ERR_FORMAT,
                          "truncated: %zu bytes, shorter than header and checksum (%d)", len,
                          RL_FRAME_HEADER_LEN + RL_FRAME_TRAILER_LEN);
    info->flags = get_u16(b + 6);
    info->payload_len = get_u64(b + 8);
    info->raw_len = get_u64(b + 16);
    uint64_t avail = len - RL_FRAME_HEADER_LEN - RL_FRAME_TRAILER_LEN;
    if (info->payload_len > avail)
        return rl_set_err(errstr, errstr_size, RL_ERR_FORMAT,
                          "truncated: header says %llu payload bytes, only %llu present",
                          (unsigned long long)info->payload_len, (unsigned long long)avail);
    if (info->payload_len < avail)
        return rl_set_err(errstr, errstr_size, RL_ERR_FORMAT,
                          "%llu unexpected bytes after the checksum",
                          (unsigned long long)(avail - info->payload_len));
    size_t body = RL_FRAME_HEADER_LEN + (size_t)info->payload_len;
    info->checksum = get_u64(b + body);
    info->total_len = len;
    /* The loader hashes as it reads; its figure counts only when it covers exactly these
     * bytes (the header, the payload, not the trailer). */
    uint64_t h = sum && sum->len == body ? sum->hash : rl_fmt_hash64(b, body);
    if (h != info->checksum)
        return rl_set_err(errstr, errstr_size, RL_ERR_CHECKSUM,
                          "checksum mismatch: stored %016llx, computed %016llx",
                          (unsigned long long)info->checksum, (unsigned long long)h);
    /* Flags are checked after the checksum: a flipped bit is corruption, a clean unknown flag
     * is a newer writer's feature. */
    if (info->flags & ~RL_FRAME_KNOWN)
        return rl_set_err(errstr, errstr_size, RL_ERR_VERSION,
                          "unknown flags 0x%x (written by a newer relearn): refusing to guess",
                          info->flags);
    const uint8_t *stored = b + RL_FRAME_HEADER_LEN;
    if (!(info->flags & RL_FRAME_KNOWN)) {
        if (info->raw_len != info->payload_len)
            return rl_set_err(errstr, errstr_size, RL_ERR_FORMAT,
                              "uncompressed payload of %llu bytes claims raw length %llu",
                              (unsigned long long)info->payload_len,
                              (unsigned long long)info->raw_len);
        *payload = stored;
        *payload_len = (size_t)info->payload_len;
        return RL_OK;
    }
    if (info->raw_len > RL_FRAME_MAX_RAW || info->raw_len > SIZE_MAX - 1)
        return rl_set_err(errstr, errstr_size, RL_ERR_FORMAT,
                          "raw length %llu exceeds the limit of %llu bytes",
                          (unsigned long long)info->raw_len, (unsigned long long)RL_FRAME_MAX_RAW);
    /* zstd yields the payload, or (with RL_FRAME_ZERO_RUNS) its zero-run coding, which a writer
     * uses only when it is shorter than the payload */
    int zr = (info->flags & RL_FRAME_ZERO_RUNS) != 0;
    uint64_t zlen = info->payload_len; /* bytes of the zero-run coding */
    if (info->flags & RL_FRAME_ZSTD) {
        unsigned long long fcs = ZSTD_getFrameContentSize(stored, info->payload_len);
        if (zr ? fcs > info->raw_len : fcs != info->raw_len)
            return rl_set_err(errstr, errstr_size, RL_ERR_FORMAT,
                              "zstd frame content size does not match the header's raw length %llu",
                              (unsigned long long)info->raw_len);
        zlen = fcs;
    } else if (zlen > info->raw_len) {
        return rl_set_err(errstr, errstr_size, RL_ERR_FORMAT,
                          "zero-run coding of %llu bytes is longer than its raw length %llu",
                          (unsigned long long)zlen, (unsigned long long)info->raw_len);
    }
    /* A restarting process decompresses into fresh memory: with 4 KiB pages, faulting them in
     * cost several times the decompression itself (16 MiB: ~50 ms here against ~2 ms). */
    uint8_t *raw = scratch && scratch_cap >= (size_t)info->raw_len + 1
                       ? scratch
                       : rl_fmt_alloc_big((size_t)info->raw_len + 1, 1, NULL);
    uint8_t *coded = NULL; /* zstd + zero runs: the coding, decompressed */
    if (raw && zr && (info->flags & RL_FRAME_ZSTD))
        coded = rl_fmt_alloc_big((size_t)zlen + 1, 1, NULL);
    if (!raw || (zr && (info->flags & RL_FRAME_ZSTD) && !coded)) {
        if (raw != scratch)
            free(raw);
        return rl_set_err(errstr, errstr_size, RL_ERR_NOMEM,
                          "decompressing %llu bytes: out of memory",
                          (unsigned long long)info->raw_len);
    }
    const char *zstd_why = NULL, *zr_why = NULL;
    if (info->flags & RL_FRAME_ZSTD) {
        size_t got =
            ZSTD_decompress(zr ? coded : raw, (size_t)zlen + 1, stored, (size_t)info->payload_len);
        if (ZSTD_isError(got) || got != zlen)
            zstd_why = ZSTD_isError(got) ? ZSTD_getErrorName(got) : "wrong length";
        else if (zr)
            rl_zr_decode(coded, (size_t)zlen, raw, (size_t)info->raw_len, &zr_why);
    } else {
        rl_zr_decode(stored, (size_t)zlen, raw, (size_t)info->raw_len, &zr_why);
    }
    free(coded);
    if (zstd_why || zr_why) {
        if (raw != scratch)
            free(raw);
        return zstd_why ? rl_set_err(errstr, errstr_size, RL_ERR_FORMAT,
                                     "zstd payload does not decompress: %s", zstd_why)
                        : rl_set_err(errstr, errstr_size, RL_ERR_FORMAT,
                                     "payload's zero-run coding is corrupt: %s", zr_why);
    }
    *owned = raw;
    *payload = raw;
    *payload_len = (size_t)info->raw_len;
    return RL_OK;
}
