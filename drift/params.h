/* params.h - internal to drift/: the parameter table every detector declares, the parser that
 * checks rl_kv pairs against it, and the state-blob header every detector writes.
 *
 * As redis's config table: each parameter is a row of common/rl_param.h (key, type, bounds,
 * default), checked by rl_param_parse; rl_drift_params_parse rejects
 * unknown keys, repeated keys, text that is not a number and values out of range, and the
 * message names the detector, key, value and the allowed range. Values land in one double array
 * indexed like the table, so a detector formats, exports and compares its parameters in one
 * place. Not installed: callers outside drift/ see only detector.h. */
#ifndef RL_DRIFT_PARAMS_H
#define RL_DRIFT_PARAMS_H

#include <stddef.h>
#include <stdint.h>

#include "common/rl_param.h"
#include "drift/detector.h"

/* Fills out[0..n_spec) with defaults, then applies kv. errstr names what is wrong. */
rl_err rl_drift_params_parse(const char *detector, const rl_param_spec *spec, size_t n_spec,
                             const rl_kv *kv, size_t n_kv, double *out, char *errstr,
                             size_t errstr_size);

/* "key=value key=value", with %.17g reals so they round-trip. Returns the length it wanted
 * (snprintf semantics); out is always NUL-terminated when out_size > 0. */
size_t rl_drift_params_format(const rl_param_spec *spec, size_t n_spec, const double *vals,
                              char *out, size_t out_size);

/* State blobs start with a per-detector magic, a format version and the parameters they were
 * made under. Import refuses another detector's blob (RL_ERR_MISMATCH), a newer version
 * (RL_ERR_VERSION) and different parameters (RL_ERR_MISMATCH, naming the key): the statistics
 * only mean something under the parameters that produced them, and we never guess.
 *
 * Versions: 1 is the original format. 2 added parameters at the end of two tables - ADWIN's
 * warning_delta (with a second window in its body) and Page-Hinkley's warning_fraction - and
 * changed nothing else; for the other detectors a version 1 and a version 2 blob are the same
 * bytes apart from the version field. A version 1 blob carries only the first n_v1 parameters
 * (the table as it was); check_header_v compares those and tells the caller which version it
 * read, so the detector decides what the parameters added since mean for the old state. */
#define RL_DRIFT_STATE_VERSION 2
void rl_drift_state_put_header(rl_buf *b, uint32_t magic, const double *vals, size_t n);
rl_err rl_drift_state_check_header(rl_cursor *r, const char *detector, uint32_t magic,
                                   const rl_param_spec *spec, const double *vals, size_t n,
                                   char *errstr, size_t errstr_size);
rl_err rl_drift_state_check_header_v(rl_cursor *r, const char *detector, uint32_t magic,
                                     const rl_param_spec *spec, const double *vals, size_t n,
                                     size_t n_v1, uint32_t *version, char *errstr,
                                     size_t errstr_size);

/* Every detector embeds this first (it embeds rl_detector first in turn), so the registry's
 * wrappers can count transitions into warning without each detector doing it. */
typedef struct rl_det_base {
    rl_detector pub;
    rl_drift_state last; /* state returned by the previous successful update */
} rl_det_base;

/* The ops tables, one per detector file; the registry lists them. */
extern const struct rl_detector_ops rl_drift_ddm_ops;
extern const struct rl_detector_ops rl_drift_eddm_ops;
extern const struct rl_detector_ops rl_drift_adwin_ops;
extern const struct rl_detector_ops rl_drift_page_hinkley_ops;
extern const struct rl_detector_ops rl_drift_hddm_a_ops;

/* Bitwise equality of doubles: parameters round-trip exactly, and NaN never sneaks in. */
int rl_drift_same_f64(double a, double b);

#endif
