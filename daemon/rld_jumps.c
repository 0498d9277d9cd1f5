/* rld_jumps.c - offset jumps: the position of a partition moved away from the offset relearnd
 * expects next.
 *
 * Backward: an OFFSET_OUT_OF_RANGE answer (an unclean leader election, a re-created topic, a
 * broker fault) makes librdkafka reset the position per auto.offset.reset, often to the log
 * start. Every event below the expected offset was learned already; learning it again breaks
 * exactly once (the model drifts away from the one an uninterrupted run would have). Those events
 * are skipped and counted, and the consumer seeks forward to the expected offset when the broker
 * still has it.
 *
 * Forward: offsets were jumped over - retention removed them before they were read (also at a
 * first assignment, where the log start says how many were never seen). They are lost; the count
 * says how many.
 *
 * Either way it is loud: an error line, per-partition counters in /metrics, /healthz "degraded"
 * (still 200: restarting relearnd would not bring the events back) and an alert
 * (detector "offset_jump"). */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "daemon/rld_int.h"

const char *rld_offset_str(int64_t off, char *buf, size_t size)
{
    if (off >= 0)
        snprintf(buf, size, "%" PRId64, off);
    else if (off == RD_KAFKA_OFFSET_BEGINNING)
        snprintf(buf, size, "earliest");
    else /* relearnd's own -1 (none yet) and librdkafka's INVALID */
        snprintf(buf, size, "none");
    return buf;
}

/* Where auto.offset.reset sends a partition with nothing committed: relearnd's default is
 * earliest; "latest" skips the backlog on purpose, and that is no loss. */
static int reset_is_earliest(const rld_config *c)
{
    for (size_t i = 0; i < c->n_kafka; i++)
        if (strcmp(c->kafka[i].key, "auto.offset.reset") == 0)
            return strcmp(c->kafka[i].value, "earliest") == 0 ||
                   strcmp(c->kafka[i].value, "smallest") == 0 ||
                   strcmp(c->kafka[i].value, "beginning") == 0;
    return 1;
}

static void report(rld_daemon *d, rld_part *p, const rd_kafka_message_t *m, int64_t expected,
                   const char *what)
{
    char detail[300];
    rl_event_pos pos = {p->topic, p->partition, m->offset};
    int fwd = m->offset > expected;

    d->sd.offset_resets++;
    if (fwd)
        snprintf(detail, sizeof(detail),
                 "offset jump forward%s%s on %s/%d: expected %" PRId64 ", got %" PRId64 ", %" PRId64
                 " events lost",
                 *what ? " " : "", what, p->topic, p->partition, expected, m->offset,
                 m->offset - expected);
    else
        snprintf(detail, sizeof(detail),
                 "offset jump backward on %s/%d: expected %" PRId64 ", got %" PRId64
                 "; events below %" PRId64 " were learned already and are skipped",
                 p->topic, p->partition, expected, m->offset, expected);
    snprintf(d->sd.degraded_reason, sizeof(d->sd.degraded_reason), "%s", detail);
    d->sd.degraded_ms = rl_now_ms();
    rld_alert_send(d, "offset_jump", RL_DRIFT_WARNING, fwd ? "events_lost" : "skipped", detail, NAN,
                   &pos);
}

/* Asks the consumer to continue at the expected offset when the broker's log still reaches it
 * (as last seen); otherwise the events coming back are skipped one by one until it is reached. */
static void seek_forward(rld_daemon *d, rld_part *p)
{
    int64_t lo = -1, hi = -1;
    rd_kafka_topic_partition_list_t *l;
    rd_kafka_error_t *err;

    if (!d->consumer ||
        rd_kafka_get_watermark_offsets(d->consumer, p->topic, p->partition, &lo, &hi) !=
            RD_KAFKA_RESP_ERR_NO_ERROR ||
        hi < p->next || (lo >= 0 && lo > p->next))
        return;
    l = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(l, p->topic, p->partition)->offset = p->next;
    err = rd_kafka_seek_partitions(d->consumer, l, 0); /* asynchronous: the loop never waits */
    if (err) {
        rl_log(RL_LOG_WARN, "seek to the expected offset failed; skipping instead",
               "topic=%s partition=%d offset=%" PRId64 " error=\"%s\"", p->topic, p->partition,
               p->next, rd_kafka_error_string(err));
        rd_kafka_error_destroy(err);
    }
    rd_kafka_topic_partition_list_destroy(l);
}

int rld_offset_check(rld_daemon *d, rld_part *p, const rd_kafka_message_t *m)
{
    if (p->next < 0) {
        /* The first event after an assignment per auto.offset.reset: the log start. */
        if (p->from_reset && m->offset > 0 && reset_is_earliest(&d->cfg)) {
            p->jumps_fwd++;
            p->lost += (uint64_t)m->offset;
            rl_log(RL_LOG_ERROR, "offset jump forward: events lost",
                   "topic=%s partition=%d expected=0 got=%" PRId64 " lost=%" PRId64
                   " when=first_assignment note=\"removed by retention before this group read "
                   "them\"",
                   p->topic, p->partition, m->offset, m->offset);
            report(d, p, m, 0, "at first assignment");
        }
        p->from_reset = 0;
        return 0;
    }
    p->from_reset = 0;
    if (m->offset < p->next) {
        if (!p->skipping) {
            p->skipping = 1;
            p->jumps_back++;
            rl_log(RL_LOG_ERROR, "offset jump backward: events already learned are skipped",
                   "topic=%s partition=%d expected=%" PRId64 " got=%" PRId64 " to_skip=%" PRId64,
                   p->topic, p->partition, p->next, m->offset, p->next - m->offset);
            report(d, p, m, p->next, "");
            seek_forward(d, p);
        }
        p->skipped++;
        return 1;
    }
    if (p->skipping) {
        p->skipping = 0;
        rl_log(RL_LOG_WARN, "offset jump backward: caught up with the expected offset",
               "topic=%s partition=%d offset=%" PRId64 " skipped_total=%" PRIu64, p->topic,
               p->partition, m->offset, p->skipped);
    }
    if (m->offset > p->next) {
        p->jumps_fwd++;
        p->lost += (uint64_t)(m->offset - p->next);
        rl_log(RL_LOG_ERROR, "offset jump forward: events lost",
               "topic=%s partition=%d expected=%" PRId64 " got=%" PRId64 " lost=%" PRId64
               " note=\"offsets removed (retention) or never written before they were read\"",
               p->topic, p->partition, p->next, m->offset, m->offset - p->next);
        report(d, p, m, p->next, "");
    }
    return 0;
}
