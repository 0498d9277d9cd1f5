/* cmd_snapshots.c - `relearn snapshots`: list the model versions published on a snapshot topic,
 * or fetch one (`--get V -o FILE`), reassembling its chunks.
 *
 * Reads the whole topic once, from each partition's low watermark to the high watermark it had
 * when we started (later messages are ignored, so the command always ends). Message headers
 * (wire/kafka_headers.h) say model, version, instance and chunk; a message without them is
 * identified from its own frame (rl_snapshot_peek). Chunks of the requested version go through
 * rl_snapshot_asm (storage/snapshot.h), which verifies every chunk and the reassembled
 * checksum. A manual-assign consumer with no commits: reading never moves anyone's offsets. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <librdkafka/rdkafka.h>

#include "cli/commands.h"
#include "wire/kafka_headers.h"
#include "cli/kafka_util.h"
#include "storage/snapshot.h"

#define NAME_MAX_LEN 128
#define MAX_CHUNKS   1000000u

typedef struct version_entry {
    char model[NAME_MAX_LEN];
    char instance[NAME_MAX_LEN];
    uint64_t version;
    uint32_t n_chunks; /* from the chunk header; 1 for a whole snapshot */
    uint32_t n_seen;   /* distinct chunk indices seen */
    uint8_t *seen;     /* n_chunks flags */
    uint64_t size;     /* whole snapshot bytes (header), else sum of distinct chunks */
    int size_from_hdr;
    int64_t ts_ms;     /* timestamp of the first message seen */
    int32_t partition; /* where the first message seen is */
    int64_t offset;
    uint64_t duplicates;
} version_entry;

typedef struct snap_opts {
    rl_kafka_opts kafka;
    const char *topic;
    const char *model;
    const char *instance;
    const char *out;
    int get;
    int json;
    uint64_t get_version;
    int timeout_s;
} snap_opts;

typedef struct listing {
    version_entry *v;
    size_t n, cap;
    uint64_t unrecognized;
} listing;

static void usage(FILE *f)
{
    fprintf(f,
            "usage: relearn snapshots --brokers B --topic T [--model NAME] [--instance ID]\n"
            "                         [--json | --get VERSION -o FILE] [--timeout S]\n"
            "                         [-X key=value]\n"
            "\n"
            "Lists the model versions published on snapshot topic T, one line per version,\n"
            "sorted by model, instance and version:\n"
            "  VERSION MODEL INSTANCE SIZE CHUNKS TIME PARTITION:OFFSET\n"
            "SIZE is the whole snapshot in bytes; CHUNKS is seen/total (a version with missing\n"
            "chunks shows fewer seen than total); TIME is the first message's timestamp (UTC);\n"
            "PARTITION:OFFSET is where its first message is.\n"
            "\n"
            "  --json             the listing as one JSON array of objects (version, model,\n"
            "                     instance, bytes, chunks_seen, chunks, complete, duplicates,\n"
            "                     time, partition, offset), for scripts\n"
            "  --model NAME       only this model (the message key / relearn-model header)\n"
            "  --instance ID      only versions published by this relearnd instance\n"
            "  --get V -o FILE    fetch version V, reassemble and verify its chunks, write it to\n"
            "                     FILE (atomically, mode 0600) for `relearn inspect` / `diff`;\n"
            "                     needs --model/--instance when V is ambiguous (-o is also\n"
            "                     spelt --output)\n"
            "  --timeout S        give up reading after S seconds (default 30)\n"
            "  -X key=value       librdkafka consumer property (security settings etc.)\n"
            "\n"
            "Reads from the beginning to the end the topic had at start; commits nothing.\n"
            "Exit status: 0 done; 1 broker or topic unreachable, timeout, version missing,\n"
            "incomplete or corrupt; 2 usage error.\n");
}

static int parse_args(int argc, char **argv, snap_opts *o)
{
    long long v;
    memset(o, 0, sizeof(*o));
    o->timeout_s = 30;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            return 1;
        }
        if (strcmp(a, "--json") == 0) {
            o->json = 1;
            continue;
        }
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (!val) {
            fprintf(stderr, "relearn snapshots: %s needs a value or is unknown (see --help)\n", a);
            return 2;
        }
        i++;
        int taken = rl_kafka_opts_take(&o->kafka, &o->topic, "snapshots", a, val);
        if (taken < 0)
            return 2;
        if (taken) {
            if (rl_cli_value_is_option("snapshots", a, val))
                return 2;
            continue;
        } else if (strcmp(a, "--model") == 0) {
            o->model = val;
        } else if (strcmp(a, "--instance") == 0) {
            o->instance = val;
        } else if (strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0) {
            if (rl_cli_value_is_option("snapshots", a, val))
                return 2;
            o->out = val;
        } else if (strcmp(a, "--get") == 0) {
            if (rl_cli_parse_ll(val, 1, INT64_MAX, &v) != 0) {
                fprintf(stderr, "relearn snapshots: --get: '%s' is not a version >= 1\n", val);
                return 2;
            }
            o->get = 1;
            o->get_version = (uint64_t)v;
        } else if (strcmp(a, "--timeout") == 0) {
            if (rl_cli_parse_ll(val, 1, 86400, &v) != 0) {
                fprintf(stderr, "relearn snapshots: --timeout: '%s' is not 1..86400\n", val);
                return 2;
            }
            o->timeout_s = (int)v;
        } else {
            fprintf(stderr, "relearn snapshots: unknown option '%s' (see --help)\n", a);
            return 2;
        }
    }
    if (!o->kafka.brokers || !o->topic) {
        fprintf(stderr, "relearn snapshots: --brokers and --topic are required (see --help)\n");
        return 2;
    }
    if (o->get != (o->out != NULL)) {
        fprintf(stderr, "relearn snapshots: --get V and -o FILE go together (see --help)\n");
        return 2;
    }
    if (o->get && o->json) {
        fprintf(stderr,
                "relearn snapshots: --json lists; it does not go with --get (see --help)\n");
        return 2;
    }
    return 0;
}

/* Copies header `name` into out (NUL-terminated); 0 if present. */
static int hdr_get(rd_kafka_headers_t *h, const char *name, char *out, size_t out_size)
{
    const void *v = NULL;
    size_t n = 0;
    if (!h || rd_kafka_header_get_last(h, name, &v, &n) != RD_KAFKA_RESP_ERR_NO_ERROR || !v)
        return -1;
    if (n >= out_size)
        n = out_size - 1;
    memcpy(out, v, n);
    out[n] = '\0';
    return 0;
}

static int parse_u64(const char *s, uint64_t *out)
{
    char *end;
    if (!*s || *s == '-')
        return -1;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end)
        return -1;
    *out = v;
    return 0;
}

/* Identifies a message: from headers, else from the value's own frame. 0 on success. */
static int identify(const rd_kafka_message_t *m, rl_snapshot_id *id, uint64_t *size_hdr, char *why,
                    size_t why_size)
{
    rd_kafka_headers_t *h = NULL;
    char ver[32], chunk[48], size[32];
    memset(id, 0, sizeof(*id));
    *size_hdr = 0;
    if (rd_kafka_message_headers(m, &h) == RD_KAFKA_RESP_ERR_NO_ERROR &&
        hdr_get(h, RL_HDR_MODEL, id->model_name, sizeof(id->model_name)) == 0 &&
        hdr_get(h, RL_HDR_VERSION, ver, sizeof(ver)) == 0) {
        if (parse_u64(ver, &id->version) != 0 || id->version == 0) {
            snprintf(why, why_size, "bad %s header", RL_HDR_VERSION);
            return -1;
        }
        if (hdr_get(h, RL_HDR_INSTANCE, id->instance_id, sizeof(id->instance_id)) != 0)
            snprintf(id->instance_id, sizeof(id->instance_id), "-");
        id->index = 0;
        id->count = 1;
        if (hdr_get(h, RL_HDR_CHUNK, chunk, sizeof(chunk)) == 0) {
            char *slash = strchr(chunk, '/');
            uint64_t i, n;
            if (!slash)
                goto bad_chunk;
            *slash = '\0';
            if (parse_u64(chunk, &i) != 0 || parse_u64(slash + 1, &n) != 0 || n == 0 ||
                n > MAX_CHUNKS || i >= n)
                goto bad_chunk;
            id->index = (uint32_t)i;
            id->count = (uint32_t)n;
            id->is_chunk = n > 1;
        }
        if (hdr_get(h, RL_HDR_SIZE, size, sizeof(size)) == 0 && parse_u64(size, size_hdr) != 0)
            *size_hdr = 0;
        return 0;
    }
    /* No headers: a relearn frame still says what it is. */
    if (rl_snapshot_peek(m->payload, m->len, id, why, why_size) != RL_OK)
        return -1;
    *size_hdr = id->total_length;
    return 0;
bad_chunk:
    snprintf(why, why_size, "bad %s header (want i/n)", RL_HDR_CHUNK);
    return -1;
}

static version_entry *find_or_add(listing *l, const rl_snapshot_id *id)
{
    for (size_t i = l->n; i-- > 0;) {
        version_entry *e = &l->v[i];
        if (e->version == id->version && strcmp(e->model, id->model_name) == 0 &&
            strcmp(e->instance, id->instance_id) == 0)
            return e;
    }
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        version_entry *v = realloc(l->v, cap * sizeof(*v));
        if (!v)
            return NULL;
        l->v = v;
        l->cap = cap;
    }
    version_entry *e = &l->v[l->n];
    memset(e, 0, sizeof(*e));
    snprintf(e->model, sizeof(e->model), "%s", id->model_name);
    snprintf(e->instance, sizeof(e->instance), "%s", id->instance_id);
    e->version = id->version;
    e->n_chunks = id->count ? id->count : 1;
    e->seen = calloc(e->n_chunks, 1);
    if (!e->seen)
        return NULL;
    l->n++;
    return e;
}

static int cmp_entry(const void *a, const void *b)
{
    const version_entry *x = a, *y = b;
    int c = strcmp(x->model, y->model);
    if (c)
        return c;
    c = strcmp(x->instance, y->instance);
    if (c)
        return c;
    return x->version < y->version ? -1 : x->version > y->version;
}

static void format_time(int64_t ms, char *out, size_t out_size)
{
    if (ms <= 0) {
        snprintf(out, out_size, "-");
        return;
    }
    time_t s = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&s, &tm);
    size_t n = strftime(out, out_size, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out + n, out_size - n, ".%03dZ", (int)(ms % 1000));
}

/* Prints a name for the listing: spaces and non-printable bytes escaped, so columns hold. */
static void print_name(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p <= 0x20 || *p >= 0x7f || *p == '\\')
            printf("\\x%02x", *p);
        else
            putchar(*p);
    }
}

static int print_listing_text(const listing *l)
{
    for (size_t i = 0; i < l->n; i++) {
        const version_entry *e = &l->v[i];
        char ts[48];
        format_time(e->ts_ms, ts, sizeof(ts));
        printf("%" PRIu64 " ", e->version);
        print_name(e->model);
        putchar(' ');
        print_name(e->instance);
        printf(" %" PRIu64 " %u/%u %s %d:%" PRId64 "\n", e->size, e->n_seen, e->n_chunks, ts,
               (int)e->partition, e->offset);
    }
    return ferror(stdout) ? -1 : 0;
}

/* Names go out as JSON strings: jansson escapes them, and refuses bytes that are not UTF-8, so
 * those are printed with the same \xNN escapes as the text listing. */
static json_t *json_name(const char *s)
{
    json_t *j = json_string(s);
    if (j)
        return j;
    char esc[NAME_MAX_LEN * 4 + 1];
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p && n + 5 < sizeof(esc); p++)
        n += (size_t)snprintf(esc + n, sizeof(esc) - n, *p >= 0x80 ? "\\x%02x" : "%c", *p);
    return json_string(esc);
}

static int print_listing_json(const listing *l)
{
    json_t *arr = json_array();
    if (!arr) {
        errno = ENOMEM;
        return -1;
    }
    for (size_t i = 0; i < l->n; i++) {
        const version_entry *e = &l->v[i];
        char ts[48];
        format_time(e->ts_ms, ts, sizeof(ts));
        json_t *o = json_pack("{s:I, s:o, s:o, s:I, s:i, s:i, s:b, s:I, s:o, s:i, s:I}", "version",
                              (json_int_t)e->version, "model", json_name(e->model), "instance",
                              json_name(e->instance), "bytes", (json_int_t)e->size, "chunks_seen",
                              (int)e->n_seen, "chunks", (int)e->n_chunks, "complete",
                              e->n_seen == e->n_chunks, "duplicates", (json_int_t)e->duplicates,
                              "time", e->ts_ms > 0 ? json_string(ts) : json_null(), "partition",
                              (int)e->partition, "offset", (json_int_t)e->offset);
        if (!o || json_array_append_new(arr, o) != 0) {
            json_decref(arr);
            errno = ENOMEM;
            return -1;
        }
    }
    int rc = json_dumpf(arr, stdout, JSON_INDENT(2));
    json_decref(arr);
    if (rc != 0 || putchar('\n') == EOF)
        return -1;
    return 0;
}

int rl_cmd_snapshots(int argc, char **argv)
{
    snap_opts o;
    char err[512];
    rd_kafka_t *rk = NULL;
    const rd_kafka_metadata_t *md = NULL;
    rd_kafka_topic_partition_list_t *assign = NULL;
    rl_snapshot_asm *as = NULL;
    listing l = {NULL, 0, 0, 0};
    int64_t *hi = NULL;
    int *done = NULL;
    int status = 1;
    rl_buf whole;
    rl_snapshot_id got_id;
    int have_whole = 0, ambiguous = 0;
    uint64_t corrupt = 0;

    rl_buf_init(&whole);
    int pa = parse_args(argc, argv, &o);
    if (pa != 0)
        return pa == 1 ? 0 : pa;

    static const char *const defaults[] = {
        "group.id",
        "relearn-snapshots", /* the mock broker wants one even for assign() */
        "enable.auto.commit",
        "false",
        "enable.auto.offset.store",
        "false",
        "enable.partition.eof",
        "true",
        "auto.offset.reset",
        "earliest",
        "fetch.message.max.bytes",
        "10485760",
        "client.id",
        "relearn-snapshots",
        NULL,
    };
    rd_kafka_conf_t *conf = rl_kafka_conf_new(&o.kafka, defaults, err, sizeof(err));
    if (!conf) {
        fprintf(stderr, "relearn snapshots: %s\n", err);
        return 2;
    }
    rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof(err));
    if (!rk) {
        rd_kafka_conf_destroy(conf);
        fprintf(stderr, "relearn snapshots: %s\n", err);
        return 2;
    }
    if (o.get && rl_snapshot_asm_new(0, &as, err, sizeof(err)) != RL_OK) {
        fprintf(stderr, "relearn snapshots: %s\n", err);
        goto done;
    }

    int tmo_ms = o.timeout_s * 1000;
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, o.topic, NULL);
    if (!rkt) {
        fprintf(stderr, "relearn snapshots: topic %s: %s\n", o.topic,
                rd_kafka_err2str(rd_kafka_last_error()));
        goto done;
    }
    rd_kafka_resp_err_t kerr = rd_kafka_metadata(rk, 0, rkt, &md, tmo_ms);
    rd_kafka_topic_destroy(rkt);
    if (kerr) {
        fprintf(stderr, "relearn snapshots: %s: cannot read metadata of %s: %s\n", o.kafka.brokers,
                o.topic, rd_kafka_err2str(kerr));
        goto done;
    }
    if (md->topic_cnt != 1 || md->topics[0].err) {
        fprintf(stderr, "relearn snapshots: topic %s: %s\n", o.topic,
                md->topic_cnt ? rd_kafka_err2str(md->topics[0].err) : "not found");
        goto done;
    }
    int np = md->topics[0].partition_cnt;
    hi = calloc((size_t)np + 1, sizeof(*hi));
    done = calloc((size_t)np + 1, sizeof(*done));
    assign = rd_kafka_topic_partition_list_new(np > 0 ? np : 1);
    if (!hi || !done || !assign) {
        fprintf(stderr, "relearn snapshots: out of memory\n");
        goto done;
    }
    int pending = 0;
    for (int i = 0; i < np; i++) {
        int32_t p = md->topics[0].partitions[i].id;
        int64_t lo_off = 0, hi_off = 0;
        if (p < 0 || p >= np) {
            fprintf(stderr, "relearn snapshots: topic %s: unexpected partition id %d\n", o.topic,
                    (int)p);
            goto done;
        }
        kerr = rd_kafka_query_watermark_offsets(rk, o.topic, p, &lo_off, &hi_off, tmo_ms);
        if (kerr) {
            fprintf(stderr, "relearn snapshots: %s [%d]: cannot read offsets: %s\n", o.topic,
                    (int)p, rd_kafka_err2str(kerr));
            goto done;
        }
        hi[p] = hi_off;
        if (hi_off > lo_off) {
            rd_kafka_topic_partition_list_add(assign, o.topic, p)->offset = lo_off;
            pending++;
        } else {
            done[p] = 1;
        }
    }
    if (pending > 0 && (kerr = rd_kafka_assign(rk, assign)) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        fprintf(stderr, "relearn snapshots: assign %s: %s\n", o.topic, rd_kafka_err2str(kerr));
        goto done;
    }

    struct timespec t0, now;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    while (pending > 0) {
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (now.tv_sec - t0.tv_sec >= o.timeout_s) {
            fprintf(stderr,
                    "relearn snapshots: timed out after %d s with %d partition(s) of %s not "
                    "read to the end\n",
                    o.timeout_s, pending, o.topic);
            goto done;
        }
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 500);
        if (!m)
            continue;
        int32_t p = m->partition;
        if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            if (p >= 0 && p < np && !done[p] && m->offset >= hi[p]) {
                done[p] = 1;
                pending--;
            }
            rd_kafka_message_destroy(m);
            continue;
        }
        if (m->err) {
            /* Transient errors are retried by librdkafka; report and keep going until the
             * deadline, except for the ones that cannot heal. */
            fprintf(stderr, "relearn snapshots: %s [%d]: %s\n", o.topic, (int)p,
                    rd_kafka_message_errstr(m));
            int fatal = m->err == RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC ||
                        m->err == RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED ||
                        m->err == RD_KAFKA_RESP_ERR__FATAL;
            rd_kafka_message_destroy(m);
            if (fatal)
                goto done;
            continue;
        }
        if (p < 0 || p >= np || done[p] || m->offset >= hi[p]) {
            rd_kafka_message_destroy(m);
            continue;
        }
        if (m->offset >= hi[p] - 1) {
            done[p] = 1;
            pending--;
        }
        rl_snapshot_id id;
        uint64_t size_hdr;
        char why[256];
        if (identify(m, &id, &size_hdr, why, sizeof(why)) != 0) {
            if (l.unrecognized++ < 5)
                fprintf(stderr, "relearn snapshots: %s [%d] offset %" PRId64 ": skipped: %s\n",
                        o.topic, (int)p, m->offset, why);
            rd_kafka_message_destroy(m);
            continue;
        }
        if ((o.model && strcmp(o.model, id.model_name) != 0) ||
            (o.instance && strcmp(o.instance, id.instance_id) != 0)) {
            rd_kafka_message_destroy(m);
            continue;
        }
        version_entry *e = find_or_add(&l, &id);
        if (!e) {
            rd_kafka_message_destroy(m);
            fprintf(stderr, "relearn snapshots: out of memory\n");
            goto done;
        }
        uint32_t idx = id.index < e->n_chunks ? id.index : 0;
        if (e->n_seen == 0 && !e->seen[idx]) {
            rd_kafka_timestamp_type_t tst;
            e->ts_ms = rd_kafka_message_timestamp(m, &tst);
            e->partition = p;
            e->offset = m->offset;
        }
        if (e->seen[idx]) {
            e->duplicates++;
        } else {
            e->seen[idx] = 1;
            e->n_seen++;
            if (size_hdr) {
                e->size = size_hdr;
                e->size_from_hdr = 1;
            } else if (!e->size_from_hdr) {
                e->size += m->len;
            }
        }
        if (as && id.version == o.get_version) {
            int complete = 0;
            rl_snapshot_id cid;
            rl_buf tmp;
            rl_buf_init(&tmp);
            if (rl_snapshot_asm_add(as, m->payload, m->len, &complete, &cid, &tmp, why,
                                    sizeof(why)) != RL_OK) {
                corrupt++;
                fprintf(stderr, "relearn snapshots: %s [%d] offset %" PRId64 ": %s\n", o.topic,
                        (int)p, m->offset, why);
            } else if (complete) {
                if (!have_whole) {
                    rl_buf_free(&whole);
                    whole = tmp;
                    rl_buf_init(&tmp);
                    got_id = cid;
                    have_whole = 1;
                } else if (strcmp(cid.model_name, got_id.model_name) != 0 ||
                           strcmp(cid.instance_id, got_id.instance_id) != 0) {
                    ambiguous = 1;
                }
            }
            rl_buf_free(&tmp);
        }
        rd_kafka_message_destroy(m);
    }

    if (!o.get) {
        if (l.n > 0)
            qsort(l.v, l.n, sizeof(*l.v), cmp_entry);
        if ((o.json ? print_listing_json(&l) : print_listing_text(&l)) != 0 ||
            fflush(stdout) != 0) {
            fprintf(stderr, "relearn snapshots: writing the listing: %s\n", strerror(errno));
            goto done;
        }
        status = 0;
        goto done;
    }

    /* --get */
    if (ambiguous) {
        fprintf(stderr,
                "relearn snapshots: version %" PRIu64 " exists for more than one model or "
                "instance; choose with --model / --instance:\n",
                o.get_version);
        for (size_t i = 0; i < l.n; i++)
            if (l.v[i].version == o.get_version)
                fprintf(stderr, "  model=%s instance=%s\n", l.v[i].model, l.v[i].instance);
        goto done;
    }
    if (!have_whole) {
        int found = 0;
        for (size_t i = 0; i < l.n; i++) {
            const version_entry *e = &l.v[i];
            if (e->version != o.get_version)
                continue;
            found = 1;
            fprintf(stderr,
                    "relearn snapshots: version %" PRIu64 " of model %s (instance %s) is %s: "
                    "%u of %u chunks present\n",
                    e->version, e->model, e->instance,
                    corrupt ? "corrupt or incomplete" : "incomplete", e->n_seen, e->n_chunks);
        }
        if (!found)
            fprintf(stderr, "relearn snapshots: no version %" PRIu64 "%s%s on %s\n", o.get_version,
                    o.model ? " of model " : "", o.model ? o.model : "", o.topic);
        goto done;
    }
    if (rl_snapshot_write_file(o.out, whole.data, whole.len, err, sizeof(err)) != RL_OK) {
        fprintf(stderr, "relearn snapshots: %s\n", err);
        goto done;
    }
    fprintf(stderr,
            "relearn snapshots: wrote %s: model %s version %" PRIu64 " instance %s, %zu bytes%s\n",
            o.out, got_id.model_name, got_id.version, got_id.instance_id, whole.len,
            got_id.is_chunk ? " (reassembled)" : "");
    status = 0;
done:
    for (size_t i = 0; i < l.n; i++)
        free(l.v[i].seen);
    free(l.v);
    free(hi);
    free(done);
    if (assign)
        rd_kafka_topic_partition_list_destroy(assign);
    if (md)
        rd_kafka_metadata_destroy(md);
    rl_snapshot_asm_destroy(as);
    rl_buf_free(&whole);
    if (rk) {
        rd_kafka_consumer_close(rk);
        rd_kafka_destroy(rk);
    }
    return status;
}
