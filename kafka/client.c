/* client.c - a librdkafka conf built from relearn's configuration (see kafka.h, "client
 * configuration").
 *
 * Which client reads a property is librdkafka's knowledge, not ours: its property table
 * (rd_kafka_conf_properties_show, the source of its CONFIGURATION.md) has a C/P column. It is
 * read once, so a property added by a newer librdkafka is classified without a change here. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kafka/kafka.h"

static char *prop_table; /* the table's text, read once; NULL if it could not be */
static pthread_once_t prop_table_once = PTHREAD_ONCE_INIT;

static void read_prop_table(void)
{
    size_t len = 0;
    FILE *f = open_memstream(&prop_table, &len);
    if (!f)
        return;
    rd_kafka_conf_properties_show(f);
    if (fclose(f) != 0) {
        free(prop_table);
        prop_table = NULL;
    }
}

/* A row reads "name<spaces>| C/P |...". */
char rl_kafka_prop_role(const char *key)
{
    size_t klen = strlen(key);
    pthread_once(&prop_table_once, read_prop_table);
    if (!prop_table || klen == 0)
        return 0;
    for (const char *row = prop_table; *row;) {
        const char *eol = strchr(row, '\n');
        const char *p = row + klen;
        if (strncmp(row, key, klen) == 0 && (*p == ' ' || *p == '|')) {
            while (*p == ' ')
                p++;
            if (*p == '|') {
                p++;
                while (*p == ' ')
                    p++;
                if (*p == 'C' || *p == 'P' || *p == '*')
                    return *p;
            }
        }
        if (!eol)
            break;
        row = eol + 1;
    }
    return 0;
}

/* librdkafka's syslog levels to ours. Its lines are filtered by its own log_level and debug
 * properties, so they are written without a second level check: -X debug=... shows them. */
static void log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    rl_log_level lv = level <= 3   ? RL_LOG_ERROR
                      : level <= 4 ? RL_LOG_WARN
                      : level <= 6 ? RL_LOG_INFO
                                   : RL_LOG_DEBUG;
    char q[900];
    rl_log_quote(buf, q, sizeof(q));
    rl_log_write(lv, "librdkafka", "client=%s facility=%s detail=\"%s\"",
                 rk ? rd_kafka_name(rk) : "-", fac, q);
}

rd_kafka_conf_t *rl_kafka_conf_new(const rl_kafka_client *c, char *errstr, size_t errstr_size)
{
    char kerr[512];
    char other = c->type == RD_KAFKA_PRODUCER ? 'C' : 'P';
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    if (!conf) {
        rl_set_err(errstr, errstr_size, RL_ERR_NOMEM, "out of memory");
        return NULL;
    }
    rd_kafka_conf_set_log_cb(conf, log_cb);
    if (c->brokers && rd_kafka_conf_set(conf, "bootstrap.servers", c->brokers, kerr,
                                        sizeof(kerr)) != RD_KAFKA_CONF_OK) {
        rl_set_err(errstr, errstr_size, RL_ERR_CONFIG, "%s %s: %s",
                   c->brokers_origin ? c->brokers_origin : "bootstrap.servers", c->brokers, kerr);
        goto fail;
    }
    for (const char *const *d = c->defaults; d && d[0]; d += 2) {
        if (rd_kafka_conf_set(conf, d[0], d[1], kerr, sizeof(kerr)) != RD_KAFKA_CONF_OK) {
            rl_set_err(errstr, errstr_size, RL_ERR_CONFIG, "default %s=%s: %s", d[0], d[1], kerr);
            goto fail;
        }
    }
    for (size_t i = 0; i < c->n_props; i++) {
        const rl_kafka_prop *p = &c->props[i];
        if (rl_kafka_prop_role(p->key) == other) {
            rl_log(RL_LOG_DEBUG, "kafka property not for this client", "key=%s client=%s", p->key,
                   c->type == RD_KAFKA_PRODUCER ? "producer" : "consumer");
            continue;
        }
        if (rd_kafka_conf_set(conf, p->key, p->value, kerr, sizeof(kerr)) != RD_KAFKA_CONF_OK) {
            /* Never echo the value: it may be sasl.password. */
            if (p->line > 0)
                rl_set_err(errstr, errstr_size, RL_ERR_CONFIG, "%s:%d: [kafka] %s: %s", p->file,
                           p->line, p->key, kerr);
            else
                rl_set_err(errstr, errstr_size, RL_ERR_CONFIG, "%s %s: %s", p->file, p->key, kerr);
            goto fail;
        }
    }
    return conf;
fail:
    rd_kafka_conf_destroy(conf);
    return NULL;
}

rl_err rl_kafka_conf_check(const rl_kafka_client *c, char *errstr, size_t errstr_size)
{
    char e[512];
    rl_kafka_client nowhere = *c;
    rd_kafka_conf_t *conf;
    rd_kafka_t *rk;

    nowhere.brokers = NULL; /* nothing to connect to: the checks run, no socket opens */
    conf = rl_kafka_conf_new(&nowhere, errstr, errstr_size);
    if (!conf)
        return RL_ERR_CONFIG;
    /* "No bootstrap.servers configured" is this check's own doing: not for the log. */
    rd_kafka_conf_set(conf, "log_level", "0", NULL, 0);
    rk = rd_kafka_new(c->type, conf, e, sizeof(e));
    if (rk) {
        rd_kafka_destroy_flags(rk, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
        return RL_OK;
    }
    rd_kafka_conf_destroy(conf);
    /* librdkafka names the properties it compares ("`fetch.max.bytes` must be >=
     * `message.max.bytes`"): the first one the user set is where to look. */
    for (size_t i = 0; i < c->n_props; i++) {
        const char *k = c->props[i].key;
        const char *at = strstr(e, k);
        size_t kl = strlen(k);
        if (!at || (at > e && at[-1] != '`' && at[-1] != ' ') ||
            (at[kl] != '`' && at[kl] != ' ' && at[kl] != '\0'))
            continue;
        if (c->props[i].line > 0)
            return rl_set_err(errstr, errstr_size, RL_ERR_CONFIG,
                              "%s:%d: [kafka] %s: the %s refuses this configuration: %s",
                              c->props[i].file, c->props[i].line, k,
                              c->type == RD_KAFKA_CONSUMER ? "consumer" : "producer", e);
        return rl_set_err(errstr, errstr_size, RL_ERR_CONFIG,
                          "-X %s: the %s refuses this configuration: %s", k,
                          c->type == RD_KAFKA_CONSUMER ? "consumer" : "producer", e);
    }
    return rl_set_err(errstr, errstr_size, RL_ERR_CONFIG,
                      "%s: [kafka]: the %s refuses this configuration: %s",
                      c->n_props ? c->props[0].file : "configuration",
                      c->type == RD_KAFKA_CONSUMER ? "consumer" : "producer", e);
}
