/* cmd_inspect.c - `relearn inspect FILE [--json] [--top K]`: a readable report of a checkpoint
 * or a snapshot (told apart by magic): container header, versions, learner and hyperparameters,
 * hashing, events seen, offsets, metrics, drift state, sparsity, and the top-K weights by
 * magnitude with feature names from the file's dictionary where known. --json prints the same
 * as one JSON object. The file is fully verified first; a file that does not verify is an
 * error (exit 1) naming the path and the reason. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "cli/commands.h"
#include "storage/model_file.h"
#include "cli/report_args.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: relearn inspect FILE [--json] [--top K]\n"
            "  Reports what a checkpoint (.rlck) or snapshot holds, after verifying it.\n"
            "  --top K   show the K largest weights by magnitude (default %d; 0 = none)\n"
            "  --json    print the report as JSON\n",
            RL_REPORT_TOP_DEFAULT);
}

static void fmt_time(int64_t ms, char *out, size_t n)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    if (ms <= 0 || !gmtime_r(&t, &tm)) {
        snprintf(out, n, "unknown");
        return;
    }
    char buf[32];
    strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, n, "%s.%03dZ", buf, (int)(ms % 1000));
}

/* JSON number, or null for NaN/inf (JSON has neither). */
static json_t *jreal(double x)
{
    return isfinite(x) ? json_real(x) : json_null();
}

typedef struct report {
    json_t *j; /* NULL in text mode */
} report;

static void put_metrics(report *r, const rl_metrics_summary *s)
{
    if (r->j) {
        json_t *m = json_object();
        json_object_set_new(m, "task", json_string(rl_task_name(s->task)));
        json_object_set_new(m, "n", json_integer((json_int_t)s->n));
        json_object_set_new(m, "weight", jreal(s->weight));
        json_object_set_new(m, "accuracy", jreal(s->accuracy));
        json_object_set_new(m, "log_loss", jreal(s->log_loss));
        json_object_set_new(m, "auc", jreal(s->auc));
        json_object_set_new(m, "rmse", jreal(s->rmse));
        json_object_set_new(m, "mae", jreal(s->mae));
        json_object_set_new(m, "mean_loss", jreal(s->mean_loss));
        json_object_set_new(m, "recent_loss", jreal(s->recent_loss));
        json_object_set_new(m, "recent_accuracy", jreal(s->recent_accuracy));
        json_object_set_new(m, "recent_n", json_integer((json_int_t)s->recent_n));
        json_object_set_new(r->j, "metrics", m);
        return;
    }
    printf("metrics:          task=%s n=%llu accuracy=%.6g log_loss=%.6g auc=%.6g rmse=%.6g "
           "mae=%.6g mean_loss=%.6g\n"
           "                  recent (last %llu): loss=%.6g accuracy=%.6g\n",
           rl_task_name(s->task), (unsigned long long)s->n, s->accuracy, s->log_loss, s->auc,
           s->rmse, s->mae, s->mean_loss, (unsigned long long)s->recent_n, s->recent_loss,
           s->recent_accuracy);
}

static void put_header(report *r, const char *path, const rl_model_file *f)
{
    const rl_frame_info *fr = f->frame;
    if (r->j) {
        json_object_set_new(r->j, "file", json_string(path));
        json_object_set_new(r->j, "kind", json_string(rl_file_kind_name(f->kind)));
        json_object_set_new(r->j, "bytes", json_integer((json_int_t)f->file_len));
        json_object_set_new(r->j, "magic", json_string(fr->magic));
        json_object_set_new(r->j, "container_version", json_integer(fr->version));
        json_object_set_new(r->j, "zstd", json_boolean(fr->flags & RL_FRAME_ZSTD));
        json_object_set_new(r->j, "zero_runs", json_boolean(fr->flags & RL_FRAME_ZERO_RUNS));
        json_object_set_new(r->j, "payload_bytes", json_integer((json_int_t)fr->raw_len));
        char sum[32];
        snprintf(sum, sizeof(sum), "%016llx", (unsigned long long)fr->checksum);
        json_object_set_new(r->j, "checksum_xxh3", json_string(sum));
        return;
    }
    printf("file:             %s\n", path);
    printf("kind:             %s (%s container v%u, %zu bytes, payload %llu bytes%s%s)\n",
           rl_file_kind_name(f->kind), fr->magic, fr->version, f->file_len,
           (unsigned long long)fr->raw_len, fr->flags ? ", " : "",
           fr->flags ? rl_frame_coding_name(fr->flags) : "");
    printf("checksum:         %016llx (XXH3-64, verified)\n", (unsigned long long)fr->checksum);
}

static void put_learner(report *r, const rl_model_file *f)
{
    char params[1024];
    rl_learner_params_format(f->params, params, sizeof(params));
    if (r->j) {
        json_t *l = json_object();
        json_object_set_new(l, "learner", json_string(f->params->learner));
        json_object_set_new(l, "bits", json_integer(f->params->bits));
        json_object_set_new(l, "hash_seed", json_integer((json_int_t)f->hash_seed));
        json_object_set_new(l, "dense_dim", json_integer(f->params->dense_dim));
        json_object_set_new(l, "rows", json_integer(f->w.n_rows));
        json_t *pj = json_object();
        for (char *tok = strtok(params, " \n"); tok; tok = strtok(NULL, " \n")) {
            char *eq = strchr(tok, '=');
            if (!eq)
                continue;
            *eq = '\0';
            json_object_set_new(pj, tok, json_string(eq + 1));
        }
        json_object_set_new(l, "hyperparameters", pj);
        json_object_set_new(r->j, "learner", l);
        return;
    }
    printf("learner:          %s (2^%u hashed slots, seed %llu, dense block %u, %u row%s)\n",
           f->params->learner, f->params->bits, (unsigned long long)f->hash_seed,
           f->params->dense_dim, f->w.n_rows, f->w.n_rows == 1 ? "" : "s");
    /* the formatter's "key=value" lines, joined and wrapped */
    printf("hyperparameters: ");
    size_t col = 18;
    for (char *tok = strtok(params, " \n"); tok; tok = strtok(NULL, " \n")) {
        if (col + strlen(tok) + 1 > 100) {
            printf("\n                 ");
            col = 18;
        }
        printf(" %s", tok);
        col += strlen(tok) + 1;
    }
    printf("\n");
}

static void put_checkpoint(report *r, const rl_model_file *f)
{
    const rl_ckpt *c = &f->ckpt;
    char when[48];
    fmt_time(c->created_ms, when, sizeof(when));
    const rl_model_config *cfg = &c->config;
    const rl_detector *d = rl_model_detector(f->model);
    const char *stat_name = "";
    double stat = NAN;
    if (d)
        stat = d->ops->statistic(d, &stat_name);
    if (r->j) {
        json_object_set_new(r->j, "format_version", json_integer(c->format_version));
        json_object_set_new(r->j, "model", json_string(c->model_name));
        json_object_set_new(r->j, "instance", json_string(c->instance_id));
        json_object_set_new(r->j, "seq", json_integer((json_int_t)c->seq));
        json_object_set_new(r->j, "created", json_string(when));
        json_object_set_new(r->j, "events_seen", json_integer((json_int_t)c->events));
        json_object_set_new(r->j, "snapshot_version",
                            json_integer((json_int_t)c->snapshot_version));
        json_object_set_new(r->j, "published_recent_loss",
                            c->has_published_loss ? jreal(c->published_loss) : json_null());
        json_t *offs = json_array();
        for (size_t i = 0; i < c->n_offsets; i++)
            json_array_append_new(offs,
                                  json_pack("{s:s, s:i, s:I}", "topic", c->offsets[i].topic,
                                            "partition", (int)c->offsets[i].partition,
                                            "next_offset", (json_int_t)c->offsets[i].next_offset));
        json_object_set_new(r->j, "offsets", offs);
        json_t *dr = json_object();
        json_object_set_new(dr, "detector",
                            cfg->detector[0] ? json_string(cfg->detector) : json_null());
        json_object_set_new(dr, "response", json_string(rl_response_name(cfg->response)));
        json_object_set_new(dr, "state",
                            json_string(rl_drift_state_name(rl_model_drift_state(f->model))));
        json_object_set_new(dr, "warnings", json_integer((json_int_t)rl_model_warnings(f->model)));
        json_object_set_new(dr, "drifts", json_integer((json_int_t)rl_model_drifts(f->model)));
        if (d) {
            json_object_set_new(dr, "statistic_name", json_string(stat_name));
            json_object_set_new(dr, "statistic", jreal(stat));
        }
        json_object_set_new(r->j, "drift", dr);
    } else {
        printf("format version:   %u\n", c->format_version);
        printf("model:            %s (instance %s)\n", c->model_name[0] ? c->model_name : "-",
               c->instance_id[0] ? c->instance_id : "-");
        printf("checkpoint seq:   %llu, created %s\n", (unsigned long long)c->seq, when);
        printf("events seen:      %llu\n", (unsigned long long)c->events);
        printf("snapshot version: %llu (last published)\n",
               (unsigned long long)c->snapshot_version);
        /* The promotion gate compares the next version's recent loss with this one. */
        if (c->has_published_loss)
            printf("published loss:   %.6g (recent loss of that version; the promotion gate's "
                   "reference)\n",
                   c->published_loss);
        if (c->n_offsets == 0)
            printf("offsets:          none (not from a stream)\n");
        for (size_t i = 0; i < c->n_offsets; i++)
            printf("%s%s/%d next offset %lld\n",
                   i ? "                  " : "offsets:          ", c->offsets[i].topic,
                   c->offsets[i].partition, (long long)c->offsets[i].next_offset);
        if (cfg->detector[0])
            printf("drift:            %s (response %s): %s, %llu warnings, %llu drifts, %s=%.6g\n",
                   cfg->detector, rl_response_name(cfg->response),
                   rl_drift_state_name(rl_model_drift_state(f->model)),
                   (unsigned long long)rl_model_warnings(f->model),
                   (unsigned long long)rl_model_drifts(f->model), stat_name, stat);
        else
            printf("drift:            off\n");
    }
    rl_metrics_summary s;
    rl_model_summary(f->model, &s);
    put_metrics(r, &s);
}

/* Coordinates with a clip scale (docs/FORMAT.md "Scoring"): slots, dense block, bias. */
static uint64_t clip_scales(const rl_snapshot *s)
{
    const rl_snapshot_row *c = s->scales;
    uint64_t n = 0;
    if (!c)
        return 0;
    for (uint64_t i = 0; c->w && i < s->n_sparse; i++)
        n += c->w[i] > 0;
    for (uint64_t i = 0; i < c->nnz; i++)
        n += c->val[i] > 0;
    for (uint32_t j = 0; j < s->dense_dim; j++)
        n += c->dense_block[j] > 0;
    return n + (c->bias > 0);
}

static void put_snapshot(report *r, const rl_model_file *f)
{
    const rl_snapshot *s = &f->snap;
    char when[48];
    fmt_time(s->created_ms, when, sizeof(when));
    const double score_scale = s->n_rows ? s->rows[0].score_scale : 1.0;
    if (r->j) {
        json_object_set_new(r->j, "clip_scales", json_integer((json_int_t)clip_scales(s)));
        json_object_set_new(r->j, "score_scale", json_real(score_scale));
        json_object_set_new(r->j, "format_version", json_integer(s->format_version));
        json_object_set_new(r->j, "model", json_string(s->model_name));
        json_object_set_new(r->j, "instance", json_string(s->instance_id));
        json_object_set_new(r->j, "version", json_integer((json_int_t)s->version));
        json_object_set_new(r->j, "parent_version", json_integer((json_int_t)s->parent_version));
        json_object_set_new(r->j, "created", json_string(when));
        json_object_set_new(r->j, "events_seen", json_integer((json_int_t)s->events));
        json_t *rg = json_array();
        for (size_t i = 0; i < s->n_ranges; i++)
            json_array_append_new(rg,
                                  json_pack("{s:s, s:i, s:I, s:I}", "topic", s->ranges[i].topic,
                                            "partition", (int)s->ranges[i].partition,
                                            "first_offset", (json_int_t)s->ranges[i].first_offset,
                                            "end_offset", (json_int_t)s->ranges[i].end_offset));
        json_object_set_new(r->j, "offset_ranges", rg);
    } else {
        printf("format version:   %u\n", s->format_version);
        printf("model:            %s (instance %s)\n", s->model_name[0] ? s->model_name : "-",
               s->instance_id[0] ? s->instance_id : "-");
        printf("version:          %llu (parent %llu), created %s\n", (unsigned long long)s->version,
               (unsigned long long)s->parent_version, when);
        printf("events seen:      %llu\n", (unsigned long long)s->events);
        if (s->scales)
            printf("scoring:          %llu clip scales, score scale %.9g\n",
                   (unsigned long long)clip_scales(s), score_scale);
        else
            printf("scoring:          no clip scales, score scale %.9g\n", score_scale);
        if (s->n_ranges == 0)
            printf("offset ranges:    none\n");
        for (size_t i = 0; i < s->n_ranges; i++)
            printf("%s%s/%d [%lld, %lld)\n",
                   i ? "                  " : "offset ranges:    ", s->ranges[i].topic,
                   s->ranges[i].partition, (long long)s->ranges[i].first_offset,
                   (long long)s->ranges[i].end_offset);
        printf("drift:            not recorded in snapshots (inspect a checkpoint)\n");
    }
    if (s->has_metrics)
        put_metrics(r, &s->metrics);
    else if (!r->j)
        printf("metrics:          none\n");
}

static int put_weights(report *r, const rl_model_file *f, size_t top)
{
    uint64_t n = rl_model_file_dim(f);
    float *v = malloc(n * sizeof(float));
    uint64_t *idx = malloc((top ? top : 1) * sizeof(uint64_t));
    if (!v || !idx) {
        free(v);
        free(idx);
        fprintf(stderr, "relearn inspect: out of memory for %llu weights\n", (unsigned long long)n);
        return 1;
    }
    rl_model_file_flatten(f, v);
    uint64_t nnz = 0, slots = (uint64_t)f->w.n_rows * f->w.n_sparse;
    for (uint32_t r0 = 0; r0 < f->w.n_rows; r0++)
        for (uint64_t k = 0; k < f->w.n_sparse; k++)
            nnz += f->w.w[(size_t)r0 * f->w.n_sparse + k] != 0;
    size_t k = rl_top_abs(v, n, top, 1, idx);
    uint32_t dict_n = f->dict ? rl_dict_size(f->dict) : 0;
    if (r->j) {
        json_t *sp = json_object();
        json_object_set_new(sp, "slots", json_integer((json_int_t)slots));
        json_object_set_new(sp, "nonzero", json_integer((json_int_t)nnz));
        json_object_set_new(sp, "density", json_real(slots ? (double)nnz / (double)slots : 0));
        json_object_set_new(r->j, "sparsity", sp);
        json_object_set_new(r->j, "dictionary_names", json_integer(dict_n));
        json_t *arr = json_array();
        for (size_t i = 0; i < k; i++) {
            char label[512];
            rl_model_file_label(f, idx[i], label, sizeof(label));
            int64_t slot = rl_model_file_slot(f, idx[i]);
            json_array_append_new(arr, json_pack("{s:s, s:o, s:f}", "feature", label, "slot",
                                                 slot >= 0 ? json_integer(slot) : json_null(),
                                                 "weight", (double)v[idx[i]]));
        }
        json_object_set_new(r->j, "top_weights", arr);
    } else {
        printf("sparsity:         %llu of %llu slot weights non-zero (%.2f%%)\n",
               (unsigned long long)nnz, (unsigned long long)slots,
               slots ? 100.0 * (double)nnz / (double)slots : 0.0);
        printf("dictionary:       %u feature names known\n", dict_n);
        if (top) {
            printf("top %zu weights by magnitude:\n", k);
            printf("  %4s  %-40s %10s  %15s\n", "rank", "feature", "slot", "weight");
            for (size_t i = 0; i < k; i++) {
                char label[512], slot[24];
                rl_model_file_label(f, idx[i], label, sizeof(label));
                int64_t sl = rl_model_file_slot(f, idx[i]);
                if (sl >= 0)
                    snprintf(slot, sizeof(slot), "%lld", (long long)sl);
                else
                    snprintf(slot, sizeof(slot), "-");
                printf("  %4zu  %-40s %10s  %15.9g\n", i + 1, label, slot, (double)v[idx[i]]);
            }
        }
    }
    free(v);
    free(idx);
    return 0;
}

int rl_cmd_inspect(int argc, char **argv)
{
    rl_report_args args;
    int st = rl_report_args_parse(argc, argv, "inspect", 1, "one FILE only", usage, &args);
    if (st >= 0)
        return st;
    const char *path = args.paths[0];
    int json = args.json;
    size_t top = args.top;
    rl_model_file f;
    char err[1024];
    if (rl_model_file_open(path, &f, err, sizeof(err)) != RL_OK) {
        fprintf(stderr, "relearn inspect: %s\n", err);
        return 1;
    }
    if (f.kind == RL_FILE_CHUNK) {
        fprintf(stderr,
                "relearn inspect: %s: chunk %u of %u of snapshot %s v%llu: it verifies, but holds "
                "no model by itself (reassemble with relearn snapshots --get)\n",
                path, f.chunk.index + 1, f.chunk.count, f.chunk.model_name,
                (unsigned long long)f.chunk.version);
        rl_model_file_close(&f);
        return 1;
    }
    report r = {json ? json_object() : NULL};
    put_header(&r, path, &f);
    put_learner(&r, &f);
    if (f.kind == RL_FILE_CHECKPOINT)
        put_checkpoint(&r, &f);
    else
        put_snapshot(&r, &f);
    int rc = put_weights(&r, &f, top);
    if (r.j) {
        if (rc == 0) {
            char *s =
                json_dumps(r.j, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(9));
            if (s) {
                printf("%s\n", s);
                free(s);
            } else {
                fprintf(stderr, "relearn inspect: cannot format JSON\n");
                rc = 1;
            }
        }
        json_decref(r.j);
    }
    rl_model_file_close(&f);
    return rc;
}
