/* rld_config.c - the option table, flags, --check-config (the INI file reader is
 * rld_config_file.c, the checks across keys rld_config_check.c). */
#include "daemon/rld_config.h"
#include "input/reader.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ini.h>
#include <librdkafka/rdkafka.h>

#include "storage/ckpt.h"
#include "common/rl_param.h"
#include "kafka/kafka.h"

typedef enum opt_type {
    OPT_STR,      /* free string, length-checked */
    OPT_TOPIC,    /* Kafka topic name: [A-Za-z0-9._-], 1..249 */
    OPT_TOPICS,   /* comma-separated topic names */
    OPT_U64,      /* unsigned integer in [min, max] */
    OPT_DBL,      /* real in [min, max]; "inf" allowed when max is INFINITY */
    OPT_LEVEL,    /* log level name */
    OPT_LISTEN,   /* host:port, or "off" */
    OPT_LEARNER,  /* delegated to rl_learner_params_set */
    OPT_SEED,     /* model hash seed (u64, into the model config) */
    OPT_COMPRESS, /* checkpoint compression: auto, zstd, none (unsigned write flags) */
} opt_type;

typedef struct opt {
    const char *section;
    const char *key;
    opt_type type;
    size_t offset; /* into rld_config */
    size_t size;   /* strings: buffer size */
    double min, max;
    const char *def;     /* default as text, or NULL for none */
    const char *allowed; /* for error messages and --help */
} opt;

#define S(f) offsetof(rld_config, f), sizeof(((rld_config *)0)->f)
#define N(f) offsetof(rld_config, f), 0

/* The table. Defaults are applied by parsing `def` through the same code as the file. */
static const opt opts[] = {
    {"model", "name", OPT_STR, S(model_name), 0, 0, "model", "a non-empty name (snapshot key)"},
    {"model", "hash_seed", OPT_SEED, 0, 0, 0, 0, "0", "an integer 0..2^64-1"},
    {"model", "learner", OPT_LEARNER, 0, 0, 0, 0, NULL,
     "sgd, perceptron, avg_perceptron, ogd, ftrl, softmax"},
    {"model", "loss", OPT_LEARNER, 0, 0, 0, 0, NULL, "logistic, hinge, squared, poisson"},
    {"model", "schedule", OPT_LEARNER, 0, 0, 0, 0, NULL,
     "normalized, constant, invscaling, adagrad, pegasos"},
    {"model", "bits", OPT_LEARNER, 0, 0, 0, 0, NULL, "10..30"},
    {"model", "dense_dim", OPT_LEARNER, 0, 0, 0, 0, NULL, "an integer >= 0"},
    {"model", "classes", OPT_LEARNER, 0, 0, 0, 0, NULL, "2..1024"},
    {"model", "eta", OPT_LEARNER, 0, 0, 0, 0, NULL, "a real > 0"},
    {"model", "power_t", OPT_LEARNER, 0, 0, 0, 0, NULL, "a real >= 0"},
    {"model", "t0", OPT_LEARNER, 0, 0, 0, 0, NULL, "a real > 0"},
    {"model", "l1", OPT_LEARNER, 0, 0, 0, 0, NULL, "a real >= 0"},
    {"model", "l2", OPT_LEARNER, 0, 0, 0, 0, NULL, "a real >= 0"},
    {"model", "alpha", OPT_LEARNER, 0, 0, 0, 0, NULL, "a real > 0"},
    {"model", "beta", OPT_LEARNER, 0, 0, 0, 0, NULL, "a real >= 0"},
    {"model", "radius", OPT_LEARNER, 0, 0, 0, 0, NULL, "a real > 0 (ogd)"},
    {"model", "interactions", OPT_LEARNER, 0, 0, 0, 0, NULL,
     "namespace pairs and triples, e.g. ab,abc (as VW's -q ab --cubic abc)"},
    {"model", "bias", OPT_LEARNER, 0, 0, 0, 0, NULL, "0 or 1"},

    {"input", "brokers", OPT_STR, S(brokers), 0, 0, NULL, "host:port[,host:port...]"},
    {"input", "topics", OPT_TOPICS, S(topics), 0, 0, NULL, "comma-separated topic names"},
    {"input", "group", OPT_STR, S(group), 0, 0, "relearnd", "a consumer group id"},
    {"input", "instance_id", OPT_STR, S(instance_id), 0, 0, NULL,
     "a name stable across restarts, no ':' (default: the host name)"},
    {"input", "max_features", OPT_U64, N(max_features), 1, 10000000, "65536", "1..10000000"},
    {"input", "max_event_bytes", OPT_U64, N(max_event_bytes), 16, 1e9, "1048576", "16..1000000000"},
    {"input", "batch_size", OPT_U64, N(batch_size), 1, 100000, "1000", "1..100000"},
    {"input", "batch_timeout", OPT_DBL, N(batch_timeout_s), 0.001, 10, "0.1", "0.001..10 (s)"},
    {"input", "stuck_after", OPT_DBL, N(stuck_after_s), 1, 86400, "60", "1..86400 (s)"},
    {"input", "format", OPT_STR, S(input_format), 0, 0, "event",
     "event (relearn.Event protobuf), json (one object per message, mapped by [json]), or vw, "
     "libsvm, csv (one line per message)"},
    {"input", "topic_formats", OPT_STR, S(topic_formats), 0, 0, NULL,
     "topic:format, comma-separated (overrides format for those topics)"},
    {"input", "csv_header", OPT_STR, S(csv_header), 0, 0, NULL,
     "csv topics: the column names, comma-separated"},
    {"input", "csv_ignore", OPT_STR, S(csv_ignore), 0, 0, NULL,
     "csv topics: columns left out (names or 0-based numbers, comma-separated)"},
    {"input", "csv_categorical", OPT_STR, S(csv_categorical), 0, 0, NULL,
     "csv topics: columns read as categories col=value even where they look numeric"},
    {"input", "csv_numeric", OPT_STR, S(csv_numeric), 0, 0, NULL,
     "csv topics: columns that must be numbers"},
    {"input", "csv_missing", OPT_STR, S(csv_missing), 0, 0, "skip",
     "csv topics: skip, mean or indicator (what a missing value becomes)"},
    {"input", "csv_na_values", OPT_STR, S(csv_na_values), 0, 0, NULL,
     "csv topics: missing-value tokens (default: empty, NA, NaN, ?, null)"},
    {"input", "csv_label_values", OPT_STR, S(csv_label_values), 0, 0, NULL,
     "csv topics: string labels' class names in class order (default: yes/no, true/false)"},
    {"input", "csv_label_col", OPT_STR, S(csv_label_col), 0, 0, NULL,
     "csv topics: the label column, by name or 0-based number"},
    {"json", "label", OPT_STR, S(json_label), 0, 0, "label", "the label's field path (a.b)"},
    {"json", "weight", OPT_STR, S(json_weight), 0, 0, "weight",
     "the importance weight's field path, or none"},
    {"json", "features", OPT_STR, S(json_features), 0, 0, NULL,
     "comma-separated field paths that are features (default: every other field)"},
    {"json", "label_values", OPT_STR, S(json_label_values), 0, 0, NULL,
     "string labels' class names in class order, comma-separated (default: yes/no, true/false)"},

    {"output", "snapshot_topic", OPT_TOPIC, S(snapshot_topic), 0, 0, "relearn-snapshots",
     "a topic name"},
    {"output", "alerts_topic", OPT_TOPIC, S(alerts_topic), 0, 0, "relearn-alerts", "a topic name"},
    {"output", "dead_letter_topic", OPT_TOPIC, S(dead_letter_topic), 0, 0, "relearn-dead-letter",
     "a topic name"},

    {"checkpoint", "dir", OPT_STR, S(checkpoint_dir), 0, 0, NULL, "a directory path"},
    {"checkpoint", "every_events", OPT_U64, N(ckpt_every_events), 0, 1e12, "1000000",
     "0 (off)..10^12"},
    {"checkpoint", "every_seconds", OPT_DBL, N(ckpt_every_seconds), 0, 86400, "30",
     "0 (off)..86400"},
    {"checkpoint", "keep", OPT_U64, N(ckpt_keep), 1, 1000, "3", "1..1000"},
    {"checkpoint", "retry_max", OPT_DBL, N(ckpt_retry_max_s), 0.1, 3600, "30",
     "0.1..3600 (s, backoff cap)"},
    {"checkpoint", "compress", OPT_COMPRESS, N(ckpt_compress), 0, 0, "auto",
     "auto, zstd, none (auto: zstd only when the state is mostly zeros)"},
    {"checkpoint", "max_file_size", OPT_U64, N(ckpt_max_file), 4096, 1e13, "2147483648",
     "4096..10^13 (bytes; a larger checkpoint file is refused unread)"},

    {"snapshot", "every_events", OPT_U64, N(snap_every_events), 0, 1e12, "0", "0 (off)..10^12"},
    {"snapshot", "every_seconds", OPT_DBL, N(snap_every_seconds), 0, 86400, "60", "0 (off)..86400"},
    {"snapshot", "gate_tolerance", OPT_DBL, N(gate_tolerance), 0, INFINITY, "0",
     "a real >= 0 or inf (off): how much worse than the published version, on the same "
     "events, a candidate may be"},
    {"snapshot", "gate_window", OPT_U64, N(gate_window), 30, 1000000, "5000",
     "30..1000000 (the last events both models scored)"},
    {"snapshot", "gate_confidence", OPT_DBL, N(gate_confidence), 0.5, 0.999999, "0.99",
     "0.5..0.999999 (of the bound a hold-back needs)"},
    {"snapshot", "gate_every", OPT_U64, N(gate_every), 1, 1000000, "1",
     "1..1000000 (the published version scores one event in this many: its cost / this)"},
    {"snapshot", "gate_loss_cap", OPT_DBL, N(gate_loss_cap), 0.001, 1e6, "10",
     "0.001..1000000 (each event's loss is capped here for the gate)"},
    {"snapshot", "chunk_bytes", OPT_U64, N(snap_chunk_bytes), 4096, 100000000, "900000",
     "4096..100000000"},
    {"snapshot", "compress", OPT_COMPRESS, N(snap_compress), 0, 0, "auto",
     "auto, zstd, none (auto: zstd only when every weight row goes out sparse)"},

    {"metrics", "listen", OPT_LISTEN, S(metrics_listen), 0, 0, "127.0.0.1:9464",
     "host:port (port 0: any free port, logged) or off"},
    {"log", "level", OPT_LEVEL, S(log_level), 0, 0, "info", "debug, info, warn, error"},
};
#define N_OPTS (sizeof(opts) / sizeof(opts[0]))

/* [kafka] keys relearnd sets itself: letting a file change them would break exactly-once. */
static const struct {
    const char *key;
    const char *why;
} kafka_reserved[] = {
    {"enable.auto.commit", "relearnd commits offsets only after a durable checkpoint"},
    {"enable.auto.offset.store", "relearnd stores offsets itself"},
    {"group.id", "set [input] group"},
    {"bootstrap.servers", "set [input] brokers"},
    {"metadata.broker.list", "set [input] brokers"},
    {"enable.idempotence", "the snapshot producer is always idempotent"},
};

static const char *const sections[] = {"model", "input",   "output", "checkpoint", "snapshot",
                                       "drift", "metrics", "log",    "kafka",      "json"};

int rld_config_is_secret(const char *k)
{
    return strstr(k, "password") || strstr(k, "secret") || strstr(k, "key.pem") ||
           strstr(k, "oauthbearer.config") || strstr(k, "jaas") || strstr(k, "token");
}

/* A number of the table checked by the one parameter parser (common/rl_param.h): [min, max],
 * whole for U64 and SEED (SEED: any 64-bit value), "inf" for a DBL whose max is INFINITY. */
static int parse_number(const opt *o, const char *v, rl_param_value *out)
{
    rl_param_spec s = {o->key, RL_PARAM_REAL, o->min, o->max, 0, 0, 0, NULL, RL_PARAM_INF_OK};
    if (o->type != OPT_DBL)
        s.kind = RL_PARAM_UINT;
    if (o->type == OPT_SEED)
        s.hi = 0x1p64;
    return rl_param_parse(&s, v, out) == RL_PARAM_OK ? 0 : -1;
}

/* "host:port" with a numeric port 1..65535 (host may be empty = all interfaces, or [v6]). */
static int valid_listen(const char *v)
{
    static const rl_param_spec port = {"port", RL_PARAM_UINT, 0, 65535, 0, 0, 0, NULL, 0};
    const char *colon = strrchr(v, ':');
    rl_param_value p;
    if (strcmp(v, "off") == 0)
        return 1;
    return colon && rl_param_parse(&port, colon + 1, &p) == RL_PARAM_OK;
}

static const opt *find_opt(const char *section, const char *key)
{
    for (size_t i = 0; i < N_OPTS; i++)
        if (strcmp(opts[i].section, section) == 0 && strcmp(opts[i].key, key) == 0)
            return &opts[i];
    return NULL;
}

/* Lists the keys of a section, for "unknown key" messages. */
static void section_keys(const char *section, char *out, size_t out_size)
{
    size_t n = 0;
    out[0] = '\0';
    for (size_t i = 0; i < N_OPTS && n < out_size; i++) {
        if (strcmp(opts[i].section, section) != 0)
            continue;
        n += (size_t)snprintf(out + n, out_size - n, "%s%s", n ? ", " : "", opts[i].key);
    }
}

static rl_err kv_put(rld_kv *arr, size_t *n, size_t cap, const char *key, const char *value,
                     int line)
{
    size_t i;
    for (i = 0; i < *n; i++)
        if (strcmp(arr[i].key, key) == 0)
            break;
    if (i == *n) {
        if (*n >= cap)
            return RL_ERR_INVALID_ARG;
        (*n)++;
    }
    snprintf(arr[i].key, sizeof(arr[i].key), "%s", key);
    snprintf(arr[i].value, sizeof(arr[i].value), "%s", value);
    arr[i].line = line;
    return RL_OK;
}

/* The one place a key is set. `where` is "file:line" or the flag name. */
static rl_err set_key(rld_config *c, const char *where, const char *section, const char *key,
                      const char *value, int line, char *errstr, size_t errstr_size)
{
    char e[512];
    const opt *o;
    char *base = (char *)c;

    if (strcmp(section, "kafka") == 0) {
        rd_kafka_conf_t *probe;
        for (size_t i = 0; i < sizeof(kafka_reserved) / sizeof(kafka_reserved[0]); i++)
            if (strcmp(key, kafka_reserved[i].key) == 0)
                return rl_set_err(errstr, errstr_size, RL_ERR_CONFIG,
                                  "%s: [kafka] %s: relearnd sets this itself (%s)", where, key,
                                  kafka_reserved[i].why);
        if (strlen(key) >= sizeof(c->kafka[0].key) || strlen(value) >= sizeof(c->kafka[0].value))
            return rl_set_err(errstr, errstr_size, RL_ERR_CONFIG,
                              "%s: [kafka] %s: key or value too long (allowed: key < 128, "
                              "value < 512 bytes)",
                              where, key);
        /* Check the key now so the message names the line; the value is set again on the
         * real conf objects at start-up. */
        probe = rd_kafka_conf_new();
        if (rd_kafka_conf_set(probe, key, value, e, sizeof(e)) != RD_KAFKA_CONF_OK) {
            rd_kafka_conf_destroy(probe);
            return rl_set_err(errstr, errstr_size, RL_ERR_CONFIG,
                              "%s: [kafka] %s: %s (allowed: librdkafka properties, see "
                              "CONFIGURATION.md of librdkafka 2.0.2)",
                              where, key, e);
        }
        rd_kafka_conf_destroy(probe);
        if (kv_put(c->kafka, &c->n_kafka, RLD_CONF_MAX_KAFKA, key, value, line) != RL_OK)
            return rl_set_err(errstr, errstr_size, RL_ERR_CONFIG,
                              "%s: [kafka] %s: too many keys (allowed: %d)", where, key,
                              RLD_CONF_MAX_KAFKA);
        return RL_OK;
    }
    if (strcmp(section, "drift") == 0) {
        if (rl_model_config_set_drift(&c->model, key, value, e, sizeof(e)) != RL_OK)
            return rl_set_err(errstr, errstr_size, RL_ERR_CONFIG, "%s: [drift] %s: %s", where, key,
                              e);
        if (kv_put(c->drift, &c->n_drift, sizeof(c->drift) / sizeof(c->drift[0]), key, value,
                   line) != RL_OK)
            return rl_set_err(errstr, errstr_size, RL_ERR_CONFIG, "%s: [drift] %s: too many keys",
                              where, key);
        return RL_OK;
    }

    o = find_opt(section, key);
    if (!o) {
        char keys[1024];
        int known = 0;
        for (size_t i = 0; i < sizeof(sections) / sizeof(sections[0]); i++)
            known |= strcmp(sections[i], section) == 0;
        if (!known)
            return rl_set_err(errstr, errstr_size, RL_ERR_CONFIG,
                              "%s: [%s] %s: unknown section (allowed: model, input, output, "
                              "checkpoint, snapshot, drift, metrics, log, kafka, json)",
                              where, section, key);
        section_keys(section, keys, sizeof(keys));
        return rl_set_err(errstr, errstr_size, RL_ERR_CONFIG,
                          "%s: [%s] %s: unknown key (allowed: %s)", where, section, key, keys);
    }

    switch (o->type) {
    case OPT_STR:
    case OPT_TOPIC:
    case OPT_TOPICS:
    case OPT_LEVEL:
    case OPT_LISTEN: {
        size_t len = strlen(value);
        const char *bad = NULL;
        if (len >= o->size)
            bad = "too long";
        else if (o->type == OPT_TOPIC && !rld_valid_topic(value, len))
            bad = "not a valid topic name";
        else if (o->type == OPT_LEVEL && rl_log_level_parse(value) < 0)
            bad = "unknown level";
        else if (o->type == OPT_LISTEN && !valid_listen(value))
            bad = "not host:port";
        else if (o->type == OPT_STR && len == 0)
            bad = "empty";
        else if (o->type == OPT_TOPICS) {
            const char *p = value;
            if (len == 0)
                bad = "empty";
            while (!bad && *p) {
                const char *comma = strchr(p, ',');
                size_t l = comma ? (size_t)(comma - p) : strlen(p);
                if (!rld_valid_topic(p, l))
                    bad = "not a valid topic name list";
                p += l + (comma ? 1 : 0);
                if (comma && !*p)
                    bad = "trailing comma";
            }
        }
        if (!bad && strcmp(section, "input") == 0 && strcmp(key, "format") == 0 &&
            rld_format_parse(value, strlen(value)) < 0)
            bad = "unknown format";
        if (!bad && strcmp(key, "topic_formats") == 0)
            bad = rld_config_bad_topic_formats(value);
        rl_csv_missing miss;
        if (!bad && strcmp(key, "csv_missing") == 0 && rl_csv_missing_parse(value, &miss) != RL_OK)
            bad = "not skip, mean or indicator";
        if (!bad && strcmp(key, "instance_id") == 0 && strchr(value, ':'))
            bad = "contains ':' (the commit metadata uses it as separator)";
        if (!bad && o->type == OPT_STR && strcmp(key, "brokers") != 0 && strcmp(key, "dir") != 0)
            bad = rld_unsafe_text(value);
        if (!bad && strcmp(section, "checkpoint") == 0 && strcmp(key, "dir") == 0)
            bad = rld_unsafe_dir(value);
        if (bad)
            return rl_set_err(errstr, errstr_size, RL_ERR_CONFIG, "%s: [%s] %s: %s (allowed: %s)",
                              where, section, key, bad, o->allowed);
        memcpy(base + o->offset, value, len + 1);
        return RL_OK;
    }
    case OPT_U64:
    case OPT_SEED:
    case OPT_DBL: {
        rl_param_value x;
        if (parse_number(o, value, &x) != 0)
            return rl_set_err(errstr, errstr_size, RL_ERR_CONFIG,
                              "%s: [%s] %s: '%s' is not valid (allowed: %s)", where, section, key,
                              value, o->allowed);
        if (o->type == OPT_SEED)
            c->model.hash_seed = x.u;
        else if (o->type == OPT_U64)
            memcpy(base + o->offset, &x.u, sizeof(x.u));
        else
            memcpy(base + o->offset, &x.real, sizeof(x.real));
        return RL_OK;
    }
    case OPT_COMPRESS: {
        unsigned x;
        if (strcmp(value, "auto") == 0)
            x = RL_CKPT_COMPRESS_AUTO;
        else if (strcmp(value, "zstd") == 0)
            /* checkpoints: zero runs out first when they pay (snapshots have sparse rows) */
            x = RL_FRAME_ZSTD | (strcmp(section, "checkpoint") == 0 ? RL_FRAME_ZERO_RUNS : 0);
        else if (strcmp(value, "none") == 0)
            x = 0;
        else
            return rl_set_err(errstr, errstr_size, RL_ERR_CONFIG,
                              "%s: [%s] %s: '%s' is not valid (allowed: %s)", where, section, key,
                              value, o->allowed);
        memcpy(base + o->offset, &x, sizeof(x));
        return RL_OK;
    }
    case OPT_LEARNER:
        if (rl_learner_params_set(&c->model.learner, key, value, e, sizeof(e)) != RL_OK) {
            /* The learner's message may already say what is allowed: say it once. */
            if (strstr(e, "(allowed:"))
                return rl_set_err(errstr, errstr_size, RL_ERR_CONFIG, "%s: [%s] %s: %s", where,
                                  section, key, e);
            return rl_set_err(errstr, errstr_size, RL_ERR_CONFIG, "%s: [%s] %s: %s (allowed: %s)",
                              where, section, key, e, o->allowed);
        }
        return RL_OK;
    }
    (void)line;
    return rl_set_err(errstr, errstr_size, RL_ERR_CONFIG, "%s: [%s] %s: internal: bad type", where,
                      section, key);
}

void rld_config_default(rld_config *c)
{
    char e[256];
    memset(c, 0, sizeof(*c));
    rl_model_config_default(&c->model);
    for (size_t i = 0; i < N_OPTS; i++) {
        if (!opts[i].def)
            continue;
        rl_err err =
            set_key(c, "default", opts[i].section, opts[i].key, opts[i].def, 0, e, sizeof(e));
        (void)err;
        /* Defaults are constants of this file; test_config checks they all parse. */
    }
    if (gethostname(c->instance_id, sizeof(c->instance_id) - 1) != 0 || !c->instance_id[0])
        snprintf(c->instance_id, sizeof(c->instance_id), "relearnd");
    for (char *p = c->instance_id; *p; p++)
        if (*p == ':')
            *p = '_';
}

rl_err rld_config_set(rld_config *c, const char *origin, const char *section, const char *key,
                      const char *value, char *errstr, size_t errstr_size)
{
    return set_key(c, origin, section, key, value, 0, errstr, errstr_size);
}

rl_err rld_config_set_line(rld_config *c, const char *where, const char *section, const char *key,
                           const char *value, int line, char *errstr, size_t errstr_size)
{
    return set_key(c, where, section, key, value, line, errstr, errstr_size);
}

/* An unset string is a comment: `key = ` read back is refused as empty, and the output must be
 * a config relearnd accepts as it is. */
static void print_str(FILE *out, const char *k, const char *v)
{
    if (*v)
        fprintf(out, "%s = %s\n", k, v);
    else
        fprintf(out, "; %s: not set\n", k);
}

void rld_config_print(const rld_config *c, FILE *out)
{
    char buf[4096];
    const char *cur = "";
    for (size_t i = 0; i < N_OPTS; i++) {
        const opt *o = &opts[i];
        const char *base = (const char *)c;
        if (strcmp(cur, o->section) != 0) {
            fprintf(out, "%s[%s]\n", i ? "\n" : "", o->section);
            cur = o->section;
            if (strcmp(cur, "model") == 0) {
                /* Learner hyperparameters come formatted by their owner, as the learner
                 * resolved them: ogd's unset schedule is invscaling (eta / sqrt(t)), not
                 * the shared default (normalized) the file parser holds. */
                char e[256], learner[64];
                rl_model *m = NULL;
                const rl_learner_params *lp = &c->model.learner;
                if (rl_model_new(&c->model, NULL, NULL, &m, e, sizeof(e)) == RL_OK)
                    lp = &rl_model_learner_c(m)->params;
                rl_learner_params_format(lp, buf, sizeof(buf));
                snprintf(learner, sizeof(learner), "%s", lp->learner); /* lp dies with m */
                rl_model_destroy(m);
                for (char *line = buf; *line;) {
                    char *nl = strchr(line, '\n');
                    char *eq;
                    if (nl)
                        *nl = '\0';
                    eq = strchr(line, '=');
                    if (eq) {
                        *eq = '\0';
                        /* What the learner does not read is refused as a key: a comment */
                        if (rl_learner_takes(learner, line))
                            fprintf(out, "%s = %s\n", line, eq + 1);
                        else
                            fprintf(out, "; %s = %s (fixed: not a parameter of %s)\n", line, eq + 1,
                                    learner);
                    } else if (*line) {
                        fprintf(out, "%s\n", line);
                    }
                    if (!nl)
                        break;
                    line = nl + 1;
                }
            }
        }
        switch (o->type) {
        case OPT_STR:
        case OPT_TOPIC:
        case OPT_TOPICS:
        case OPT_LEVEL:
        case OPT_LISTEN:
            print_str(out, o->key, base + o->offset);
            break;
        case OPT_U64: {
            uint64_t x;
            memcpy(&x, base + o->offset, sizeof(x));
            fprintf(out, "%s = %llu\n", o->key, (unsigned long long)x);
            break;
        }
        case OPT_SEED:
            fprintf(out, "%s = %llu\n", o->key, (unsigned long long)c->model.hash_seed);
            break;
        case OPT_DBL: {
            double x;
            memcpy(&x, base + o->offset, sizeof(x));
            fprintf(out, "%s = %.15g\n", o->key, x);
            break;
        }
        case OPT_COMPRESS: {
            unsigned x;
            memcpy(&x, base + o->offset, sizeof(x));
            fprintf(out, "%s = %s\n", o->key,
                    x == RL_CKPT_COMPRESS_AUTO ? "auto"
                    : x & RL_FRAME_ZSTD        ? "zstd"
                                               : "none");
            break;
        }
        case OPT_LEARNER:
            break;
        }
    }
    fprintf(out, "\n[drift]\n");
    for (size_t i = 0; i < c->n_drift; i++)
        fprintf(out, "%s = %s\n", c->drift[i].key, c->drift[i].value);
    fprintf(out, "\n[kafka]\n");
    for (size_t i = 0; i < c->n_kafka; i++)
        fprintf(out, "%s = %s\n", c->kafka[i].key,
                rld_config_is_secret(c->kafka[i].key) ? "********" : c->kafka[i].value);
    if (c->init_model[0])
        fprintf(out, "\n; --init-model %s\n", c->init_model);
}

rd_kafka_conf_t *rld_config_kafka_conf(const rld_config *c, rd_kafka_type_t type,
                                       const char *const *defaults, char *errstr,
                                       size_t errstr_size)
{
    rl_kafka_prop props[RLD_CONF_MAX_KAFKA];
    for (size_t i = 0; i < c->n_kafka; i++)
        props[i] = (rl_kafka_prop){c->kafka[i].key, c->kafka[i].value, c->path, c->kafka[i].line};
    rl_kafka_client client = {type, c->brokers, "[input] brokers", defaults, props, c->n_kafka};
    return rl_kafka_conf_new(&client, errstr, errstr_size);
}
