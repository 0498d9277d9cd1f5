/* params.c - parameter tables and state headers shared by the detectors (see params.h). */
#include "drift/params.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static rl_err parse_one(const char *detector, const rl_param_spec *s, const char *value,
                        double *out, char *errstr, size_t errstr_size)
{
    char range[160];
    rl_param_value v;
    rl_param_fault f = rl_param_parse(s, value, &v);
    if (f == RL_PARAM_OK) {
        *out = v.real;
        return RL_OK;
    }
    rl_param_describe(s, range, sizeof(range));
    if (f == RL_PARAM_EMPTY)
        return rl_set_err(errstr, errstr_size, RL_ERR_INVALID_ARG,
                          "%s: parameter %s has an empty value (allowed: %s)", detector, s->key,
                          range);
    return rl_set_err(errstr, errstr_size, RL_ERR_INVALID_ARG,
                      "%s: parameter %s=%s %s (allowed: %s)", detector, s->key, value,
                      rl_param_fault_str(f), range);
}

rl_err rl_drift_params_parse(const char *detector, const rl_param_spec *spec, size_t n_spec,
                             const rl_kv *kv, size_t n_kv, double *out, char *errstr,
                             size_t errstr_size)
{
    for (size_t i = 0; i < n_spec; i++)
        out[i] = spec[i].def;
    if (n_kv > 0 && !kv)
        return rl_set_err(errstr, errstr_size, RL_ERR_INVALID_ARG,
                          "%s: %zu parameters announced but none given", detector, n_kv);
    for (size_t k = 0; k < n_kv; k++) {
        const char *key = kv[k].key;
        if (!key || !*key)
            return rl_set_err(errstr, errstr_size, RL_ERR_INVALID_ARG,
                              "%s: parameter %zu has an empty key", detector, k + 1);
        size_t i = 0;
        while (i < n_spec && strcmp(spec[i].key, key) != 0)
            i++;
        if (i == n_spec) {
            char known[256];
            size_t used = 0;
            known[0] = '\0';
            for (size_t j = 0; j < n_spec; j++) {
                int w = snprintf(known + used, sizeof(known) - used, "%s%s", j ? ", " : "",
                                 spec[j].key);
                if (w < 0 || (size_t)w >= sizeof(known) - used)
                    break;
                used += (size_t)w;
            }
            return rl_set_err(errstr, errstr_size, RL_ERR_INVALID_ARG,
                              "%s: unknown parameter '%s' (known: %s)", detector, key, known);
        }
        for (size_t j = 0; j < k; j++) {
            if (kv[j].key && strcmp(kv[j].key, key) == 0)
                return rl_set_err(errstr, errstr_size, RL_ERR_INVALID_ARG,
                                  "%s: parameter %s given twice", detector, key);
        }
        rl_err e = parse_one(detector, &spec[i], kv[k].value, &out[i], errstr, errstr_size);
        if (e != RL_OK)
            return e;
    }
    return RL_OK;
}

size_t rl_drift_params_format(const rl_param_spec *spec, size_t n_spec, const double *vals,
                              char *out, size_t out_size)
{
    size_t used = 0;
    if (out && out_size > 0)
        out[0] = '\0';
    for (size_t i = 0; i < n_spec; i++) {
        char *dst = NULL;
        size_t room = 0;
        if (out && used < out_size) {
            dst = out + used;
            room = out_size - used;
        }
        int w;
        const char *sep = i ? " " : "";
        if (spec[i].kind == RL_PARAM_CHOICE)
            w = snprintf(dst, room, "%s%s=%s", sep, spec[i].key, spec[i].choices[(size_t)vals[i]]);
        else if (spec[i].kind == RL_PARAM_INT)
            w = snprintf(dst, room, "%s%s=%.0f", sep, spec[i].key, vals[i]);
        else {
            char num[RL_FMT_DOUBLE_LEN];
            w = snprintf(dst, room, "%s%s=%s", sep, spec[i].key,
                         rl_fmt_double(num, sizeof(num), vals[i]));
        }
        if (w < 0)
            break;
        used += (size_t)w;
    }
    return used;
}

int rl_drift_same_f64(double a, double b)
{
    return memcmp(&a, &b, sizeof(a)) == 0;
}

void rl_drift_state_put_header(rl_buf *b, uint32_t magic, const double *vals, size_t n)
{
    rl_buf_put_u32(b, magic);
    rl_buf_put_u32(b, RL_DRIFT_STATE_VERSION);
    rl_buf_put_u32(b, (uint32_t)n);
    rl_buf_put_f64s(b, vals, n);
}

rl_err rl_drift_state_check_header(rl_cursor *r, const char *detector, uint32_t magic,
                                   const rl_param_spec *spec, const double *vals, size_t n,
                                   char *errstr, size_t errstr_size)
{
    uint32_t version;
    return rl_drift_state_check_header_v(r, detector, magic, spec, vals, n, n, &version, errstr,
                                         errstr_size);
}

rl_err rl_drift_state_check_header_v(rl_cursor *r, const char *detector, uint32_t magic,
                                     const rl_param_spec *spec, const double *vals, size_t n,
                                     size_t n_v1, uint32_t *version_out, char *errstr,
                                     size_t errstr_size)
{
    uint32_t m = rl_cursor_u32(r);
    uint32_t version = rl_cursor_u32(r);
    uint32_t count = rl_cursor_u32(r);
    if (!rl_cursor_ok(r, 0))
        return rl_set_err(errstr, errstr_size, RL_ERR_FORMAT, "%s: state truncated in header",
                          detector);
    if (m != magic)
        return rl_set_err(errstr, errstr_size, RL_ERR_MISMATCH,
                          "%s: state was written by another detector (magic 0x%08x)", detector,
                          (unsigned)m);
    char what[96];
    snprintf(what, sizeof(what), "%s: state", detector);
    rl_err e =
        rl_check_format_version(version, 1, RL_DRIFT_STATE_VERSION, what, errstr, errstr_size);
    if (e != RL_OK)
        return e;
    size_t want = version == 1 ? n_v1 : n;
    if (count != want)
        return rl_set_err(errstr, errstr_size, RL_ERR_MISMATCH,
                          "%s: state (format %u) has %u parameters, this detector reads %zu "
                          "from that format",
                          detector, (unsigned)version, (unsigned)count, want);
    for (size_t i = 0; i < want; i++) {
        double v = rl_cursor_f64(r);
        if (!rl_cursor_ok(r, 0))
            return rl_set_err(errstr, errstr_size, RL_ERR_FORMAT,
                              "%s: state truncated in parameters", detector);
        if (!rl_drift_same_f64(v, vals[i]))
            return rl_set_err(errstr, errstr_size, RL_ERR_MISMATCH,
                              "%s: state was made with %s=%.17g, this detector has %s=%.17g",
                              detector, spec[i].key, v, spec[i].key, vals[i]);
    }
    *version_out = version;
    return RL_OK;
}
