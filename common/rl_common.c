/* rl_common.c - error strings and the little-endian byte buffer. */
#include "common/rl_common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const err_names[RL_ERR__COUNT] = {
    [RL_OK] = "success",
    [RL_ERR_INVALID_ARG] = "invalid argument",
    [RL_ERR_NOMEM] = "out of memory",
    [RL_ERR_IO] = "I/O error",
    [RL_ERR_FORMAT] = "malformed data",
    [RL_ERR_VERSION] = "unsupported (newer) format version",
    [RL_ERR_CHECKSUM] = "checksum mismatch",
    [RL_ERR_NOT_FOUND] = "not found",
    [RL_ERR_MISMATCH] = "state does not match this model",
    [RL_ERR_BAD_EVENT] = "bad event",
    [RL_ERR_KAFKA] = "Kafka error",
    [RL_ERR_CONFIG] = "invalid configuration",
    [RL_ERR_TIMEOUT] = "timed out",
};

const char *rl_err_str(rl_err err)
{
    if ((int)err < 0 || err >= RL_ERR__COUNT || !err_names[err])
        return "unknown error";
    return err_names[err];
}

rl_err rl_set_err(char *errstr, size_t errstr_size, rl_err err, const char *fmt, ...)
{
    if (errstr && errstr_size > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(errstr, errstr_size, fmt, ap);
        va_end(ap);
    }
    return err;
}

rl_err rl_check_format_version(unsigned got, unsigned oldest, unsigned current, const char *what,
                               char *errstr, size_t errstr_size)
{
    if (got > current)
        return rl_set_err(errstr, errstr_size, RL_ERR_VERSION,
                          "%s: format version %u is newer than this build reads (%u); it was "
                          "written by a newer relearn",
                          what, got, current);
    if (got < oldest) {
        if (oldest == current)
            return rl_set_err(errstr, errstr_size, RL_ERR_FORMAT,
                              "%s: unknown format version %u (this build reads %u)", what, got,
                              current);
        return rl_set_err(errstr, errstr_size, RL_ERR_FORMAT,
                          "%s: unknown format version %u (this build reads %u to %u)", what, got,
                          oldest, current);
    }
    return RL_OK;
}

const char *rl_fmt_double(char *out, size_t out_size, double v)
{
    /* Whole numbers print whole ("100", not "1e+02"); %.0f is exact below 2^53. */
    if (v > -1e15 && v < 1e15 && v == (double)(int64_t)v) {
        snprintf(out, out_size, "%.0f", v);
        return out;
    }
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(out, out_size, "%.*g", prec, v);
        if (strtod(out, NULL) == v)
            return out;
    }
    return out; /* NaN: never equal; %.17g of it is "nan" */
}

void rl_buf_init(rl_buf *b)
{
    memset(b, 0, sizeof(*b));
}

void rl_buf_free(rl_buf *b)
{
    if (!b)
        return;
    free(b->data);
    memset(b, 0, sizeof(*b));
}

void rl_buf_reset(rl_buf *b)
{
    b->len = 0;
}

int rl_buf_reserve(rl_buf *b, size_t extra)
{
    if (b->failed)
        return -1;
    if (extra <= b->cap - b->len)
        return 0;
    size_t need = b->len + extra;
    if (need < b->len) {
        b->failed = 1;
        return -1;
    }
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    uint8_t *p = realloc(b->data, cap);
    if (!p) {
        b->failed = 1;
        return -1;
    }
    b->data = p;
    b->cap = cap;
    return 0;
}

void rl_buf_put(rl_buf *b, const void *p, size_t n)
{
    if (n == 0 || rl_buf_reserve(b, n) != 0)
        return;
    memcpy(b->data + b->len, p, n);
    b->len += n;
}

void rl_buf_put_u8(rl_buf *b, uint8_t v)
{
    rl_buf_put(b, &v, 1);
}

void rl_buf_put_u32(rl_buf *b, uint32_t v)
{
    uint8_t x[4];
    for (int i = 0; i < 4; i++)
        x[i] = (uint8_t)(v >> (8 * i));
    rl_buf_put(b, x, 4);
}

void rl_buf_put_u64(rl_buf *b, uint64_t v)
{
    uint8_t x[8];
    for (int i = 0; i < 8; i++)
        x[i] = (uint8_t)(v >> (8 * i));
    rl_buf_put(b, x, 8);
}

void rl_buf_put_f32(rl_buf *b, float v)
{
    uint32_t u;
    memcpy(&u, &v, 4);
    rl_buf_put_u32(b, u);
}

void rl_buf_put_f64(rl_buf *b, double v)
{
    uint64_t u;
    memcpy(&u, &v, 8);
    rl_buf_put_u64(b, u);
}

static int host_is_le(void)
{
    const uint16_t one = 1;
    return *(const uint8_t *)&one == 1;
}

void rl_buf_put_f32s(rl_buf *b, const float *v, size_t n)
{
    if (host_is_le()) {
        if (n > SIZE_MAX / 4) {
            b->failed = 1;
            return;
        }
        rl_buf_put(b, v, n * 4);
        return;
    }
    for (size_t i = 0; i < n; i++)
        rl_buf_put_f32(b, v[i]);
}

void rl_buf_put_f64s(rl_buf *b, const double *v, size_t n)
{
    if (host_is_le()) {
        if (n > SIZE_MAX / 8) {
            b->failed = 1;
            return;
        }
        rl_buf_put(b, v, n * 8);
        return;
    }
    for (size_t i = 0; i < n; i++)
        rl_buf_put_f64(b, v[i]);
}

void rl_cursor_init(rl_cursor *r, const void *p, size_t len)
{
    r->p = p;
    r->left = p ? len : 0;
    r->failed = 0;
}

static int rd_take(rl_cursor *r, size_t n)
{
    if (r->failed || r->left < n) {
        r->failed = 1;
        return 0;
    }
    return 1;
}

void rl_cursor_bytes(rl_cursor *r, void *out, size_t n)
{
    if (!rd_take(r, n)) {
        if (n)
            memset(out, 0, n);
        return;
    }
    if (n)
        memcpy(out, r->p, n);
    r->p += n;
    r->left -= n;
}

uint8_t rl_cursor_u8(rl_cursor *r)
{
    uint8_t v = 0;
    rl_cursor_bytes(r, &v, 1);
    return v;
}

uint32_t rl_cursor_u32(rl_cursor *r)
{
    uint8_t x[4];
    rl_cursor_bytes(r, x, 4);
    uint32_t v = 0;
    for (int i = 3; i >= 0; i--)
        v = (v << 8) | x[i];
    return v;
}

uint64_t rl_cursor_u64(rl_cursor *r)
{
    uint8_t x[8];
    rl_cursor_bytes(r, x, 8);
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | x[i];
    return v;
}

float rl_cursor_f32(rl_cursor *r)
{
    uint32_t u = rl_cursor_u32(r);
    float v;
    memcpy(&v, &u, 4);
    return v;
}

double rl_cursor_f64(rl_cursor *r)
{
    uint64_t u = rl_cursor_u64(r);
    double v;
    memcpy(&v, &u, 8);
    return v;
}

void rl_cursor_f32s(rl_cursor *r, float *out, size_t n)
{
    if (n > SIZE_MAX / 4 || !rd_take(r, n * 4)) {
        r->failed = 1;
        return;
    }
    if (host_is_le()) {
        rl_cursor_bytes(r, out, n * 4);
        return;
    }
    for (size_t i = 0; i < n; i++)
        out[i] = rl_cursor_f32(r);
}

void rl_cursor_f64s(rl_cursor *r, double *out, size_t n)
{
    if (n > SIZE_MAX / 8 || !rd_take(r, n * 8)) {
        r->failed = 1;
        return;
    }
    if (host_is_le()) {
        rl_cursor_bytes(r, out, n * 8);
        return;
    }
    for (size_t i = 0; i < n; i++)
        out[i] = rl_cursor_f64(r);
}

int rl_cursor_ok(const rl_cursor *r, int require_end)
{
    return !r->failed && (!require_end || r->left == 0);
}
