/* ckpt_pb.c - what the checkpoint and snapshot messages both carry: rl_learner_params +
 * hashing <-> LearnerConfig, rl_dict <-> FeatureDict, strings and the creation time. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "storage/ckpt_internal.h"
#include "learners/interactions.h"

int64_t rl_fmt_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

char *rl_fmt_strdup(const char *s)
{
    if (!s)
        s = "";
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

rl_err rl_fmt_check_message_version(int has, uint32_t got, uint32_t current, const char *what,
                                    char *errstr, size_t errstr_size)
{
    if (!has)
        return rl_set_err(errstr, errstr_size, RL_ERR_FORMAT, "%s format_version missing", what);
    return rl_check_format_version(got, 1, current, what, errstr, errstr_size);
}

/* ---- config and dictionary conversions ---- */
void rl_fmt_learner_to_pb(const rl_learner_params *p, uint64_t hash_seed,
                          Relearn__LearnerConfig *out, char *ix_buf)
{
    relearn__learner_config__init(out);
    out->learner = (char *)p->learner;
    out->loss = (char *)rl_loss_name(p->loss);
    out->schedule = (char *)rl_schedule_name(p->schedule);
#define SET(f, v)                                                                                  \
    do {                                                                                           \
        out->has_##f = 1;                                                                          \
        out->f = (v);                                                                              \
    } while (0)
    SET(bits, p->bits);
    SET(dense_dim, p->dense_dim);
    SET(n_classes, p->n_classes);
    SET(eta, p->eta);
    SET(power_t, p->power_t);
    SET(t0, p->t0);
    SET(l1, p->l1);
    SET(l2, p->l2);
    SET(ftrl_alpha, p->ftrl_alpha);
    SET(ftrl_beta, p->ftrl_beta);
    SET(radius, p->radius);
    SET(bias, p->bias != 0);
    SET(hash_seed, hash_seed);
#undef SET
    /* Written only when there are terms: an older reader then refuses nothing it could score
     * right, and a model without interactions encodes as before. */
    if (p->interactions.n) {
        rl_interactions_format(&p->interactions, ix_buf, RL_FMT_IX_LEN);
        out->interactions = ix_buf;
    }
}

rl_err rl_fmt_learner_from_pb(const Relearn__LearnerConfig *in, rl_learner_params *p,
                              uint64_t *hash_seed, char *errstr, size_t errstr_size)
{
    char sub[160];
    rl_learner_params_default(p);
    if (!in)
        return rl_set_err(errstr, errstr_size, RL_ERR_FORMAT, "learner config missing");
    if (!in->learner || !in->learner[0] || strlen(in->learner) >= sizeof(p->learner))
        return rl_set_err(errstr, errstr_size, RL_ERR_FORMAT,
                          "learner name missing or longer than %zu bytes", sizeof(p->learner) - 1);
    memcpy(p->learner, in->learner, strlen(in->learner) + 1);
    /* Enums go through the same parser as config keys, so a stored name that no learner
     * knows is an error, not a silent default. */
    if (in->loss && rl_learner_params_set(p, "loss", in->loss, sub, sizeof(sub)) != RL_OK)
        return rl_set_err(errstr, errstr_size, RL_ERR_FORMAT, "learner config: %s", sub);
    if (in->schedule &&
        rl_learner_params_set(p, "schedule", in->schedule, sub, sizeof(sub)) != RL_OK)
        return rl_set_err(errstr, errstr_size, RL_ERR_FORMAT, "learner config: %s", sub);
    if (!in->has_bits || in->bits < RL_BITS_MIN || in->bits > RL_BITS_MAX)
        return rl_set_err(errstr, errstr_size, RL_ERR_FORMAT,
                          "learner config: bits missing or outside %d..%d", RL_BITS_MIN,
                          RL_BITS_MAX);
    p->bits = in->bits;
    if (in->has_dense_dim)
        p->dense_dim = in->dense_dim;
    if (in->has_n_classes)
        p->n_classes = in->n_classes;
    if (in->has_eta)
        p->eta = in->eta;
    if (in->has_power_t)
        p->power_t = in->power_t;
    if (in->has_t0)
        p->t0 = in->t0;
    if (in->has_l1)
        p->l1 = in->l1;
    if (in->has_l2)
        p->l2 = in->l2;
    if (in->has_ftrl_alpha)
        p->ftrl_alpha = in->ftrl_alpha;
    if (in->has_ftrl_beta)
        p->ftrl_beta = in->ftrl_beta;
    if (in->has_radius)
        p->radius = in->radius;
    if (in->has_bias)
        p->bias = in->bias ? 1 : 0;
    if (in->interactions && in->interactions[0] &&
        rl_interactions_add(&p->interactions, in->interactions, sub, sizeof(sub)) != RL_OK)
        return rl_set_err(errstr, errstr_size, RL_ERR_FORMAT, "learner config: %s", sub);
    p->set_keys = 0; /* a stored config is complete, not a choice of keys to check */
    *hash_seed = in->has_hash_seed ? in->hash_seed : 0;
    return RL_OK;
}

rl_err rl_fmt_dict_to_pb(const rl_dict *d, rl_fmt_dict_pb *out, char *errstr, size_t errstr_size)
{
    uint32_t n = rl_dict_size(d);
    memset(out, 0, sizeof(*out));
    relearn__feature_dict__init(&out->msg);
    out->ents = calloc(n ? n : 1, sizeof(*out->ents));
    out->ptrs = calloc(n ? n : 1, sizeof(*out->ptrs));
    if (!out->ents || !out->ptrs) {
        rl_fmt_dict_pb_free(out);
        return rl_set_err(errstr, errstr_size, RL_ERR_NOMEM, "dictionary: out of memory");
    }
    for (uint32_t i = 0; i < n; i++) {
        rl_dict_entry e;
        rl_dict_get(d, i, &e);
        Relearn__DictEntry *m = &out->ents[i];
        relearn__dict_entry__init(m);
        m->has_slot = 1;
        m->slot = e.slot;
        m->has_name = 1;
        m->name.data = (uint8_t *)e.name;
        m->name.len = e.name_len;
        m->has_count = 1;
        m->count = e.count;
        m->has_error = 1;
        m->error = e.error;
        if (e.collided) {
            m->has_collided = 1;
            m->collided = 1;
        }
        if (e.truncated) {
            m->has_truncated = 1;
            m->truncated = 1;
        }
        out->ptrs[i] = m;
    }
    out->msg.has_capacity = 1;
    out->msg.capacity = rl_dict_capacity(d);
    out->msg.has_total = 1;
    out->msg.total = rl_dict_total(d);
    out->msg.n_entries = n;
    out->msg.entries = out->ptrs;
    return RL_OK;
}

void rl_fmt_dict_pb_free(rl_fmt_dict_pb *pb)
{
    free(pb->ents);
    free(pb->ptrs);
    pb->ents = NULL;
    pb->ptrs = NULL;
}

rl_err rl_fmt_dict_from_pb(const Relearn__FeatureDict *in, rl_dict **out, char *errstr,
                           size_t errstr_size)
{
    rl_dict *d = NULL;
    rl_dict_entry *ents = NULL;
    char sub[160];
    rl_err e;
    *out = NULL;
    uint32_t cap = in->has_capacity ? in->capacity : RL_DICT_CAPACITY_DEFAULT;
    if (cap == 0 || cap > RL_DICT_CAPACITY_MAX || in->n_entries > cap) {
        return rl_set_err(errstr, errstr_size, RL_ERR_FORMAT,
                          "dictionary: capacity %u with %zu entries is invalid (max %u)", cap,
                          in->n_entries, RL_DICT_CAPACITY_MAX);
    }
    e = rl_dict_new(cap, &d, sub, sizeof(sub));
    if (e != RL_OK) {
        rl_set_err(errstr, errstr_size, e, "dictionary: %s", sub);
        goto fail;
    }
    ents = calloc(in->n_entries ? in->n_entries : 1, sizeof(*ents));
    if (!ents) {
        e = rl_set_err(errstr, errstr_size, RL_ERR_NOMEM, "dictionary: out of memory");
        goto fail;
    }
    for (size_t i = 0; i < in->n_entries; i++) {
        const Relearn__DictEntry *m = in->entries[i];
        if (!m->has_slot || !m->has_count) {
            e = rl_set_err(errstr, errstr_size, RL_ERR_FORMAT,
                           "dictionary entry %zu: slot or count missing", i);
            goto fail;
        }
        if (m->has_name && m->name.len >= RL_DICT_NAME_MAX) {
            e = rl_set_err(errstr, errstr_size, RL_ERR_FORMAT,
                           "dictionary entry %zu: name of %zu bytes (max %d)", i, m->name.len,
                           RL_DICT_NAME_MAX - 1);
            goto fail;
        }
        if (m->has_error && m->error > m->count) {
            e = rl_set_err(errstr, errstr_size, RL_ERR_FORMAT,
                           "dictionary entry %zu: error above count", i);
            goto fail;
        }
        ents[i].slot = m->slot;
        ents[i].count = m->count;
        ents[i].error = m->has_error ? m->error : 0;
        ents[i].name = m->has_name ? (const char *)m->name.data : NULL;
        ents[i].name_len = m->has_name ? (uint32_t)m->name.len : 0;
        ents[i].collided = m->has_collided && m->collided;
        ents[i].truncated = m->has_truncated && m->truncated;
    }
    e = rl_dict_set(d, ents, (uint32_t)in->n_entries, in->has_total ? in->total : 0, sub,
                    sizeof(sub));
    if (e != RL_OK) {
        e = rl_set_err(errstr, errstr_size, RL_ERR_FORMAT, "%s", sub);
        goto fail;
    }
    free(ents);
    *out = d;
    return RL_OK;
fail:
    free(ents);
    rl_dict_destroy(d);
    return e;
}
