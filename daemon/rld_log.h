/* rld_log.h - relearnd's structured log: one line per record on stderr,
 *   ts=2026-11-26T20:30:00.123Z level=info msg="checkpoint written" seq=12 dur_ms=3.1
 * The level is checked before anything is formatted, so a disabled debug line costs one compare.
 * The rate-limited variant lets a per-event error (a bad event) be logged without flooding: at
 * most `burst` lines per key per second, and the next line that gets through says how many were
 * suppressed. Lines are written with one write(2) so concurrent threads (librdkafka's, the HTTP
 * server's) never interleave inside a line. */
#ifndef RLD_LOG_H
#define RLD_LOG_H

#include <stddef.h>
#include <stdint.h>

typedef enum rld_level {
    RLD_DEBUG = 0,
    RLD_INFO,
    RLD_WARN,
    RLD_ERROR,
} rld_level;

extern rld_level rld_log_level;

/* "debug", "info", "warn", "error"; -1 if unknown. */
int rld_log_level_parse(const char *s);
const char *rld_log_level_name(rld_level l);

/* msg is a plain string (quoted in the output, quotes and newlines escaped); fmt gives the
 * key=value tail, e.g. rld_log(RLD_INFO, "started", "pid=%d", getpid()). fmt may be NULL. */
#define rld_log(level, msg, ...)                                                                   \
    do {                                                                                           \
        if ((level) >= rld_log_level)                                                              \
            rld_log_write((level), (msg), __VA_ARGS__);                                            \
    } while (0)

void rld_log_write(rld_level level, const char *msg, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Rate limit state for one kind of message; zero-initialize. */
typedef struct rld_ratelimit {
    int64_t window_start_ms;
    uint32_t in_window;
    uint64_t suppressed;
} rld_ratelimit;

/* Like rld_log, but at most `burst` lines per second for this limiter; a line that follows
 * suppressed ones carries suppressed=N. Not thread-safe per limiter (use one per thread). */
void rld_log_limited(rld_ratelimit *rl, uint32_t burst, rld_level level, const char *msg,
                     const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Escapes s as the body of a quoted log value into out (always NUL-terminated). Bytes that are
 * not printable ASCII become \xNN, so hostile input cannot forge log lines. */
void rld_log_quote(const char *s, char *out, size_t out_size);

int64_t rld_now_ms(void); /* wall clock, ms since the epoch */
double rld_mono_s(void);  /* monotonic seconds, for intervals */

#endif
