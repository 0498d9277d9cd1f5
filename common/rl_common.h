/* rl_common.h - the two things every relearn library shares: one error enum and a byte buffer.
 *
 * Errors follow librdkafka: a function returns an rl_err and, where it can say more, fills a
 * caller-supplied message buffer (errstr, errstr_size). Nothing here prints or exits.
 *
 * rl_buf is a growable byte buffer with little-endian put/get helpers. Learners and detectors
 * export their full state into one; the checkpoint stores those bytes verbatim, so every state
 * blob is a fixed little-endian layout that a reader can bounds-check (rl_cursor never reads past
 * the end: it latches an error instead, checked once at the end). This file depends on nothing
 * of ours, so learners/ and drift/ stay free of I/O, Kafka and protobuf. */
#ifndef RL_COMMON_H
#define RL_COMMON_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

typedef enum rl_err {
    RL_OK = 0,
    RL_ERR_INVALID_ARG, /* a parameter is missing, unknown or out of range */
    RL_ERR_NOMEM,       /* an allocation failed */
    RL_ERR_IO,          /* a system call failed; errstr names the path and errno text */
    RL_ERR_FORMAT,      /* bytes do not parse: truncated, malformed, wrong magic */
    RL_ERR_VERSION,     /* written by a newer format version: refused, never guessed at */
    RL_ERR_CHECKSUM,    /* structure parsed but the checksum does not match */
    RL_ERR_NOT_FOUND,   /* no such learner, detector, file, key or version */
    RL_ERR_MISMATCH,    /* state belongs to another kind or shape (learner, bits, classes) */
    RL_ERR_BAD_EVENT,   /* an event is unusable: NaN, missing label, too many features */
    RL_ERR_KAFKA,       /* librdkafka reported an error; errstr has its text */
    RL_ERR_CONFIG,      /* configuration invalid; errstr names file:line:key */
    RL_ERR_TIMEOUT,     /* an operation did not complete in time */
    RL_ERR__COUNT
} rl_err;

/* Static text for an error code; never NULL. */
const char *rl_err_str(rl_err err);

/* printf into errstr (if non-NULL and errstr_size > 0), always NUL-terminated. Returns err so
 * callers can write `return rl_set_err(errstr, n, RL_ERR_FORMAT, "...", ...);`. */
rl_err rl_set_err(char *errstr, size_t errstr_size, rl_err err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Checks the format version a state blob starts with, so every reader refuses the same way:
 * newer than `current` -> RL_ERR_VERSION (refused, never guessed at; the message says to use a
 * newer relearn), older than `oldest` (0 included) -> RL_ERR_FORMAT. `what` names the state in
 * the message ("metrics state", "adwin: state"). RL_OK when oldest <= got <= current. */
rl_err rl_check_format_version(unsigned got, unsigned oldest, unsigned current, const char *what,
                               char *errstr, size_t errstr_size);

/* Writes v with the fewest significant digits that read back (strtod) to the same double:
 * 0.1 prints as "0.1", not "0.10000000000000001". For text a person reads that must still
 * round-trip (parameters in inspect, --check-config, error messages). Returns out. */
const char *rl_fmt_double(char *out, size_t out_size, double v);
#define RL_FMT_DOUBLE_LEN 32

/* A stream of bytes read in order (a file checked as it is read, a decompressor): read()
 * fills exactly n bytes at dst, or fails with a message. It lets a large state be imported
 * straight into where it lives, without a copy of the whole in between. */
typedef struct rl_byte_stream {
    rl_err (*read)(void *ctx, void *dst, size_t n, char *errstr, size_t errstr_size);
    void *ctx;
} rl_byte_stream;

/* ---- byte buffer ---- */
typedef struct rl_buf {
    uint8_t *data;
    size_t len;
    size_t cap;
    int failed; /* an allocation failed: further puts are no-ops; check once at the end */
} rl_buf;

void rl_buf_init(rl_buf *b);
void rl_buf_free(rl_buf *b);                 /* frees data; b may be reused after rl_buf_init */
void rl_buf_reset(rl_buf *b);                /* len = 0, keeps capacity */
int rl_buf_reserve(rl_buf *b, size_t extra); /* 0 on success */
void rl_buf_put(rl_buf *b, const void *p, size_t n);
void rl_buf_put_u8(rl_buf *b, uint8_t v);
void rl_buf_put_u32(rl_buf *b, uint32_t v);
void rl_buf_put_u64(rl_buf *b, uint64_t v);
void rl_buf_put_f32(rl_buf *b, float v); /* bit pattern, so round-trips are exact */
void rl_buf_put_f64(rl_buf *b, double v);
void rl_buf_put_f32s(rl_buf *b, const float *v, size_t n); /* n floats, little-endian */
void rl_buf_put_f64s(rl_buf *b, const double *v, size_t n);

/* A bounds-checked cursor over bytes in memory, the reading side of rl_buf's little-endian
 * layout. After any short read, `failed` is set and all further gets return 0; check
 * rl_cursor_ok() once at the end. */
typedef struct rl_cursor {
    const uint8_t *p;
    size_t left;
    int failed;
} rl_cursor;

void rl_cursor_init(rl_cursor *r, const void *p, size_t len);
uint8_t rl_cursor_u8(rl_cursor *r);
uint32_t rl_cursor_u32(rl_cursor *r);
uint64_t rl_cursor_u64(rl_cursor *r);
float rl_cursor_f32(rl_cursor *r);
double rl_cursor_f64(rl_cursor *r);
void rl_cursor_f32s(rl_cursor *r, float *out, size_t n);
void rl_cursor_f64s(rl_cursor *r, double *out, size_t n);
void rl_cursor_bytes(rl_cursor *r, void *out, size_t n);
/* 1 if every read succeeded and (when require_end) nothing is left over. */
int rl_cursor_ok(const rl_cursor *r, int require_end);

#endif
