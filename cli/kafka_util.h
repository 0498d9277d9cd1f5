/* kafka_util.h - what every Kafka-speaking relearn subcommand shares: building a librdkafka
 * configuration from --brokers and repeated `-X key=value` options, routing librdkafka's own log
 * lines into relearn's log format, and one-line log records on stderr.
 *
 * Log lines are logfmt (docs/DESIGN.md): `level=info msg="..." key=value`, written with one fputs
 * so lines from librdkafka's threads never interleave. */
#ifndef RL_KAFKA_UTIL_H
#define RL_KAFKA_UTIL_H

#include <stddef.h>

#include <librdkafka/rdkafka.h>

#define RL_KAFKA_MAX_X 64

/* Collected -X options: pointers into argv, owned by the caller. */
typedef struct rl_kafka_opts {
    const char *brokers;
    const char *x[RL_KAFKA_MAX_X]; /* "key=value" */
    int n_x;
} rl_kafka_opts;

/* Records one -X argument. Returns 0, or -1 with a message in errstr (no '=', too many). */
int rl_kafka_opts_add_x(rl_kafka_opts *o, const char *kv, char *errstr, size_t errstr_size);

/* Takes the options every Kafka-speaking command shares when a names one: --brokers LIST,
 * --topic NAME (into *topic), -X key=value, with val its value. Returns 1 when taken, 0 when a
 * is another option, -1 when -X is refused or --brokers / --topic is empty (the message printed
 * as "relearn CMD: ..."). */
int rl_kafka_opts_take(rl_kafka_opts *o, const char **topic, const char *cmd, const char *a,
                       const char *val);

/* A new conf with bootstrap.servers = o->brokers (when set), the given defaults (a NULL-
 * terminated list of key, value pairs, applied first so -X overrides them), every -X option,
 * and relearn's log callback. NULL with errstr naming the bad key on failure. The caller owns
 * the conf until it is passed to rd_kafka_new(). */
rd_kafka_conf_t *rl_kafka_conf_new(const rl_kafka_opts *o, const char *const *defaults,
                                   char *errstr, size_t errstr_size);

/* relearn's log line: level is "debug", "info", "warn" or "error"; tail is "key=value ..." (may
 * be NULL). msg is quoted; non-printable bytes are escaped. */
void rl_cli_log(const char *level, const char *msg, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Escapes s for a quoted log value (", \ and non-printable bytes) into out, NUL-terminated. */
void rl_cli_quote(const char *s, char *out, size_t out_size);

/* Parses a decimal integer in [min, max]; 0 on success. */
int rl_cli_parse_ll(const char *s, long long min, long long max, long long *out);

/* 1 (after saying so on stderr, as "relearn CMD: FLAG needs a value ...") when val, the argument
 * after FLAG, is itself an option ("--..."): FLAG's value was left out, and taking the next
 * option as it would silently change what the command does. */
int rl_cli_value_is_option(const char *cmd, const char *flag, const char *val);

#endif
