/* ckpt_load.c - a checkpoint file straight into a new model, the learner's state read from the
 * file into the learner's own arrays.
 *
 * rl_ckpt_read_file + rl_ckpt_to_model copy the weights twice, file -> buffer -> learner, each
 * time into fresh memory in a process that has just started: a cold load cost 2.6-3.7x a plain
 * read() of the weights (BENCHMARKS.md, "## Checkpoints"). Here the file is walked once: the
 * frame header, then the protobuf fields in order. relearn writes the small fields first and
 * the three state blobs after them (ckpt.c, write_streamed), so when the learner's blob comes
 * the model can be built from what came before, and the learner reads its blob from the
 * stream (rl_learner_import_from). The checksum covers every byte as it passes and is compared
 * at the end; the model is handed out only after it matches and the rest of the state
 * imports. Anything unexpected (another field order, a bad checksum, a state the learner
 * refuses) discards the partial model and reads the file again the buffered way, whose result
 * and message stand: this is a faster path, never a second opinion.
 *
 * zstd files stream too when their window is small: checkpoints are written with a 128 KiB
 * window (ckpt.c), and the decoder is told to refuse more than 1 MiB, so a file from before
 * (whose window is as large as the state: the decoder would keep a buffer that large and copy
 * out of it, measured slower than the buffered path) fails here and takes the buffered path.
 * A zero-run coded file (zero_runs.h; after zstd, if both) streams through rl_zr_reader: the
 * literals are copied into the learner's arrays and the runs memset, so a sparse state costs
 * about one pass of writes over its arrays, not the decompression of every zero. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define ZSTD_STATIC_LINKING_ONLY  /* ZSTD_createDCtx_advanced: the decoder's memory from the arena \
                                   */
#include <zstd.h>

#include "storage/ckpt_hash.h"
#include "storage/ckpt_internal.h"
#include "storage/zero_runs.h"

/* Reads of this size: small enough to hash while in L2, and the read buffer lives on the stack
 * (a fresh 256 KiB heap block cost its page faults on every load). */
#define IN_CHUNK ((size_t)64 << 10)
/* Large reads go straight to their destination this many bytes at a time: few enough system
 * calls (64 KiB reads cost ~10% of a 16 MiB load here), and still hashed while in L2. */
#define DIRECT_CHUNK        ((size_t)1 << 20)
#define ZSTD_WINDOW_LOG_MAX 20
/* The fields before the state blobs (ids, offsets, config, dictionary): far below this. */
#define SMALL_FIELDS_MAX ((size_t)64 << 20)

/* The loader's own working memory (the zstd decoder's window and tables, the zero-run reader's
 * buffer: ~0.5 MiB) comes from one 2 MiB block advised for huge pages. A process that has just
 * started touches all of it for the first time, and on this VM each 4 KiB page fault costs
 * ~10 us: about 1 ms of a 16 MiB load went to faulting in the decoder's memory. */
#define ARENA_SIZE ((size_t)2 << 20)
typedef struct arena {
    uint8_t *base;
    size_t used;
} arena;

static void *arena_alloc(void *opaque, size_t n)
{
    arena *a = opaque;
    size_t at = (a->used + 63) & ~(size_t)63;
    if (a->base && at <= ARENA_SIZE && n <= ARENA_SIZE - at) {
        a->used = at + n;
        return a->base + at;
    }
    return malloc(n);
}

static void arena_free(void *opaque, void *p)
{
    arena *a = opaque;
    if (!a->base || (uint8_t *)p < a->base || (uint8_t *)p >= a->base + ARENA_SIZE)
        free(p); /* arena pieces go with the arena */
}

typedef struct stream {
    int fd;
    ZSTD_DCtx *dz;        /* NULL: not compressed */
    uint8_t in[IN_CHUNK]; /* file input for the small fields */
    size_t in_len, in_pos;
    uint64_t file_left; /* payload bytes not yet read from the file */
    uint64_t raw_left;  /* payload bytes (after decompression) not yet handed out */
    int frame_done;     /* zstd: the decoder said its frame is complete */
    rl_zr_reader *zr;   /* NULL: not zero-run coded */
    arena mem;
    rl_fmt_hash hash;
} stream;

static int read_full(int fd, void *dst, size_t n)
{
    uint8_t *p = dst;
    while (n) {
        ssize_t r = read(fd, p, n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        p += r;
        n -= (size_t)r;
    }
    return 0;
}

/* n file bytes of the payload into dst, hashed as they arrive. */
static int file_bytes(stream *s, uint8_t *dst, size_t n)
{
    if (n > s->file_left || read_full(s->fd, dst, n) != 0)
        return -1;
    rl_fmt_hash_update(&s->hash, dst, n);
    s->file_left -= n;
    return 0;
}

static int refill(stream *s)
{
    size_t n = s->file_left < IN_CHUNK ? (size_t)s->file_left : IN_CHUNK;
    if (n == 0 || file_bytes(s, s->in, n) != 0)
        return -1;
    s->in_len = n;
    s->in_pos = 0;
    return 0;
}

/* Uncompressed: what is buffered first, then large pieces straight from the file into dst (in
 * DIRECT_CHUNK steps, each hashed while it is still in cache), small ones through the buffer. */
static int read_plain(stream *s, uint8_t *dst, size_t n)
{
    while (n) {
        if (s->in_pos < s->in_len) {
            size_t k = s->in_len - s->in_pos < n ? s->in_len - s->in_pos : n;
            memcpy(dst, s->in + s->in_pos, k);
            s->in_pos += k;
            dst += k;
            n -= k;
        } else if (n >= IN_CHUNK) {
            size_t k = n < DIRECT_CHUNK ? n - n % IN_CHUNK : DIRECT_CHUNK;
            if (file_bytes(s, dst, k) != 0)
                return -1;
            dst += k;
            n -= k;
        } else if (refill(s) != 0) {
            return -1;
        }
    }
    return 0;
}

/* One step of the decoder into out; -1 on corrupt input, a frame that ends early, or no
 * progress at all (the input has run out). */
static int zstd_step(stream *s, ZSTD_outBuffer *out)
{
    if (s->in_pos == s->in_len && s->file_left && refill(s) != 0)
        return -1;
    size_t out0 = out->pos, in0 = s->in_pos;
    ZSTD_inBuffer in = {s->in, s->in_len, s->in_pos};
    size_t r = ZSTD_decompressStream(s->dz, out, &in);
    s->in_pos = in.pos;
    if (ZSTD_isError(r))
        return -1;
    s->frame_done = r == 0;
    if ((r == 0 && out->pos < out->size) || (out->pos == out0 && s->in_pos == in0 && r != 0))
        return -1;
    return 0;
}

static int read_zstd(stream *s, uint8_t *dst, size_t n)
{
    ZSTD_outBuffer out = {dst, n, 0};
    while (out.pos < out.size)
        if (zstd_step(s, &out) != 0)
            return -1;
    return 0;
}

/* Exactly n stored bytes, after zstd if any (for a zero-run coded file: its coding). */
static int pull_stored(void *ctx, void *dst, size_t n)
{
    stream *s = ctx;
    return s->dz ? read_zstd(s, dst, n) : read_plain(s, dst, n);
}

/* Exactly n payload bytes into dst. */
static int pull(stream *s, void *dst, size_t n)
{
    if (n > s->raw_left)
        return -1;
    int r = s->zr ? rl_zr_read(s->zr, dst, n) : pull_stored(s, dst, n);
    if (r == 0)
        s->raw_left -= n;
    return r;
}

static rl_err src_read(void *ctx, void *dst, size_t n, char *errstr, size_t errstr_size)
{
    if (pull(ctx, dst, n) != 0)
        return rl_set_err(errstr, errstr_size, RL_ERR_FORMAT, "state truncated or corrupt");
    return RL_OK;
}

/* A varint of the payload; its bytes are also appended to copy (when not NULL). */
static int pull_varint(stream *s, uint64_t *v, rl_buf *copy)
{
    uint64_t x = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        uint8_t b;
        if (pull(s, &b, 1) != 0)
            return -1;
        if (copy)
            rl_buf_put_u8(copy, b);
        x |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *v = x;
            return 0;
        }
    }
    return -1;
}

/* len payload bytes appended to b. */
static int pull_into(stream *s, rl_buf *b, uint64_t len)
{
    if (len == 0)
        return 0; /* an empty field (a model without a detector): b may have no buffer yet */
    if (len > s->raw_left || rl_buf_reserve(b, (size_t)len) != 0)
        return -1;
    if (pull(s, b->data + b->len, (size_t)len) != 0)
        return -1;
    b->len += (size_t)len;
    return 0;
}

/* After the last payload byte the zstd frame must end, and the file must hold exactly the
 * trailer, the checksum of everything before it. */
static int finish(stream *s)
{
    if (s->zr && rl_zr_reader_finish(s->zr) != 0)
        return -1;
    while (s->dz && !s->frame_done) {
        /* the frame's end may still be in the decoder's hands: it must yield nothing more */
        uint8_t extra;
        ZSTD_outBuffer out = {&extra, 1, 0};
        if (zstd_step(s, &out) != 0 || out.pos != 0)
            return -1;
    }
    if (s->in_pos != s->in_len || s->file_left)
        return -1;
    uint8_t t[RL_FRAME_TRAILER_LEN + 1];
    if (read_full(s->fd, t, RL_FRAME_TRAILER_LEN) != 0)
        return -1;
    if (read(s->fd, t + RL_FRAME_TRAILER_LEN, 1) != 0)
        return -1; /* bytes after the trailer */
    return rl_frame_get_u64(t) == rl_fmt_hash_digest(&s->hash) ? 0 : -1;
}

/* The streamed load. Any failure returns an error without a message of its own: the caller
 * falls back to the buffered path for the real answer. */
static rl_err stream_load(const char *path, rl_ckpt *c, rl_alert_cb cb, void *opaque,
                          rl_model **out)
{
    stream s;
    rl_buf small;
    rl_model *m = NULL;
    uint8_t h[RL_FRAME_HEADER_LEN];
    struct stat st;
    rl_frame_info info;
    char sub[256];
    int have_learner = 0;
    rl_err e = RL_ERR_FORMAT;

    memset(&s, 0, sizeof(s));
    s.fd = -1;
    rl_buf_init(&small);
    *out = NULL;
    if (rl_fmt_open_checked(path, 0, &s.fd, &st, sub, sizeof(sub)) != RL_OK ||
        read_full(s.fd, h, sizeof(h)) != 0)
        goto fail;
    rl_frame_read_header(h, &info);
    int zstd = (info.flags & RL_FRAME_ZSTD) != 0, zr = (info.flags & RL_FRAME_ZERO_RUNS) != 0;
    if (memcmp(h, RL_MAGIC_CKPT, 4) != 0 || info.version != RL_FRAME_VERSION ||
        (info.flags & ~RL_FRAME_KNOWN) || info.raw_len > RL_FRAME_MAX_RAW ||
        info.payload_len > (uint64_t)st.st_size ||
        (uint64_t)st.st_size != RL_FRAME_HEADER_LEN + info.payload_len + RL_FRAME_TRAILER_LEN ||
        (!zstd && !zr && info.raw_len != info.payload_len) ||
        (!zstd && zr && info.payload_len > info.raw_len))
        goto fail;
    info.total_len = (size_t)st.st_size;
    if (zstd || zr)
        s.mem.base = rl_fmt_alloc_big(ARENA_SIZE, 1, NULL); /* NULL: malloc serves */
    if (zstd) {
        ZSTD_customMem cm = {arena_alloc, arena_free, &s.mem};
        s.dz = ZSTD_createDCtx_advanced(cm);
        if (!s.dz ||
            ZSTD_isError(ZSTD_DCtx_setParameter(s.dz, ZSTD_d_windowLogMax, ZSTD_WINDOW_LOG_MAX)))
            goto fail;
    }
    if (rl_fmt_hash_init(&s.hash) != 0)
        goto fail;
    rl_fmt_hash_update(&s.hash, h, sizeof(h));
    s.file_left = info.payload_len;
    s.raw_left = info.raw_len;
    if (zr) {
        /* the coding's length: the file's payload, or what the zstd frame says it holds */
        uint64_t coded = info.payload_len;
        if (zstd) {
            if (refill(&s) != 0)
                goto fail;
            unsigned long long fcs = ZSTD_getFrameContentSize(s.in, s.in_len);
            if (fcs == ZSTD_CONTENTSIZE_UNKNOWN || fcs == ZSTD_CONTENTSIZE_ERROR ||
                fcs > info.raw_len)
                goto fail;
            coded = fcs;
        }
        s.zr = arena_alloc(&s.mem, sizeof(*s.zr));
        if (!s.zr)
            goto fail;
        rl_zr_reader_init(s.zr, pull_stored, &s, coded);
    }

    rl_ckpt_clear(c);
    while (s.raw_left > 0) {
        size_t start = small.len;
        uint64_t key, len;
        if (pull_varint(&s, &key, &small) != 0)
            goto fail;
        uint64_t field = key >> 3;
        unsigned wire = (unsigned)(key & 7);
        /* Field 0 does not exist in protobuf (a file of zeros reads as an endless run of it), and
         * the small fields are small: either way this is no checkpoint relearn wrote. */
        if (field == 0 || small.len > SMALL_FIELDS_MAX)
            goto fail;
        if (wire == 2 && field >= 10 && field <= 12) {
            small.len = start; /* the state blobs are not part of the small fields */
            if (pull_varint(&s, &len, NULL) != 0 || len > s.raw_left)
                goto fail;
            if (field == 10) {
                if (have_learner || small.failed)
                    goto fail;
                if (rl_ckpt_decode_fields(small.data, small.len, &info, c, sub, sizeof(sub)) !=
                        RL_OK ||
                    rl_model_new(&c->config, cb, opaque, &m, sub, sizeof(sub)) != RL_OK)
                    goto fail;
                rl_byte_stream src = {src_read, &s};
                if (rl_learner_import_from(rl_model_learner(m), &src, (size_t)len, sub,
                                           sizeof(sub)) != RL_OK)
                    goto fail;
                have_learner = 1;
            } else {
                rl_buf *b = field == 11 ? &c->detector_state : &c->rest_state;
                if (!have_learner)
                    goto fail; /* the order relearn writes: learner, detector, rest */
                rl_buf_reset(b);
                if (pull_into(&s, b, len) != 0)
                    goto fail;
            }
            continue;
        }
        if (have_learner)
            goto fail; /* relearn writes every small field before the blobs */
        switch (wire) {
        case 0:
            if (pull_varint(&s, &len, &small) != 0)
                goto fail;
            break;
        case 1:
            if (pull_into(&s, &small, 8) != 0)
                goto fail;
            break;
        case 5:
            if (pull_into(&s, &small, 4) != 0)
                goto fail;
            break;
        case 2:
            if (pull_varint(&s, &len, &small) != 0 || pull_into(&s, &small, len) != 0)
                goto fail;
            break;
        default:
            goto fail;
        }
    }
    if (!have_learner || finish(&s) != 0)
        goto fail;
    info.checksum = rl_fmt_hash_digest(&s.hash);
    if (rl_model_import_rest(m, c->detector_state.data, c->detector_state.len, c->rest_state.data,
                             c->rest_state.len, sub, sizeof(sub)) != RL_OK)
        goto fail;
    c->frame = info;
    *out = m;
    m = NULL;
    e = RL_OK;
fail:
    rl_model_destroy(m);
    if (e != RL_OK)
        rl_ckpt_clear(c);
    rl_buf_free(&small);
    rl_fmt_hash_free(&s.hash);
    ZSTD_freeDCtx(s.dz);
    if (s.zr)
        arena_free(&s.mem, s.zr);
    free(s.mem.base);
    if (s.fd >= 0)
        close(s.fd);
    return e;
}

rl_err rl_ckpt_load_model(const char *path, rl_ckpt *c, rl_alert_cb cb, void *opaque,
                          rl_model **out, int *stage, char *errstr, size_t errstr_size)
{
    char sub[512];
    if (stage)
        *stage = 0;
    *out = NULL;
    if (stream_load(path, c, cb, opaque, out) == RL_OK)
        return RL_OK;
    /* The buffered path: the canonical reading, and the canonical error. */
    rl_err e = rl_ckpt_read_file(path, c, errstr, errstr_size);
    if (e != RL_OK)
        return e;
    if (stage)
        *stage = 1;
    e = rl_ckpt_to_model(c, cb, opaque, out, sub, sizeof(sub));
    if (e != RL_OK)
        return rl_set_err(errstr, errstr_size, e, "%s: %s", path, sub);
    return RL_OK;
}
