/* rld_alert_ids.h - the identities of model alerts already sent, so none is sent twice.
 *
 * An alert's identity is what the model's deterministic replay reproduces: its source ("error"
 * or "feature:<name>"), its level and its position in the model's stream (the model and instance
 * are fixed per process). After a crash relearnd applies the events since its last checkpoint
 * again and they raise the same alerts again; the identities read back from the alerts topic
 * (rld_snapver.c) and those sent since start say which were sent already - whichever checkpoint
 * each followed. A small set: entries at or below the last committed checkpoint's position are
 * pruned (nothing goes back further). */
#ifndef RLD_ALERT_IDS_H
#define RLD_ALERT_IDS_H

#include <stddef.h>
#include <stdint.h>

#define RLD_ALERT_IDS_MAX 65536

typedef struct rld_alert_id {
    uint64_t position;
    uint64_t source_hash; /* FNV-1a of the source string */
    int level;            /* rl_drift_state */
} rld_alert_id;

typedef struct rld_alert_ids {
    rld_alert_id *v;
    size_t n, cap;
} rld_alert_ids;

uint64_t rld_alert_source_hash(const char *source);
/* 0, or -1 when the set is full (RLD_ALERT_IDS_MAX) or out of memory. */
int rld_alert_ids_add(rld_alert_ids *s, uint64_t position, uint64_t source_hash, int level);
int rld_alert_ids_has(const rld_alert_ids *s, uint64_t position, uint64_t source_hash, int level);
/* Drops the entries at or below position. */
void rld_alert_ids_prune(rld_alert_ids *s, uint64_t position);
void rld_alert_ids_free(rld_alert_ids *s);

#endif
