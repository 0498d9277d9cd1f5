/* adwin.c - ADWIN, adaptive windowing (Bifet & Gavalda 2007), with the exponential histogram of
 * MOA/River.
 *
 * Input: a value in [0, 1] (a 0/1 mistake, or a clipped/normalized error): the cut bound's
 * range term assumes values in [0, 1], so anything outside, or NaN, is refused.
 *
 * ADWIN keeps a window of recent values and drops its older part whenever the means of an old
 * and a new sub-window differ by more than
 *     eps = sqrt(2 m v dd) + 2/3 m dd,   dd = ln(2 ln(W) / delta),
 *     m = 1/(n0 - min_window + 1) + 1/(n1 - min_window + 1), v = variance of the window.
 * The window is never stored value by value. It is an exponential histogram: row i holds
 * buckets that each summarize 2^i values (sum and variance); when a row gets max_buckets + 1
 * buckets its two oldest merge into one bucket of row i + 1. So memory is O(max_buckets log W)
 * and a check walks O(log W) buckets. Every `clock` values (32) - once the window exceeds `grace`
 * values - we walk every bucket of every row from the oldest, testing the split at each bucket
 * boundary. The check interval adds up to clock - 1 values of delay to every detection.
 *
 * On a cut the window shrinks: that is ADWIN's restart after a drift (the part before the change
 * goes, the part after it stays). MOA and River drop one bucket and test again until no split
 * cuts; that stops as soon as the leftover old values are too few to be significant, and they
 * become significant again a clock or two later - three alarms for one abrupt change on the
 * reference stream (docs/DESIGN.md). We drop everything older than the newest cutting split
 * instead, then test again until nothing cuts. Any cutting split is a valid ADWIN cut, so detection
 * times are the same as MOA/River's (1023 on the notes' stream); only the leftover window is
 * smaller, and one abrupt change raises one alarm. One update returns DRIFT at most once.
 *
 * ADWIN sees change in both directions (direction=both, the literature's default). On an error
 * stream a fall of the error - a learner still converging - is a change too, and counts as a
 * drift; direction=up reports only cuts where the newer part's mean is higher (direction=down
 * the opposite). A cut in the other direction still shrinks the window, silently.
 *
 * Storage is fixed at create: ADWIN_MAX_ROWS rows of up to max_buckets + 1 buckets, so update
 * never allocates. 48 rows hold at least 5 * (2^48 - 1), about 1.4e15 values at the default
 * max_buckets (45 years at a million values a second); should a window ever outgrow that, its
 * oldest bucket is dropped, i.e. the window is capped there.
 *
 * Warning level. ADWIN itself has none; Adaptive Random Forest (Gomes et al. 2017) and MOA pair
 * the drift ADWIN with a second, more sensitive ADWIN as the warning detector (there delta 0.001
 * for drift and 0.01 for warning). We do the same inside one detector, so every caller of the
 * detector interface gets it: with warning_delta > 0 (default 0.01, ARF's; 0 turns it off; it
 * must exceed delta) a second window - same clock, bucket and direction parameters, its own
 * delta - sees every value. It is checked half a clock out of phase with the drift window (at
 * the same cost): checked on the same values, the two cut together whenever the change becomes
 * clear to both within one clock, and a warning reported with its drift gives a challenger no
 * head start (on Bernoulli 0.2 -> 0.6, the warning came first in 8 of 30 seeds in phase, 24 of 30
 * out of phase; checking it 4 times as often gave 28 of 30 at 2-3 times the cost per value).
 * A cut of the warning window in a watched direction is an event, but the interface reports a
 * level (a warning lasts until the stream is stable again; the model's challenger runs while it
 * lasts), so the detector holds WARNING from that cut until the drift window cuts (DRIFT) or
 * for H more values, whichever comes first, H = the warning window's width after its cut, at
 * least `clock`; another warning cut meanwhile restarts the hold. Why
 * that H: after a cut the warning window holds the values since the estimated change (n1). A
 * real change of the size it saw is confirmed by the drift window once it has about
 * ln(2 ln W / delta) / ln(2 ln W / warning_delta) times n1 values after the change (about 1.2 at
 * the defaults for W from 10^2 to 10^6: the cut bound grows with sqrt(dd / n1)), so a hold of
 * n1 more values (2 n1 in all), and at least one more check, leaves room for the confirmation;
 * a warning the drift window does not confirm by then was noise, and it ends. At a drift the
 * warning ends, and the warning window is made a copy of the drift window if it is the longer
 * of the two, so it keeps no values the drift window has just declared to be the old concept
 * (else it would cut on them again and warn about a change already reported).
 *
 * State format 2 (params.h) adds warning_delta to the parameters and, when it is > 0, the
 * warning window and the hold after the drift window. A format 1 state (written before the
 * warning level existed) still loads: its window becomes the drift window and, if warning_delta
 * > 0, the warning window starts as a copy of it with no warning held - the values both windows
 * had seen; from there the warning window may cut sooner than one that had run all along. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "drift/params.h"

#define ADWIN_MAX_ROWS    48
#define ADWIN_MAX_BUCKETS 16

/* P_WARNING_DELTA came with state format 2: format 1 states carry the first P_V1_COUNT. */
enum {
    P_DELTA,
    P_CLOCK,
    P_MAX_BUCKETS,
    P_MIN_WINDOW,
    P_GRACE,
    P_DIRECTION,
    P_WARNING_DELTA,
    P__COUNT
};
#define P_V1_COUNT P_WARNING_DELTA
enum { DIR_BOTH = 0, DIR_UP, DIR_DOWN };

static const char *const directions[] = {"both", "up", "down", NULL};

static const rl_param_spec adwin_spec[P__COUNT] = {
    [P_DELTA] = {"delta", RL_PARAM_REAL, 0, 1, 1, 1, 0.002, NULL},
    [P_CLOCK] = {"clock", RL_PARAM_INT, 1, 1048576, 0, 0, 32, NULL},
    [P_MAX_BUCKETS] = {"max_buckets", RL_PARAM_INT, 2, ADWIN_MAX_BUCKETS, 0, 0, 5, NULL},
    [P_MIN_WINDOW] = {"min_window", RL_PARAM_INT, 1, 1e6, 0, 0, 5, NULL},
    [P_GRACE] = {"grace", RL_PARAM_INT, 0, 1e9, 0, 0, 10, NULL},
    [P_DIRECTION] = {"direction", RL_PARAM_CHOICE, 0, 0, 0, 0, DIR_BOTH, directions},
    [P_WARNING_DELTA] = {"warning_delta", RL_PARAM_REAL, 0, 1, 0, 1, 0.01, NULL},
};

#define ADWIN_MAGIC 0x4e574441u /* "ADWN" */

typedef struct bucket {
    double total;
    double var; /* sum of squared deviations from the bucket's mean */
} bucket;

/* One adaptive window (the drift window, or the warning window). */
typedef struct window {
    uint64_t tick;  /* values since create/reset: the clock */
    uint64_t width; /* values in the window */
    double total;   /* their sum */
    double var;     /* their sum of squared deviations from the mean */
    uint32_t n_rows;
    uint32_t count[ADWIN_MAX_ROWS];
    bucket rows[ADWIN_MAX_ROWS][ADWIN_MAX_BUCKETS + 1]; /* [i][0] is the oldest of row i */
} window;

/* The part of the detector that changes: copied whole by import so a bad blob changes nothing. */
typedef struct adwin_state {
    window drift;
    window warn;        /* used only when warning_delta > 0 */
    uint64_t warn_left; /* values still reported as WARNING after this one; 0: not warning */
} adwin_state;

typedef struct adwin {
    rl_det_base base;
    double pv[P__COUNT];
    uint32_t max_buckets, min_window;
    uint64_t clock, grace;
    int direction;
    int warning; /* warning_delta > 0 */
    adwin_state s;
} adwin;

static rl_err adwin_create(const rl_kv *params, size_t n_params, rl_detector **out, char *errstr,
                           size_t errstr_size)
{
    double pv[P__COUNT];
    rl_err e = rl_drift_params_parse("adwin", adwin_spec, P__COUNT, params, n_params, pv, errstr,
                                     errstr_size);
    if (e != RL_OK)
        return e;
    if (pv[P_WARNING_DELTA] != 0 && !(pv[P_WARNING_DELTA] > pv[P_DELTA])) {
        char w[RL_FMT_DOUBLE_LEN], dl[RL_FMT_DOUBLE_LEN];
        return rl_set_err(errstr, errstr_size, RL_ERR_INVALID_ARG,
                          "adwin: parameter warning_delta=%s must be larger than delta=%s (the "
                          "warning window must cut more readily than the drift window), or 0 for "
                          "no warning level",
                          rl_fmt_double(w, sizeof(w), pv[P_WARNING_DELTA]),
                          rl_fmt_double(dl, sizeof(dl), pv[P_DELTA]));
    }
    adwin *d = calloc(1, sizeof(*d));
    if (!d)
        return rl_set_err(errstr, errstr_size, RL_ERR_NOMEM, "adwin: out of memory");
    d->base.pub.ops = &rl_drift_adwin_ops;
    for (int i = 0; i < P__COUNT; i++)
        d->pv[i] = pv[i];
    d->clock = (uint64_t)pv[P_CLOCK];
    d->max_buckets = (uint32_t)pv[P_MAX_BUCKETS];
    d->min_window = (uint32_t)pv[P_MIN_WINDOW];
    d->grace = (uint64_t)pv[P_GRACE];
    d->direction = (int)pv[P_DIRECTION];
    d->warning = pv[P_WARNING_DELTA] > 0;
    *out = &d->base.pub;
    return RL_OK;
}

/* Values per bucket of row i (i < ADWIN_MAX_ROWS < 64): 2^i exactly, without ldexp's call (a
 * tenth of the per-value time went to it). */
static double pow2(uint32_t i)
{
    return (double)((uint64_t)1 << i);
}

static void row_pop_oldest(window *s, uint32_t row, uint32_t k)
{
    memmove(&s->rows[row][0], &s->rows[row][k], (s->count[row] - k) * sizeof(bucket));
    s->count[row] -= k;
}

/* Removes `b`, a bucket of `n` values that was the oldest part of the window. */
static void forget(window *s, bucket b, double n)
{
    s->width -= (uint64_t)n;
    s->total -= b.total;
    if (s->width == 0) {
        s->total = 0;
        s->var = 0;
        return;
    }
    double w = (double)s->width;
    double diff = b.total / n - s->total / w;
    s->var -= b.var + n * w * diff * diff / (n + w);
    if (s->var < 0)
        s->var = 0; /* rounding only: a variance is never negative */
}

/* Drops the oldest bucket: the last row's first. */
static void drop_oldest(window *s)
{
    uint32_t r = s->n_rows - 1;
    bucket b = s->rows[r][0];
    row_pop_oldest(s, r, 1);
    if (s->count[r] == 0)
        s->n_rows--;
    forget(s, b, pow2(r));
}

static void insert(const adwin *d, window *s, double x)
{
    s->width++;
    if (s->width > 1) {
        double w = (double)s->width;
        double diff = x - s->total / (w - 1);
        s->var += (w - 1) * diff * diff / w;
    }
    s->total += x;
    if (s->n_rows == 0)
        s->n_rows = 1;
    s->rows[0][s->count[0]++] = (bucket){x, 0};
    /* Merge the two oldest buckets of any row that overflows into the next row. */
    for (uint32_t i = 0; i < s->n_rows && s->count[i] > d->max_buckets; i++) {
        bucket a = s->rows[i][0], b = s->rows[i][1];
        double n = pow2(i);
        double diff = a.total / n - b.total / n;
        bucket m = {a.total + b.total, a.var + b.var + n * n * diff * diff / (2 * n)};
        row_pop_oldest(s, i, 2);
        if (i + 1 == ADWIN_MAX_ROWS) {
            /* Window at capacity: the merged bucket is the oldest data, let it go. */
            if (s->count[i] == 0)
                s->n_rows--;
            forget(s, m, 2 * n);
            break;
        }
        s->rows[i + 1][s->count[i + 1]++] = m;
        if (i + 1 == s->n_rows)
            s->n_rows++;
    }
}

/* The cut test for one split. dd and v depend only on the whole window, so the caller computes
 * them once per pass. */
static int cut(double n0, double n1, double u0, double u1, double mw, double dd, double v)
{
    double diff = u0 / n0 - u1 / n1;
    double m = 1.0 / (n0 - mw + 1.0) + 1.0 / (n1 - mw + 1.0);
    double eps = sqrt(2.0 * m * v * dd) + 2.0 / 3.0 * dd * m;
    return fabs(diff) > eps;
}

/* One pass over every bucket of every row, oldest first, testing the split after each bucket.
 * If any split cuts, everything up to the newest cutting split is dropped. Returns CUT_SHRUNK
 * if it dropped anything, plus CUT_ALARM if a cut went in a watched direction. */
#define CUT_SHRUNK 1
#define CUT_ALARM  2

static int find_cut_and_shrink(const adwin *d, window *s, double delta)
{
    double n0 = 0, n1 = (double)s->width, u0 = 0, u1 = s->total;
    const double mw = (double)d->min_window;
    const double w = (double)s->width;
    const double dd = log(2.0 * log(w) / delta);
    const double v = s->var / w;
    uint64_t walked = 0, drop = 0;
    int alarm = 0;
    for (uint32_t ri = s->n_rows; ri-- > 0;) {
        double n = pow2(ri);
        for (uint32_t k = 0; k < s->count[ri]; k++) {
            n0 += n;
            n1 -= n;
            u0 += s->rows[ri][k].total;
            u1 -= s->rows[ri][k].total;
            walked++;
            if (n1 <= 0)
                break; /* the split after the newest bucket leaves nothing to compare */
            if (n0 >= mw && n1 >= mw && cut(n0, n1, u0, u1, mw, dd, v)) {
                drop = walked;
                int up = u1 / n1 > u0 / n0;
                if (d->direction == DIR_BOTH || (d->direction == DIR_UP) == up)
                    alarm = 1;
            }
        }
    }
    for (uint64_t i = 0; i < drop; i++)
        drop_oldest(s);
    return (drop > 0 ? CUT_SHRUNK : 0) | (alarm ? CUT_ALARM : 0);
}

/* Every clock values (shifted by `phase`), once past grace: cuts until nothing cuts. Returns 1
 * if a cut went in a watched direction. */
static int check_window(const adwin *d, window *s, double delta, uint64_t phase)
{
    if ((s->tick + phase) % d->clock != 0 || s->width <= d->grace)
        return 0;
    int alarm = 0;
    for (;;) {
        int r = s->width > 0 ? find_cut_and_shrink(d, s, delta) : 0;
        alarm |= r & CUT_ALARM;
        if (!(r & CUT_SHRUNK))
            break;
    }
    return alarm != 0;
}

static rl_err adwin_update(rl_detector *det, double x, rl_drift_state *state)
{
    adwin *d = (adwin *)det;
    adwin_state *s = &d->s;
    if (!(x >= 0.0 && x <= 1.0))
        return RL_ERR_INVALID_ARG;
    insert(d, &s->drift, x);
    s->drift.tick++;
    *state = RL_DRIFT_STABLE;
    int drift = check_window(d, &s->drift, d->pv[P_DELTA], 0);
    if (!d->warning) {
        if (drift)
            *state = RL_DRIFT_DRIFT;
        return RL_OK;
    }
    insert(d, &s->warn, x);
    s->warn.tick++;
    int warn = check_window(d, &s->warn, d->pv[P_WARNING_DELTA], d->clock / 2);
    if (drift) {
        *state = RL_DRIFT_DRIFT;
        s->warn_left = 0;
        if (s->warn.width > s->drift.width)
            s->warn = s->drift;
    } else if (warn) {
        *state = RL_DRIFT_WARNING;
        s->warn_left = s->warn.width > d->clock ? s->warn.width : d->clock;
    } else if (s->warn_left > 0) {
        *state = RL_DRIFT_WARNING;
        s->warn_left--;
    }
    return RL_OK;
}

static double adwin_statistic(const rl_detector *det, const char **name)
{
    if (name)
        *name = "width";
    return (double)((const adwin *)det)->s.drift.width;
}

static void adwin_reset(rl_detector *det)
{
    memset(&((adwin *)det)->s, 0, sizeof(adwin_state));
}

static void window_export(const window *s, rl_buf *out)
{
    rl_buf_put_u64(out, s->tick);
    rl_buf_put_u64(out, s->width);
    rl_buf_put_f64(out, s->total);
    rl_buf_put_f64(out, s->var);
    rl_buf_put_u32(out, s->n_rows);
    for (uint32_t r = 0; r < s->n_rows; r++) {
        rl_buf_put_u32(out, s->count[r]);
        for (uint32_t k = 0; k < s->count[r]; k++) {
            rl_buf_put_f64(out, s->rows[r][k].total);
            rl_buf_put_f64(out, s->rows[r][k].var);
        }
    }
}

/* Body layout, format 2: the drift window; then, only when warning_delta > 0, the warning window
 * and u64 warn_left. Window: u64 tick, u64 width, f64 total, f64 var, u32 n_rows, per row u32
 * count and count x (f64 total, f64 var). Format 1 is the drift window alone. */
static rl_err adwin_export(const rl_detector *det, rl_buf *out)
{
    const adwin *d = (const adwin *)det;
    rl_drift_state_put_header(out, ADWIN_MAGIC, d->pv, P__COUNT);
    window_export(&d->s.drift, out);
    if (d->warning) {
        window_export(&d->s.warn, out);
        rl_buf_put_u64(out, d->s.warn_left);
    }
    return out->failed ? RL_ERR_NOMEM : RL_OK;
}

/* Reads one window into dst, or only checks it when dst is NULL: import runs the whole body
 * twice (check, then apply) so a bad blob changes nothing and nothing is allocated. */
static rl_err window_decode(const adwin *d, rl_cursor *r, const char *which, window *dst,
                            uint64_t *tick_out, char *errstr, size_t errstr_size)
{
    uint64_t tick = rl_cursor_u64(r), width = rl_cursor_u64(r);
    *tick_out = tick;
    double total = rl_cursor_f64(r), var = rl_cursor_f64(r);
    uint32_t n_rows = rl_cursor_u32(r);
    if (!rl_cursor_ok(r, 0) || n_rows > ADWIN_MAX_ROWS)
        return rl_set_err(errstr, errstr_size, RL_ERR_FORMAT,
                          "adwin: %s window header truncated or has %u rows (at most %d)", which,
                          (unsigned)n_rows, ADWIN_MAX_ROWS);
    if (dst) {
        memset(dst, 0, sizeof(*dst));
        dst->tick = tick;
        dst->width = width;
        dst->total = total;
        dst->var = var;
        dst->n_rows = n_rows;
    }
    /* The buckets must add up to the window, and only the oldest row may be the last one. */
    double values = 0;
    for (uint32_t row = 0; row < n_rows; row++) {
        uint32_t count = rl_cursor_u32(r);
        if (!rl_cursor_ok(r, 0) || count > d->max_buckets || (row + 1 == n_rows && count == 0))
            return rl_set_err(errstr, errstr_size, RL_ERR_FORMAT,
                              "adwin: %s window row %u is truncated or has a bad bucket count",
                              which, (unsigned)row);
        double n = pow2(row);
        for (uint32_t k = 0; k < count; k++) {
            bucket b;
            b.total = rl_cursor_f64(r);
            b.var = rl_cursor_f64(r);
            if (!(b.total >= 0 && b.total <= n) || !(b.var >= 0))
                return rl_set_err(errstr, errstr_size, RL_ERR_FORMAT,
                                  "adwin: %s window row %u holds an impossible bucket", which,
                                  (unsigned)row);
            if (dst)
                dst->rows[row][k] = b;
            values += n;
        }
        if (dst)
            dst->count[row] = count;
    }
    if (!rl_cursor_ok(r, 0))
        return rl_set_err(errstr, errstr_size, RL_ERR_FORMAT, "adwin: %s window is truncated",
                          which);
    if (values != (double)width || !(var >= 0) || !(total >= 0) || !(total <= (double)width))
        return rl_set_err(errstr, errstr_size, RL_ERR_FORMAT,
                          "adwin: %s window buckets hold %.0f values but the window says %llu",
                          which, values, (unsigned long long)width);
    return RL_OK;
}

static rl_err adwin_decode(const adwin *d, rl_cursor *r, size_t len, uint32_t version,
                           adwin_state *dst, char *errstr, size_t errstr_size)
{
    uint64_t tick = 0;
    rl_err e = window_decode(d, r, "drift", dst ? &dst->drift : NULL, &tick, errstr, errstr_size);
    if (e != RL_OK)
        return e;
    uint64_t warn_left = 0;
    if (version >= 2 && d->warning) {
        e = window_decode(d, r, "warning", dst ? &dst->warn : NULL, &tick, errstr, errstr_size);
        if (e != RL_OK)
            return e;
        warn_left = rl_cursor_u64(r);
    }
    if (!rl_cursor_ok(r, 1))
        return rl_set_err(errstr, errstr_size, RL_ERR_FORMAT,
                          "adwin: state is truncated or has trailing bytes (%zu bytes)", len);
    /* A hold starts at max(width, clock) <= max(tick, clock) and only counts down. */
    if (warn_left > (tick > d->clock ? tick : d->clock))
        return rl_set_err(errstr, errstr_size, RL_ERR_FORMAT,
                          "adwin: state holds a warning for %llu more values after %llu values",
                          (unsigned long long)warn_left, (unsigned long long)tick);
    if (dst) {
        if (version < 2 && d->warning)
            dst->warn = dst->drift; /* format 1: see the header comment */
        else if (!d->warning)
            memset(&dst->warn, 0, sizeof(dst->warn));
        dst->warn_left = warn_left;
    }
    return RL_OK;
}

static rl_err adwin_import(rl_detector *det, const void *p, size_t len, char *errstr,
                           size_t errstr_size)
{
    adwin *d = (adwin *)det;
    rl_cursor r;
    uint32_t version = 0;
    rl_cursor_init(&r, p, len);
    rl_err e = rl_drift_state_check_header_v(&r, "adwin", ADWIN_MAGIC, adwin_spec, d->pv, P__COUNT,
                                             P_V1_COUNT, &version, errstr, errstr_size);
    if (e != RL_OK)
        return e;
    rl_cursor body = r;
    e = adwin_decode(d, &r, len, version, NULL, errstr, errstr_size);
    if (e != RL_OK)
        return e;
    return adwin_decode(d, &body, len, version, &d->s, errstr, errstr_size);
}

static size_t adwin_format(const rl_detector *det, char *out, size_t out_size)
{
    return rl_drift_params_format(adwin_spec, P__COUNT, ((const adwin *)det)->pv, out, out_size);
}

static void adwin_destroy(rl_detector *det)
{
    free(det);
}

const struct rl_detector_ops rl_drift_adwin_ops = {
    .version = RL_DETECTOR_OPS_VERSION,
    .name = "adwin",
    .summary = "ADWIN adaptive window over exponential-histogram buckets (input in [0,1]); "
               "delta=0.002 clock=32 max_buckets=5 min_window=5 grace=10 direction=both|up|down "
               "warning_delta=0.01 (0: no warning level)",
    .create = adwin_create,
    .update = adwin_update,
    .statistic = adwin_statistic,
    .reset = adwin_reset,
    .export_state = adwin_export,
    .import_state = adwin_import,
    .format_params = adwin_format,
    .destroy = adwin_destroy,
};
