/* follower_int.h - the follower's parts, shared by its core (follower.c) and its Kafka
 * consumer (follower_kafka.c). Not installed.
 *
 * The served version is one atomic pointer. A reader (relearn_follower_acquire) announces
 * itself in one of two counters, by the parity of an epoch, loads the pointer, takes a
 * reference and leaves: a few atomic operations, never a lock, never a wait. A writer (under
 * `lock`: one at a time) exchanges the pointer, then twice flips the epoch and waits until the
 * counter of the parity it flipped away from is 0. After both rounds no reader can still be
 * between loading the old pointer and taking its reference, so the writer drops the old
 * version's reference; its last holder frees it. (One round is not enough: a reader that read
 * the epoch before the previous swap's flip counts in the parity the next swap's single round
 * would not wait for.) Writers wait only for readers' few instructions, and swaps are rare. */
#ifndef RELEARN_FOLLOWER_INT_H
#define RELEARN_FOLLOWER_INT_H

#include <pthread.h>
#include <stdatomic.h>

#include "librelearn/model_int.h"

struct relearn_follower {
    char *model_name, *instance_id, *brokers, *topic;
    char **kafka_conf; /* NULL-terminated key, value pairs, owned */
    uint32_t keep;
    uint64_t max_snapshot;

    _Atomic(relearn_model *) current;
    atomic_uint epoch;
    atomic_uint active[2];

    pthread_mutex_t lock; /* everything below, and every writer of `current` */
    relearn_model **kept; /* newest first, keep slots, each holding a reference */
    uint32_t n_kept;
    int pinned;
    uint64_t pinned_version;
    rl_snapshot_asm *asm_;
    relearn_follower_stats st;

    /* the Kafka consumer thread (follower_kafka.c) */
    pthread_t thread;
    int thread_started;
    atomic_int stop;
};

/* Milliseconds since the Unix epoch. */
int64_t rl_relearn_now_ms(void);

/* Offers a verified whole snapshot (framed bytes) to the follower: decodes it, refuses it
 * (counted) when it does not decode or is not this model's, ignores an old version, else keeps
 * it and serves it unless pinned. Takes the lock. */
relearn_err rl_relearn_follower_offer(relearn_follower *f, const void *whole, size_t len,
                                      int *swapped, char *errstr, size_t errstr_size);
/* Counts a message refused before it became a snapshot (corrupt chunk, failed reassembly). */
void rl_relearn_follower_refused(relearn_follower *f);
/* Counts a message of this model that arrived (the consumer thread's reader reassembles). */
void rl_relearn_follower_message(relearn_follower *f);

#endif
