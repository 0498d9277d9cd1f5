/* kafka_util.h - the options every Kafka-speaking relearn subcommand shares: --brokers, --topic
 * and repeated `-X key=value` librdkafka properties, turned into a client configuration by the
 * kafka/ library (which also logs, reads headers and reads the snapshot topic for the CLI). */
#ifndef RL_KAFKA_UTIL_H
#define RL_KAFKA_UTIL_H

#include <stddef.h>

#include <librdkafka/rdkafka.h>

#include "kafka/kafka.h"

#define RL_KAFKA_MAX_X 64

#define RL_KAFKA_MAX_KEY 128

/* Collected -X options: values point into argv (owned by the caller), keys are copied. */
typedef struct rl_kafka_opts {
    const char *brokers;
    char keys[RL_KAFKA_MAX_X][RL_KAFKA_MAX_KEY];
    const char *values[RL_KAFKA_MAX_X];
    int n_x;
} rl_kafka_opts;

/* Records one -X argument. Returns 0, or -1 with a message in errstr (no '=', key too long,
 * too many). */
int rl_kafka_opts_add_x(rl_kafka_opts *o, const char *kv, char *errstr, size_t errstr_size);

/* Takes the options every Kafka-speaking command shares when a names one: --brokers LIST,
 * --topic NAME (into *topic), -X key=value, with val its value. Returns 1 when taken, 0 when a
 * is another option, -1 when -X is refused or --brokers / --topic is empty (the message printed
 * as "relearn CMD: ..."). */
int rl_kafka_opts_take(rl_kafka_opts *o, const char **topic, const char *cmd, const char *a,
                       const char *val);

/* A new conf for a client of `type` (rl_kafka_conf_new): bootstrap.servers = o->brokers (when
 * set), the given defaults (a NULL-terminated list of key, value pairs, applied first so -X
 * overrides them), and every -X option that applies to this kind of client. NULL with errstr
 * naming the bad key on failure. The caller owns the conf until rd_kafka_new() takes it. */
rd_kafka_conf_t *rl_cli_kafka_conf(const rl_kafka_opts *o, rd_kafka_type_t type,
                                   const char *const *defaults, char *errstr, size_t errstr_size);

/* Parses a decimal integer in [min, max]; 0 on success. */
int rl_cli_parse_ll(const char *s, long long min, long long max, long long *out);

/* 1 (after saying so on stderr, as "relearn CMD: FLAG needs a value ...") when val, the argument
 * after FLAG, is itself an option ("--..."): FLAG's value was left out, and taking the next
 * option as it would silently change what the command does. */
int rl_cli_value_is_option(const char *cmd, const char *flag, const char *val);

#endif
