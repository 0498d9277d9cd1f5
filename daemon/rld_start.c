/* rld_start.c - relearnd's start-up: the Kafka clients, the checkpoint directory's lock, the
 * warm start (newest valid checkpoint, else --init-model, else a fresh model), the snapshot
 * version and the alerts already sent, read back from relearnd's own topics. (The consume loop
 * is rld_daemon.c.) */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "learners/interactions.h"
#include "daemon/rld_int.h"
#include "daemon/rld_notify.h"
#include "storage/snapshot.h"

/* Both clients' error callback: the last error and "all brokers down" go to /healthz and the
 * metrics; the line is rate-limited, since librdkafka repeats a lasting outage. */
void rld_on_kafka_error(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
    rld_daemon *d = opaque;
    (void)rk;
    snprintf(d->sd.last_kafka_error, sizeof(d->sd.last_kafka_error), "%s", reason);
    if (err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN)
        d->sd.brokers_down = 1;
    rl_log_limited(&d->rl_kafka, 5, err == RD_KAFKA_RESP_ERR__FATAL ? RL_LOG_ERROR : RL_LOG_WARN,
                   "kafka error", "code=%s reason=\"%s\"", rd_kafka_err2name(err), reason);
}

/* ---- start-up ---- */

static rl_err consumer_new(rld_daemon *d, char *errstr, size_t errstr_size)
{
    char e[512];
    rd_kafka_topic_partition_list_t *subs;
    rd_kafka_resp_err_t kerr;
    const char *p;
    const char *defaults[RLD_CLIENT_DEFAULTS];
    rld_config_client_defaults(&d->cfg, RD_KAFKA_CONSUMER, defaults);
    rd_kafka_conf_t *conf =
        rld_config_kafka_conf(&d->cfg, RD_KAFKA_CONSUMER, defaults, errstr, errstr_size);
    if (!conf)
        return RL_ERR_CONFIG;
    if (rld_fetch_bounds_get(conf, &d->fetch_bounds, errstr, errstr_size) != RL_OK) {
        rd_kafka_conf_destroy(conf);
        return RL_ERR_KAFKA;
    }
    rd_kafka_conf_set_opaque(conf, d);
    rd_kafka_conf_set_rebalance_cb(conf, rld_on_rebalance);
    rd_kafka_conf_set_error_cb(conf, rld_on_kafka_error);
    d->consumer = rd_kafka_new(RD_KAFKA_CONSUMER, conf, e, sizeof(e));
    if (!d->consumer) {
        rd_kafka_conf_destroy(conf);
        return rl_set_err(errstr, errstr_size, RL_ERR_KAFKA, "consumer: %s", e);
    }
    rd_kafka_poll_set_consumer(d->consumer);
    if (rld_fetch_wake_new(d->consumer, &d->waker, errstr, errstr_size) != RL_OK)
        return RL_ERR_NOMEM;
    subs = rd_kafka_topic_partition_list_new(4);
    for (p = d->cfg.topics; *p;) {
        char t[256];
        const char *comma = strchr(p, ',');
        size_t l = comma ? (size_t)(comma - p) : strlen(p);
        snprintf(t, sizeof(t), "%.*s", (int)l, p);
        rd_kafka_topic_partition_list_add(subs, t, RD_KAFKA_PARTITION_UA);
        p += l + (comma ? 1 : 0);
    }
    kerr = rd_kafka_subscribe(d->consumer, subs);
    rd_kafka_topic_partition_list_destroy(subs);
    if (kerr)
        return rl_set_err(errstr, errstr_size, RL_ERR_KAFKA, "subscribe to %s: %s", d->cfg.topics,
                          rd_kafka_err2str(kerr));
    return RL_OK;
}

/* Warns about *.rlck files in the checkpoint directory that are not named as checkpoints are
 * (ckpt-<20-digit seq>.rlck): the loader never looks at them, so a checkpoint copied in by hand
 * as "ckpt-7.rlck" or "backup.rlck" was ignored without a word and a fresh model started. */
static void warn_misnamed(const char *dir)
{
    DIR *dh = opendir(dir);
    struct dirent *de;
    if (!dh)
        return;
    while ((de = readdir(dh)) != NULL) {
        const char *n = de->d_name;
        size_t len = strlen(n), k = 0;
        if (len < 5 || strcmp(n + len - 5, ".rlck") != 0)
            continue;
        if (len == 30 && strncmp(n, "ckpt-", 5) == 0)
            while (k < 20 && n[5 + k] >= '0' && n[5 + k] <= '9')
                k++;
        if (k == 20)
            continue;
        char q[512];
        rl_log_quote(n, q, sizeof(q));
        rl_log(RL_LOG_WARN, "file in the checkpoint directory ignored",
               "dir=\"%s\" file=\"%s\" reason=\"not named ckpt-<20-digit seq>.rlck; to load it, "
               "rename it to that name with the seq relearn inspect shows\"",
               dir, q);
    }
    closedir(dh);
}

/* Counts the checkpoint files skipped while loading, so "none verifies" is told apart from "no
 * checkpoint at all". */
struct skipped_files {
    rld_daemon *d;
    size_t n;
};

static void on_skipped(void *opaque, const char *path, rl_err err, const char *reason)
{
    struct skipped_files *s = opaque;
    s->n++;
    rld_on_ckpt_report(s->d, path, err, reason);
}

/* Warm start: the newest valid checkpoint, else --init-model, else a fresh model. When there
 * are checkpoints but none verifies, start-up stops: a fresh model would silently drop what
 * they hold, resume at the group's offsets, and soon rotate the evidence away. */
static rl_err load_model(rld_daemon *d, uint64_t *ckpt_snap_version, char *errstr,
                         size_t errstr_size)
{
    char e[1024], path[2048];
    rl_ckpt ck;
    rl_err err;

    *ckpt_snap_version = 0;
    err = rl_ckpt_dir_prepare(d->cfg.checkpoint_dir, e, sizeof(e));
    if (err != RL_OK)
        return rl_set_err(errstr, errstr_size, err, "[checkpoint] dir %s: %s",
                          d->cfg.checkpoint_dir, e);
    /* Two instances on one directory would overwrite each other's ckpt-<seq> files and load
     * each other's offsets: hold an exclusive lock on it for the life of the process (the kernel
     * drops it when the process dies, so a kill -9 leaves nothing to clean up). */
    d->ckpt_lock_fd = open(d->cfg.checkpoint_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (d->ckpt_lock_fd < 0)
        return rl_set_err(errstr, errstr_size, RL_ERR_IO, "[checkpoint] dir %s: open: %s",
                          d->cfg.checkpoint_dir, strerror(errno));
    if (flock(d->ckpt_lock_fd, LOCK_EX | LOCK_NB) != 0) {
        if (errno == EWOULDBLOCK)
            return rl_set_err(errstr, errstr_size, RL_ERR_IO,
                              "[checkpoint] dir %s: in use by another relearnd (locked); each "
                              "instance needs its own checkpoint directory",
                              d->cfg.checkpoint_dir);
        return rl_set_err(errstr, errstr_size, RL_ERR_IO, "[checkpoint] dir %s: lock: %s",
                          d->cfg.checkpoint_dir, strerror(errno));
    }
    rld_ckpt_dir_remember(d);
    warn_misnamed(d->cfg.checkpoint_dir);
    rl_ckpt_init(&ck);
    struct skipped_files skipped = {d, 0};
    /* The learner's state streams from the file into the model (one copy of the weights); a
     * file that verifies but cannot become this build's model stops start-up. */
    err =
        rl_ckpt_dir_load_newest_model(d->cfg.checkpoint_dir, &ck, on_skipped, &skipped,
                                      rld_alert_cb, d, &d->model, path, sizeof(path), e, sizeof(e));
    if (err == RL_OK) {
        if (strcmp(ck.instance_id, d->cfg.instance_id) != 0)
            rl_log(RL_LOG_WARN, "checkpoint written by another instance id",
                   "path=\"%s\" checkpoint_instance=\"%s\" instance=\"%s\"", path, ck.instance_id,
                   d->cfg.instance_id);
        char ix_ck[RL_INTERACTIONS_MAX * 4 + 1], ix_cfg[sizeof(ix_ck)];
        rl_interactions_format(&ck.config.learner.interactions, ix_ck, sizeof(ix_ck));
        rl_interactions_format(&d->cfg.model.learner.interactions, ix_cfg, sizeof(ix_cfg));
        if (strcmp(ck.config.learner.learner, d->cfg.model.learner.learner) != 0 ||
            ck.config.learner.bits != d->cfg.model.learner.bits || strcmp(ix_ck, ix_cfg) != 0)
            rl_log(RL_LOG_WARN, "checkpoint model differs from [model]; the checkpoint wins",
                   "path=\"%s\" checkpoint_learner=%s checkpoint_bits=%u "
                   "checkpoint_interactions=\"%s\"",
                   path, ck.config.learner.learner, ck.config.learner.bits, ix_ck);
        if (d->cfg.init_model[0])
            rl_log(RL_LOG_WARN, "--init-model ignored: a checkpoint exists", "path=\"%s\"", path);
        d->ckpt_seq = ck.seq;
        d->ckpt_position = ck.events;
        *ckpt_snap_version = ck.snapshot_version;
        /* The recent loss the last published version had (reported, and kept in the next
         * checkpoint); the gate's own state is saved beside the checkpoint (rld_gate.c). */
        d->have_pub_loss = ck.has_published_loss;
        d->pub_loss = ck.published_loss;
        if (ck.dict) {
            d->dict = ck.dict; /* ownership moves: the names continue where they were */
            ck.dict = NULL;
        }
        for (size_t i = 0; i < ck.n_offsets; i++) {
            rld_part *p = rld_part_find(d, ck.offsets[i].topic, ck.offsets[i].partition, 1);
            if (p)
                p->ckpt_next = ck.offsets[i].next_offset;
        }
        rl_log(RL_LOG_INFO, "warm start from checkpoint",
               "path=\"%s\" seq=%" PRIu64 " events=%" PRIu64 " partitions=%zu "
               "snapshot_version=%" PRIu64,
               path, ck.seq, ck.events, ck.n_offsets, ck.snapshot_version);
        d->sd.ckpt_seq = ck.seq;
        rl_ckpt_clear(&ck);
        return RL_OK;
    }
    rl_ckpt_clear(&ck);
    if (err != RL_ERR_NOT_FOUND)
        return rl_set_err(errstr, errstr_size, err, "[checkpoint] dir %s: %s",
                          d->cfg.checkpoint_dir, e);
    if (skipped.n > 0)
        return rl_set_err(errstr, errstr_size, RL_ERR_FORMAT,
                          "[checkpoint] dir %s: %s (each logged above as skipped); not starting "
                          "a fresh model over them: move them out of the directory to start "
                          "from scratch",
                          d->cfg.checkpoint_dir, e);
    err = rl_model_new(&d->cfg.model, rld_alert_cb, d, &d->model, e, sizeof(e));
    if (err != RL_OK)
        return rl_set_err(errstr, errstr_size, err, "model: %s", e);
    if (d->cfg.init_model[0]) {
        rl_snapshot snap;
        rl_snapshot_init(&snap);
        err = rl_snapshot_read_file(d->cfg.init_model, &snap, e, sizeof(e));
        if (err == RL_OK)
            err = rl_snapshot_apply_to_model(&snap, d->model, e, sizeof(e));
        if (err == RL_OK)
            rl_log(RL_LOG_INFO, "warm start from snapshot weights",
                   "path=\"%s\" model=%s version=%" PRIu64 " instance=%s", d->cfg.init_model,
                   snap.model_name, snap.version, snap.instance_id);
        if (err == RL_OK && snap.dict) {
            d->dict = snap.dict; /* the weights' names come with them */
            snap.dict = NULL;
        }
        rl_snapshot_clear(&snap);
        if (err != RL_OK)
            return rl_set_err(errstr, errstr_size, err, "--init-model %s: %s", d->cfg.init_model,
                              e);
        return RL_OK;
    }
    rl_log(RL_LOG_INFO, "fresh model: no checkpoint", "dir=\"%s\"", d->cfg.checkpoint_dir);
    return RL_OK;
}

static rl_err decoder_new(rld_daemon *d, char *errstr, size_t errstr_size)
{
    char e[512];
    const rl_learner *l = rl_model_learner_c(d->model);
    const rl_model_config *mc = rl_model_get_config(d->model);
    rl_event_codec_config c;

    rl_event_codec_config_default(&c);
    c.task = l->task;
    c.n_classes = l->params.n_classes;
    c.poisson = l->task == RL_TASK_REGRESSION && l->params.loss == RL_LOSS_POISSON;
    c.bits = l->params.bits;
    c.seed = mc->hash_seed;
    c.dense_dim = l->params.dense_dim;
    c.max_features = (uint32_t)d->cfg.max_features;
    c.max_bytes = (size_t)d->cfg.max_event_bytes;
    if (rl_event_decoder_new(&c, &d->dec, e, sizeof(e)) != RL_OK)
        return rl_set_err(errstr, errstr_size, RL_ERR_CONFIG, "event decoder: %s", e);
    for (int f = RLD_FMT_VW; f <= RLD_FMT_CSV; f++) {
        if (!rld_config_uses_format(&d->cfg, f))
            continue;
        rl_reader_opts ro;
        rl_reader_opts_default(&ro);
        ro.format = f == RLD_FMT_VW       ? RL_TEXT_VW
                    : f == RLD_FMT_LIBSVM ? RL_TEXT_LIBSVM
                                          : RL_TEXT_CSV;
        if (f == RLD_FMT_CSV) {
            const rld_config *k = &d->cfg;
            ro.label_col = k->csv_label_col[0] ? k->csv_label_col : NULL;
            ro.ignore = k->csv_ignore[0] ? k->csv_ignore : NULL;
            ro.cat_cols = k->csv_categorical[0] ? k->csv_categorical : NULL;
            ro.num_cols = k->csv_numeric[0] ? k->csv_numeric : NULL;
            ro.na_values = k->csv_na_values[0] ? k->csv_na_values : NULL;
            ro.label_values = k->csv_label_values[0] ? k->csv_label_values : NULL;
            (void)rl_csv_missing_parse(k->csv_missing, &ro.missing); /* checked when read */
        }
        if (rl_text_decoder_new(&c, &ro, d->cfg.csv_header, &d->tdec[f], e, sizeof(e)) != RL_OK)
            return rl_set_err(errstr, errstr_size, RL_ERR_CONFIG, "%s lines: %s%s",
                              rld_format_name(f), e,
                              f == RLD_FMT_CSV ? " (set [input] csv_header)" : "");
    }
    if (rld_config_uses_format(&d->cfg, RLD_FMT_JSON)) {
        const rld_config *f = &d->cfg;
        rl_json_mapping m = {f->json_label,
                             strcmp(f->json_weight, "none") == 0 ? "" : f->json_weight,
                             f->json_features[0] ? f->json_features : NULL,
                             f->json_label_values[0] ? f->json_label_values : NULL};
        if (rl_json_decoder_new(&c, &m, &d->jdec, e, sizeof(e)) != RL_OK)
            return rl_set_err(errstr, errstr_size, RL_ERR_CONFIG, "JSON decoder: %s", e);
    }
    return RL_OK;
}

/* The model's counts in seen_counts order. */
static void model_counts(const rl_model *m, uint64_t out[4])
{
    rl_model_counters k;
    rl_model_counters_get(m, &k);
    out[0] = rl_model_warnings(m);
    out[1] = rl_model_drifts(m);
    out[2] = k.feature_warnings;
    out[3] = k.feature_drifts;
}

/* Process counters follow the model's counts up, never down: a roll-back lowers the model's,
 * and what is raised again after it is counted again. */
void rld_count_model_rises(rld_daemon *d)
{
    uint64_t now[4];
    model_counts(d->model, now);
    uint64_t *proc[4] = {&d->sd.proc_warnings, &d->sd.proc_drifts, &d->sd.proc_feature_warnings,
                         &d->sd.proc_feature_drifts};
    for (int i = 0; i < 4; i++) {
        if (now[i] > d->seen_counts[i])
            *proc[i] += now[i] - d->seen_counts[i];
        d->seen_counts[i] = now[i];
    }
}

rl_err rld_daemon_new(const rld_config *cfg, rld_daemon **out, char *errstr, size_t errstr_size)
{
    char e[1024];
    rld_daemon *d = calloc(1, sizeof(*d));
    uint64_t ckpt_ver = 0, topic_ver = 0;
    rl_err err;

    *out = NULL;
    if (!d)
        return rl_set_err(errstr, errstr_size, RL_ERR_NOMEM, "out of memory");
    d->cfg = *cfg;
    d->ckpt_lock_fd = -1;
    rl_ckpt_init(&d->last_ck);
    rl_ckpt_init(&d->committed_ck);
    rld_stats_init(&d->stats);
    d->sd.started_ms = d->sd.last_progress_ms = rl_now_ms();
    d->sd.stuck_after_s = cfg->stuck_after_s;
    snprintf(d->sd.model_name, sizeof(d->sd.model_name), "%s", cfg->model_name);
    snprintf(d->sd.instance_id, sizeof(d->sd.instance_id), "%s", cfg->instance_id);

    /* A checkpoint file over the bound is refused from its size, never read into memory. */
    rl_fmt_set_max_file_bytes(cfg->ckpt_max_file);
    err = load_model(d, &ckpt_ver, errstr, errstr_size);
    if (err == RL_OK)
        err = rld_gate_start(d, d->ckpt_seq, errstr, errstr_size);
    if (err != RL_OK)
        goto fail;
    {
        const rl_learner *l = rl_model_learner_c(d->model);
        const rl_model_config *mc = rl_model_get_config(d->model);
        snprintf(d->sd.learner, sizeof(d->sd.learner), "%s", l->params.learner);
        snprintf(d->sd.detector, sizeof(d->sd.detector), "%s",
                 mc->detector[0] ? mc->detector : "none");
        d->sd.bits = l->params.bits;
    }
    err = decoder_new(d, errstr, errstr_size);
    if (err != RL_OK)
        goto fail;
    if (!d->dict) {
        err = rl_dict_new(0, &d->dict, e, sizeof(e));
        if (err != RL_OK) {
            rl_set_err(errstr, errstr_size, err, "feature-name dictionary: %s", e);
            goto fail;
        }
    }
    err = rld_producer_new(d, errstr, errstr_size);
    if (err != RL_OK)
        goto fail;

    /* Versions are never reused: the topic is the truth, the checkpoint a floor. Without the
     * topic's answer we cannot know, so wait for it (a stop request ends the wait). */
    for (int attempt = 1;; attempt++) {
        err = rld_snapshot_topic_last_version(&d->cfg, 10000, &topic_ver, e, sizeof(e));
        if (err == RL_OK || rl_stop_signals)
            break;
        if (err == RL_ERR_CONFIG) {
            rl_set_err(errstr, errstr_size, err, "%s", e);
            goto fail;
        }
        rl_log(RL_LOG_WARN, "cannot read the snapshot topic yet; retrying",
               "topic=%s attempt=%d error=\"%s\"", d->cfg.snapshot_topic, attempt, e);
        rld_notify_status("waiting for the snapshot topic (the last published version)");
        sleep(2);
    }
    if (err != RL_OK) {
        rl_set_err(errstr, errstr_size, err, "stopped before the snapshot topic answered: %s", e);
        goto fail;
    }
    d->snap_version = topic_ver > ckpt_ver ? topic_ver : ckpt_ver;
    d->sd.snapshot_version = d->snap_version;
    d->snap_position = rl_model_position(d->model);
    d->snap_last_mono = d->ckpt_last_mono = d->rate_t = rl_mono_s();
    model_counts(d->model, d->seen_counts); /* what the checkpoint brought is not this process's */
    rl_log(RL_LOG_INFO, "snapshot versions",
           "topic=%s topic_last=%" PRIu64 " checkpoint_last=%" PRIu64 " next=%" PRIu64,
           d->cfg.snapshot_topic, topic_ver, ckpt_ver, d->snap_version + 1);

    /* Alerts already sent for events that will be applied again (after a crash) are not sent
     * twice. Without the topic's answer relearnd still runs: at worst ops see them twice. */
    err = rld_alerts_topic_sent(&d->cfg, d->ckpt_seq, d->ckpt_position, 10000, &d->alert_ids, e,
                                sizeof(e));
    if (err == RL_OK)
        rl_log(RL_LOG_INFO, "alerts already sent",
               "topic=%s checkpoint_seq=%" PRIu64 " checkpoint_position=%" PRIu64
               " alerts_after_it=%zu last_position=%" PRIu64,
               d->cfg.alerts_topic, d->ckpt_seq, d->ckpt_position, d->alert_ids.n,
               d->alert_ids.n ? d->alert_ids.v[0].position : 0);
    else
        rl_log(RL_LOG_WARN, "cannot read the alerts topic: alerts of replayed events may repeat",
               "topic=%s error=\"%s\"", d->cfg.alerts_topic, e);

    err = consumer_new(d, errstr, errstr_size);
    if (err != RL_OK)
        goto fail;
    if (strcmp(d->cfg.metrics_listen, "off") != 0) {
        err = rld_http_start(d->cfg.metrics_listen, &d->stats, &d->http, errstr, errstr_size);
        if (err != RL_OK)
            goto fail;
        rl_log(RL_LOG_INFO, "metrics endpoint listening", "listen=%s port=%d",
               d->cfg.metrics_listen, rld_http_port(d->http));
    }
    rld_stats_publish(&d->stats, &d->sd);
    *out = d;
    return RL_OK;
fail:
    rld_daemon_destroy(d);
    return err;
}
