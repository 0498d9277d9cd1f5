/* dict.c - space-saving heavy hitters over hashed slots, in fixed memory.
 *
 * Layout: `ent` holds the tracked entries; `heap` is a min-heap (by count) of entry indices with
 * `pos` its inverse, so the least frequent entry - the one space-saving evicts - is heap[0];
 * `tab` is an open-addressing (linear probing) index from slot to entry, sized to at most half
 * full, with backward-shift deletion so it never needs tombstones or rebuilding. */
#include "model/dict.h"

#include <stdlib.h>
#include <string.h>

typedef struct dict_ent {
    uint32_t slot;
    uint32_t name_len;
    uint64_t count;
    uint64_t error;
    uint8_t collided;
    uint8_t truncated;
    char name[RL_DICT_NAME_MAX];
} dict_ent;

struct rl_dict {
    uint32_t cap;
    uint32_t size;
    uint64_t total;
    dict_ent *ent;
    uint32_t *heap; /* heap position -> entry index */
    uint32_t *pos;  /* entry index -> heap position */
    uint32_t *tab;  /* entry index + 1, 0 = empty */
    uint32_t tab_mask;
    uint32_t *scratch; /* for rl_dict_top, so reading never allocates */
};

static uint32_t tab_home(const rl_dict *d, uint32_t slot)
{
    return (uint32_t)((slot * 0x9E3779B1u) ^ (slot >> 16)) & d->tab_mask;
}

/* Table position holding slot, or UINT32_MAX. */
static uint32_t tab_find(const rl_dict *d, uint32_t slot)
{
    uint32_t i = tab_home(d, slot);
    for (;;) {
        uint32_t v = d->tab[i];
        if (v == 0)
            return UINT32_MAX;
        if (d->ent[v - 1].slot == slot)
            return i;
        i = (i + 1) & d->tab_mask;
    }
}

static void tab_insert(rl_dict *d, uint32_t slot, uint32_t idx)
{
    uint32_t i = tab_home(d, slot);
    while (d->tab[i] != 0)
        i = (i + 1) & d->tab_mask;
    d->tab[i] = idx + 1;
}

/* Backward-shift deletion: moves later members of the probe run into the hole when their home
 * position allows, keeping every lookup's run unbroken. */
static void tab_delete_at(rl_dict *d, uint32_t i)
{
    uint32_t hole = i;
    uint32_t j = i;
    d->tab[hole] = 0;
    for (;;) {
        j = (j + 1) & d->tab_mask;
        uint32_t v = d->tab[j];
        if (v == 0)
            return;
        uint32_t home = tab_home(d, d->ent[v - 1].slot);
        /* v may move to hole only if its home is not cyclically in (hole, j]. */
        int in_range = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
        if (!in_range) {
            d->tab[hole] = v;
            d->tab[j] = 0;
            hole = j;
        }
    }
}

static void heap_swap(rl_dict *d, uint32_t a, uint32_t b)
{
    uint32_t ea = d->heap[a], eb = d->heap[b];
    d->heap[a] = eb;
    d->heap[b] = ea;
    d->pos[eb] = a;
    d->pos[ea] = b;
}

static int heap_less(const rl_dict *d, uint32_t a, uint32_t b)
{
    return d->ent[d->heap[a]].count < d->ent[d->heap[b]].count;
}

static void sift_up(rl_dict *d, uint32_t i)
{
    while (i > 0) {
        uint32_t parent = (i - 1) / 2;
        if (!heap_less(d, i, parent))
            return;
        heap_swap(d, i, parent);
        i = parent;
    }
}

static void sift_down(rl_dict *d, uint32_t i)
{
    for (;;) {
        uint32_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < d->size && heap_less(d, l, m))
            m = l;
        if (r < d->size && heap_less(d, r, m))
            m = r;
        if (m == i)
            return;
        heap_swap(d, i, m);
        i = m;
    }
}

static void ent_set_name(dict_ent *e, const void *name, size_t len)
{
    size_t keep = len < RL_DICT_NAME_MAX - 1 ? len : RL_DICT_NAME_MAX - 1;
    if (keep)
        memcpy(e->name, name, keep);
    e->name[keep] = '\0';
    e->name_len = (uint32_t)keep;
    e->truncated = keep < len;
    e->collided = 0;
}

static int ent_same_name(const dict_ent *e, const void *name, size_t len)
{
    if (e->truncated)
        return len >= e->name_len && memcmp(e->name, name, e->name_len) == 0;
    return len == e->name_len && (len == 0 || memcmp(e->name, name, len) == 0);
}

rl_err rl_dict_new(uint32_t capacity, rl_dict **out, char *errstr, size_t errstr_size)
{
    rl_dict *d = NULL;
    *out = NULL;
    if (capacity == 0)
        capacity = RL_DICT_CAPACITY_DEFAULT;
    if (capacity > RL_DICT_CAPACITY_MAX)
        return rl_set_err(errstr, errstr_size, RL_ERR_INVALID_ARG,
                          "dictionary capacity %u: at most %u", capacity, RL_DICT_CAPACITY_MAX);
    uint32_t tab_size = 1;
    while (tab_size < 2 * capacity)
        tab_size <<= 1;
    d = calloc(1, sizeof(*d));
    if (!d)
        goto fail;
    d->cap = capacity;
    d->tab_mask = tab_size - 1;
    d->ent = calloc(capacity, sizeof(*d->ent));
    d->heap = calloc(capacity, sizeof(*d->heap));
    d->pos = calloc(capacity, sizeof(*d->pos));
    d->scratch = calloc(capacity, sizeof(*d->scratch));
    d->tab = calloc(tab_size, sizeof(*d->tab));
    if (!d->ent || !d->heap || !d->pos || !d->scratch || !d->tab)
        goto fail;
    *out = d;
    return RL_OK;
fail:
    rl_dict_destroy(d);
    return rl_set_err(errstr, errstr_size, RL_ERR_NOMEM, "dictionary of %u entries: out of memory",
                      capacity);
}

void rl_dict_destroy(rl_dict *d)
{
    if (!d)
        return;
    free(d->ent);
    free(d->heap);
    free(d->pos);
    free(d->scratch);
    free(d->tab);
    free(d);
}

void rl_dict_reset(rl_dict *d)
{
    d->size = 0;
    d->total = 0;
    memset(d->tab, 0, ((size_t)d->tab_mask + 1) * sizeof(*d->tab));
}

void rl_dict_add(rl_dict *d, uint32_t slot, const void *name, size_t len)
{
    d->total++;
    uint32_t t = tab_find(d, slot);
    if (t != UINT32_MAX) {
        uint32_t idx = d->tab[t] - 1;
        dict_ent *e = &d->ent[idx];
        e->count++;
        if (!e->collided && !ent_same_name(e, name, len))
            e->collided = 1;
        sift_down(d, d->pos[idx]);
        return;
    }
    if (d->size < d->cap) {
        uint32_t idx = d->size++;
        dict_ent *e = &d->ent[idx];
        e->slot = slot;
        e->count = 1;
        e->error = 0;
        ent_set_name(e, name, len);
        d->heap[idx] = idx;
        d->pos[idx] = idx;
        tab_insert(d, slot, idx);
        sift_up(d, idx);
        return;
    }
    /* Full: the least counted slot gives way; the newcomer inherits its count as error. */
    uint32_t idx = d->heap[0];
    dict_ent *e = &d->ent[idx];
    tab_delete_at(d, tab_find(d, e->slot));
    uint64_t min = e->count;
    e->slot = slot;
    e->count = min + 1;
    e->error = min;
    ent_set_name(e, name, len);
    tab_insert(d, slot, idx);
    sift_down(d, 0);
}

uint32_t rl_dict_capacity(const rl_dict *d)
{
    return d->cap;
}

uint32_t rl_dict_size(const rl_dict *d)
{
    return d->size;
}

uint64_t rl_dict_total(const rl_dict *d)
{
    return d->total;
}

const char *rl_dict_lookup(const rl_dict *d, uint32_t slot, uint32_t *len)
{
    uint32_t t = tab_find(d, slot);
    if (t == UINT32_MAX)
        return NULL;
    const dict_ent *e = &d->ent[d->tab[t] - 1];
    if (len)
        *len = e->name_len;
    return e->name;
}

static void fill_entry(const dict_ent *e, rl_dict_entry *out)
{
    out->slot = e->slot;
    out->count = e->count;
    out->error = e->error;
    out->name = e->name;
    out->name_len = e->name_len;
    out->collided = e->collided;
    out->truncated = e->truncated;
}

void rl_dict_get(const rl_dict *d, uint32_t i, rl_dict_entry *out)
{
    fill_entry(&d->ent[d->heap[i]], out);
}

/* Order for rl_dict_top: 1 when entry a ranks before b (count descending, then slot). */
static int ranks_before(const dict_ent *ent, uint32_t a, uint32_t b)
{
    if (ent[a].count != ent[b].count)
        return ent[a].count > ent[b].count;
    return ent[a].slot < ent[b].slot;
}

static void top_sift(const dict_ent *ent, uint32_t *v, uint32_t n, uint32_t i)
{
    /* Heap whose root ranks last, so popping it to the end sorts best-first. */
    for (;;) {
        uint32_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < n && ranks_before(ent, v[m], v[l]))
            m = l;
        if (r < n && ranks_before(ent, v[m], v[r]))
            m = r;
        if (m == i)
            return;
        uint32_t t = v[i];
        v[i] = v[m];
        v[m] = t;
        i = m;
    }
}

uint32_t rl_dict_top(const rl_dict *d, rl_dict_entry *out, uint32_t n)
{
    /* Heapsort into the preallocated scratch: no allocation, no global comparator state, so
     * two dictionaries can be read from two threads. */
    uint32_t *v = d->scratch;
    for (uint32_t i = 0; i < d->size; i++)
        v[i] = i;
    for (uint32_t i = d->size / 2; i-- > 0;)
        top_sift(d->ent, v, d->size, i);
    for (uint32_t end = d->size; end > 1; end--) {
        uint32_t t = v[0];
        v[0] = v[end - 1];
        v[end - 1] = t;
        top_sift(d->ent, v, end - 1, 0);
    }
    uint32_t k = n < d->size ? n : d->size;
    for (uint32_t i = 0; i < k; i++)
        fill_entry(&d->ent[v[i]], &out[i]);
    return k;
}

rl_err rl_dict_set(rl_dict *d, const rl_dict_entry *entries, uint32_t n, uint64_t total,
                   char *errstr, size_t errstr_size)
{
    if (n > d->cap)
        return rl_set_err(errstr, errstr_size, RL_ERR_INVALID_ARG,
                          "dictionary: %u entries do not fit capacity %u", n, d->cap);
    rl_dict_reset(d);
    for (uint32_t i = 0; i < n; i++) {
        const rl_dict_entry *s = &entries[i];
        if (tab_find(d, s->slot) != UINT32_MAX) {
            rl_dict_reset(d);
            return rl_set_err(errstr, errstr_size, RL_ERR_INVALID_ARG,
                              "dictionary: slot %u appears twice", s->slot);
        }
        if (s->name_len > 0 && !s->name) {
            rl_dict_reset(d);
            return rl_set_err(errstr, errstr_size, RL_ERR_INVALID_ARG,
                              "dictionary: entry %u has a length but no name", i);
        }
        dict_ent *e = &d->ent[i];
        e->slot = s->slot;
        e->count = s->count;
        e->error = s->error;
        ent_set_name(e, s->name, s->name_len);
        e->truncated = e->truncated || s->truncated;
        e->collided = s->collided != 0;
        d->heap[i] = i;
        d->pos[i] = i;
        tab_insert(d, s->slot, i);
        d->size = i + 1;
    }
    /* Heapify: a no-op when the entries come in the order rl_dict_get gave them. */
    for (uint32_t i = n / 2; i-- > 0;)
        sift_down(d, i);
    d->total = total;
    return RL_OK;
}
