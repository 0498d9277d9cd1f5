/* model_config.c - the model's configuration: defaults, the [drift] keys, response names.
 * Values are parsed without the locale (strtod in the C locale; relearn never calls
 * setlocale). Range checks that need the whole config happen in rl_model_new(). */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/rl_param.h"
#include "learners/features.h"
#include "model/model_internal.h"

static const char *const response_names[] = {
    [RL_RESPONSE_ALERT] = "alert",
    [RL_RESPONSE_RESET] = "reset",
    [RL_RESPONSE_BOOST] = "boost",
    [RL_RESPONSE_CHALLENGER] = "challenger",
};
#define N_RESPONSES (sizeof(response_names) / sizeof(response_names[0]))

void rl_model_config_default(rl_model_config *c)
{
    memset(c, 0, sizeof(*c));
    rl_learner_params_default(&c->learner);
    c->hash_seed = RL_HASH_SEED_DEFAULT;
    c->response = RL_RESPONSE_ALERT;
    c->boost_factor = 5;
    c->boost_halflife = 2000;
    c->error_scale = 1;
    c->alert_min_gap = 1000;
    c->metrics_window = RL_METRICS_WINDOW_DEFAULT;
}

rl_err rl_response_parse(const char *s, rl_response *out)
{
    if (!s)
        return RL_ERR_INVALID_ARG;
    for (size_t i = 0; i < N_RESPONSES; i++) {
        if (strcmp(s, response_names[i]) == 0) {
            *out = (rl_response)i;
            return RL_OK;
        }
    }
    return RL_ERR_INVALID_ARG;
}

const char *rl_response_name(rl_response r)
{
    if ((unsigned)r >= N_RESPONSES)
        return "unknown";
    return response_names[r];
}

/* The [drift] keys that are numbers: a common/rl_param.h row and where the value goes (a
 * double for REAL, a uint64_t or uint32_t by size for UINT). */
static const struct number_key {
    rl_param_spec spec;
    size_t off, size;
} number_keys[] = {
#define AT(f) offsetof(rl_model_config, f), sizeof(((rl_model_config *)0)->f)
    {{"boost_factor", RL_PARAM_REAL, 1, 1e6, 0, 0, 0, NULL, 0}, AT(boost_factor)},
    {{"boost_halflife", RL_PARAM_REAL, 0, 1e12, 1, 0, 0, NULL, 0}, AT(boost_halflife)},
    {{"error_scale", RL_PARAM_REAL, 0, 1e300, 1, 0, 0, NULL, 0}, AT(error_scale)},
    {{"alert_min_gap", RL_PARAM_UINT, 0, 0x1p64, 0, 0, 0, NULL, 0}, AT(alert_min_gap)},
    {{"window", RL_PARAM_UINT, 1, RL_METRICS_WINDOW_MAX, 0, 0, 0, NULL, 0}, AT(metrics_window)},
#undef AT
};
#define N_NUMBER_KEYS (sizeof(number_keys) / sizeof(number_keys[0]))

static rl_err parse_number(const rl_param_spec *s, const char *value, rl_param_value *out,
                           char *errstr, size_t errstr_size)
{
    rl_param_fault f = rl_param_parse(s, value, out);
    if (f == RL_PARAM_OK)
        return RL_OK;
    if (s->kind == RL_PARAM_REAL) {
        if (f != RL_PARAM_OUT_OF_RANGE)
            return rl_set_err(errstr, errstr_size, RL_ERR_INVALID_ARG,
                              "drift: %s = \"%s\" is not a finite number", s->key, value);
        return rl_set_err(errstr, errstr_size, RL_ERR_INVALID_ARG,
                          "drift: %s = %s out of range %c%g, %g]", s->key, value,
                          s->lo_open ? '(' : '[', s->lo, s->hi);
    }
    if (f != RL_PARAM_OUT_OF_RANGE || value[0] == '-')
        return rl_set_err(errstr, errstr_size, RL_ERR_INVALID_ARG,
                          "drift: %s = \"%s\" is not a non-negative integer", s->key, value);
    return rl_set_err(
        errstr, errstr_size, RL_ERR_INVALID_ARG, "drift: %s = %s out of range [%llu, %llu]", s->key,
        value, (unsigned long long)s->lo, s->hi >= 0x1p64 ? UINT64_MAX : (unsigned long long)s->hi);
}

static rl_err copy_str(char *dst, size_t dst_size, const char *key, const char *value, char *errstr,
                       size_t errstr_size)
{
    size_t n = strlen(value);
    if (n >= dst_size)
        return rl_set_err(errstr, errstr_size, RL_ERR_INVALID_ARG,
                          "drift: %s = \"%.40s...\" is too long (at most %zu bytes)", key, value,
                          dst_size - 1);
    memcpy(dst, value, n + 1);
    return RL_OK;
}

static rl_err set_detector(rl_model_config *c, const char *value, char *errstr, size_t errstr_size)
{
    if (value[0] == '\0' || strcmp(value, "none") == 0) {
        c->detector[0] = '\0';
        return RL_OK;
    }
    if (!rl_detector_find(value)) {
        char names[256] = "";
        size_t used = 0;
        for (const struct rl_detector_ops *const *d = rl_detector_all(); *d; d++) {
            int k =
                snprintf(names + used, sizeof(names) - used, "%s%s", used ? ", " : "", (*d)->name);
            if (k < 0 || (size_t)k >= sizeof(names) - used)
                break;
            used += (size_t)k;
        }
        return rl_set_err(errstr, errstr_size, RL_ERR_INVALID_ARG,
                          "drift: detector = \"%s\" is unknown (known: %s, none)", value, names);
    }
    return copy_str(c->detector, sizeof(c->detector), "detector", value, errstr, errstr_size);
}

/* Any key the model does not know is a detector parameter; setting it twice replaces it. */
static rl_err set_detector_param(rl_model_config *c, const char *key, const char *value,
                                 char *errstr, size_t errstr_size)
{
    uint32_t i;
    for (i = 0; i < c->n_det_params; i++)
        if (strcmp(c->det_keys[i], key) == 0)
            break;
    if (i == RL_MODEL_MAX_DETECTOR_PARAMS)
        return rl_set_err(errstr, errstr_size, RL_ERR_INVALID_ARG,
                          "drift: %s: more than %d detector parameters", key,
                          RL_MODEL_MAX_DETECTOR_PARAMS);
    rl_err err = copy_str(c->det_keys[i], sizeof(c->det_keys[i]), "parameter name", key, errstr,
                          errstr_size);
    if (err == RL_OK)
        err = copy_str(c->det_values[i], sizeof(c->det_values[i]), key, value, errstr, errstr_size);
    if (err != RL_OK) {
        if (i == c->n_det_params)
            c->det_keys[i][0] = c->det_values[i][0] = '\0';
        return err;
    }
    if (i == c->n_det_params)
        c->n_det_params++;
    return RL_OK;
}

rl_err rl_model_config_set_drift(rl_model_config *c, const char *key, const char *value,
                                 char *errstr, size_t errstr_size)
{
    rl_err err;

    if (!key || !value || key[0] == '\0')
        return rl_set_err(errstr, errstr_size, RL_ERR_INVALID_ARG,
                          "drift: a key and a value are required");
    if (strcmp(key, "detector") == 0)
        return set_detector(c, value, errstr, errstr_size);
    if (strcmp(key, "response") == 0) {
        if (rl_response_parse(value, &c->response) != RL_OK)
            return rl_set_err(errstr, errstr_size, RL_ERR_INVALID_ARG,
                              "drift: response = \"%s\" is unknown (alert, reset, boost, "
                              "challenger)",
                              value);
        return RL_OK;
    }
    for (size_t i = 0; i < N_NUMBER_KEYS; i++) {
        const struct number_key *n = &number_keys[i];
        char *dst = (char *)c + n->off;
        rl_param_value v;
        if (strcmp(key, n->spec.key) != 0)
            continue;
        err = parse_number(&n->spec, value, &v, errstr, errstr_size);
        if (err != RL_OK)
            return err;
        if (n->spec.kind == RL_PARAM_REAL)
            memcpy(dst, &v.real, sizeof(v.real));
        else if (n->size == sizeof(uint64_t))
            memcpy(dst, &v.u, sizeof(v.u));
        else
            *(uint32_t *)dst = (uint32_t)v.u;
        return RL_OK;
    }
    if (strcmp(key, "watch_feature") == 0) {
        int is_index;
        uint64_t index;
        const char *name;
        size_t name_len;
        if (value[0] != '\0') {
            err = rl_model_watch_parse(value, &is_index, &index, &name, &name_len, errstr,
                                       errstr_size);
            if (err != RL_OK)
                return err;
        }
        return copy_str(c->watch_feature, sizeof(c->watch_feature), key, value, errstr,
                        errstr_size);
    }
    return set_detector_param(c, key, value, errstr, errstr_size);
}

rl_err rl_model_watch_parse(const char *w, int *is_index, uint64_t *index, const char **name,
                            size_t *name_len, char *errstr, size_t errstr_size)
{
    *is_index = 0;
    *index = 0;
    *name = w;
    *name_len = strlen(w);
    if (w[0] != '#') {
        if (*name_len == 0)
            return rl_set_err(errstr, errstr_size, RL_ERR_INVALID_ARG,
                              "drift: watch_feature is empty");
        return RL_OK;
    }
    if (w[1] == '#') { /* "##name": the name "#name" */
        *name = w + 1;
        *name_len -= 1;
        return RL_OK;
    }
    /* "#N": digits only, so "#-1", "#1e3", "# 7" and "#0x10" are refused, not read as names. */
    uint64_t v = 0;
    const char *p = w + 1;
    if (*p == '\0')
        return rl_set_err(errstr, errstr_size, RL_ERR_INVALID_ARG,
                          "drift: watch_feature = \"#\" has no index (\"#N\" watches the "
                          "feature with numeric index N; \"##name\" a name starting with '#')");
    for (; *p; p++) {
        if (*p < '0' || *p > '9')
            return rl_set_err(errstr, errstr_size, RL_ERR_INVALID_ARG,
                              "drift: watch_feature = \"%.40s\": after '#' only decimal digits "
                              "may follow (\"#N\" watches the feature with numeric index N; "
                              "write \"##name\" for a name starting with '#')",
                              w);
        uint64_t digit = (uint64_t)(*p - '0');
        if (v > (UINT64_MAX - digit) / 10)
            return rl_set_err(errstr, errstr_size, RL_ERR_INVALID_ARG,
                              "drift: watch_feature = \"%.40s\": index past 2^64-1", w);
        v = v * 10 + digit;
    }
    *is_index = 1;
    *index = v;
    return RL_OK;
}
