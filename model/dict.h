/* dict.h - the feature-name dictionary: which names stand behind the most frequent hashed slots.
 *
 * Models only know hashed slots; people want names. This is a space-saving heavy-hitters sketch
 * (Metwally, Agrawal, El Abbadi 2005) keyed by slot: it tracks at most `capacity` slots (4096 by
 * default) with a count that over-estimates the slot's true frequency by at most its `error`,
 * and keeps one name per tracked slot (the first seen; `collided` says another name hashed there
 * too). Any slot whose true frequency exceeds total/capacity is guaranteed to be tracked.
 *
 * Memory is fixed at creation (capacity entries of RL_DICT_NAME_MAX name bytes, a min-heap and
 * an open-addressing index); rl_dict_add() never allocates and costs O(log capacity). Names are
 * arbitrary bytes (not necessarily UTF-8); names longer than RL_DICT_NAME_MAX - 1 are truncated
 * and flagged. Not thread-safe: one writer, no concurrent readers. */
#ifndef RL_DICT_H
#define RL_DICT_H

#include <stddef.h>
#include <stdint.h>

#include "common/rl_common.h"

#define RL_DICT_CAPACITY_DEFAULT 4096
#define RL_DICT_CAPACITY_MAX     (1u << 20)
#define RL_DICT_NAME_MAX         64 /* bytes kept per name, including a terminating NUL */

typedef struct rl_dict rl_dict;

/* One tracked slot. `name` points into the dictionary (NUL-terminated, name_len bytes, which
 * may contain NULs) and stays valid until the next rl_dict_add/set/reset/destroy. */
typedef struct rl_dict_entry {
    uint32_t slot;
    uint64_t count; /* estimated frequency: true count <= count <= true count + error */
    uint64_t error;
    const char *name;
    uint32_t name_len;
    int collided;  /* another name was seen for this slot */
    int truncated; /* name was cut to RL_DICT_NAME_MAX - 1 bytes */
} rl_dict_entry;

/* capacity 0 means RL_DICT_CAPACITY_DEFAULT; at most RL_DICT_CAPACITY_MAX. */
rl_err rl_dict_new(uint32_t capacity, rl_dict **out, char *errstr, size_t errstr_size);
void rl_dict_destroy(rl_dict *d); /* NULL: no-op */
void rl_dict_reset(rl_dict *d);   /* empty, same capacity */

/* Counts one occurrence of `name` (len bytes) hashed to `slot`. Never allocates. */
void rl_dict_add(rl_dict *d, uint32_t slot, const void *name, size_t len);

uint32_t rl_dict_capacity(const rl_dict *d);
uint32_t rl_dict_size(const rl_dict *d);  /* tracked slots, <= capacity */
uint64_t rl_dict_total(const rl_dict *d); /* rl_dict_add calls since creation/reset */

/* The name tracked for slot (NUL-terminated; *len gets its length if len != NULL), or NULL. */
const char *rl_dict_lookup(const rl_dict *d, uint32_t slot, uint32_t *len);

/* Entry i in internal order, 0 <= i < rl_dict_size(). */
void rl_dict_get(const rl_dict *d, uint32_t i, rl_dict_entry *out);

/* Fills out[0..n) with the min(n, size) entries of highest count, highest first (ties: lower
 * slot first). Returns how many were written. */
uint32_t rl_dict_top(const rl_dict *d, rl_dict_entry *out, uint32_t n);

/* Restores entries exported with rl_dict_get (in that order, so the sketch continues exactly);
 * total is rl_dict_total() at export. Entries must have distinct slots and fit the capacity;
 * entries not in heap order are re-heaped. Replaces the current contents. */
rl_err rl_dict_set(rl_dict *d, const rl_dict_entry *entries, uint32_t n, uint64_t total,
                   char *errstr, size_t errstr_size);

#endif
