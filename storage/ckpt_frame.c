/* ckpt_frame.c - the file framing every relearn file shares (magic, container version, flags,
 * lengths, payload, XXH3-64 trailer), atomic file writes behind a fault seam, and the config
 * and dictionary conversions that checkpoints and snapshots both store. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <zstd.h>

#include "storage/ckpt_hash.h"
#include "storage/zero_runs.h"
#include "storage/ckpt_internal.h"

#define ZSTD_LEVEL_DEFAULT 1 /* floats barely compress better at 3; 1 is about twice as fast */

int64_t rl_fmt_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

char *rl_fmt_strdup(const char *s)
{
    if (!s)
        s = "";
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

/* Buffers of at least this size are asked for transparent huge pages. */
#define BIG_ALLOC (256u << 10)
#define HUGE_PAGE (2u << 20)

void *rl_fmt_alloc_big(size_t n, int round_up, size_t *cap)
{
    if (cap)
        *cap = n ? n : 1;
#ifdef MADV_HUGEPAGE
    if (n >= BIG_ALLOC && n <= SIZE_MAX - HUGE_PAGE) {
        /* A huge page needs the whole 2 MiB. Rounded up to whole huge pages when asked or
         * when that wastes at most an eighth (touching the tail makes the rest of its page
         * resident), else only the whole huge pages inside are advised and the tail has
         * 4 KiB pages: many 1 MiB snapshot rows must not take 2 MiB each. */
        size_t up = (n + HUGE_PAGE - 1) & ~(size_t)(HUGE_PAGE - 1);
        size_t r = round_up || up - n <= n / 8 ? up : n;
        size_t advise = r & ~(size_t)(HUGE_PAGE - 1);
        void *p = NULL;
        if (posix_memalign(&p, HUGE_PAGE, r) != 0)
            return NULL;
        /* Advice only: where THP is off or unavailable, the pages are ordinary ones. */
        if (advise)
            (void)madvise(p, advise, MADV_HUGEPAGE);
        if (cap)
            *cap = r;
        return p;
    }
#endif
    return malloc(n ? n : 1);
}

/* ---- framing ---- */
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
           memcmp(p, RL_MAGIC_CHUNK, 4) == 0;
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

/* ---- files ---- */
rl_err rl_file_read(const char *path, rl_buf *out, char *errstr, size_t errstr_size)
{
    rl_buf_reset(out);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return rl_set_err(errstr, errstr_size, errno == ENOENT ? RL_ERR_NOT_FOUND : RL_ERR_IO,
                          "%s: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int en = errno;
        close(fd);
        return rl_set_err(errstr, errstr_size, RL_ERR_IO, "%s: %s", path, strerror(en));
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return rl_set_err(errstr, errstr_size, RL_ERR_IO, "%s: not a regular file", path);
    }
    /* Size from fstat, then read until EOF anyway: the file may change under us. */
    size_t want = (size_t)st.st_size + 1;
    for (;;) {
        if (rl_buf_reserve(out, want) != 0) {
            close(fd);
            return rl_set_err(errstr, errstr_size, RL_ERR_NOMEM, "%s: out of memory", path);
        }
        ssize_t n = read(fd, out->data + out->len, out->cap - out->len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            int en = errno;
            close(fd);
            return rl_set_err(errstr, errstr_size, RL_ERR_IO, "%s: read: %s", path, strerror(en));
        }
        if (n == 0)
            break;
        out->len += (size_t)n;
        want = 1 << 16;
    }
    close(fd);
    return RL_OK;
}

/* Chunk of the hashed reads: small enough that the hash finds it in L2 after the copy. */
#define HASHED_READ_CHUNK (256u << 10)

rl_err rl_fmt_file_load(const char *path, void *reuse, size_t reuse_cap, uint8_t **out, size_t *len,
                        size_t *cap, rl_fmt_sum *sum, char *errstr, size_t errstr_size)
{
    rl_fmt_hash h = {NULL};
    uint8_t *buf = NULL;
    rl_err e = RL_OK;
    *out = NULL;
    *len = 0;
    *cap = 0;
    sum->hash = 0;
    sum->len = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        e = rl_set_err(errstr, errstr_size, errno == ENOENT ? RL_ERR_NOT_FOUND : RL_ERR_IO,
                       "%s: %s", path, strerror(errno));
        goto fail;
    }
    struct stat st = {0};
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        int reg = S_ISREG(st.st_mode);
        e = rl_set_err(errstr, errstr_size, RL_ERR_IO, "%s: %s", path,
                       reg ? strerror(errno) : "not a regular file");
        goto fail;
    }
    if ((uint64_t)st.st_size >= SIZE_MAX / 2) {
        e = rl_set_err(errstr, errstr_size, RL_ERR_NOMEM, "%s: %lld bytes: too large to read", path,
                       (long long)st.st_size);
        goto fail;
    }
    /* One byte more than the size, so a file that grew since fstat is noticed. */
    size_t want = (size_t)st.st_size + 1;
    size_t hash_end =
        (size_t)st.st_size >= RL_FRAME_TRAILER_LEN ? (size_t)st.st_size - RL_FRAME_TRAILER_LEN : 0;
    if (reuse && reuse_cap >= want) {
        buf = reuse;
        *cap = reuse_cap;
        reuse = NULL;
    } else {
        buf = rl_fmt_alloc_big(want, 1, cap);
    }
    if (!buf || rl_fmt_hash_init(&h) != 0) {
        e = rl_set_err(errstr, errstr_size, RL_ERR_NOMEM, "%s: out of memory", path);
        goto fail;
    }
    size_t got = 0;
    for (;;) {
        size_t room = *cap - got;
        if (room == 0) {
            /* The file grew under us: the frame check will say what it reads; no early hash. */
            uint8_t *nb = realloc(buf, *cap * 2);
            if (!nb) {
                e = rl_set_err(errstr, errstr_size, RL_ERR_NOMEM, "%s: out of memory", path);
                goto fail;
            }
            buf = nb;
            *cap *= 2;
            room = *cap - got;
        }
        ssize_t n = read(fd, buf + got, room > HASHED_READ_CHUNK ? HASHED_READ_CHUNK : room);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            e = rl_set_err(errstr, errstr_size, RL_ERR_IO, "%s: read: %s", path, strerror(errno));
            goto fail;
        }
        if (n == 0)
            break;
        /* Hashed right after the copy, while the chunk is still in cache: the checksum then
         * costs no pass over memory of its own. */
        if (got < hash_end)
            rl_fmt_hash_update(&h, buf + got,
                               (size_t)n < hash_end - got ? (size_t)n : hash_end - got);
        got += (size_t)n;
    }
    if (got == (size_t)st.st_size) {
        sum->hash = rl_fmt_hash_digest(&h);
        sum->len = hash_end;
    }
    rl_fmt_hash_free(&h);
    close(fd);
    free(reuse);
    *out = buf;
    *len = got;
    return RL_OK;
fail:
    rl_fmt_hash_free(&h);
    if (fd >= 0)
        close(fd);
    if (buf != reuse)
        free(buf);
    free(reuse);
    *cap = 0;
    return e;
}

static int real_open(const char *path, int flags, mode_t mode)
{
    return open(path, flags, mode);
}

static const rl_ckpt_io default_io = {1, real_open, write, fsync, close, rename, unlink};
static const rl_ckpt_io *cur_io = &default_io;

void rl_ckpt_set_io(const rl_ckpt_io *io)
{
    cur_io = io ? io : &default_io;
}

const rl_ckpt_io *rl_ckpt_default_io(void)
{
    return &default_io;
}

const rl_ckpt_io *rl_ckpt_io_current(void)
{
    return cur_io;
}

/* Directory part of path ("." when there is none) into dir. */
static void dir_of(const char *path, char *dir, size_t size)
{
    const char *slash = strrchr(path, '/');
    if (!slash) {
        snprintf(dir, size, ".");
        return;
    }
    size_t n = (size_t)(slash - path);
    if (n == 0)
        n = 1; /* "/file" */
    if (n >= size)
        n = size - 1;
    memcpy(dir, path, n);
    dir[n] = '\0';
}

rl_err rl_file_write_atomic(const char *path, const void *data, size_t len, char *errstr,
                            size_t errstr_size)
{
    struct iovec one = {(void *)data, len};
    return rl_file_write_atomic_iov(path, &one, 1, errstr, errstr_size);
}

/* Writes p[0..len) to fd, in pieces of at most `chunk` bytes; each piece is added to the hash
 * (when h is set) just before it is written, so the kernel copies it from the cache the hash
 * just pulled it into instead of reading the memory a second time. */
static rl_err write_all(const rl_ckpt_io *io, int fd, const char *tmp, const uint8_t *p,
                        size_t left, size_t chunk, rl_fmt_hash *h, char *errstr, size_t errstr_size)
{
    while (left > 0) {
        size_t piece = left > chunk ? chunk : left;
        if (h)
            rl_fmt_hash_update(h, p, piece);
        size_t done = 0;
        while (done < piece) {
            ssize_t w = io->write(fd, p + done, piece - done);
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0)
                return rl_set_err(errstr, errstr_size, RL_ERR_IO, "%s: write: %s", tmp,
                                  w < 0 ? strerror(errno) : "wrote nothing");
            done += (size_t)w;
        }
        p += piece;
        left -= piece;
    }
    return RL_OK;
}

rl_err rl_file_write_atomic_iov(const char *path, const struct iovec *iov, int n_iov, char *errstr,
                                size_t errstr_size)
{
    return rl_file_write_atomic_sum(path, iov, n_iov, 0, errstr, errstr_size);
}

/* Chunk of the hashed writes: small enough to stay in L2 between the hash and the copy. */
#define HASHED_WRITE_CHUNK (256u << 10)

rl_err rl_file_write_atomic_sum(const char *path, const struct iovec *iov, int n_iov,
                                int append_sum, char *errstr, size_t errstr_size)
{
    static atomic_uint counter;
    rl_fmt_hash h = {NULL};
    const rl_ckpt_io *io = cur_io;
    char dir[PATH_MAX], tmp[PATH_MAX];
    int fd = -1, dfd = -1;
    rl_err e = RL_OK;
    int tmp_made = 0;

    dir_of(path, dir, sizeof(dir));
    struct stat st;
    if (stat(dir, &st) != 0)
        return rl_set_err(errstr, errstr_size, RL_ERR_IO, "%s: directory %s: %s", path, dir,
                          strerror(errno));
    /* Others could replace the file in a world-writable directory; with the sticky bit (/tmp)
     * they cannot touch ours, and the temp name is created exclusively. */
    if ((st.st_mode & S_IWOTH) && !(st.st_mode & S_ISVTX))
        return rl_set_err(errstr, errstr_size, RL_ERR_IO,
                          "%s: directory %s is world-writable: refusing to write there", path, dir);
    int n = snprintf(tmp, sizeof(tmp), "%s.tmp.%ld.%u", path, (long)getpid(),
                     atomic_fetch_add(&counter, 1u));
    if (n < 0 || (size_t)n >= sizeof(tmp))
        return rl_set_err(errstr, errstr_size, RL_ERR_INVALID_ARG, "%s: path too long", path);

    fd = io->open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        e = rl_set_err(errstr, errstr_size, RL_ERR_IO, "%s: create: %s", tmp, strerror(errno));
        goto fail;
    }
    tmp_made = 1;
    if (append_sum && rl_fmt_hash_init(&h) != 0) {
        e = rl_set_err(errstr, errstr_size, RL_ERR_NOMEM, "%s: out of memory", tmp);
        goto fail;
    }
    for (int i = 0; i < n_iov; i++) {
        e = write_all(io, fd, tmp, iov[i].iov_base, iov[i].iov_len,
                      append_sum ? HASHED_WRITE_CHUNK : (1u << 30), append_sum ? &h : NULL, errstr,
                      errstr_size);
        if (e != RL_OK)
            goto fail;
    }
    if (append_sum) {
        uint8_t trailer[RL_FRAME_TRAILER_LEN];
        put_u64(trailer, rl_fmt_hash_digest(&h));
        e = write_all(io, fd, tmp, trailer, sizeof(trailer), sizeof(trailer), NULL, errstr,
                      errstr_size);
        if (e != RL_OK)
            goto fail;
    }
    if (io->fsync(fd) != 0) {
        e = rl_set_err(errstr, errstr_size, RL_ERR_IO, "%s: fsync: %s", tmp, strerror(errno));
        goto fail;
    }
    int rc = io->close(fd);
    fd = -1;
    if (rc != 0) {
        e = rl_set_err(errstr, errstr_size, RL_ERR_IO, "%s: close: %s", tmp, strerror(errno));
        goto fail;
    }
    if (io->rename(tmp, path) != 0) {
        e = rl_set_err(errstr, errstr_size, RL_ERR_IO, "%s: rename from %s: %s", path, tmp,
                       strerror(errno));
        goto fail;
    }
    tmp_made = 0;
    /* The rename is durable only once the directory entry is. */
    dfd = io->open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
    if (dfd < 0) {
        e = rl_set_err(errstr, errstr_size, RL_ERR_IO, "%s: open directory %s: %s", path, dir,
                       strerror(errno));
        goto fail;
    }
    if (io->fsync(dfd) != 0) {
        e = rl_set_err(errstr, errstr_size, RL_ERR_IO, "%s: fsync directory %s: %s", path, dir,
                       strerror(errno));
        goto fail;
    }
    io->close(dfd);
    rl_fmt_hash_free(&h);
    return RL_OK;
fail:
    rl_fmt_hash_free(&h);
    if (fd >= 0)
        io->close(fd);
    if (dfd >= 0)
        io->close(dfd);
    if (tmp_made)
        io->unlink(tmp);
    return e;
}
