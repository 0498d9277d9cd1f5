/* reader_num.c - numbers and quoting for the text readers: decimal parsing that is exact (a
 * fast path equal to strtod's result, strtod otherwise) and refuses NaN, Inf and overflow, and
 * byte-safe quoting of tokens in error messages. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "input/reader_int.h"

/* ---- numbers ---- */

const double rl_pow10_exact[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                   1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                   1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* Clinger's fast path: a decimal with at most 19 significant digits whose mantissa is below
 * 2^53 and whose power of ten is within 10^±22 is m * 10^e or m / 10^e with both operands exact,
 * so one IEEE operation rounds it correctly - the same double strtod returns, several times
 * faster. Anything else (more digits, hex, inf/nan words, big exponents) goes to strtod. */
static int parse_fast(const char *p, const char *end, double *out)
{
    int neg = 0;
    if (p < end && (*p == '-' || *p == '+')) {
        neg = *p == '-';
        p++;
    }
    uint64_t m = 0;
    int digits = 0, frac = 0, any = 0;
    while (p < end && *p >= '0' && *p <= '9') {
        if (digits < 19) {
            m = m * 10 + (uint64_t)(*p - '0');
            if (m)
                digits++;
        } else {
            return 0;
        }
        any = 1;
        p++;
    }
    if (p < end && *p == '.') {
        p++;
        while (p < end && *p >= '0' && *p <= '9') {
            if (digits >= 19)
                return 0;
            m = m * 10 + (uint64_t)(*p - '0');
            if (m)
                digits++;
            frac++;
            any = 1;
            p++;
        }
    }
    if (!any)
        return 0;
    int e = 0;
    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;
        int eneg = 0;
        if (p < end && (*p == '-' || *p == '+')) {
            eneg = *p == '-';
            p++;
        }
        if (p >= end || *p < '0' || *p > '9')
            return 0;
        while (p < end && *p >= '0' && *p <= '9') {
            if (e > 1000)
                return 0;
            e = e * 10 + (*p - '0');
            p++;
        }
        if (eneg)
            e = -e;
    }
    if (p != end)
        return 0;
    if (m > (UINT64_C(1) << 53))
        return 0;
    e -= frac;
    double d = (double)m;
    if (e < 0) {
        if (e < -22)
            return 0;
        d /= rl_pow10_exact[-e];
    } else {
        if (e > 22)
            return 0;
        d *= rl_pow10_exact[e];
    }
    *out = neg ? -d : d;
    return 1;
}

const char *rl_parse_f64(const char *p, size_t len, double *out)
{
    if (len == 0)
        return "empty number";
    double d;
    if (parse_fast(p, p + len, &d)) {
        *out = d;
        return NULL;
    }
    /* strtod needs a terminated string; tokens are at most a line long, but copy only what a
     * number can reasonably be. */
    char tmp[128];
    if (len >= sizeof(tmp))
        return "not a number (too long)";
    memcpy(tmp, p, len);
    tmp[len] = '\0';
    if (rl_is_blank(tmp[0]))
        return "not a number";
    char *endp = NULL;
    errno = 0;
    d = strtod(tmp, &endp);
    if (endp != tmp + len || endp == tmp)
        return "not a number";
    if (isnan(d))
        return "NaN is not allowed";
    if (isinf(d))
        return errno == ERANGE ? "out of range" : "infinity is not allowed";
    *out = d;
    return NULL;
}

const char *rl_parse_f32(const char *p, size_t len, float *out)
{
    double d;
    const char *why = rl_parse_f64(p, len, &d);
    if (why)
        return why;
    float f = (float)d;
    if (isinf(f))
        return "out of float range";
    *out = f;
    return NULL;
}

const char *rl_check_feature_value(float v)
{
    return fabsf(v) <= RL_FEATURE_VALUE_MAX
               ? NULL
               : "beyond +-1e18, the largest feature value the learners take (they square it in "
                 "float)";
}

const char *rl_parse_u64(const char *p, size_t len, uint64_t *out)
{
    if (len == 0)
        return "empty integer";
    uint64_t v = 0;
    for (size_t i = 0; i < len; i++) {
        if (p[i] < '0' || p[i] > '9')
            return "not a non-negative integer";
        unsigned dgt = (unsigned)(p[i] - '0');
        /* 19 digits never overflow (10^19 - 1 < 2^64): the division only from the 20th on */
        if (i >= 19 && v > (UINT64_MAX - dgt) / 10)
            return "integer too large";
        v = v * 10 + dgt;
    }
    *out = v;
    return NULL;
}

const char *rl_quote(char *out, size_t out_size, const char *p, size_t len)
{
    size_t o = 0, i;
    for (i = 0; i < len && o + 5 < out_size && i < 40; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c >= 0x20 && c < 0x7f && c != '\\') {
            out[o++] = (char)c;
        } else {
            snprintf(out + o, out_size - o, "\\x%02x", c);
            o += 4;
        }
    }
    if (i < len && o + 4 < out_size) {
        memcpy(out + o, "...", 3);
        o += 3;
    }
    if (out_size)
        out[o < out_size ? o : out_size - 1] = '\0';
    return out;
}
