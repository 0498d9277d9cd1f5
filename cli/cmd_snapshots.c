/* cmd_snapshots.c - `relearn snapshots`: list the model versions published on a snapshot topic,
 * or fetch one (`--get V -o FILE`), reassembling its chunks.
 *
 * Reads the whole topic once through the snapshot-topic reader (kafka/kafka.h rl_snaptopic):
 * from each partition's low watermark to the high watermark it had when we started (later
 * messages are ignored, so the command always ends), each message identified by its headers or
 * its own frame, the chunks of the requested version reassembled and verified. Reading never
 * moves anyone's offsets. This file keeps the listing and what is printed. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <librdkafka/rdkafka.h>

#include "cli/commands.h"
#include "cli/kafka_util.h"
#include "storage/snapshot.h"

#define NAME_MAX_LEN 128

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
    uint64_t timeout_s;
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

/* Returns -1 to go on, else the exit status (0 after --help). */
static int parse_args(int argc, char **argv, snap_opts *o)
{
    int first_operand;
    memset(o, 0, sizeof(*o));
    o->timeout_s = 30;
    o->kafka.cmd = "snapshots";
    o->kafka.topic = &o->topic;
    const rl_opt opts[] = {
        RL_KAFKA_OPT_ROWS(&o->kafka),
        RL_OPT_FLAG_ROW("json", 0, &o->json),
        RL_OPT_STRING_ROW("model", 0, &o->model),
        RL_OPT_STRING_ROW("instance", 0, &o->instance),
        RL_OPT_STRING_ROW("output", 'o', &o->out),
        RL_OPT_NUMBER_ROW("get", 0, &o->get_version, RL_PARAM_UINT, 1, INT64_MAX, "a version >= 1"),
        RL_OPT_NUMBER_ROW("timeout", 0, &o->timeout_s, RL_PARAM_UINT, 1, 86400, "1..86400"),
        {RL_OPT_END},
    };
    int rc = rl_opts_parse(argc, argv, "snapshots", opts, usage, &first_operand);
    if (rc >= 0)
        return rc;
    if (first_operand < argc) {
        fprintf(stderr, "relearn snapshots: unexpected argument '%s' (see --help)\n",
                argv[first_operand]);
        return 2;
    }
    o->get = o->get_version > 0;
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

/* Counts one message of a listed version. */
static int record(listing *l, const rl_snaptopic_event *ev)
{
    version_entry *e = find_or_add(l, &ev->id);
    if (!e)
        return -1;
    uint32_t idx = ev->id.index < e->n_chunks ? ev->id.index : 0;
    if (e->n_seen == 0 && !e->seen[idx]) {
        e->ts_ms = ev->timestamp_ms;
        e->partition = ev->partition;
        e->offset = ev->offset;
    }
    if (e->seen[idx]) {
        e->duplicates++;
    } else {
        e->seen[idx] = 1;
        e->n_seen++;
        if (ev->size) {
            e->size = ev->size;
            e->size_from_hdr = 1;
        } else if (!e->size_from_hdr) {
            e->size += ev->len;
        }
    }
    return 0;
}

/* What --get found: the reassembled version, or why there is none. */
typedef struct fetched {
    rl_buf whole;
    rl_snapshot_id id;
    int have, ambiguous;
    uint64_t corrupt;
} fetched;

static void take_whole(fetched *f, rl_snaptopic_event *ev)
{
    if (!f->have) {
        rl_buf tmp = f->whole;
        f->whole = ev->whole; /* swapped, not copied: the reader reuses tmp's buffer */
        ev->whole = tmp;
        f->id = ev->whole_id;
        f->have = 1;
    } else if (strcmp(ev->whole_id.model_name, f->id.model_name) != 0 ||
               strcmp(ev->whole_id.instance_id, f->id.instance_id) != 0) {
        f->ambiguous = 1;
    }
}

/* Reads the topic to the end it had at the start into l (and f for --get). 0, or the exit
 * status after saying why: 2 for a client configuration librdkafka refuses, else 1. */
static int read_topic(const snap_opts *o, listing *l, fetched *f)
{
    char err[512];
    rl_snaptopic *r = NULL;
    rl_snaptopic_event ev;
    int rc = 1;
    rl_err e;
    static const char *const defaults[] = {
        "group.id",
        "relearn-snapshots", /* the mock broker wants one even for assign() */
        "auto.offset.reset",
        "earliest",
        "fetch.message.max.bytes",
        "10485760",
        "client.id",
        "relearn-snapshots",
        NULL,
    };
    rd_kafka_conf_t *conf =
        rl_cli_kafka_conf(&o->kafka, RD_KAFKA_CONSUMER, defaults, err, sizeof(err));
    if (!conf) {
        fprintf(stderr, "relearn snapshots: %s\n", err);
        return 2;
    }
    rl_snaptopic_opts so = {o->topic, o->model, o->instance, o->get ? o->get_version : 0, 0};
    if ((e = rl_snaptopic_new(conf, &so, (int)o->timeout_s * 1000, &r, err, sizeof(err))) !=
        RL_OK) {
        fprintf(stderr, "relearn snapshots: %s\n", err);
        return e == RL_ERR_CONFIG ? 2 : 1;
    }
    memset(&ev, 0, sizeof(ev));
    double t0 = rl_mono_s();
    for (;;) {
        if (rl_mono_s() - t0 >= (double)o->timeout_s) {
            fprintf(stderr,
                    "relearn snapshots: timed out after %d s with %d partition(s) of %s not "
                    "read to the end\n",
                    (int)o->timeout_s, rl_snaptopic_pending(r), o->topic);
            goto done;
        }
        if (rl_snaptopic_poll(r, 500, &ev, err, sizeof(err)) != RL_OK) {
            fprintf(stderr, "relearn snapshots: %s\n", err);
            goto done;
        }
        if (ev.kind == RL_SNAPTOPIC_END)
            break;
        if (ev.kind == RL_SNAPTOPIC_KAFKA_ERROR)
            fprintf(stderr, "relearn snapshots: %s\n", ev.why);
        if (ev.kind == RL_SNAPTOPIC_SKIPPED && l->unrecognized++ < 5)
            fprintf(stderr, "relearn snapshots: %s [%d] offset %" PRId64 ": skipped: %s\n",
                    o->topic, (int)ev.partition, ev.offset, ev.why);
        if (ev.kind != RL_SNAPTOPIC_MESSAGE)
            continue;
        if (record(l, &ev) != 0) {
            fprintf(stderr, "relearn snapshots: out of memory\n");
            goto done;
        }
        if (ev.corrupt) {
            f->corrupt++;
            fprintf(stderr, "relearn snapshots: %s [%d] offset %" PRId64 ": %s\n", o->topic,
                    (int)ev.partition, ev.offset, ev.why);
        } else if (ev.complete) {
            take_whole(f, &ev);
        }
    }
    rc = 0;
done:
    rl_snaptopic_event_free(&ev);
    rl_snaptopic_destroy(r);
    return rc;
}

/* Writes the version --get asked for, or says why it cannot. 0 or -1 (said). */
static int write_fetched(const snap_opts *o, const listing *l, const fetched *f)
{
    char err[512];
    if (f->ambiguous) {
        fprintf(stderr,
                "relearn snapshots: version %" PRIu64 " exists for more than one model or "
                "instance; choose with --model / --instance:\n",
                o->get_version);
        for (size_t i = 0; i < l->n; i++)
            if (l->v[i].version == o->get_version)
                fprintf(stderr, "  model=%s instance=%s\n", l->v[i].model, l->v[i].instance);
        return -1;
    }
    if (!f->have) {
        int found = 0;
        for (size_t i = 0; i < l->n; i++) {
            const version_entry *e = &l->v[i];
            if (e->version != o->get_version)
                continue;
            found = 1;
            fprintf(stderr,
                    "relearn snapshots: version %" PRIu64 " of model %s (instance %s) is %s: "
                    "%u of %u chunks present\n",
                    e->version, e->model, e->instance,
                    f->corrupt ? "corrupt or incomplete" : "incomplete", e->n_seen, e->n_chunks);
        }
        if (!found)
            fprintf(stderr, "relearn snapshots: no version %" PRIu64 "%s%s on %s\n", o->get_version,
                    o->model ? " of model " : "", o->model ? o->model : "", o->topic);
        return -1;
    }
    if (rl_snapshot_write_file(o->out, f->whole.data, f->whole.len, err, sizeof(err)) != RL_OK) {
        fprintf(stderr, "relearn snapshots: %s\n", err);
        return -1;
    }
    fprintf(stderr,
            "relearn snapshots: wrote %s: model %s version %" PRIu64 " instance %s, %zu bytes%s\n",
            o->out, f->id.model_name, f->id.version, f->id.instance_id, f->whole.len,
            f->id.is_chunk ? " (reassembled)" : "");
    return 0;
}

int rl_cmd_snapshots(int argc, char **argv)
{
    snap_opts o;
    listing l = {NULL, 0, 0, 0};
    fetched f;
    int status = 1;

    int pa = parse_args(argc, argv, &o);
    if (pa >= 0)
        return pa;
    memset(&f, 0, sizeof(f));
    rl_buf_init(&f.whole);
    int rt = read_topic(&o, &l, &f);
    if (rt != 0) {
        status = rt;
        goto done;
    }
    if (o.get) {
        status = write_fetched(&o, &l, &f) == 0 ? 0 : 1;
        goto done;
    }
    if (l.n > 0)
        qsort(l.v, l.n, sizeof(*l.v), cmp_entry);
    if ((o.json ? print_listing_json(&l) : print_listing_text(&l)) != 0 || fflush(stdout) != 0) {
        fprintf(stderr, "relearn snapshots: writing the listing: %s\n", strerror(errno));
        goto done;
    }
    status = 0;
done:
    for (size_t i = 0; i < l.n; i++)
        free(l.v[i].seen);
    free(l.v);
    rl_buf_free(&f.whole);
    return status;
}
