/* log.c - relearn's log lines on stderr (see kafka.h, "logging"). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kafka/kafka.h"

rl_log_level rl_log_min_level = RL_LOG_INFO;

static const char *const level_names[] = {"debug", "info", "warn", "error"};

int rl_log_level_parse(const char *s)
{
    for (int i = 0; i < 4; i++)
        if (strcmp(s, level_names[i]) == 0)
            return i;
    return -1;
}

const char *rl_log_level_name(rl_log_level l)
{
    return (unsigned)l < 4 ? level_names[l] : "?";
}

int64_t rl_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

double rl_mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void rl_log_quote(const char *s, char *out, size_t out_size)
{
    size_t o = 0;
    if (out_size == 0)
        return;
    for (; *s && o + 5 < out_size; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            out[o++] = '\\';
            out[o++] = (char)c;
        } else if (c < 0x20 || c >= 0x7f) {
            o += (size_t)snprintf(out + o, out_size - o, "\\x%02x", c);
        } else {
            out[o++] = (char)c;
        }
    }
    out[o] = '\0';
}

static void vwrite(rl_log_level level, const char *msg, uint64_t suppressed, const char *fmt,
                   va_list ap)
{
    char line[2048];
    char qmsg[512];
    struct timespec ts;
    struct tm tm;
    size_t n;

    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    rl_log_quote(msg, qmsg, sizeof(qmsg));
    n = (size_t)snprintf(line, sizeof(line),
                         "ts=%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ level=%s msg=\"%s\"",
                         tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                         tm.tm_sec, ts.tv_nsec / 1000000L, rl_log_level_name(level), qmsg);
    if (n < sizeof(line) && fmt && *fmt) {
        line[n++] = ' ';
        int k = vsnprintf(line + n, sizeof(line) - n, fmt, ap);
        if (k > 0)
            n += (size_t)k;
    }
    if (n < sizeof(line) && suppressed)
        n += (size_t)snprintf(line + n, sizeof(line) - n, " suppressed=%llu",
                              (unsigned long long)suppressed);
    if (n >= sizeof(line) - 1)
        n = sizeof(line) - 2; /* truncated: still one whole line */
    line[n++] = '\n';
    /* One write(2): lines from several threads (librdkafka's, the HTTP server's) never
     * interleave. Nothing useful to do if the log itself cannot be written. */
    ssize_t w = write(STDERR_FILENO, line, n);
    (void)w;
}

void rl_log_write(rl_log_level level, const char *msg, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vwrite(level, msg, 0, fmt, ap);
    va_end(ap);
}

void rl_log_limited(rl_ratelimit *rl, uint32_t burst, rl_log_level level, const char *msg,
                    const char *fmt, ...)
{
    va_list ap;
    int64_t now;
    uint64_t supp;

    if (level < rl_log_min_level)
        return;
    now = rl_now_ms();
    if (now - rl->window_start_ms >= 1000) {
        rl->window_start_ms = now;
        rl->in_window = 0;
    }
    if (rl->in_window >= burst) {
        rl->suppressed++;
        return;
    }
    rl->in_window++;
    supp = rl->suppressed;
    rl->suppressed = 0;
    va_start(ap, fmt);
    vwrite(level, msg, supp, fmt, ap);
    va_end(ap);
}
