/* rld_gate.c - relearnd's promotion gate (rld_gate.h). */
#include <dirent.h>
#include <errno.h>
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/rld_int.h"
#include "storage/file_io.h"
#include "storage/frame.h"

#define REF_PREFIX    "reference-"
#define REF_SUFFIX    ".rlsn"
#define PAIRS_PREFIX  "gate-"
#define PAIRS_SUFFIX  ".rlgt"
#define RL_MAGIC_GATE "RLGT"
/* Reference files kept: the newest checkpoints' (a roll-back goes at most keep checkpoints
 * back, and a checkpoint names one version) plus the one just promoted. */
#define REF_KEEP_MIN 4

static void ref_path(const rld_daemon *d, uint64_t version, char *out, size_t size)
{
    snprintf(out, size, "%s/" REF_PREFIX "%020" PRIu64 REF_SUFFIX, d->cfg.checkpoint_dir, version);
}

/* The gate's pairs as they were when checkpoint `seq` was written. */
static void pairs_path(const rld_daemon *d, uint64_t seq, char *out, size_t size)
{
    snprintf(out, size, "%s/" PAIRS_PREFIX "%020" PRIu64 PAIRS_SUFFIX, d->cfg.checkpoint_dir, seq);
}

/* The model's callback: the published version's prediction for the same raw example. */
static void ref_predict(void *ctx, const rl_example *ex, rl_pred *out)
{
    rld_gate *g = ctx;
    if (g->rows <= 1) {
        rl_predictor_predict(g->ref, ex, out);
        return;
    }
    rl_predictor_predict_rows(g->ref, ex, out, NULL, g->probs);
    int32_t k = (int32_t)ex->label;
    out->prob_true =
        k >= 0 && (uint32_t)k < g->rows && isnan(out->prob_true) ? g->probs[k] : out->prob_true;
}

static void gate_drop(rld_gate *g)
{
    rl_predictor_destroy(g->ref);
    free(g->probs);
    g->ref = NULL;
    g->probs = NULL;
    g->rows = 0;
    g->version = 0;
}

void rld_gate_free(rld_gate *g)
{
    gate_drop(g);
}

/* Builds the reference from a decoded snapshot and hands it to the model. */
static rl_err gate_set(rld_daemon *d, const rl_snapshot *s, uint64_t version, char *e, size_t n)
{
    rld_gate *g = &d->gate;
    rl_predictor *p = NULL;
    double *probs = NULL;
    rl_err err = rl_predictor_new(s, &p, e, n);
    if (err == RL_OK && rl_predictor_rows(p) > 1) {
        probs = calloc(rl_predictor_rows(p), sizeof(double));
        if (!probs)
            err = rl_set_err(e, n, RL_ERR_NOMEM, "class probabilities");
    }
    if (err != RL_OK) {
        rl_predictor_destroy(p);
        return err;
    }
    gate_drop(g);
    g->ref = p;
    g->probs = probs;
    g->rows = rl_predictor_rows(p);
    g->version = version;
    rl_model_reference r = {ref_predict, g};
    rl_model_set_reference(d->model, &r, version);
    d->sd.gate_reference_version = version;
    return RL_OK;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Removes all but the newest `keep` files named prefix<number>suffix. */
static void prune(rld_daemon *d, const char *prefix, const char *suffix, size_t keep)
{
    DIR *dir = opendir(d->cfg.checkpoint_dir);
    uint64_t v[256];
    size_t n = 0, plen = strlen(prefix);
    struct dirent *de;
    if (!dir)
        return;
    while ((de = readdir(dir)) != NULL && n < sizeof(v) / sizeof(v[0])) {
        char *end;
        if (strncmp(de->d_name, prefix, plen) != 0)
            continue;
        unsigned long long x = strtoull(de->d_name + plen, &end, 10);
        if (end != de->d_name + plen && strcmp(end, suffix) == 0)
            v[n++] = x;
    }
    closedir(dir);
    if (n <= keep)
        return;
    qsort(v, n, sizeof(v[0]), cmp_u64);
    for (size_t i = 0; i + keep < n; i++) {
        char path[2048];
        snprintf(path, sizeof(path), "%s/%s%020" PRIu64 "%s", d->cfg.checkpoint_dir, prefix, v[i],
                 suffix);
        if (unlink(path) != 0 && errno != ENOENT)
            rl_log(RL_LOG_WARN, "old gate file not removed", "path=\"%s\" error=\"%s\"", path,
                   strerror(errno));
    }
}

/* Files kept: one per checkpoint kept (a roll-back or a damaged newest checkpoint goes back at
 * most that far), and one more for the version just promoted. */
static size_t keep_count(const rld_daemon *d)
{
    size_t k = (size_t)d->cfg.ckpt_keep + 1;
    return k < REF_KEEP_MIN ? REF_KEEP_MIN : k;
}

/* Reads the pairs saved with checkpoint seq into the model. */
static rl_err load_pairs(rld_daemon *d, uint64_t seq, char *e, size_t n)
{
    char path[2048];
    rl_buf b;
    rl_frame_info fi;
    const uint8_t *pl;
    size_t pl_len;
    void *owned = NULL;
    rl_err err;

    pairs_path(d, seq, path, sizeof(path));
    rl_buf_init(&b);
    err = rl_file_read(path, &b, e, n);
    if (err == RL_OK)
        err = rl_frame_decode(b.data, b.len, RL_MAGIC_GATE, &fi, &pl, &pl_len, &owned, e, n);
    if (err == RL_OK)
        err = rl_model_gate_import(d->model, pl, pl_len, e, n);
    free(owned);
    rl_buf_free(&b);
    return err;
}

rl_err rld_gate_save(rld_daemon *d, uint64_t seq, char *errstr, size_t errstr_size)
{
    char path[2048];
    rl_buf raw, framed;
    rl_err err;

    rl_buf_init(&raw);
    rl_buf_init(&framed);
    err = rl_model_gate_export(d->model, &raw);
    if (err == RL_OK && raw.failed)
        err = rl_set_err(errstr, errstr_size, RL_ERR_NOMEM, "gate state");
    if (err == RL_OK)
        err = rl_frame_encode(RL_MAGIC_GATE, raw.data, raw.len, 0, 0, &framed, errstr, errstr_size);
    if (err == RL_OK) {
        pairs_path(d, seq, path, sizeof(path));
        err = rl_file_write_atomic(path, framed.data, framed.len, errstr, errstr_size);
    }
    if (err == RL_OK)
        prune(d, PAIRS_PREFIX, PAIRS_SUFFIX, keep_count(d));
    rl_buf_free(&raw);
    rl_buf_free(&framed);
    return err;
}

rl_err rld_gate_start(rld_daemon *d, uint64_t ckpt_seq, char *errstr, size_t errstr_size)
{
    char e[512], path[2048];
    rl_gate_params gp;
    rl_snapshot s;
    uint64_t want;

    rl_gate_params_default(&gp);
    gp.window = (uint32_t)d->cfg.gate_window;
    gp.confidence = d->cfg.gate_confidence;
    gp.loss_cap = d->cfg.gate_loss_cap;
    gp.every = (uint32_t)d->cfg.gate_every;
    gp.tolerance = isinf(d->cfg.gate_tolerance) ? DBL_MAX : d->cfg.gate_tolerance;
    rl_err err = rl_model_gate_enable(d->model, &gp, e, sizeof(e));
    if (err != RL_OK)
        return rl_set_err(errstr, errstr_size, RL_ERR_CONFIG, "[snapshot] gate: %s", e);
    if (ckpt_seq == 0)
        return RL_OK;
    err = load_pairs(d, ckpt_seq, e, sizeof(e));
    if (err != RL_OK) {
        rl_log(RL_LOG_WARN, "promotion gate starts empty: no pairs saved with the checkpoint",
               "seq=%" PRIu64 " error=\"%s\"", ckpt_seq, e);
        return RL_OK;
    }
    want = rl_model_reference_version(d->model);
    if (want == 0)
        return RL_OK;
    if (d->gate.ref && d->gate.version == want) { /* a roll-back within this run */
        rl_model_reference r = {ref_predict, &d->gate};
        rl_model_set_reference(d->model, &r, want);
        return RL_OK;
    }
    ref_path(d, want, path, sizeof(path));
    rl_snapshot_init(&s);
    err = rl_snapshot_read_file(path, &s, e, sizeof(e));
    if (err == RL_OK && s.version != want)
        err = rl_set_err(e, sizeof(e), RL_ERR_MISMATCH, "holds version %" PRIu64, s.version);
    if (err == RL_OK)
        err = gate_set(d, &s, want, e, sizeof(e));
    rl_snapshot_clear(&s);
    if (err != RL_OK) {
        rl_model_set_reference(d->model, NULL, 0);
        rl_log(RL_LOG_WARN,
               "promotion gate reference not restored: the next candidate goes out unchecked",
               "version=%" PRIu64 " path=\"%s\" error=\"%s\"", want, path, e);
        return RL_OK;
    }
    rl_gate_verdict v;
    rl_model_gate_decide(d->model, &v);
    rl_log(RL_LOG_INFO, "promotion gate reference restored",
           "version=%" PRIu64 " paired_events=%" PRIu64, want, v.n);
    return RL_OK;
}

int rld_gate_holds(rld_daemon *d, int forced, uint64_t position)
{
    rl_gate_verdict v;
    char detail[256];

    if (!rl_model_gate_decide(d->model, &v))
        return 0;
    d->sd.gate_events = v.n;
    d->sd.gate_mean_diff = v.mean_diff;
    d->sd.gate_lower_bound = v.lower_bound;
    if (!v.hold) {
        rl_log(RL_LOG_INFO, "promotion gate passed",
               "candidate_loss=%.6g reference_loss=%.6g loss_difference=%.6g lower_bound=%.6g "
               "tolerance=%.6g paired_events=%" PRIu64 " reference_version=%" PRIu64
               " position=%" PRIu64,
               v.cand_loss, v.ref_loss, v.mean_diff, v.lower_bound, d->cfg.gate_tolerance, v.n,
               d->gate.version, position);
        return 0;
    }
    if (forced) {
        rl_log(RL_LOG_WARN, "promotion gate bypassed by SIGUSR1",
               "loss_difference=%.6g lower_bound=%.6g paired_events=%" PRIu64
               " reference_version=%" PRIu64,
               v.mean_diff, v.lower_bound, v.n, d->gate.version);
        return 0;
    }
    d->sd.snapshots_held++;
    snprintf(detail, sizeof(detail),
             "gate: candidate worse than version %" PRIu64 " by %.6g (at least %.6g at %.4g "
             "confidence, tolerance %.6g) on the same %" PRIu64 " events: loss %.6g vs %.6g",
             d->gate.version, v.mean_diff, v.lower_bound, d->cfg.gate_confidence,
             d->cfg.gate_tolerance, v.n, v.cand_loss, v.ref_loss);
    rl_log(RL_LOG_WARN, "snapshot held back by the promotion gate",
           "candidate_loss=%.6g reference_loss=%.6g loss_difference=%.6g lower_bound=%.6g "
           "tolerance=%.6g paired_events=%" PRIu64 " reference_version=%" PRIu64
           " position=%" PRIu64,
           v.cand_loss, v.ref_loss, v.mean_diff, v.lower_bound, d->cfg.gate_tolerance, v.n,
           d->gate.version, position);
    rld_alert_send(d, "gate", RL_DRIFT_STABLE, "held_back", detail, v.cand_loss, NULL);
    return 1;
}

void rld_gate_promote(rld_daemon *d, const void *framed, size_t len, uint64_t version)
{
    char e[512], path[2048];
    rl_snapshot s;
    rl_err err;

    rl_snapshot_init(&s);
    err = rl_snapshot_decode(framed, len, &s, e, sizeof(e));
    if (err == RL_OK)
        err = gate_set(d, &s, version, e, sizeof(e));
    rl_snapshot_clear(&s);
    if (err != RL_OK) {
        gate_drop(&d->gate);
        rl_model_set_reference(d->model, NULL, 0);
        d->sd.gate_reference_version = 0;
        rl_log(RL_LOG_WARN,
               "promotion gate has no reference: the next candidate goes out unchecked",
               "version=%" PRIu64 " error=\"%s\"", version, e);
        return;
    }
    ref_path(d, version, path, sizeof(path));
    if (rl_file_write_atomic(path, framed, len, e, sizeof(e)) != RL_OK) {
        /* This run keeps comparing with it; a restart before the next promotion cannot. */
        rl_log(RL_LOG_WARN, "promotion gate reference not kept for restarts",
               "version=%" PRIu64 " error=\"%s\"", version, e);
        return;
    }
    prune(d, REF_PREFIX, REF_SUFFIX, keep_count(d));
}
