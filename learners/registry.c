/* registry.c - the list of learners, their hyperparameters as config keys, and the calls
 * through the ops table. Adding a learner: one new file with its ops table, one line below. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/rl_param.h"
#include "learners/interactions.h"
#include "learners/learner_impl.h"

static const struct rl_learner_ops *const all_learners[] = {
    &rl_learner_sgd_ops,
    &rl_learner_perceptron_ops,
    &rl_learner_avg_perceptron_ops,
    &rl_learner_ogd_ops,
    &rl_learner_ftrl_ops,
    &rl_learner_softmax_ops,
    NULL,
};

const struct rl_learner_ops *const *rl_learner_all(void)
{
    return all_learners;
}

const struct rl_learner_ops *rl_learner_find(const char *name)
{
    if (!name)
        return NULL;
    for (size_t i = 0; all_learners[i]; i++)
        if (strcmp(all_learners[i]->name, name) == 0)
            return all_learners[i];
    return NULL;
}

void rl_learner_params_default(rl_learner_params *p)
{
    memset(p, 0, sizeof(*p));
    snprintf(p->learner, sizeof(p->learner), "%s", "sgd");
    p->loss = RL_LOSS_LOGISTIC;
    p->schedule = RL_SCHED_NORMALIZED;
    p->bits = 18;
    p->dense_dim = 0;
    p->n_classes = 2;
    p->eta = 0.5;
    p->power_t = 0.5;
    p->t0 = 1;
    p->l1 = 0;
    p->l2 = 0;
    p->ftrl_alpha = 0.5; /* VW's and the FTRL paper's; measured best on the suite (BENCHMARKS.md) */
    p->ftrl_beta = 1;
    p->radius = 6;
    p->bias = 1;
}

static const char *const loss_names[] = {"logistic", "hinge", "squared", "poisson"};
static const char *const sched_names[] = {"normalized", "constant", "invscaling", "adagrad",
                                          "pegasos"};
static const char *const task_names[] = {"binary", "regression", "multiclass"};

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

const char *rl_loss_name(rl_loss l)
{
    return (unsigned)l < N_OF(loss_names) ? loss_names[l] : "unknown";
}

const char *rl_schedule_name(rl_schedule s)
{
    return (unsigned)s < N_OF(sched_names) ? sched_names[s] : "unknown";
}

const char *rl_task_name(rl_task t)
{
    return (unsigned)t < N_OF(task_names) ? task_names[t] : "unknown";
}

/* One table of (key, type, bounds) as redis does its config (common/rl_param.h); the setter
 * below walks it. */
struct pdesc {
    rl_param_spec spec;
    size_t off;
    const char *doc;
};

#define OFF(f) offsetof(rl_learner_params, f)
static const struct pdesc pdescs[] = {
    {{"bits", RL_PARAM_UINT, RL_BITS_MIN, RL_BITS_MAX, 0, 0, 0, NULL, 0},
     OFF(bits),
     "2^bits hashed weights"},
    {{"dense_dim", RL_PARAM_UINT, 0, 1 << 24, 0, 0, 0, NULL, 0},
     OFF(dense_dim),
     "size of the dense block"},
    {{"classes", RL_PARAM_UINT, 2, RL_CLASSES_MAX, 0, 0, 0, NULL, 0},
     OFF(n_classes),
     "softmax classes"},
    {{"eta", RL_PARAM_REAL, 0, 1e6, 1, 0, 0, NULL, 0}, OFF(eta), "base learning rate"},
    {{"power_t", RL_PARAM_REAL, 0, 10, 0, 0, 0, NULL, 0}, OFF(power_t), "invscaling exponent"},
    {{"t0", RL_PARAM_REAL, 0, 1e12, 0, 0, 0, NULL, 0}, OFF(t0), "invscaling offset"},
    {{"l1", RL_PARAM_REAL, 0, 1e6, 0, 0, 0, NULL, 0}, OFF(l1), "L1 strength"},
    {{"l2", RL_PARAM_REAL, 0, 1e6, 0, 0, 0, NULL, 0}, OFF(l2), "L2 strength"},
    {{"alpha", RL_PARAM_REAL, 0, 1e6, 1, 0, 0, NULL, 0}, OFF(ftrl_alpha), "FTRL alpha"},
    {{"beta", RL_PARAM_REAL, 0, 1e6, 0, 0, 0, NULL, 0}, OFF(ftrl_beta), "FTRL beta"},
    {{"radius", RL_PARAM_REAL, 0, 1e12, 1, 0, 0, NULL, 0}, OFF(radius), "ogd's L2 ball radius"},
    {{"bias", RL_PARAM_BOOL, 0, 1, 0, 0, 0, NULL, 0}, OFF(bias), "learn a bias term"},
};
#undef OFF

static rl_err set_enum(const char *key, const char *value, const char *const *names, size_t n,
                       int *out, char *errstr, size_t errstr_size)
{
    char allowed[160] = "";
    size_t used = 0;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(value, names[i]) == 0) {
            *out = (int)i;
            return RL_OK;
        }
        int k = snprintf(allowed + used, sizeof(allowed) - used, "%s%s", i ? ", " : "", names[i]);
        if (k > 0 && (size_t)k < sizeof(allowed) - used)
            used += (size_t)k;
    }
    return rl_set_err(errstr, errstr_size, RL_ERR_INVALID_ARG,
                      "%s: invalid value \"%s\" (allowed: %s)", key, value, allowed);
}

static rl_err set_learner(rl_learner_params *p, const char *value, char *errstr, size_t errstr_size)
{
    if (rl_learner_find(value)) {
        snprintf(p->learner, sizeof(p->learner), "%s", value);
        return RL_OK;
    }
    char allowed[160] = "";
    size_t used = 0;
    for (size_t i = 0; all_learners[i]; i++) {
        int k = snprintf(allowed + used, sizeof(allowed) - used, "%s%s", i ? ", " : "",
                         all_learners[i]->name);
        if (k > 0 && (size_t)k < sizeof(allowed) - used)
            used += (size_t)k;
    }
    return rl_set_err(errstr, errstr_size, RL_ERR_INVALID_ARG,
                      "learner: unknown learner \"%s\" (allowed: %s)", value, allowed);
}

static rl_err set_number(rl_learner_params *p, const struct pdesc *d, const char *value,
                         char *errstr, size_t errstr_size)
{
    char *base = (char *)p;
    const rl_param_spec *s = &d->spec;
    rl_param_value v;
    rl_param_fault f = rl_param_parse(s, value, &v);
    if (f == RL_PARAM_OK) {
        if (s->kind == RL_PARAM_BOOL)
            *(int *)(base + d->off) = (int)v.i;
        else if (s->kind == RL_PARAM_UINT)
            *(uint32_t *)(base + d->off) = (uint32_t)v.u;
        else
            *(double *)(base + d->off) = v.real;
        return RL_OK;
    }
    if (s->kind == RL_PARAM_BOOL)
        return rl_set_err(errstr, errstr_size, RL_ERR_INVALID_ARG,
                          "%s: invalid value \"%s\" (allowed: 0/1, true/false, yes/no, on/off)",
                          s->key, value);
    if (f == RL_PARAM_NOT_NUMBER || f == RL_PARAM_EMPTY)
        return rl_set_err(errstr, errstr_size, RL_ERR_INVALID_ARG,
                          "%s: invalid value \"%s\" (expected a finite %s number)", s->key, value,
                          s->kind == RL_PARAM_UINT ? "integer" : "decimal");
    if (s->kind == RL_PARAM_UINT)
        return rl_set_err(errstr, errstr_size, RL_ERR_INVALID_ARG,
                          "%s: invalid value \"%s\" (allowed: an integer in %.0f..%.0f, %s)",
                          s->key, value, s->lo, s->hi, d->doc);
    return rl_set_err(errstr, errstr_size, RL_ERR_INVALID_ARG,
                      "%s: invalid value \"%s\" (allowed: a number %s %g and <= %g, %s)", s->key,
                      value, s->lo_open ? ">" : ">=", s->lo, s->hi, d->doc);
}

/* The keys of rl_learner_params.set_keys, bit i for key_bits[i]. */
static const char *const key_bits[] = {"loss",  "schedule", "bits", "dense_dim", "classes",
                                       "eta",   "power_t",  "t0",   "l1",        "l2",
                                       "alpha", "beta",     "bias", "radius"};

static void mark_set(rl_learner_params *p, const char *key)
{
    for (size_t i = 0; i < N_OF(key_bits); i++)
        if (strcmp(key, key_bits[i]) == 0)
            p->set_keys |= 1u << i;
}

static rl_err set_key(rl_learner_params *p, const char *key, const char *value, char *errstr,
                      size_t errstr_size)
{
    if (strcmp(key, "loss") == 0) {
        int v;
        rl_err e = set_enum(key, value, loss_names, N_OF(loss_names), &v, errstr, errstr_size);
        if (e == RL_OK)
            p->loss = (rl_loss)v;
        return e;
    }
    if (strcmp(key, "schedule") == 0) {
        int v;
        rl_err e = set_enum(key, value, sched_names, N_OF(sched_names), &v, errstr, errstr_size);
        if (e == RL_OK)
            p->schedule = (rl_schedule)v;
        return e;
    }
    if (strcmp(key, "interactions") == 0)
        return rl_interactions_add(&p->interactions, value, errstr, errstr_size);
    for (size_t i = 0; i < N_OF(pdescs); i++)
        if (strcmp(key, pdescs[i].spec.key) == 0)
            return set_number(p, &pdescs[i], value, errstr, errstr_size);
    return rl_set_err(errstr, errstr_size, RL_ERR_NOT_FOUND,
                      "%s: unknown learner parameter (known: learner, loss, schedule, bits, "
                      "dense_dim, classes, eta, power_t, t0, l1, l2, alpha, beta, radius, bias, "
                      "interactions)",
                      key);
}

rl_err rl_learner_params_set(rl_learner_params *p, const char *key, const char *value, char *errstr,
                             size_t errstr_size)
{
    if (!p || !key || !value)
        return rl_set_err(errstr, errstr_size, RL_ERR_INVALID_ARG,
                          "learner parameter: NULL params, key or value");
    if (strcmp(key, "learner") == 0)
        return set_learner(p, value, errstr, errstr_size);
    rl_err e = set_key(p, key, value, errstr, errstr_size);
    if (e == RL_OK)
        mark_set(p, key);
    return e;
}

/* 1 when word is one of the space-separated words of list. */
static int has_word(const char *list, const char *word)
{
    size_t n = strlen(word);
    for (const char *s = list; (s = strstr(s, word)) != NULL; s += n)
        if ((s == list || s[-1] == ' ') && (s[n] == ' ' || s[n] == '\0'))
            return 1;
    return 0;
}

/* The learner's own list; bits and dense_dim are every learner's, and a key outside key_bits
 * (learner, interactions) is not a per-learner hyperparameter. */
static int takes(const struct rl_learner_ops *ops, const char *key)
{
    if (!ops || !ops->params || strcmp(key, "bits") == 0 || strcmp(key, "dense_dim") == 0)
        return 1;
    for (size_t i = 0; i < N_OF(key_bits); i++)
        if (strcmp(key_bits[i], key) == 0)
            return has_word(ops->params, key);
    return 1;
}

int rl_learner_takes(const char *learner, const char *key)
{
    return takes(rl_learner_find(learner), key);
}

/* A key given for this learner that it never reads: refused, so a setting that would do
 * nothing (eta for ftrl, whose rate is alpha; alpha for a perceptron) is not silently dropped. */
static rl_err check_keys(const struct rl_learner_ops *ops, const rl_learner_params *p, char *errstr,
                         size_t errstr_size)
{
    if (!ops->params)
        return RL_OK;
    for (size_t i = 0; i < N_OF(key_bits); i++) {
        const char *k = key_bits[i];
        if (!(p->set_keys & (1u << i)) || takes(ops, k))
            continue;
        char list[160];
        size_t o = 0;
        for (const char *c = ops->params; *c && o + 3 < sizeof(list); c++) {
            if (*c == ' ')
                list[o++] = ',';
            list[o++] = *c;
        }
        list[o] = '\0';
        return rl_set_err(errstr, errstr_size, RL_ERR_INVALID_ARG,
                          "%s: not a parameter of learner %s, which would ignore it (it takes: "
                          "bits, dense_dim, %s)",
                          k, ops->name, list);
    }
    return RL_OK;
}

size_t rl_learner_params_format(const rl_learner_params *p, char *out, size_t out_size)
{
    size_t used = 0;
    char line[128];
    for (int i = -3; i < (int)N_OF(pdescs); i++) {
        int k;
        if (i == -3) {
            k = snprintf(line, sizeof(line), "learner=%s\n", p->learner);
        } else if (i == -2) {
            k = snprintf(line, sizeof(line), "loss=%s\n", rl_loss_name(p->loss));
        } else if (i == -1) {
            k = snprintf(line, sizeof(line), "schedule=%s\n", rl_schedule_name(p->schedule));
        } else {
            const struct pdesc *d = &pdescs[i];
            const char *base = (const char *)p;
            const char *key = d->spec.key;
            if (d->spec.kind == RL_PARAM_UINT)
                k = snprintf(line, sizeof(line), "%s=%u\n", key,
                             *(const uint32_t *)(base + d->off));
            else if (d->spec.kind == RL_PARAM_BOOL)
                k = snprintf(line, sizeof(line), "%s=%d\n", key, *(const int *)(base + d->off));
            else {
                char num[RL_FMT_DOUBLE_LEN];
                k = snprintf(line, sizeof(line), "%s=%s\n", key,
                             rl_fmt_double(num, sizeof(num), *(const double *)(base + d->off)));
            }
        }
        if (k < 0)
            continue;
        /* Like snprintf: always NUL-terminated, returns what the whole text would need. */
        if (out && used + (size_t)k < out_size)
            memcpy(out + used, line, (size_t)k + 1);
        else if (out && out_size > 0 && used < out_size)
            out[used] = '\0';
        used += (size_t)k;
    }
    if (p->interactions.n) {
        char spec[RL_INTERACTIONS_MAX * 4 + 1];
        rl_interactions_format(&p->interactions, spec, sizeof(spec));
        int k = snprintf(line, sizeof(line), "interactions=%s\n", spec);
        if (k > 0 && out && used + (size_t)k < out_size)
            memcpy(out + used, line, (size_t)k + 1);
        else if (k > 0 && out && out_size > 0 && used < out_size)
            out[used] = '\0';
        used += k > 0 ? (size_t)k : 0;
    }
    if (out && out_size > 0 && used < out_size)
        out[used] = '\0';
    return used;
}

/* ---- shared checks and state header ---- */

rl_err rl_learner_params_check_common(const rl_learner_params *p, char *errstr, size_t errstr_size)
{
    if (p->bits < RL_BITS_MIN || p->bits > RL_BITS_MAX)
        return rl_set_err(errstr, errstr_size, RL_ERR_INVALID_ARG,
                          "bits: %u out of range (allowed %d..%d)", p->bits, RL_BITS_MIN,
                          RL_BITS_MAX);
    if (p->dense_dim > (1u << 24))
        return rl_set_err(errstr, errstr_size, RL_ERR_INVALID_ARG,
                          "dense_dim: %u out of range (allowed 0..%u)", p->dense_dim, 1u << 24);
    if (!(p->eta > 0) || !isfinite(p->eta))
        return rl_set_err(errstr, errstr_size, RL_ERR_INVALID_ARG,
                          "eta: %g invalid (must be a finite number > 0)", p->eta);
    if (!(p->l1 >= 0) || !isfinite(p->l1) || !(p->l2 >= 0) || !isfinite(p->l2))
        return rl_set_err(errstr, errstr_size, RL_ERR_INVALID_ARG,
                          "l1/l2: %g/%g invalid (must be finite and >= 0)", p->l1, p->l2);
    if (!(p->power_t >= 0) || !isfinite(p->power_t) || !(p->t0 >= 0) || !isfinite(p->t0))
        return rl_set_err(errstr, errstr_size, RL_ERR_INVALID_ARG,
                          "power_t/t0: %g/%g invalid (must be finite and >= 0)", p->power_t, p->t0);
    if ((unsigned)p->loss > RL_LOSS_POISSON)
        return rl_set_err(errstr, errstr_size, RL_ERR_INVALID_ARG, "loss: unknown value %d",
                          (int)p->loss);
    if ((unsigned)p->schedule > RL_SCHED_PEGASOS)
        return rl_set_err(errstr, errstr_size, RL_ERR_INVALID_ARG, "schedule: unknown value %d",
                          (int)p->schedule);
    if (p->bias != 0 && p->bias != 1)
        return rl_set_err(errstr, errstr_size, RL_ERR_INVALID_ARG, "bias: %d (allowed 0 or 1)",
                          p->bias);
    return RL_OK;
}

void rl_learner_state_put_header(rl_buf *b, const rl_learner *l, enum rl_learner_kind kind,
                                 uint32_t rows)
{
    rl_buf_put_u8(b, RL_LEARNER_STATE_VERSION);
    rl_buf_put_u8(b, (uint8_t)kind);
    rl_buf_put_u32(b, l->params.bits);
    rl_buf_put_u32(b, l->params.dense_dim);
    rl_buf_put_u32(b, rows);
    rl_buf_put_u8(b, (uint8_t)l->params.loss);
    rl_buf_put_u8(b, (uint8_t)l->params.schedule);
    rl_buf_put_u8(b, (uint8_t)l->params.bias);
    rl_buf_put_u64(b, l->updates);
}

static const char *kind_name(unsigned k)
{
    switch (k) {
    case RL_LEARNER_KIND_SGD:
        return "sgd";
    case RL_LEARNER_KIND_PERCEPTRON:
        return "perceptron";
    case RL_LEARNER_KIND_AVG_PERCEPTRON:
        return "avg_perceptron";
    case RL_LEARNER_KIND_OGD:
        return "ogd (the unprojected squared-loss ogd of earlier versions)";
    case RL_LEARNER_KIND_OGD_PROJECTED:
        return "ogd";
    case RL_LEARNER_KIND_FTRL:
        return "ftrl";
    case RL_LEARNER_KIND_SOFTMAX:
        return "softmax";
    default:
        return "unknown";
    }
}

rl_err rl_learner_state_open(rl_cursor *r, const void *p, size_t len, const rl_learner *l,
                             enum rl_learner_kind kind, uint32_t rows, size_t need,
                             uint64_t *updates, char *errstr, size_t errstr_size)
{
    rl_cursor_init(r, p, len);
    rl_err err = rl_learner_state_check_header(r, l, kind, rows, updates, errstr, errstr_size);
    if (err != RL_OK)
        return err;
    if (r->left != need)
        return rl_set_err(errstr, errstr_size, RL_ERR_FORMAT,
                          "%s state: %zu bytes after the header, expected %zu (truncated or "
                          "corrupt)",
                          l->ops->name, r->left, need);
    return RL_OK;
}

void rl_learner_base_init(rl_learner *b, const struct rl_learner_ops *ops,
                          const rl_learner_params *p, rl_task task)
{
    b->ops = ops;
    b->params = *p;
    b->task = task;
    b->lr_scale = 1.0;
}

void rl_learner_weights_view(rl_weights *out, const float *v, size_t n, uint32_t dense_dim)
{
    out->w = v;
    out->n_sparse = n;
    out->dense = dense_dim ? v + n : NULL;
    out->dense_dim = dense_dim;
    out->bias = v + n + dense_dim;
    out->n_rows = 1;
}

rl_err rl_learner_state_check_header(rl_cursor *r, const rl_learner *l, enum rl_learner_kind kind,
                                     uint32_t rows, uint64_t *updates, char *errstr,
                                     size_t errstr_size)
{
    uint8_t ver = rl_cursor_u8(r);
    uint8_t k = rl_cursor_u8(r);
    uint32_t bits = rl_cursor_u32(r);
    uint32_t dd = rl_cursor_u32(r);
    uint32_t nr = rl_cursor_u32(r);
    uint8_t loss = rl_cursor_u8(r);
    uint8_t sched = rl_cursor_u8(r);
    uint8_t bias = rl_cursor_u8(r);
    *updates = rl_cursor_u64(r);
    if (!rl_cursor_ok(r, 0))
        return rl_set_err(errstr, errstr_size, RL_ERR_FORMAT, "%s state: truncated header (%s)",
                          l->ops->name, "need 24 bytes");
    char what[64];
    snprintf(what, sizeof(what), "%s state", l->ops->name);
    rl_err e = rl_check_format_version(ver, RL_LEARNER_STATE_VERSION, RL_LEARNER_STATE_VERSION,
                                       what, errstr, errstr_size);
    if (e != RL_OK)
        return e;
    if (k != kind)
        return rl_set_err(errstr, errstr_size, RL_ERR_MISMATCH,
                          "state is from learner \"%s\", this learner is \"%s\"", kind_name(k),
                          l->ops->name);
    if (bits != l->params.bits || dd != l->params.dense_dim || nr != rows)
        return rl_set_err(errstr, errstr_size, RL_ERR_MISMATCH,
                          "%s state shape bits=%u dense_dim=%u rows=%u does not match this "
                          "learner's bits=%u dense_dim=%u rows=%u",
                          l->ops->name, bits, dd, nr, l->params.bits, l->params.dense_dim, rows);
    if (loss != (uint8_t)l->params.loss || sched != (uint8_t)l->params.schedule ||
        bias != (uint8_t)l->params.bias)
        return rl_set_err(errstr, errstr_size, RL_ERR_MISMATCH,
                          "%s state has loss=%s schedule=%s bias=%u, this learner has loss=%s "
                          "schedule=%s bias=%d",
                          l->ops->name, rl_loss_name((rl_loss)loss),
                          rl_schedule_name((rl_schedule)sched), bias, rl_loss_name(l->params.loss),
                          rl_schedule_name(l->params.schedule), l->params.bias);
    return RL_OK;
}

rl_err rl_learner_weights_check(const rl_learner *l, const rl_weights *w, uint32_t rows,
                                char *errstr, size_t errstr_size)
{
    if (!w || !w->w || !w->bias)
        return rl_set_err(errstr, errstr_size, RL_ERR_INVALID_ARG, "%s set_weights: NULL weights",
                          l->ops->name);
    if (w->n_sparse != ((uint64_t)1 << l->params.bits) || w->n_rows != rows ||
        w->dense_dim != l->params.dense_dim || (w->dense_dim > 0 && !w->dense))
        return rl_set_err(errstr, errstr_size, RL_ERR_MISMATCH,
                          "%s set_weights: shape n_sparse=%llu rows=%u dense_dim=%u does not "
                          "match this learner's n_sparse=%llu rows=%u dense_dim=%u",
                          l->ops->name, (unsigned long long)w->n_sparse, w->n_rows, w->dense_dim,
                          (unsigned long long)((uint64_t)1 << l->params.bits), rows,
                          l->params.dense_dim);
    return RL_OK;
}

/* ---- calls through the ops table ---- */

rl_err rl_learner_new(const rl_learner_params *p, rl_learner **out, char *errstr,
                      size_t errstr_size)
{
    if (!p || !out)
        return rl_set_err(errstr, errstr_size, RL_ERR_INVALID_ARG,
                          "rl_learner_new: NULL params or out");
    *out = NULL;
    char name[sizeof(p->learner) + 1];
    memcpy(name, p->learner, sizeof(p->learner));
    name[sizeof(p->learner)] = '\0';
    const struct rl_learner_ops *ops = rl_learner_find(name);
    if (!ops) {
        rl_learner_params tmp;
        rl_learner_params_default(&tmp);
        return set_learner(&tmp, name, errstr, errstr_size);
    }
    if (ops->version != RL_LEARNER_OPS_VERSION)
        return rl_set_err(errstr, errstr_size, RL_ERR_VERSION,
                          "learner %s: ops version %d, this build expects %d", ops->name,
                          ops->version, RL_LEARNER_OPS_VERSION);
    rl_err e = check_keys(ops, p, errstr, errstr_size);
    if (e != RL_OK)
        return e;
    /* which keys were given is the caller's story, checked now; the learner keeps its values */
    rl_learner_params q = *p;
    q.set_keys = 0;
    return ops->create(&q, out, errstr, errstr_size);
}

void rl_learner_destroy(rl_learner *l)
{
    if (l)
        l->ops->destroy(l);
}

void rl_learner_reset(rl_learner *l)
{
    l->ops->reset(l);
}

rl_err rl_learner_export(const rl_learner *l, rl_buf *out)
{
    return l->ops->export_state(l, out);
}

rl_err rl_learner_import(rl_learner *l, const void *p, size_t len, char *errstr, size_t errstr_size)
{
    if (!p && len > 0)
        return rl_set_err(errstr, errstr_size, RL_ERR_INVALID_ARG, "import: NULL state");
    return l->ops->import_state(l, p, len, errstr, errstr_size);
}

rl_err rl_learner_import_from(rl_learner *l, const rl_byte_stream *src, size_t len, char *errstr,
                              size_t errstr_size)
{
    if (l->ops->import_state_from)
        return l->ops->import_state_from(l, src, len, errstr, errstr_size);
    void *p = malloc(len ? len : 1);
    if (!p)
        return rl_set_err(errstr, errstr_size, RL_ERR_NOMEM, "%s state: cannot allocate %zu bytes",
                          l->ops->name, len);
    rl_err e = src->read(src->ctx, p, len, errstr, errstr_size);
    if (e == RL_OK)
        e = l->ops->import_state(l, p, len, errstr, errstr_size);
    free(p);
    return e;
}

void rl_learner_weights(const rl_learner *l, rl_weights *out)
{
    l->ops->weights(l, out);
}

void rl_learner_scoring(const rl_learner *l, rl_scoring *out)
{
    memset(out, 0, sizeof(*out));
    out->score_scale = 1.0;
    if (l->ops->scoring) {
        l->ops->scoring(l, out);
        return;
    }
    l->ops->weights(l, &out->w);
}

rl_err rl_learner_set_weights(rl_learner *l, const rl_weights *w, char *errstr, size_t errstr_size)
{
    return l->ops->set_weights(l, w, errstr, errstr_size);
}
