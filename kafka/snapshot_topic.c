/* snapshot_topic.c - the one reader of a snapshot topic (see kafka.h, "the snapshot-topic
 * reader").
 *
 * Every partition is read from its low watermark. The high watermark each had at the start is
 * kept: a partition is "read to the end" at it, and a reader that does not follow ignores
 * anything later, so `relearn snapshots` always ends. A message is identified by its headers
 * (rl_kafka_snapshot_headers), else by its own frame (rl_snapshot_peek); chunks of the versions
 * asked for go through rl_snapshot_asm, which verifies every chunk and the reassembled
 * checksum and copes with missing, repeated and reordered chunks. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kafka/kafka.h"

struct rl_snaptopic {
    rl_snaptopic_opts o;
    char topic[256];
    char model[256];
    char instance[256];
    rd_kafka_t *rk;
    rl_snapshot_asm *as;
    int np;
    int64_t *hi;   /* per partition id: the high watermark at the start */
    uint8_t *done; /* per partition id: read to it */
    int pending;
    int caught_up_told;
};

static void copy_opt(const char **dst, char *buf, size_t size, const char *src)
{
    if (src) {
        snprintf(buf, size, "%s", src);
        *dst = buf;
    }
}

/* Reads metadata and watermarks and assigns every partition that holds anything. */
static rl_err start(rl_snaptopic *r, const char *brokers, int timeout_ms, char *errstr,
                    size_t errstr_size)
{
    const rd_kafka_metadata_t *md = NULL;
    rd_kafka_topic_partition_list_t *assign = NULL;
    rd_kafka_resp_err_t kerr;
    rl_err err = RL_ERR_KAFKA;
    const char *t = r->o.topic;

    rd_kafka_topic_t *rkt = rd_kafka_topic_new(r->rk, t, NULL);
    if (!rkt)
        return rl_set_err(errstr, errstr_size, RL_ERR_KAFKA, "topic %s: %s", t,
                          rd_kafka_err2str(rd_kafka_last_error()));
    kerr = rd_kafka_metadata(r->rk, 0, rkt, &md, timeout_ms);
    rd_kafka_topic_destroy(rkt);
    if (kerr)
        return rl_set_err(errstr, errstr_size, RL_ERR_KAFKA, "%s: cannot read metadata of %s: %s",
                          brokers, t, rd_kafka_err2str(kerr));
    if (md->topic_cnt != 1 || md->topics[0].err) {
        err = md->topic_cnt == 0 || md->topics[0].err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART
                  ? RL_ERR_NOT_FOUND
                  : RL_ERR_KAFKA;
        rl_set_err(errstr, errstr_size, err, "topic %s: %s", t,
                   md->topic_cnt ? rd_kafka_err2str(md->topics[0].err) : "not found");
        goto done;
    }
    r->np = md->topics[0].partition_cnt;
    r->hi = calloc((size_t)r->np + 1, sizeof(*r->hi));
    r->done = calloc((size_t)r->np + 1, 1);
    assign = rd_kafka_topic_partition_list_new(r->np > 0 ? r->np : 1);
    if (!r->hi || !r->done || !assign) {
        err = rl_set_err(errstr, errstr_size, RL_ERR_NOMEM, "out of memory");
        goto done;
    }
    for (int i = 0; i < r->np; i++) {
        int32_t p = md->topics[0].partitions[i].id;
        int64_t lo = 0, hi = 0;
        if (p < 0 || p >= r->np) {
            rl_set_err(errstr, errstr_size, RL_ERR_KAFKA, "topic %s: unexpected partition id %d", t,
                       (int)p);
            goto done;
        }
        kerr = rd_kafka_query_watermark_offsets(r->rk, t, p, &lo, &hi, timeout_ms);
        if (kerr) {
            rl_set_err(errstr, errstr_size, RL_ERR_KAFKA, "%s [%d]: cannot read offsets: %s", t,
                       (int)p, rd_kafka_err2str(kerr));
            goto done;
        }
        r->hi[p] = hi;
        /* A follower reads an empty partition from its start too: what comes later is new. */
        if (hi > lo || r->o.follow)
            rd_kafka_topic_partition_list_add(assign, t, p)->offset = lo;
        if (hi > lo)
            r->pending++;
        else
            r->done[p] = 1;
    }
    if (assign->cnt > 0 && (kerr = rd_kafka_assign(r->rk, assign)) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        rl_set_err(errstr, errstr_size, RL_ERR_KAFKA, "assign %s: %s", t, rd_kafka_err2str(kerr));
        goto done;
    }
    err = RL_OK;
done:
    if (assign)
        rd_kafka_topic_partition_list_destroy(assign);
    rd_kafka_metadata_destroy(md);
    return err;
}

rl_err rl_snaptopic_new(rd_kafka_conf_t *conf, const rl_snaptopic_opts *opts, int timeout_ms,
                        rl_snaptopic **out, char *errstr, size_t errstr_size)
{
    char e[512], brokers[512];
    size_t blen = sizeof(brokers);
    rl_err err;
    *out = NULL;
    rl_snaptopic *r = calloc(1, sizeof(*r));
    if (!r) {
        rd_kafka_conf_destroy(conf);
        return rl_set_err(errstr, errstr_size, RL_ERR_NOMEM, "out of memory");
    }
    r->o = *opts;
    copy_opt(&r->o.topic, r->topic, sizeof(r->topic), opts->topic);
    copy_opt(&r->o.model, r->model, sizeof(r->model), opts->model);
    copy_opt(&r->o.instance, r->instance, sizeof(r->instance), opts->instance);
    if (rd_kafka_conf_get(conf, "bootstrap.servers", brokers, &blen) != RD_KAFKA_CONF_OK)
        snprintf(brokers, sizeof(brokers), "-");
    /* End-of-partition events mark "read to the end"; reading never commits. */
    if (rd_kafka_conf_set(conf, "enable.partition.eof", "true", e, sizeof(e)) ||
        rd_kafka_conf_set(conf, "enable.auto.commit", "false", e, sizeof(e)) ||
        rd_kafka_conf_set(conf, "enable.auto.offset.store", "false", e, sizeof(e))) {
        rd_kafka_conf_destroy(conf);
        free(r);
        return rl_set_err(errstr, errstr_size, RL_ERR_CONFIG, "reader config: %s", e);
    }
    r->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, e, sizeof(e));
    if (!r->rk) {
        rd_kafka_conf_destroy(conf);
        free(r);
        return rl_set_err(errstr, errstr_size, RL_ERR_CONFIG, "%s", e);
    }
    if (opts->assemble && (err = rl_snapshot_asm_new(0, &r->as, errstr, errstr_size)) != RL_OK)
        goto fail;
    if ((err = start(r, brokers, timeout_ms, errstr, errstr_size)) != RL_OK)
        goto fail;
    *out = r;
    return RL_OK;
fail:
    rl_snaptopic_destroy(r);
    return err;
}

int rl_snaptopic_pending(const rl_snaptopic *r)
{
    return r->pending;
}

static void mark_done(rl_snaptopic *r, int32_t p)
{
    if (!r->done[p]) {
        r->done[p] = 1;
        r->pending--;
    }
}

/* What a message is: from its headers, else from its own frame. 0, or -1 with why. */
static int identify(const rd_kafka_message_t *m, rl_snapshot_id *id, uint64_t *size, char *why,
                    size_t why_size)
{
    rd_kafka_headers_t *h = NULL;
    if (rd_kafka_message_headers(m, &h) != RD_KAFKA_RESP_ERR_NO_ERROR)
        h = NULL;
    int said = rl_kafka_snapshot_headers(h, id, size, why, why_size);
    if (said < 0)
        return -1;
    if (said > 0) {
        if (!id->instance_id[0])
            snprintf(id->instance_id, sizeof(id->instance_id), "-");
        return 0;
    }
    /* No headers: a relearn frame still says what it is. */
    if (rl_snapshot_peek(m->payload, m->len, id, why, why_size) != RL_OK)
        return -1;
    *size = id->total_length;
    return 0;
}

static int wanted(const rl_snaptopic *r, const rl_snapshot_id *id)
{
    return (!r->o.model || strcmp(r->o.model, id->model_name) == 0) &&
           (!r->o.instance || strcmp(r->o.instance, id->instance_id) == 0);
}

static void reassemble(rl_snaptopic *r, const rd_kafka_message_t *m, rl_snaptopic_event *ev)
{
    if (!r->as || (r->o.assemble != RL_SNAPTOPIC_EVERY_VERSION && ev->id.version != r->o.assemble))
        return;
    rl_buf_reset(&ev->whole);
    if (rl_snapshot_asm_add(r->as, m->payload, m->len, &ev->complete, &ev->whole_id, &ev->whole,
                            ev->why, sizeof(ev->why)) != RL_OK) {
        ev->corrupt = 1;
        ev->complete = 0;
    }
}

/* Fills ev from one message (not an error, not EOF). */
static void classify(rl_snaptopic *r, const rd_kafka_message_t *m, rl_snaptopic_event *ev)
{
    rd_kafka_timestamp_type_t tst;
    ev->timestamp_ms = rd_kafka_message_timestamp(m, &tst);
    ev->len = m->len;
    if (identify(m, &ev->id, &ev->size, ev->why, sizeof(ev->why)) != 0) {
        ev->kind = RL_SNAPTOPIC_SKIPPED;
        return;
    }
    if (!wanted(r, &ev->id))
        return;
    ev->kind = RL_SNAPTOPIC_MESSAGE;
    reassemble(r, m, ev);
}

rl_err rl_snaptopic_poll(rl_snaptopic *r, int timeout_ms, rl_snaptopic_event *ev, char *errstr,
                         size_t errstr_size)
{
    rl_buf keep = ev->whole;
    memset(ev, 0, sizeof(*ev));
    ev->whole = keep;
    ev->partition = -1;
    ev->offset = -1;
    if (r->pending == 0 && !r->caught_up_told) {
        r->caught_up_told = 1;
        ev->kind = r->o.follow ? RL_SNAPTOPIC_CAUGHT_UP : RL_SNAPTOPIC_END;
        return RL_OK;
    }
    if (r->pending == 0 && !r->o.follow) {
        ev->kind = RL_SNAPTOPIC_END;
        return RL_OK;
    }
    rd_kafka_message_t *m = rd_kafka_consumer_poll(r->rk, timeout_ms);
    if (!m)
        return RL_OK;
    int32_t p = m->partition;
    int known = p >= 0 && p < r->np;
    ev->partition = p;
    ev->offset = m->offset;
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        if (known && m->offset >= r->hi[p])
            mark_done(r, p);
    } else if (m->err) {
        /* Transient errors are retried by librdkafka: reported, and reading goes on; the ones
         * that cannot heal end it. */
        rl_err err = RL_OK;
        snprintf(ev->why, sizeof(ev->why), "%s [%d]: %s", r->o.topic, (int)p,
                 rd_kafka_message_errstr(m));
        if (m->err == RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC ||
            m->err == RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED ||
            m->err == RD_KAFKA_RESP_ERR__FATAL)
            err = rl_set_err(errstr, errstr_size, RL_ERR_KAFKA, "%s", ev->why);
        else
            ev->kind = RL_SNAPTOPIC_KAFKA_ERROR;
        rd_kafka_message_destroy(m);
        return err;
    } else if (known && (r->o.follow || (!r->done[p] && m->offset < r->hi[p]))) {
        if (m->offset >= r->hi[p] - 1)
            mark_done(r, p);
        classify(r, m, ev);
    }
    rd_kafka_message_destroy(m);
    return RL_OK;
}

void rl_snaptopic_event_free(rl_snaptopic_event *ev)
{
    rl_buf_free(&ev->whole);
}

void rl_snaptopic_destroy(rl_snaptopic *r)
{
    if (!r)
        return;
    if (r->rk) {
        rd_kafka_consumer_close(r->rk);
        rd_kafka_destroy(r->rk);
    }
    rl_snapshot_asm_destroy(r->as);
    free(r->hi);
    free(r->done);
    free(r);
}

/* ---- the last version of one line ---- */

struct last_version {
    const char *model, *instance;
    uint64_t best;
    int found; /* in the partition being read */
};

static void lv_begin(void *ctx, int32_t partition)
{
    struct last_version *lv = ctx;
    (void)partition;
    lv->found = 0;
}

/* Counts a version at its last chunk (a whole snapshot is its own last chunk). */
static void lv_scan(void *ctx, const rd_kafka_message_t *m)
{
    struct last_version *lv = ctx;
    rd_kafka_headers_t *h = NULL;
    rl_snapshot_id id;
    uint64_t size;
    char why[128];
    if (rd_kafka_message_headers(m, &h) != RD_KAFKA_RESP_ERR_NO_ERROR ||
        rl_kafka_snapshot_headers(h, &id, &size, why, sizeof(why)) != 1)
        return;
    if (strcmp(id.model_name, lv->model) != 0 || strcmp(id.instance_id, lv->instance) != 0 ||
        id.index + 1 != id.count)
        return;
    lv->found = 1;
    if (id.version > lv->best)
        lv->best = id.version;
}

static int lv_window_done(void *ctx)
{
    return ((struct last_version *)ctx)->found;
}

rl_err rl_snaptopic_last_version(rd_kafka_conf_t *conf, const char *topic, const char *model,
                                 const char *instance, int timeout_ms, uint64_t *out, char *errstr,
                                 size_t errstr_size)
{
    struct last_version lv = {model, instance, 0, 0};
    rl_kafka_tail_scan s = {lv_begin, lv_scan, lv_window_done, &lv};
    rl_err err = rl_kafka_read_tails(conf, topic, timeout_ms, &s, errstr, errstr_size);
    *out = err == RL_OK ? lv.best : 0;
    return err;
}
