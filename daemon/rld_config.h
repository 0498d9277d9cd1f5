/* rld_config.h - relearnd's configuration: one INI file (inih), overridden by flags.
 *
 * Every key is a row of one table (section, key, type, bounds, default, help), as redis does it:
 * parsing, validation, --check-config output and the "allowed" part of every error message all
 * come from that table. Three sections delegate to their owners: [model] learner
 * hyperparameters go to rl_learner_params_set(), [drift] keys to rl_model_config_set_drift(),
 * and [kafka] keys are handed to librdkafka as-is (checked with rd_kafka_conf_set() while the
 * file is read, so a typo names its file:line too).
 *
 * Errors are one line: "FILE:LINE: [section] key: reason (allowed: ...)". The caller (main.c)
 * prints it and exits with status 2. Nothing here prints or exits. */
#ifndef RLD_CONFIG_H
#define RLD_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <librdkafka/rdkafka.h>

#include "model/model.h"
#include "common/rl_common.h"

#define RLD_CONF_STR       256
#define RLD_CONF_PATH      1024
#define RLD_CONF_MAX_KAFKA 128

typedef struct rld_kv {
    char key[128];
    char value[512];
    int line;
} rld_kv;

typedef struct rld_config {
    char path[RLD_CONF_PATH];
    /* [model] */
    char model_name[RLD_CONF_STR];
    rl_model_config model; /* learner params, hash seed, [drift] settings */
    /* [input] */
    char brokers[1024];
    char topics[1024]; /* comma-separated */
    char group[RLD_CONF_STR];
    char instance_id[RLD_CONF_STR];
    uint64_t max_features;
    uint64_t max_event_bytes;
    uint64_t batch_size;
    double batch_timeout_s;
    double stuck_after_s;     /* /healthz fails when lag > 0 and nothing consumed for this long */
    char input_format[16];    /* event (protobuf), json, vw, libsvm or csv: every topic's,
                                 unless listed below */
    char topic_formats[1024]; /* "topic:format,..." overriding input_format per topic */
    char csv_header[1024];    /* csv topics: the column names (messages carry no header) */
    char csv_label_col[RLD_CONF_STR]; /* csv topics: the label column (default "label", else 0) */
    /* csv topics: the CSV reader's column options (input/reader.h), as relearn eval's flags */
    char csv_ignore[1024], csv_categorical[1024], csv_numeric[1024];
    char csv_missing[16], csv_na_values[RLD_CONF_STR], csv_label_values[1024];
    /* [json]: the field mapping of JSON topics (wire/event_json.h) */
    char json_label[RLD_CONF_STR];
    char json_weight[RLD_CONF_STR]; /* "none": no weight field */
    char json_features[1024];       /* empty: every field but label and weight */
    char json_label_values[1024];
    /* [output] */
    char snapshot_topic[RLD_CONF_STR];
    char alerts_topic[RLD_CONF_STR];
    char dead_letter_topic[RLD_CONF_STR];
    /* [checkpoint] */
    char checkpoint_dir[RLD_CONF_PATH];
    uint64_t ckpt_every_events;
    double ckpt_every_seconds;
    uint64_t ckpt_keep;
    uint64_t ckpt_max_file; /* bytes: larger checkpoint files are refused unread */
    double ckpt_retry_max_s;
    unsigned
        ckpt_compress; /* flags for rl_ckpt_dir_write: RL_CKPT_COMPRESS_AUTO, RL_FRAME_ZSTD, 0 */
    /* [snapshot] */
    uint64_t snap_every_events;
    double snap_every_seconds;
    double gate_tolerance;  /* mean paired loss difference a candidate may exceed (model/gate.h) */
    uint64_t gate_window;   /* paired events the gate keeps */
    double gate_confidence; /* of the bound */
    double gate_loss_cap;   /* each loss capped here for the gate */
    uint64_t gate_every;    /* the published version scores one event in this many */
    unsigned snap_compress; /* flags for rl_snapshot_encode_model: RL_SNAPSHOT_COMPRESS_AUTO,
                               RL_FRAME_ZSTD, 0 */
    uint64_t snap_chunk_bytes;
    /* [metrics] */
    char metrics_listen[RLD_CONF_STR]; /* host:port; empty = off */
    /* [log] */
    char log_level[16];
    /* [kafka] pass-through */
    rld_kv kafka[RLD_CONF_MAX_KAFKA];
    size_t n_kafka;
    /* [drift] as written, for --check-config */
    rld_kv drift[RL_MODEL_MAX_DETECTOR_PARAMS + 8];
    size_t n_drift;
    /* command line only */
    char init_model[RLD_CONF_PATH];
} rld_config;

/* The formats a topic's messages may have ([input] format, topic_formats). */
enum rld_format {
    RLD_FMT_EVENT = 0,
    RLD_FMT_JSON,
    RLD_FMT_VW,
    RLD_FMT_LIBSVM,
    RLD_FMT_CSV,
    RLD_FMT_N
};
/* The format of topic's messages. */
int rld_config_topic_format(const rld_config *c, const char *topic);
/* 1 when some topic may have format f. */
int rld_config_uses_format(const rld_config *c, int f);
/* Name of a format ("event", "json", ...). */
const char *rld_format_name(int f);
/* The format named p[0..n), or -1. */
int rld_format_parse(const char *p, size_t n);
/* "topic:format,...": NULL when well formed, else why not. */
const char *rld_config_bad_topic_formats(const char *v);

/* Defaults for every key (no file). */
void rld_config_default(rld_config *c);

/* Reads path into c (which must hold defaults or earlier values). RL_ERR_CONFIG with the
 * one-line message on any unknown section/key, bad value, syntax error; RL_ERR_IO if the file
 * cannot be read. */
rl_err rld_config_load(rld_config *c, const char *path, char *errstr, size_t errstr_size);

/* Sets one key read at `where` ("file:line"), line `line` of the file (kept for [kafka] keys,
 * whose errors surface later). rld_config_file.c reads files through it. */
rl_err rld_config_set_line(rld_config *c, const char *where, const char *section, const char *key,
                           const char *value, int line, char *errstr, size_t errstr_size);

/* Sets one key as if it were read from `origin` (e.g. "--brokers"), line 0. Used for flags. */
rl_err rld_config_set(rld_config *c, const char *origin, const char *section, const char *key,
                      const char *value, char *errstr, size_t errstr_size);

/* Cross-key checks once everything is set: required keys present, the drift detector and the
 * learner build (a trial rl_model_new), topic names distinct. */
rl_err rld_config_check(const rld_config *c, char *errstr, size_t errstr_size);

/* Prints the effective configuration as INI, secrets masked. */
void rld_config_print(const rld_config *c, FILE *out);

/* 1 if a [kafka] key holds a secret and must never be printed or logged. */
int rld_config_is_secret(const char *kafka_key);

/* rld_config_values.c: value checks. A Kafka topic name (t[0..len)) Kafka accepts and does not
 * keep for itself; 1 if so. */
int rld_valid_topic(const char *t, size_t len);
/* Why s must not be printed raw (control or bidirectional-text characters), or NULL. */
const char *rld_unsafe_text(const char *s);
/* Why dir is no safe checkpoint directory (group- or world-writable), or NULL (also when it
 * does not exist yet: it is created 0700). */
const char *rld_unsafe_dir(const char *dir);

/* The settings relearnd gives its consumer or producer before [kafka] (NULL-terminated key,
 * value pairs; the values point into c). */
#define RLD_CLIENT_DEFAULTS 16 /* pairs and the terminating NULL */
void rld_config_client_defaults(const rld_config *c, rd_kafka_type_t type,
                                const char *out[RLD_CLIENT_DEFAULTS]);

/* The conf of one relearnd client (consumer or producer, kafka/kafka.h rl_kafka_conf_new):
 * [input] brokers, the client's own defaults (NULL-terminated key, value pairs), then the
 * [kafka] keys that apply to this kind of client. NULL with "FILE:LINE: [kafka] KEY: reason" on
 * failure; the caller owns the conf until rd_kafka_new() takes it. */
rd_kafka_conf_t *rld_config_kafka_conf(const rld_config *c, rd_kafka_type_t type,
                                       const char *const *defaults, char *errstr,
                                       size_t errstr_size);

#endif
