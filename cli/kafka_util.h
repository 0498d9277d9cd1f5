/* kafka_util.h - the options every Kafka-speaking relearn subcommand shares: --brokers, --topic
 * and repeated `-X key=value` librdkafka properties, turned into a client configuration by the
 * kafka/ library (which also logs, reads headers and reads the snapshot topic for the CLI). */
#ifndef RL_KAFKA_UTIL_H
#define RL_KAFKA_UTIL_H

#include <stddef.h>

#include <librdkafka/rdkafka.h>

#include "cli/options.h"
#include "kafka/kafka.h"

#define RL_KAFKA_MAX_X 64

#define RL_KAFKA_MAX_KEY 128

/* Collected --brokers, --topic and -X options: values point into argv (owned by the caller),
 * keys are copied. cmd (for messages) and topic (where --topic goes) are set by the command. */
typedef struct rl_kafka_opts {
    const char *cmd;
    const char **topic;
    const char *brokers;
    char keys[RL_KAFKA_MAX_X][RL_KAFKA_MAX_KEY];
    const char *values[RL_KAFKA_MAX_X];
    int n_x;
} rl_kafka_opts;

/* Records one -X argument. Returns 0, or -1 with a message in errstr (no '=', key too long,
 * too many). */
int rl_kafka_opts_add_x(rl_kafka_opts *o, const char *kv, char *errstr, size_t errstr_size);

/* The option rows (options.h) of --brokers LIST, --topic NAME and -X key=value, which every
 * Kafka-speaking command shares; k is its rl_kafka_opts. An empty --brokers or --topic and a
 * refused -X are usage errors (2, said as "relearn CMD: ..."). */
int rl_kafka_opt(void *k, const char *flag, const char *value);
#define RL_KAFKA_OPT_ROWS(k)                                                                       \
    RL_OPT_CALL_ROW("brokers", 0, rl_kafka_opt, k, 1),                                             \
        RL_OPT_CALL_ROW("topic", 0, rl_kafka_opt, k, 1),                                           \
        RL_OPT_CALL_ROW(NULL, 'X', rl_kafka_opt, k, 1)

/* A new conf for a client of `type` (rl_kafka_conf_new): bootstrap.servers = o->brokers (when
 * set), the given defaults (a NULL-terminated list of key, value pairs, applied first so -X
 * overrides them), and every -X option that applies to this kind of client. NULL with errstr
 * naming the bad key on failure. The caller owns the conf until rd_kafka_new() takes it. */
rd_kafka_conf_t *rl_cli_kafka_conf(const rl_kafka_opts *o, rd_kafka_type_t type,
                                   const char *const *defaults, char *errstr, size_t errstr_size);

#endif
