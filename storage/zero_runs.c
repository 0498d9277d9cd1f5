/* zero_runs.c - zero-run coding (zero_runs.h). */
#include "storage/zero_runs.h"

#include "common/varint.h"

#include <stdlib.h>
#include <string.h>

/* Literals at least this long are referred to where they are rather than copied into side:
 * a dense stretch of a state is written (or compressed) straight from the learner's export. */
#define BIG_LITERAL ((size_t)4 << 10)

void rl_zr_enc_init(rl_zr_enc *z)
{
    memset(z, 0, sizeof(*z));
    rl_buf_init(&z->side);
}

void rl_zr_enc_free(rl_zr_enc *z)
{
    free(z->iov);
    free(z->in_side);
    rl_buf_free(&z->side);
    rl_zr_enc_init(z);
}

static int add_piece(rl_zr_enc *z, const void *base, size_t len, int in_side)
{
    if (len == 0)
        return 0;
    /* consecutive side bytes are one piece */
    if (in_side && z->n_iov && z->in_side[z->n_iov - 1]) {
        z->iov[z->n_iov - 1].iov_len += len;
        return 0;
    }
    if (z->n_iov == z->cap_iov) {
        size_t cap = z->cap_iov ? 2 * z->cap_iov : 16;
        struct iovec *v = realloc(z->iov, cap * sizeof(*v));
        if (!v)
            return -1;
        z->iov = v;
        unsigned char *s = realloc(z->in_side, cap);
        if (!s)
            return -1;
        z->in_side = s;
        z->cap_iov = cap;
    }
    z->iov[z->n_iov] = (struct iovec){(void *)base, len};
    z->in_side[z->n_iov++] = (unsigned char)in_side;
    return 0;
}

static int put_varint(rl_zr_enc *z, uint64_t v)
{
    uint8_t b[RL_VARINT_MAX_LEN];
    size_t n = rl_varint_put(b, v);
    /* a side piece's base holds its offset into side until the end (side may move) */
    if (add_piece(z, (void *)(uintptr_t)z->side.len, n, 1) != 0)
        return -1;
    rl_buf_put(&z->side, b, n);
    return z->side.failed ? -1 : 0;
}

static int put_record(rl_zr_enc *z, const uint8_t *lit, size_t lit_len, size_t zero_len)
{
    if (put_varint(z, lit_len) != 0)
        return -1;
    if (lit_len >= BIG_LITERAL) {
        if (add_piece(z, lit, lit_len, 0) != 0)
            return -1;
    } else if (lit_len) {
        if (add_piece(z, (void *)(uintptr_t)z->side.len, lit_len, 1) != 0)
            return -1;
        rl_buf_put(&z->side, lit, lit_len);
        if (z->side.failed)
            return -1;
    }
    return put_varint(z, zero_len);
}

static uint64_t load64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof(v));
    return v;
}

/* The records of one piece. A run of RL_ZR_MIN_RUN (16) zero bytes holds at least one zero
 * 8-byte word at an offset divisible by 8 from the piece's start, so the scan looks at words and
 * widens each zero word it finds to its whole run, byte by byte at the edges. */
static int encode_piece(rl_zr_enc *z, const uint8_t *p, size_t len)
{
    size_t lit = 0, i = 0;
    while (i + 8 <= len) {
        if (load64(p + i) != 0) {
            i += 8;
            continue;
        }
        size_t a = i, b = i + 8;
        while (a > lit && p[a - 1] == 0)
            a--;
        while (b + 8 <= len && load64(p + b) == 0)
            b += 8;
        while (b < len && p[b] == 0)
            b++;
        if (b - a >= RL_ZR_MIN_RUN) {
            if (put_record(z, p + lit, a - lit, b - a) != 0)
                return -1;
            lit = b;
        }
        /* the next word starts after the run, on the piece's 8-byte grid */
        i = (b + 7) & ~(size_t)7;
    }
    if (lit < len) {
        /* the tail: a short zero run at the very end stays in the literal */
        if (put_record(z, p + lit, len - lit, 0) != 0)
            return -1;
    }
    return 0;
}

rl_err rl_zr_encode(rl_zr_enc *z, const struct iovec *in, int n)
{
    z->n_iov = 0;
    z->len = 0;
    rl_buf_reset(&z->side);
    for (int k = 0; k < n; k++)
        if (encode_piece(z, in[k].iov_base, in[k].iov_len) != 0)
            return RL_ERR_NOMEM;
    for (size_t k = 0; k < z->n_iov; k++)
        if (z->in_side[k])
            z->iov[k].iov_base = z->side.data + (uintptr_t)z->iov[k].iov_base;
    z->len = 0;
    for (size_t k = 0; k < z->n_iov; k++)
        z->len += z->iov[k].iov_len;
    return RL_OK;
}

int rl_zr_decode(const uint8_t *src, size_t len, uint8_t *dst, size_t raw_len, const char **why)
{
    size_t pos = 0, out = 0;
    while (out < raw_len) {
        uint64_t lit, zero;
        if (rl_varint_get(src, len, &pos, &lit) != 0) {
            *why = "zero-run coding ends inside a record";
            return -1;
        }
        if (lit > raw_len - out || lit > len - pos) {
            *why = "zero-run literal longer than what is left";
            return -1;
        }
        memcpy(dst + out, src + pos, (size_t)lit);
        pos += (size_t)lit;
        out += (size_t)lit;
        if (rl_varint_get(src, len, &pos, &zero) != 0) {
            *why = "zero-run coding ends inside a record";
            return -1;
        }
        if (zero > raw_len - out) {
            *why = "zero run longer than what is left";
            return -1;
        }
        if (lit + zero == 0) {
            *why = "empty zero-run record";
            return -1;
        }
        memset(dst + out, 0, (size_t)zero);
        out += (size_t)zero;
    }
    if (pos != len) {
        *why = "bytes after the end of the zero-run coding";
        return -1;
    }
    return 0;
}

void rl_zr_reader_init(rl_zr_reader *r, rl_zr_pull_fn pull, void *ctx, uint64_t coded_len)
{
    r->pull = pull;
    r->ctx = ctx;
    r->coded_left = coded_len;
    r->lit_left = r->zero_left = 0;
    r->in_record = 0;
    r->pos = r->len = 0;
}

static int refill(rl_zr_reader *r)
{
    size_t n = r->coded_left < RL_ZR_READER_BUF ? (size_t)r->coded_left : RL_ZR_READER_BUF;
    if (n == 0 || r->pull(r->ctx, r->buf, n) != 0)
        return -1;
    r->coded_left -= n;
    r->pos = 0;
    r->len = n;
    return 0;
}

static int read_varint(rl_zr_reader *r, uint64_t *v)
{
    uint64_t x = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (r->pos == r->len && refill(r) != 0)
            return -1;
        uint8_t b = r->buf[r->pos++];
        x |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *v = x;
            return 0;
        }
    }
    return -1;
}

/* Starts the next record, or its zero run once the literal is done. */
static int next_run(rl_zr_reader *r)
{
    if (!r->in_record) {
        if (read_varint(r, &r->lit_left) != 0)
            return -1;
        r->in_record = r->lit_left ? 2 : 1;
        return 0;
    }
    uint64_t zero;
    if (read_varint(r, &zero) != 0)
        return -1;
    /* after a literal with bytes an empty zero run is fine; after an empty one it is not */
    if (zero == 0 && r->in_record != 2)
        return -1;
    r->zero_left = zero;
    r->in_record = 0;
    return 0;
}

int rl_zr_read(rl_zr_reader *r, void *dst, size_t n)
{
    uint8_t *d = dst;
    while (n) {
        if (r->lit_left) {
            size_t k = r->lit_left < n ? (size_t)r->lit_left : n;
            if (r->pos < r->len) {
                if (k > r->len - r->pos)
                    k = r->len - r->pos;
                memcpy(d, r->buf + r->pos, k);
                r->pos += k;
            } else if (k >= RL_ZR_READER_BUF) {
                /* a long literal goes from the source straight to its destination */
                if (k > r->coded_left || r->pull(r->ctx, d, k) != 0)
                    return -1;
                r->coded_left -= k;
            } else if (refill(r) != 0) {
                return -1;
            } else {
                continue;
            }
            r->lit_left -= k;
            d += k;
            n -= k;
        } else if (r->zero_left) {
            size_t k = r->zero_left < n ? (size_t)r->zero_left : n;
            memset(d, 0, k);
            r->zero_left -= k;
            d += k;
            n -= k;
        } else if (next_run(r) != 0) {
            return -1;
        }
    }
    return 0;
}

int rl_zr_reader_finish(rl_zr_reader *r)
{
    if (r->lit_left || r->zero_left)
        return -1;
    if (r->in_record) {
        /* the last record's zero run, which must be empty: nothing more was to come */
        uint64_t zero;
        if (r->in_record != 2 || read_varint(r, &zero) != 0 || zero != 0)
            return -1;
        r->in_record = 0;
    }
    return r->coded_left == 0 && r->pos == r->len ? 0 : -1;
}
