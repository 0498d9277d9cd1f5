/* rld_offsets.c - where each partition resumes and how far it is committed: the partition
 * table, checkpoints followed by commits (metadata "<instance-id>:<seq>"), and the rebalance
 * callback that applies docs/DESIGN.md's rule on assignment and checkpoints + commits on revoke. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/rld_int.h"
#include "daemon/rld_notify.h"

/* ---- partitions ---- */

rld_part *rld_part_find(rld_daemon *d, const char *topic, int32_t partition, int create)
{
    rld_part *p;
    if (d->last_part < d->n_parts) {
        p = &d->parts[d->last_part];
        if (p->partition == partition && strcmp(p->topic, topic) == 0)
            return p;
    }
    for (size_t i = 0; i < d->n_parts; i++) {
        p = &d->parts[i];
        if (p->partition == partition && strcmp(p->topic, topic) == 0) {
            d->last_part = i;
            return p;
        }
    }
    if (!create || d->n_parts >= RLD_STATS_MAX_PARTS)
        return NULL;
    if (d->n_parts == d->cap_parts) {
        size_t cap = d->cap_parts ? d->cap_parts * 2 : 16;
        rld_part *np = realloc(d->parts, cap * sizeof(*np));
        if (!np)
            return NULL;
        d->parts = np;
        d->cap_parts = cap;
    }
    p = &d->parts[d->n_parts];
    memset(p, 0, sizeof(*p));
    snprintf(p->topic, sizeof(p->topic), "%s", topic);
    p->partition = partition;
    p->next = p->first = p->committed = p->ckpt_next = p->high = -1;
    d->last_part = d->n_parts++;
    return p;
}

/* ---- checkpoints and commits ---- */

void rld_on_ckpt_report(void *opaque, const char *path, rl_err err, const char *reason)
{
    (void)opaque;
    rl_log(RL_LOG_WARN, "checkpoint file skipped", "path=\"%s\" error=%s reason=\"%s\"", path,
           rl_err_str(err), reason);
}

/* Commits the last durable checkpoint's offsets of the assigned partitions, with metadata
 * "<instance-id>:<seq>" saying whose checkpoint they come from. */
rd_kafka_resp_err_t rld_commit_offsets(rld_daemon *d)
{
    rd_kafka_topic_partition_list_t *l;
    char meta[RLD_CONF_STR + 32];
    rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
    int n = 0;

    if (!d->consumer || d->ckpt_seq == 0)
        return RD_KAFKA_RESP_ERR_NO_ERROR;
    snprintf(meta, sizeof(meta), "%s:%" PRIu64, d->cfg.instance_id, d->ckpt_seq);
    l = rd_kafka_topic_partition_list_new((int)d->n_parts);
    for (size_t i = 0; i < d->n_parts; i++) {
        rld_part *p = &d->parts[i];
        rd_kafka_topic_partition_t *t;
        if (!p->assigned || p->ckpt_next < 0)
            continue;
        t = rd_kafka_topic_partition_list_add(l, p->topic, p->partition);
        t->offset = p->ckpt_next;
        t->metadata = meta; /* borrowed: cleared again before the list is destroyed */
        t->metadata_size = strlen(meta);
        n++;
    }
    if (n > 0) {
        err = rd_kafka_commit(d->consumer, l, 0);
        for (int i = 0; i < l->cnt; i++) {
            rd_kafka_topic_partition_t *t = &l->elems[i];
            rld_part *p = rld_part_find(d, t->topic, t->partition, 0);
            if (!err && !t->err && p)
                p->committed = t->offset;
            else if (t->err)
                err = t->err;
            t->metadata = NULL;
            t->metadata_size = 0;
        }
        if (err) {
            d->sd.commits_failed++;
            rl_log(RL_LOG_WARN, "offset commit failed; the next checkpoint commits again",
                   "seq=%" PRIu64 " error=\"%s\"", d->ckpt_seq, rd_kafka_err2str(err));
        } else {
            d->sd.commits_ok++;
            if (d->last_ck.seq == d->ckpt_seq && d->ckpt_seq > 0) {
                rl_ckpt_clear(&d->committed_ck);
                d->committed_ck = d->last_ck; /* ownership moves */
                rl_ckpt_init(&d->last_ck);
                d->have_committed_ck = 1;
                /* nothing rolls back below the committed checkpoint: its alerts are settled */
                rld_alert_ids_prune(&d->alert_ids, d->committed_ck.events);
            }
            rl_log(RL_LOG_DEBUG, "offsets committed", "seq=%" PRIu64 " partitions=%d", d->ckpt_seq,
                   n);
        }
    }
    rd_kafka_topic_partition_list_destroy(l);
    d->commit_pending = err != RD_KAFKA_RESP_ERR_NO_ERROR;
    return err;
}

rl_err rld_dict_copy(const rl_dict *src, rl_dict **out, char *errstr, size_t errstr_size)
{
    uint32_t n = rl_dict_size(src);
    rl_dict_entry *ents = NULL;
    rl_dict *c = NULL;
    rl_err err;

    *out = NULL;
    err = rl_dict_new(rl_dict_capacity(src), &c, errstr, errstr_size);
    if (err != RL_OK)
        goto fail;
    if (n > 0) {
        ents = malloc((size_t)n * sizeof(*ents));
        if (!ents) {
            err = rl_set_err(errstr, errstr_size, RL_ERR_NOMEM, "dictionary copy: out of memory");
            goto fail;
        }
        for (uint32_t i = 0; i < n; i++)
            rl_dict_get(src, i, &ents[i]);
    }
    err = rl_dict_set(c, ents, n, rl_dict_total(src), errstr, errstr_size);
    if (err != RL_OK)
        goto fail;
    free(ents);
    *out = c;
    return RL_OK;
fail:
    free(ents);
    rl_dict_destroy(c);
    return err;
}

/* Writes a checkpoint of the model and the positions, then commits them. On failure nothing
 * is committed (offsets never run ahead of a durable checkpoint) and a retry is scheduled
 * with exponential backoff. */
rl_err rld_checkpoint(rld_daemon *d, const char *why)
{
    char e[1024], path[2048];
    rl_ckpt ck;
    rl_err err;
    double t0 = rl_mono_s(), dur;

    /* Dead letters and alerts of the events below these offsets go out first, as far as the
     * broker lets them within a short wait (failures are counted and logged by position). A
     * snapshot in flight is not waited for: it does not depend on the offsets. */
    if (rld_ckpt_dir_check(d) != 0)
        return RL_ERR_IO; /* said once, loudly, when it was noticed */
    while (d->producer && d->pending_records > 0 && rl_mono_s() - t0 < 2.0)
        rd_kafka_poll(d->producer, 10);
    rl_ckpt_init(&ck);
    err = rl_ckpt_set_ids(&ck, d->cfg.model_name, d->cfg.instance_id, e, sizeof(e));
    ck.seq = d->ckpt_seq + 1;
    ck.snapshot_version = d->snap_version;
    ck.has_published_loss = d->have_pub_loss;
    ck.published_loss = d->pub_loss;
    if (err == RL_OK)
        err = rl_ckpt_from_model(&ck, d->model, e, sizeof(e));
    /* A copy, not the live dictionary: the checkpoint is kept for a roll-back, which must get
     * the names as they were at this point. */
    if (err == RL_OK && d->dict)
        err = rld_dict_copy(d->dict, &ck.dict, e, sizeof(e));
    for (size_t i = 0; i < d->n_parts && err == RL_OK; i++) {
        rld_part *p = &d->parts[i];
        int64_t off = p->assigned && p->next >= 0 ? p->next : p->ckpt_next;
        if (off >= 0)
            err = rl_ckpt_set_offset(&ck, p->topic, p->partition, off, e, sizeof(e));
    }
    if (err == RL_OK)
        err = rl_ckpt_dir_write(d->cfg.checkpoint_dir, &ck, d->cfg.ckpt_compress,
                                (uint32_t)d->cfg.ckpt_keep, rld_on_ckpt_report, d, path,
                                sizeof(path), e, sizeof(e));
    dur = rl_mono_s() - t0;
    if (err != RL_OK) {
        double backoff;
        d->ckpt_failures++;
        d->sd.ckpt_failed++;
        d->sd.ckpt_consecutive_failures = d->ckpt_failures;
        backoff = 0.5 * pow(2.0, (double)(d->ckpt_failures - 1));
        if (backoff > d->cfg.ckpt_retry_max_s)
            backoff = d->cfg.ckpt_retry_max_s;
        d->ckpt_retry_at = rl_mono_s() + backoff;
        rl_log(RL_LOG_ERROR, "checkpoint failed; offsets not committed",
               "why=%s seq=%" PRIu64 " failures_in_a_row=%u retry_in_s=%.1f error=%s "
               "detail=\"%s\"",
               why, ck.seq, d->ckpt_failures, backoff, rl_err_str(err), e);
        /* Alert on the first failure and then every 10th, so a full disk does not flood. */
        if (d->ckpt_failures == 1 || d->ckpt_failures % 10 == 0) {
            char detail[300];
            snprintf(detail, sizeof(detail), "checkpoint failed (%u in a row): %.200s",
                     d->ckpt_failures, e);
            rld_alert_send(d, "checkpoint", RL_DRIFT_WARNING, "retrying", detail, NAN, NULL);
        }
        rl_ckpt_clear(&ck);
        return err;
    }
    if (d->ckpt_failures)
        rl_log(RL_LOG_INFO, "checkpoints recovered", "failures_before=%u", d->ckpt_failures);
    /* After the checkpoint, which also re-creates a removed directory. Without its pairs file
     * a restart from this checkpoint starts the gate empty (logged then): a shorter comparison
     * window, never a wrong one, so it does not fail the checkpoint. */
    if (rld_gate_save(d, ck.seq, e, sizeof(e)) != RL_OK)
        rl_log(RL_LOG_WARN, "promotion gate pairs not saved with the checkpoint",
               "seq=%" PRIu64 " error=\"%s\"", ck.seq, e);
    d->ckpt_failures = 0;
    d->ckpt_retry_at = 0;
    d->ckpt_seq = ck.seq;
    d->ckpt_position = rl_model_position(d->model);
    d->ckpt_last_mono = rl_mono_s();
    d->dirty = 0;
    d->pub_dirty = 0;
    d->commit_pending = 1;
    for (size_t i = 0; i < ck.n_offsets; i++) {
        rld_part *p = rld_part_find(d, ck.offsets[i].topic, ck.offsets[i].partition, 0);
        if (p)
            p->ckpt_next = ck.offsets[i].next_offset;
    }
    d->sd.ckpt_seq = ck.seq;
    d->sd.ckpt_ok++;
    d->sd.ckpt_consecutive_failures = 0;
    d->sd.ckpt_last_ms = rl_now_ms();
    rld_hist_observe(&d->sd.ckpt_duration, dur);
    rl_log(RL_LOG_INFO, "checkpoint written",
           "why=%s seq=%" PRIu64 " events=%" PRIu64 " partitions=%zu dur_ms=%.1f path=\"%s\"", why,
           ck.seq, ck.events, ck.n_offsets, dur * 1000.0, path);
    rl_ckpt_clear(&d->last_ck);
    d->last_ck = ck; /* ownership moves: kept until the group accepts its offsets */
    rld_commit_offsets(d);
    return RL_OK;
}

/* A hand-over whose commit the coordinator refused (a rebalance in progress) or a lost
 * assignment would let the next owner resume behind what this model learned: the events in
 * between would be learned twice. Instead the model goes back to the last checkpoint whose
 * offsets the group accepted, every partition to its offset there, and that state is written as
 * the newest checkpoint; partitions this instance keeps or gets back are re-read from there. */
static void rollback_to_committed(rld_daemon *d, rd_kafka_t *rk)
{
    char e[512];
    rl_model *m = NULL;
    uint64_t from = rl_model_position(d->model);
    rd_kafka_topic_partition_list_t *seek = rd_kafka_topic_partition_list_new(4);

    if (rl_ckpt_to_model(&d->committed_ck, rld_alert_cb, d, &m, e, sizeof(e)) != RL_OK) {
        rl_log(RL_LOG_ERROR, "cannot roll back to the last committed checkpoint",
               "seq=%" PRIu64 " error=\"%s\"", d->committed_ck.seq, e);
        rd_kafka_topic_partition_list_destroy(seek);
        return;
    }
    rld_count_model_rises(d); /* what the old model raised since the last batch */
    rl_model_destroy(d->model);
    d->model = m;
    if (rld_gate_start(d, d->committed_ck.seq, e, sizeof(e)) != RL_OK) /* as at start */
        rl_log(RL_LOG_WARN, "promotion gate off after the roll-back", "error=\"%s\"", e);
    if (d->committed_ck.dict) {
        rl_dict *nd = NULL;
        if (rld_dict_copy(d->committed_ck.dict, &nd, e, sizeof(e)) == RL_OK) {
            rl_dict_destroy(d->dict);
            d->dict = nd;
        } else {
            rl_log(RL_LOG_WARN, "feature names not rolled back; they may count some events twice",
                   "error=\"%s\"", e);
        }
    }
    for (size_t i = 0; i < d->n_parts; i++) {
        rld_part *p = &d->parts[i];
        int64_t off = rl_ckpt_get_offset(&d->committed_ck, p->topic, p->partition);
        p->next = p->ckpt_next = off;
        p->first = -1;
        if (p->assigned && off >= 0) /* still ours after this revoke (cooperative) */
            rd_kafka_topic_partition_list_add(seek, p->topic, p->partition)->offset = off;
    }
    d->ckpt_position = rl_model_position(m);
    d->dirty = 1;
    rl_log(RL_LOG_WARN, "hand-over commit refused: rolled back to the last committed checkpoint",
           "seq=%" PRIu64 " events_before=%" PRIu64 " events_after=%" PRIu64
           " note=\"events after it are read again, by whichever instance owns them\"",
           d->committed_ck.seq, from, rl_model_position(m));
    d->sd.rollbacks++;
    if (seek->cnt > 0) {
        rd_kafka_error_t *err = rd_kafka_seek_partitions(rk, seek, 5000);
        if (err) {
            rl_log(RL_LOG_ERROR, "seek after roll-back failed", "error=\"%s\"",
                   rd_kafka_error_string(err));
            rd_kafka_error_destroy(err);
        }
    }
    rd_kafka_topic_partition_list_destroy(seek);
    rld_checkpoint(d, "rollback");
}

/* ---- rebalance ---- */

static void on_assign(rld_daemon *d, rd_kafka_t *rk, rd_kafka_topic_partition_list_t *parts)
{
    rd_kafka_topic_partition_list_t *c = rd_kafka_topic_partition_list_copy(parts);
    rd_kafka_resp_err_t kerr = RD_KAFKA_RESP_ERR_NO_ERROR;
    char mine[RLD_CONF_STR + 2];
    size_t mine_len;

    snprintf(mine, sizeof(mine), "%s:", d->cfg.instance_id);
    mine_len = strlen(mine);
    /* Who committed last decides where each partition resumes (docs/DESIGN.md). A coordinator that
     * does not answer is retried; after that, this instance's checkpoint is the fallback. */
    for (int attempt = 0; attempt < 5 && !rl_stop_signals; attempt++) {
        kerr = rd_kafka_committed(rk, c, 5000);
        if (!kerr)
            break;
        rl_log(RL_LOG_WARN, "cannot read committed offsets, retrying", "attempt=%d error=\"%s\"",
               attempt + 1, rd_kafka_err2str(kerr));
    }
    for (int i = 0; i < parts->cnt; i++) {
        rd_kafka_topic_partition_t *t = &parts->elems[i];
        rd_kafka_topic_partition_t *ct = &c->elems[i];
        rld_part *p = rld_part_find(d, t->topic, t->partition, 1);
        char owner[RLD_CONF_STR + 32] = "";
        int64_t committed = !kerr && !ct->err && ct->offset >= 0 ? ct->offset : -1;
        int is_mine;
        const char *why;
        int64_t start;

        if (!kerr && ct->metadata && ct->metadata_size > 0) {
            size_t n =
                ct->metadata_size < sizeof(owner) - 1 ? ct->metadata_size : sizeof(owner) - 1;
            memcpy(owner, ct->metadata, n);
            owner[n] = '\0';
        }
        is_mine = strncmp(owner, mine, mine_len) == 0;
        if (!p) {
            rl_log(RL_LOG_ERROR, "too many partitions; this one is not tracked",
                   "topic=%s "
                   "partition=%d max=%d",
                   t->topic, t->partition, RLD_STATS_MAX_PARTS);
            continue;
        }
        if (is_mine && p->ckpt_next >= 0) {
            start = p->ckpt_next;
            why = "own checkpoint";
        } else if (committed >= 0) {
            start = committed;
            why = is_mine ? "own commit (checkpoint lacks the partition)" : "group commit";
        } else if (kerr && p->ckpt_next >= 0) {
            start = p->ckpt_next;
            why = "own checkpoint (committed offsets unreadable)";
        } else {
            start = RD_KAFKA_OFFSET_INVALID;
            why = "auto.offset.reset (no commit)";
        }
        t->offset = start;
        p->assigned = 1;
        p->next = start >= 0 ? start : -1;
        p->first = -1;
        p->committed = committed;
        p->high = -1;
        p->from_reset = start < 0;
        p->skipping = 0;
        {
            char s1[24], s2[24], s3[24];
            rl_log(RL_LOG_INFO, "partition assigned",
                   "topic=%s partition=%d start=%s why=\"%s\" committed=%s committed_by=\"%s\" "
                   "checkpoint_offset=%s",
                   t->topic, t->partition,
                   start < 0 ? "auto.offset.reset" : rld_offset_str(start, s1, sizeof(s1)), why,
                   rld_offset_str(committed, s2, sizeof(s2)), owner,
                   rld_offset_str(p->ckpt_next, s3, sizeof(s3)));
        }
    }
    rd_kafka_topic_partition_list_destroy(c);
}

static void mark_unassigned(rld_daemon *d, rd_kafka_topic_partition_list_t *parts)
{
    for (int i = 0; parts && i < parts->cnt; i++) {
        rld_part *p = rld_part_find(d, parts->elems[i].topic, parts->elems[i].partition, 0);
        if (p) {
            p->assigned = 0;
            char s1[24], s2[24];
            rl_log(RL_LOG_INFO, "partition revoked",
                   "topic=%s partition=%d next=%s checkpoint_offset=%s", p->topic, p->partition,
                   rld_offset_str(p->next, s1, sizeof(s1)),
                   rld_offset_str(p->ckpt_next, s2, sizeof(s2)));
        }
    }
    if (!parts)
        for (size_t i = 0; i < d->n_parts; i++)
            d->parts[i].assigned = 0;
}

/* A partition handed over while the group's commit lags this instance's checkpoint will be
 * resumed by its next owner at the commit: the events in between are then learned by both
 * models. It should not happen (the revoke commits first) but a commit can be refused during a
 * rebalance; say so loudly and count it. */
static void report_handover(rld_daemon *d, rd_kafka_topic_partition_list_t *parts)
{
    for (int i = 0; i < parts->cnt; i++) {
        rld_part *p = rld_part_find(d, parts->elems[i].topic, parts->elems[i].partition, 0);
        if (!p || p->next < 0 || p->committed == p->next)
            continue;
        d->sd.handover_behind++;
        rl_log(RL_LOG_ERROR, "partition given up with its commit behind the checkpoint",
               "topic=%s partition=%d committed=%" PRId64 " checkpoint_offset=%" PRId64
               " consumed=%" PRId64 " note=\"the next owner may learn these events again\"",
               p->topic, p->partition, p->committed, p->ckpt_next, p->next);
    }
}

void rld_on_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                      rd_kafka_topic_partition_list_t *parts, void *opaque)
{
    rld_daemon *d = opaque;
    int coop = strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE") == 0;
    rd_kafka_error_t *e2 = NULL;
    rd_kafka_resp_err_t aerr = RD_KAFKA_RESP_ERR_NO_ERROR;

    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        on_assign(d, rk, parts);
        /* In the group and consuming (an empty assignment too: more members than partitions is
         * a working state) - what systemd's READY means for relearnd. */
        rld_notify_ready(parts->cnt ? "learning: partitions assigned"
                                    : "in the group; no partition assigned (more members than "
                                      "partitions)");
        if (coop)
            e2 = rd_kafka_incremental_assign(rk, parts);
        else
            aerr = rd_kafka_assign(rk, parts);
    } else if (err == RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS) {
        /* The batch in hand is finished (callbacks run between batches): checkpoint and
         * commit before the partitions go, unless they were lost (then another member may
         * already own them, and a commit from here would be refused or wrong). */
        int lost = rd_kafka_assignment_lost(rk);
        if (lost)
            rl_log(RL_LOG_WARN, "partitions lost (session timeout?); not committing", "count=%d",
                   parts->cnt);
        else if (d->dirty)
            rld_checkpoint(d, "revoke");
        else if (d->commit_pending)
            rld_commit_offsets(d);
        if ((lost && (d->dirty || d->commit_pending)) || (!lost && d->commit_pending)) {
            mark_unassigned(d, parts);
            if (d->have_committed_ck)
                rollback_to_committed(d, rk);
            else
                report_handover(d, parts);
        } else {
            mark_unassigned(d, parts);
        }
        if (coop)
            e2 = rd_kafka_incremental_unassign(rk, parts);
        else
            aerr = rd_kafka_assign(rk, NULL);
    } else {
        rl_log(RL_LOG_ERROR, "rebalance error", "error=\"%s\"", rd_kafka_err2str(err));
        mark_unassigned(d, NULL);
        aerr = rd_kafka_assign(rk, NULL);
    }
    if (e2) {
        rl_log(RL_LOG_ERROR, "incremental assign failed", "error=\"%s\"",
               rd_kafka_error_string(e2));
        rd_kafka_error_destroy(e2);
    }
    if (aerr)
        rl_log(RL_LOG_ERROR, "assign failed", "error=\"%s\"", rd_kafka_err2str(aerr));
}
