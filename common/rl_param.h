/* rl_param.h - bounded parameters: one table row per parameter, one parser for all of them.
 *
 * As redis configures itself: a parameter is a row (name, type, bounds, default), and every
 * value given as text - a [section] key of relearnd's file, a detector's or a learner's
 * hyperparameter, a command-line option - is checked against its row by rl_param_parse, in the
 * C locale (relearn never calls setlocale), so "0.5" always means the same. The parser says
 * what is wrong (rl_param_fault) and rl_param_describe says what is allowed; the caller names
 * the input ("relearnd.ini:5: [checkpoint] keep", "adwin: parameter delta", "--timeout") and
 * builds its message from the two, so each message keeps naming its input as it always has.
 *
 * Text forms: REAL is what strtod reads (infinite values only where the row says so); INT and
 * UINT are decimal integers ("12", "-3" where the bounds allow it; no "+", no exponent, no
 * fraction: "0.5" is refused as not whole); BOOL is 0/1, true/false, yes/no, on/off (any case);
 * CHOICE is one of the row's names, exactly. */
#ifndef RL_PARAM_H
#define RL_PARAM_H

#include <stddef.h>
#include <stdint.h>

typedef enum rl_param_kind {
    RL_PARAM_REAL = 0, /* a finite double in the bounds */
    RL_PARAM_INT,      /* a whole number in the bounds (int64) */
    RL_PARAM_CHOICE,   /* one of `choices`; stored as its index */
    RL_PARAM_UINT,     /* a whole number >= 0 in the bounds, exact up to 2^64 - 1 */
    RL_PARAM_BOOL,     /* 0 or 1 */
} rl_param_kind;

#define RL_PARAM_INF_OK 1u /* REAL: "inf" is allowed when the upper bound is INFINITY */

typedef struct rl_param_spec {
    const char *key;
    rl_param_kind kind;
    double lo, hi;
    int lo_open, hi_open;       /* 1: the bound itself is excluded */
    double def;                 /* default (CHOICE: index) */
    const char *const *choices; /* CHOICE: NULL-terminated names */
    unsigned flags;             /* RL_PARAM_INF_OK */
} rl_param_spec;

typedef enum rl_param_fault {
    RL_PARAM_OK = 0,
    RL_PARAM_EMPTY,        /* no text at all */
    RL_PARAM_NOT_NUMBER,   /* not a (finite) number, or not an integer's digits */
    RL_PARAM_NOT_WHOLE,    /* a number, but INT/UINT want a whole one */
    RL_PARAM_OUT_OF_RANGE, /* a number outside the bounds */
    RL_PARAM_NOT_CHOICE,   /* not one of the names (CHOICE, BOOL) */
} rl_param_fault;

/* A parsed value: `real` always (CHOICE: the index; UINT: as near as a double gets), `i` for
 * INT, BOOL and CHOICE, `u` for UINT. */
typedef struct rl_param_value {
    double real;
    int64_t i;
    uint64_t u;
} rl_param_value;

/* Checks text against s. RL_PARAM_OK with *out set, else the fault (out untouched). */
rl_param_fault rl_param_parse(const rl_param_spec *s, const char *text, rl_param_value *out);

/* What s allows, for messages: "real in (0, 1)", "integer in [1, 16]", "one of a|b|c",
 * "0/1, true/false, yes/no, on/off". Always NUL-terminated; returns out. */
const char *rl_param_describe(const rl_param_spec *s, char *out, size_t out_size);

/* A short phrase for a fault: "is empty", "is not a finite number", "is not a whole number",
 * "is out of range", "is not allowed". Never NULL. */
const char *rl_param_fault_str(rl_param_fault f);

/* The row named key in spec[0..n), or NULL. */
const rl_param_spec *rl_param_find(const rl_param_spec *spec, size_t n, const char *key);

#endif
