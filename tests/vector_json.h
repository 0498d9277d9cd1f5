/* vector_json.h - how the test vectors write numbers in JSON (docs/FORMAT.md section 10):
 * floats and doubles as their exact bits in hex, uint64 indices as decimal strings, and the
 * decimal form for people. Shared by rl_vector_gen and rl_snapshot_score. */
#ifndef RL_TEST_VECTOR_JSON_H
#define RL_TEST_VECTOR_JSON_H

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

static inline json_t *hex32(float f)
{
    uint32_t u;
    char s[16];
    memcpy(&u, &f, 4);
    snprintf(s, sizeof(s), "%08" PRIx32, u);
    return json_string(s);
}

static inline json_t *hex64(double d)
{
    uint64_t u;
    char s[24];
    memcpy(&u, &d, 8);
    snprintf(s, sizeof(s), "%016" PRIx64, u);
    return json_string(s);
}

/* Indices are uint64: decimal strings (JSON numbers lose precision above 2^53). */
static inline json_t *u64_json(uint64_t v)
{
    char s[24];
    snprintf(s, sizeof(s), "%" PRIu64, v);
    return json_string(s);
}

static inline json_t *dec(double d)
{
    char s[40];
    snprintf(s, sizeof(s), "%.17g", d);
    return json_string(s);
}

/* The inverse of hex32: float bits from 8 hex digits; 0 when s is not that. */
static inline int hex32_parse(const char *s, float *out)
{
    unsigned long u;
    char *end;
    if (!s || strlen(s) != 8)
        return -1;
    u = strtoul(s, &end, 16);
    if (*end)
        return -1;
    uint32_t v = (uint32_t)u;
    memcpy(out, &v, 4);
    return 0;
}

#endif
