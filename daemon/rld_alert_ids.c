/* rld_alert_ids.c - the set of alert identities already sent (see rld_alert_ids.h). Alerts are
 * rare (rate-limited, pruned at every commit), so a linear scan is enough. */
#include "daemon/rld_alert_ids.h"

#include <stdlib.h>

uint64_t rld_alert_source_hash(const char *source)
{
    uint64_t h = 1469598103934665603ULL;
    for (const unsigned char *p = (const unsigned char *)(source ? source : "error"); *p; p++)
        h = (h ^ *p) * 1099511628211ULL;
    return h;
}

int rld_alert_ids_add(rld_alert_ids *s, uint64_t position, uint64_t source_hash, int level)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        rld_alert_id *v;
        if (s->n >= RLD_ALERT_IDS_MAX)
            return -1;
        if (cap > RLD_ALERT_IDS_MAX)
            cap = RLD_ALERT_IDS_MAX;
        v = realloc(s->v, cap * sizeof(*v));
        if (!v)
            return -1;
        s->v = v;
        s->cap = cap;
    }
    s->v[s->n].position = position;
    s->v[s->n].source_hash = source_hash;
    s->v[s->n].level = level;
    s->n++;
    return 0;
}

int rld_alert_ids_has(const rld_alert_ids *s, uint64_t position, uint64_t source_hash, int level)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->v[i].position == position && s->v[i].source_hash == source_hash &&
            s->v[i].level == level)
            return 1;
    return 0;
}

void rld_alert_ids_prune(rld_alert_ids *s, uint64_t position)
{
    size_t k = 0;
    for (size_t i = 0; i < s->n; i++)
        if (s->v[i].position > position)
            s->v[k++] = s->v[i];
    s->n = k;
}

void rld_alert_ids_free(rld_alert_ids *s)
{
    free(s->v);
    s->v = NULL;
    s->n = s->cap = 0;
}
