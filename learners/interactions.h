/* interactions.h - namespace interactions (feature crosses) as Vowpal Wabbit spells them:
 * `-q ab` crosses every feature of namespace a with every feature of namespace b, `--cubic abc`
 * every triple of namespaces a, b, c.
 *
 * A feature's namespace is one byte: the first byte of its name as hashed ("ns^name" from VW
 * text gives its namespace's first letter, a CSV column "city" or category "city=paris" gives
 * 'c', a JSON field likewise), and ' ' for a feature given by index (libsvm, Event.index), as
 * VW's default namespace. The rule needs nothing but the name, so relearn eval, relearnd, a
 * snapshot's predictor and librelearn all derive the same namespaces from the same events.
 *
 * A crossed feature's slot comes from the slots of its parts as VW's hashing does it, with
 * VW's FNV prime: (s1 * 16777619) ^ s2 for a pair, ((s1 * 16777619) ^ s2) * 16777619 ^ s3 for a
 * triple, masked to 2^bits; its value is the product of the parts' values. Within one
 * namespace (`-q aa`) each unordered pair is taken once, a feature with itself included, as VW
 * does without --leave_duplicate_interactions.
 *
 * The crossed features follow the example's own, term by term in the order the terms were
 * given, then by the parts' positions in the example: a learner that sums an expanded example in
 * order and a predictor that sums the same generation in chunks add the same floats in the same
 * order, so a snapshot predicts bit for bit what its model did. Pure computation: no
 * allocation, no I/O. */
#ifndef RL_INTERACTIONS_H
#define RL_INTERACTIONS_H

#include <stddef.h>
#include <stdint.h>

#include "learners/learner.h"

#define RL_INTERACTION_FNV 16777619u

/* The namespace byte of an indexed feature. */
#define RL_NS_NONE ' '

/* (rl_interactions itself is in learner.h: the learner parameters carry it.) */

/* Adds the terms of spec: one or more of "ab" (a pair) or "abc" (a triple), separated by commas
 * ("ab,abc"). A namespace is any byte but ',' and NUL; a blank is the namespace of indexed
 * features (so " a" crosses them with namespace a), never a separator. Refused
 * (errstr says why): a term of 1 or more than 3 bytes, more than RL_INTERACTIONS_MAX terms in
 * all, a term given twice. On error it is unchanged. */
rl_err rl_interactions_add(rl_interactions *it, const char *spec, char *errstr, size_t errstr_size);
/* "ab,abc" (empty when none); returns the length it needs, like snprintf. */
size_t rl_interactions_format(const rl_interactions *it, char *out, size_t out_size);

/* A position in the generation of an example's crossed features. Zero it to start. */
typedef struct rl_ix_cursor {
    uint32_t t, i, j, k;
} rl_ix_cursor;

/* Writes up to cap of ex's crossed features into out, continuing from *c; returns how many
 * (0: all were written). ex->ns gives each feature's namespace byte (NULL: every feature is
 * RL_NS_NONE). mask is 2^bits - 1. */
uint32_t rl_interactions_next(const rl_interactions *it, const rl_example *ex, uint32_t mask,
                              rl_ix_cursor *c, rl_feature *out, uint32_t cap);

/* The namespace byte of a feature named name (len bytes; NULL: indexed). */
static inline uint8_t rl_ns_byte(const void *name, size_t len)
{
    return name && len ? *(const uint8_t *)name : (uint8_t)RL_NS_NONE;
}

#endif
