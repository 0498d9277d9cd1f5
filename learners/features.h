/* features.h - feature hashing: names to weight slots.
 *
 * A feature name (any bytes, not necessarily UTF-8) is hashed with XXH3-64 under a seed, then
 * masked to 2^bits slots; numeric feature indices are mixed through the same hash, so "index 7"
 * and the name "7" land in different slots only if the caller says so (namespaces: the VW
 * reader hashes "ns^name"). The hash is stable across runs, machines and versions: it is part
 * of the model (a snapshot records bits and seed). No allocation. */
#ifndef RL_FEATURES_H
#define RL_FEATURES_H

#include <stddef.h>
#include <stdint.h>

typedef struct rl_hasher {
    uint32_t bits;
    uint64_t seed;
    uint32_t mask;
} rl_hasher;

#define RL_HASH_SEED_DEFAULT 0

void rl_hasher_init(rl_hasher *h, uint32_t bits, uint64_t seed);
uint32_t rl_hash_name(const rl_hasher *h, const void *name, size_t len);
/* A numeric index (libsvm, CSV column, Event.index): an index below 2^bits maps to itself, so a
 * data set that fits has no collisions (as liblinear sees it); a larger one is hashed in. */
uint32_t rl_hash_index(const rl_hasher *h, uint64_t index);

#endif
