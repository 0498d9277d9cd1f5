/* kafka_util.c - librdkafka configuration and logging shared by the CLI's Kafka commands. */
#include "cli/kafka_util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int rl_kafka_opts_add_x(rl_kafka_opts *o, const char *kv, char *errstr, size_t errstr_size)
{
    const char *eq = strchr(kv, '=');
    if (!eq || eq == kv) {
        snprintf(errstr, errstr_size, "-X %s: expected key=value", kv);
        return -1;
    }
    if (o->n_x >= RL_KAFKA_MAX_X) {
        snprintf(errstr, errstr_size, "-X %s: more than %d -X options", kv, RL_KAFKA_MAX_X);
        return -1;
    }
    o->x[o->n_x++] = kv;
    return 0;
}

int rl_kafka_opts_take(rl_kafka_opts *o, const char **topic, const char *cmd, const char *a,
                       const char *val)
{
    char err[256];
    /* An empty list (e.g. "$(cat FILE)" of a bootstrap file not written yet) would let
     * librdkafka wait message.timeout.ms for no broker, and an empty topic name was produced to
     * as if it were one: both are usage errors. */
    if ((strcmp(a, "--brokers") == 0 || strcmp(a, "--topic") == 0) && val[0] == '\0') {
        fprintf(stderr, "relearn %s: %s: empty value (expected %s)\n", cmd, a,
                a[2] == 'b' ? "host:port[,host:port...]" : "a topic name");
        return -1;
    }
    if (strcmp(a, "--brokers") == 0) {
        o->brokers = val;
    } else if (strcmp(a, "--topic") == 0) {
        *topic = val;
    } else if (strcmp(a, "-X") == 0) {
        if (rl_kafka_opts_add_x(o, val, err, sizeof(err)) != 0) {
            fprintf(stderr, "relearn %s: %s\n", cmd, err);
            return -1;
        }
    } else {
        return 0;
    }
    return 1;
}

void rl_cli_quote(const char *s, char *out, size_t out_size)
{
    size_t o = 0;
    if (out_size == 0)
        return;
    for (const unsigned char *p = (const unsigned char *)s; *p && o + 5 < out_size; p++) {
        if (*p == '"' || *p == '\\') {
            out[o++] = '\\';
            out[o++] = (char)*p;
        } else if (*p < 0x20 || *p >= 0x7f) {
            o += (size_t)snprintf(out + o, out_size - o, "\\x%02x", *p);
        } else {
            out[o++] = (char)*p;
        }
    }
    out[o] = '\0';
}

void rl_cli_log(const char *level, const char *msg, const char *fmt, ...)
{
    char q[512], tail[1024], line[1700];
    rl_cli_quote(msg, q, sizeof(q));
    tail[0] = '\0';
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(tail, sizeof(tail), fmt, ap);
        va_end(ap);
    }
    snprintf(line, sizeof(line), "level=%s msg=\"%s\"%s%s\n", level, q, tail[0] ? " " : "", tail);
    fputs(line, stderr);
}

/* librdkafka's syslog levels to ours; its messages are quoted since they may hold anything. */
static void log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    const char *lv = level <= 3 ? "error" : level <= 4 ? "warn" : level <= 6 ? "info" : "debug";
    char q[900];
    rl_cli_quote(buf, q, sizeof(q));
    rl_cli_log(lv, "librdkafka", "client=%s facility=%s detail=\"%s\"",
               rk ? rd_kafka_name(rk) : "-", fac, q);
}

rd_kafka_conf_t *rl_kafka_conf_new(const rl_kafka_opts *o, const char *const *defaults,
                                   char *errstr, size_t errstr_size)
{
    char kerr[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    if (!conf) {
        snprintf(errstr, errstr_size, "out of memory");
        return NULL;
    }
    rd_kafka_conf_set_log_cb(conf, log_cb);
    if (o->brokers && rd_kafka_conf_set(conf, "bootstrap.servers", o->brokers, kerr,
                                        sizeof(kerr)) != RD_KAFKA_CONF_OK) {
        snprintf(errstr, errstr_size, "--brokers %s: %s", o->brokers, kerr);
        goto fail;
    }
    for (const char *const *d = defaults; d && d[0]; d += 2) {
        if (rd_kafka_conf_set(conf, d[0], d[1], kerr, sizeof(kerr)) != RD_KAFKA_CONF_OK) {
            snprintf(errstr, errstr_size, "default %s=%s: %s", d[0], d[1], kerr);
            goto fail;
        }
    }
    for (int i = 0; i < o->n_x; i++) {
        char key[256];
        const char *eq = strchr(o->x[i], '=');
        size_t klen = (size_t)(eq - o->x[i]);
        if (klen >= sizeof(key)) {
            snprintf(errstr, errstr_size, "-X %.40s...: key too long", o->x[i]);
            goto fail;
        }
        memcpy(key, o->x[i], klen);
        key[klen] = '\0';
        if (rd_kafka_conf_set(conf, key, eq + 1, kerr, sizeof(kerr)) != RD_KAFKA_CONF_OK) {
            /* Never echo the value: -X may carry sasl.password. */
            snprintf(errstr, errstr_size, "-X %s: %s", key, kerr);
            goto fail;
        }
    }
    return conf;
fail:
    rd_kafka_conf_destroy(conf);
    return NULL;
}

int rl_cli_parse_ll(const char *s, long long min, long long max, long long *out)
{
    char *end;
    if (!s || !*s)
        return -1;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno != 0 || *end != '\0' || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

int rl_cli_value_is_option(const char *cmd, const char *flag, const char *val)
{
    if (strncmp(val, "--", 2) != 0)
        return 0;
    fprintf(stderr, "relearn %s: %s needs a value, got the option '%s'\n", cmd, flag, val);
    return 1;
}
