/* kafka_util.c - the Kafka options shared by the CLI's Kafka commands (see kafka_util.h). */
#include "cli/kafka_util.h"

#include <stdio.h>
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
    size_t klen = (size_t)(eq - kv);
    if (klen >= RL_KAFKA_MAX_KEY) {
        snprintf(errstr, errstr_size, "-X %.40s...: key too long", kv);
        return -1;
    }
    memcpy(o->keys[o->n_x], kv, klen);
    o->keys[o->n_x][klen] = '\0';
    o->values[o->n_x++] = eq + 1;
    return 0;
}

int rl_kafka_opt(void *k, const char *flag, const char *value)
{
    rl_kafka_opts *o = k;
    char err[256];
    int brokers = strcmp(flag, "--brokers") == 0;
    /* An empty list (e.g. "$(cat FILE)" of a bootstrap file not written yet) would let
     * librdkafka wait message.timeout.ms for no broker, and an empty topic name was produced to
     * as if it were one: both are usage errors. */
    if (flag[1] == '-' && value[0] == '\0') {
        fprintf(stderr, "relearn %s: %s: empty value (expected %s)\n", o->cmd, flag,
                brokers ? "host:port[,host:port...]" : "a topic name");
        return 2;
    }
    if (brokers) {
        o->brokers = value;
    } else if (flag[1] == '-') {
        *o->topic = value;
    } else if (rl_kafka_opts_add_x(o, value, err, sizeof(err)) != 0) {
        fprintf(stderr, "relearn %s: %s\n", o->cmd, err);
        return 2;
    }
    return 0;
}

rd_kafka_conf_t *rl_cli_kafka_conf(const rl_kafka_opts *o, rd_kafka_type_t type,
                                   const char *const *defaults, char *errstr, size_t errstr_size)
{
    rl_kafka_prop x[RL_KAFKA_MAX_X];
    for (int i = 0; i < o->n_x; i++)
        x[i] = (rl_kafka_prop){o->keys[i], o->values[i], "-X", 0};
    rl_kafka_client c = {type, o->brokers, "--brokers", defaults, x, (size_t)o->n_x};
    return rl_kafka_conf_new(&c, errstr, errstr_size);
}
