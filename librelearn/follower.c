/* follower.c - the versions a follower keeps, the one it serves, and the lock-free swap between
 * them (follower_int.h explains the scheme). Kafka consumption is follower_kafka.c. */
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "librelearn/follower_int.h"

int64_t rl_relearn_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

relearn_err relearn_follower_new(const relearn_follower_conf *c, relearn_follower **out,
                                 char *errstr, size_t errstr_size)
{
    relearn_follower *f;
    size_t n_conf = 0;
    if (!c || !out || !c->model_name || !*c->model_name)
        return (relearn_err)rl_set_err(errstr, errstr_size, RL_ERR_CONFIG,
                                       "follower: a model name is required");
    *out = NULL;
    f = calloc(1, sizeof(*f));
    if (!f)
        return (relearn_err)rl_set_err(errstr, errstr_size, RL_ERR_NOMEM, "out of memory");
    f->keep = c->keep ? c->keep : 8;
    f->max_snapshot = c->max_snapshot ? c->max_snapshot : (1ull << 30);
    f->model_name = strdup(c->model_name);
    f->instance_id = dup_or_null(c->instance_id);
    f->brokers = dup_or_null(c->brokers);
    f->topic = dup_or_null(c->topic);
    while (c->kafka_conf && c->kafka_conf[n_conf])
        n_conf++;
    if (n_conf % 2) {
        relearn_follower_destroy(f);
        return (relearn_err)rl_set_err(errstr, errstr_size, RL_ERR_CONFIG,
                                       "follower: kafka_conf must hold key, value pairs");
    }
    f->kafka_conf = calloc(n_conf + 1, sizeof(char *));
    for (size_t i = 0; f->kafka_conf && i < n_conf; i++)
        f->kafka_conf[i] = strdup(c->kafka_conf[i]);
    f->kept = calloc(f->keep, sizeof(*f->kept));
    atomic_init(&f->current, NULL);
    atomic_init(&f->epoch, 0);
    atomic_init(&f->active[0], 0);
    atomic_init(&f->active[1], 0);
    atomic_init(&f->stop, 0);
    pthread_mutex_init(&f->lock, NULL);
    rl_err e = rl_snapshot_asm_new(f->max_snapshot, &f->asm_, errstr, errstr_size);
    if (e == RL_OK && (!f->model_name || !f->kafka_conf || !f->kept))
        e = rl_set_err(errstr, errstr_size, RL_ERR_NOMEM, "out of memory");
    if (e != RL_OK) {
        relearn_follower_destroy(f);
        return (relearn_err)e;
    }
    *out = f;
    return RELEARN_OK;
}

relearn_model *relearn_follower_acquire(relearn_follower *f)
{
    unsigned e = atomic_load(&f->epoch) & 1;
    atomic_fetch_add(&f->active[e], 1);
    relearn_model *m = relearn_model_ref(atomic_load(&f->current));
    atomic_fetch_sub(&f->active[e], 1);
    return m;
}

/* Serves m (a new reference is taken) and drops the old version's serving reference once no
 * reader can be taking one. Called with the lock held. */
static void serve_locked(relearn_follower *f, relearn_model *m)
{
    relearn_model *old = atomic_exchange(&f->current, relearn_model_ref(m));
    if (old == m) {
        relearn_model_release(old);
        return;
    }
    for (int round = 0; round < 2; round++) {
        unsigned was = atomic_fetch_add(&f->epoch, 1) & 1;
        while (atomic_load(&f->active[was]) != 0)
            sched_yield();
    }
    relearn_model_release(old);
    f->st.last_swap_ms = rl_relearn_now_ms();
    f->st.served_version = m ? m->snap.version : 0;
    f->st.served_created_ms = m ? m->snap.created_ms : 0;
}

void relearn_follower_destroy(relearn_follower *f)
{
    if (!f)
        return;
    atomic_store(&f->stop, 1);
    if (f->thread_started)
        pthread_join(f->thread, NULL);
    relearn_model_release(atomic_exchange(&f->current, NULL));
    for (uint32_t i = 0; i < f->n_kept; i++)
        relearn_model_release(f->kept[i]);
    free(f->kept);
    for (size_t i = 0; f->kafka_conf && f->kafka_conf[i]; i++)
        free(f->kafka_conf[i]);
    free(f->kafka_conf);
    rl_snapshot_asm_destroy(f->asm_);
    pthread_mutex_destroy(&f->lock);
    free(f->model_name);
    free(f->instance_id);
    free(f->brokers);
    free(f->topic);
    free(f);
}

/* The newest kept version of instance, or NULL. */
static relearn_model *newest_of(const relearn_follower *f, const char *instance)
{
    for (uint32_t i = 0; i < f->n_kept; i++)
        if (strcmp(f->kept[i]->snap.instance_id, instance) == 0)
            return f->kept[i];
    return NULL;
}

relearn_err rl_relearn_follower_offer(relearn_follower *f, const void *whole, size_t len,
                                      int *swapped, char *errstr, size_t errstr_size)
{
    rl_snapshot s;
    relearn_model *m = NULL;
    relearn_err e;
    if (swapped)
        *swapped = 0;
    rl_snapshot_init(&s);
    e = (relearn_err)rl_snapshot_decode(whole, len, &s, errstr, errstr_size);
    if (e == RELEARN_OK && strcmp(s.model_name, f->model_name) != 0) {
        rl_snapshot_clear(&s);
        pthread_mutex_lock(&f->lock);
        f->st.ignored++;
        pthread_mutex_unlock(&f->lock);
        return RELEARN_OK;
    }
    if (e == RELEARN_OK && f->instance_id && strcmp(s.instance_id, f->instance_id) != 0) {
        rl_snapshot_clear(&s);
        pthread_mutex_lock(&f->lock);
        f->st.ignored++;
        pthread_mutex_unlock(&f->lock);
        return RELEARN_OK;
    }
    if (e == RELEARN_OK)
        e = rl_relearn_model_adopt(&s, &m, errstr, errstr_size);
    pthread_mutex_lock(&f->lock);
    f->st.last_message_ms = rl_relearn_now_ms();
    if (e != RELEARN_OK) {
        f->st.refused++;
        pthread_mutex_unlock(&f->lock);
        rl_snapshot_clear(&s);
        return e;
    }
    const relearn_model *prev = newest_of(f, m->snap.instance_id);
    if (prev && prev->snap.version >= m->snap.version) {
        /* a replay or an older version of a line already followed */
        f->st.ignored++;
        pthread_mutex_unlock(&f->lock);
        relearn_model_release(m);
        return RELEARN_OK;
    }
    if (f->n_kept == f->keep)
        relearn_model_release(f->kept[--f->n_kept]);
    memmove(f->kept + 1, f->kept, f->n_kept * sizeof(*f->kept));
    f->kept[0] = m;
    f->n_kept++;
    f->st.versions++;
    if (m->snap.version > f->st.newest_version)
        f->st.newest_version = m->snap.version;
    if (!f->pinned) {
        serve_locked(f, m);
        if (swapped)
            *swapped = 1;
    }
    pthread_mutex_unlock(&f->lock);
    return RELEARN_OK;
}

void rl_relearn_follower_refused(relearn_follower *f)
{
    pthread_mutex_lock(&f->lock);
    f->st.refused++;
    f->st.last_message_ms = rl_relearn_now_ms();
    pthread_mutex_unlock(&f->lock);
}

void rl_relearn_follower_message(relearn_follower *f)
{
    pthread_mutex_lock(&f->lock);
    f->st.messages++;
    f->st.last_message_ms = rl_relearn_now_ms();
    pthread_mutex_unlock(&f->lock);
}

relearn_err relearn_follower_feed(relearn_follower *f, const void *value, size_t len, int *swapped,
                                  char *errstr, size_t errstr_size)
{
    int complete = 0;
    rl_buf whole;
    if (swapped)
        *swapped = 0;
    if (!f || (!value && len))
        return RELEARN_ERR_INVALID_ARG;
    rl_buf_init(&whole);
    pthread_mutex_lock(&f->lock);
    f->st.messages++;
    rl_err e =
        rl_snapshot_asm_add(f->asm_, value, len, &complete, NULL, &whole, errstr, errstr_size);
    pthread_mutex_unlock(&f->lock);
    if (e != RL_OK) {
        rl_relearn_follower_refused(f);
    } else if (complete) {
        e = (rl_err)rl_relearn_follower_offer(f, whole.data, whole.len, swapped, errstr,
                                              errstr_size);
    }
    rl_buf_free(&whole);
    return (relearn_err)e;
}

relearn_model *relearn_follower_acquire_version(relearn_follower *f, uint64_t version)
{
    relearn_model *m = NULL;
    pthread_mutex_lock(&f->lock);
    for (uint32_t i = 0; i < f->n_kept && !m; i++)
        if (f->kept[i]->snap.version == version)
            m = relearn_model_ref(f->kept[i]);
    pthread_mutex_unlock(&f->lock);
    return m;
}

relearn_err relearn_follower_pin(relearn_follower *f, uint64_t version, char *errstr,
                                 size_t errstr_size)
{
    relearn_err e = RELEARN_ERR_NOT_FOUND;
    pthread_mutex_lock(&f->lock);
    for (uint32_t i = 0; i < f->n_kept; i++) {
        if (f->kept[i]->snap.version == version) {
            f->pinned = 1;
            f->pinned_version = version;
            serve_locked(f, f->kept[i]);
            e = RELEARN_OK;
            break;
        }
    }
    pthread_mutex_unlock(&f->lock);
    if (e != RELEARN_OK)
        rl_set_err(errstr, errstr_size, RL_ERR_NOT_FOUND,
                   "version %llu is not among the %u versions kept", (unsigned long long)version,
                   f->n_kept);
    return e;
}

relearn_err relearn_follower_rollback(relearn_follower *f, char *errstr, size_t errstr_size)
{
    uint64_t below = 0;
    pthread_mutex_lock(&f->lock);
    uint64_t served = f->st.served_version;
    for (uint32_t i = 0; i < f->n_kept; i++) {
        uint64_t v = f->kept[i]->snap.version;
        if (v < served && v > below)
            below = v;
    }
    pthread_mutex_unlock(&f->lock);
    if (!below)
        return (relearn_err)rl_set_err(errstr, errstr_size, RL_ERR_NOT_FOUND,
                                       "no kept version below the served %llu",
                                       (unsigned long long)served);
    return relearn_follower_pin(f, below, errstr, errstr_size);
}

void relearn_follower_unpin(relearn_follower *f)
{
    pthread_mutex_lock(&f->lock);
    f->pinned = 0;
    if (f->n_kept)
        serve_locked(f, f->kept[0]);
    pthread_mutex_unlock(&f->lock);
}

void relearn_follower_get_stats(relearn_follower *f, relearn_follower_stats *out)
{
    pthread_mutex_lock(&f->lock);
    *out = f->st;
    out->pinned = f->pinned;
    out->kept = f->n_kept;
    pthread_mutex_unlock(&f->lock);
}

size_t relearn_follower_versions(relearn_follower *f, uint64_t *out, size_t n)
{
    size_t k = 0;
    pthread_mutex_lock(&f->lock);
    for (uint32_t i = 0; i < f->n_kept && k < n; i++)
        out[k++] = f->kept[i]->snap.version;
    pthread_mutex_unlock(&f->lock);
    return k;
}
