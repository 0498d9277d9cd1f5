/* rl_param.c - the one parser of bounded parameters (see rl_param.h). */
#include "common/rl_param.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/rl_common.h"

static const char *const bool_yes[] = {"1", "true", "yes", "on"};
static const char *const bool_no[] = {"0", "false", "no", "off"};

static int in_bounds(const rl_param_spec *s, double v)
{
    int below = s->lo_open ? !(v > s->lo) : !(v >= s->lo);
    int above = s->hi_open ? !(v < s->hi) : !(v <= s->hi);
    return !below && !above;
}

static rl_param_fault parse_choice(const rl_param_spec *s, const char *text, rl_param_value *out)
{
    for (size_t i = 0; s->choices && s->choices[i]; i++) {
        if (strcmp(text, s->choices[i]) == 0) {
            out->i = (int64_t)i;
            out->real = (double)i;
            out->u = i;
            return RL_PARAM_OK;
        }
    }
    return RL_PARAM_NOT_CHOICE;
}

static rl_param_fault parse_bool(const char *text, rl_param_value *out)
{
    for (size_t i = 0; i < sizeof(bool_yes) / sizeof(bool_yes[0]); i++) {
        int v = strcasecmp(text, bool_yes[i]) == 0 ? 1 : strcasecmp(text, bool_no[i]) == 0 ? 0 : -1;
        if (v >= 0) {
            out->i = v;
            out->real = v;
            out->u = (uint64_t)v;
            return RL_PARAM_OK;
        }
    }
    return RL_PARAM_NOT_CHOICE;
}

static rl_param_fault parse_real(const rl_param_spec *s, const char *text, rl_param_value *out)
{
    char *end = NULL;
    errno = 0;
    double v = strtod(text, &end);
    /* ERANGE: too large or too small to hold, "1e999" included. */
    if (end == text || *end != '\0' || isnan(v) || errno == ERANGE)
        return RL_PARAM_NOT_NUMBER;
    if (isinf(v) && !((s->flags & RL_PARAM_INF_OK) && isinf(s->hi) && v > 0))
        return RL_PARAM_NOT_NUMBER;
    if (!in_bounds(s, v))
        return RL_PARAM_OUT_OF_RANGE;
    out->real = v;
    return RL_PARAM_OK;
}

/* Decimal digits with an optional '-' (no '+', no space, no exponent). A text strtod reads as
 * a number that is not whole says so, so "0.5" is told apart from "banana". */
static rl_param_fault parse_whole(const rl_param_spec *s, const char *text, rl_param_value *out)
{
    const char *p = text + (text[0] == '-');
    char *end = NULL;
    if (*p < '0' || *p > '9') {
        errno = 0;
        double v = strtod(text, &end);
        return end != text && *end == '\0' && isfinite(v) && v != floor(v) ? RL_PARAM_NOT_WHOLE
                                                                           : RL_PARAM_NOT_NUMBER;
    }
    errno = 0;
    if (s->kind == RL_PARAM_UINT) {
        if (text[0] == '-')
            return strspn(p, "0123456789") == strlen(p) ? RL_PARAM_OUT_OF_RANGE
                                                        : RL_PARAM_NOT_NUMBER;
        unsigned long long u = strtoull(text, &end, 10);
        if (*end == '.' || *end == 'e' || *end == 'E')
            goto fraction;
        if (*end != '\0')
            return RL_PARAM_NOT_NUMBER;
        /* (double)u rounds; below 2^64 the upper bound is also checked exactly. */
        if (errno == ERANGE || !in_bounds(s, (double)u) || (s->hi < 0x1p64 && u > (uint64_t)s->hi))
            return RL_PARAM_OUT_OF_RANGE;
        out->u = u;
        out->i = u > INT64_MAX ? INT64_MAX : (int64_t)u;
        out->real = (double)u;
        return RL_PARAM_OK;
    }
    long long v = strtoll(text, &end, 10);
    if (*end == '.' || *end == 'e' || *end == 'E')
        goto fraction;
    if (*end != '\0')
        return RL_PARAM_NOT_NUMBER;
    if (errno == ERANGE || !in_bounds(s, (double)v))
        return RL_PARAM_OUT_OF_RANGE;
    out->i = v;
    out->u = v < 0 ? 0 : (uint64_t)v;
    out->real = (double)v;
    return RL_PARAM_OK;
fraction:
    errno = 0;
    double d = strtod(text, &end);
    if (end == text || *end != '\0' || !isfinite(d))
        return RL_PARAM_NOT_NUMBER;
    return d == floor(d) ? RL_PARAM_NOT_NUMBER : RL_PARAM_NOT_WHOLE;
}

rl_param_fault rl_param_parse(const rl_param_spec *s, const char *text, rl_param_value *out)
{
    rl_param_value v = {0, 0, 0};
    rl_param_fault f;
    if (!text || !*text)
        return RL_PARAM_EMPTY;
    switch (s->kind) {
    case RL_PARAM_CHOICE:
        f = parse_choice(s, text, &v);
        break;
    case RL_PARAM_BOOL:
        f = parse_bool(text, &v);
        break;
    case RL_PARAM_REAL:
        f = parse_real(s, text, &v);
        break;
    default:
        f = parse_whole(s, text, &v);
        break;
    }
    if (f == RL_PARAM_OK)
        *out = v;
    return f;
}

const char *rl_param_describe(const rl_param_spec *s, char *out, size_t out_size)
{
    char lo[RL_FMT_DOUBLE_LEN], hi[RL_FMT_DOUBLE_LEN];
    size_t used = 0;
    if (out_size == 0)
        return out;
    out[0] = '\0';
    switch (s->kind) {
    case RL_PARAM_CHOICE:
        for (size_t i = 0; s->choices && s->choices[i]; i++) {
            int w =
                snprintf(out + used, out_size - used, "%s%s", i ? "|" : "one of ", s->choices[i]);
            if (w < 0 || (size_t)w >= out_size - used)
                break;
            used += (size_t)w;
        }
        break;
    case RL_PARAM_BOOL:
        snprintf(out, out_size, "0/1, true/false, yes/no, on/off");
        break;
    default:
        snprintf(out, out_size, "%s in %c%s, %s%c", s->kind == RL_PARAM_REAL ? "real" : "integer",
                 s->lo_open ? '(' : '[', rl_fmt_double(lo, sizeof(lo), s->lo),
                 rl_fmt_double(hi, sizeof(hi), s->hi), s->hi_open ? ')' : ']');
        break;
    }
    return out;
}

const char *rl_param_fault_str(rl_param_fault f)
{
    switch (f) {
    case RL_PARAM_OK:
        return "is fine";
    case RL_PARAM_EMPTY:
        return "is empty";
    case RL_PARAM_NOT_NUMBER:
        return "is not a finite number";
    case RL_PARAM_NOT_WHOLE:
        return "is not a whole number";
    case RL_PARAM_OUT_OF_RANGE:
        return "is out of range";
    case RL_PARAM_NOT_CHOICE:
        return "is not allowed";
    }
    return "is not valid";
}

const rl_param_spec *rl_param_find(const rl_param_spec *spec, size_t n, const char *key)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(spec[i].key, key) == 0)
            return &spec[i];
    return NULL;
}
