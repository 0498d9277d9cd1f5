/* snapshot_chunk.c - cutting a framed snapshot into "RLSC" chunk messages and putting it back
 * together from chunks that arrive missing, duplicated or out of order. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "storage/ckpt_hash.h"
#include "storage/ckpt_internal.h"
#include "storage/snapshot.h"
#include "proto/snapshot.pb-c.h"

#define COMPLETED_RING 8

static void copy_trunc(char *dst, size_t size, const char *src)
{
    snprintf(dst, size, "%s", src ? src : "");
}

void rl_snapshot_chunks_free(rl_buf *chunks, size_t n)
{
    for (size_t i = 0; chunks && i < n; i++)
        rl_buf_free(&chunks[i]);
    free(chunks);
}

rl_err rl_snapshot_split(const void *framed, size_t len, const char *model_name,
                         const char *instance_id, uint64_t version, size_t max_size, rl_buf **out,
                         size_t *n_out, char *errstr, size_t errstr_size)
{
    rl_buf *parts = NULL;
    size_t count = 0;
    rl_err e = RL_OK;
    *out = NULL;
    *n_out = 0;
    if (max_size == 0)
        max_size = RL_SNAPSHOT_MAX_MSG_DEFAULT;
    if (len <= max_size) {
        parts = calloc(1, sizeof(*parts));
        if (!parts)
            return rl_set_err(errstr, errstr_size, RL_ERR_NOMEM, "snapshot: out of memory");
        rl_buf_put(&parts[0], framed, len);
        if (parts[0].failed) {
            rl_snapshot_chunks_free(parts, 1);
            return rl_set_err(errstr, errstr_size, RL_ERR_NOMEM, "snapshot: out of memory");
        }
        *out = parts;
        *n_out = 1;
        return RL_OK;
    }
    size_t names = strlen(model_name ? model_name : "") + strlen(instance_id ? instance_id : "");
    if (max_size <= RL_SNAPSHOT_CHUNK_OVERHEAD + names + 64)
        return rl_set_err(errstr, errstr_size, RL_ERR_INVALID_ARG,
                          "snapshot message limit %zu is too small for chunk headers", max_size);
    size_t chunk = max_size - RL_SNAPSHOT_CHUNK_OVERHEAD - names;
    if (chunk > UINT32_MAX)
        chunk = UINT32_MAX;
    count = (len + chunk - 1) / chunk;
    if (count > UINT32_MAX)
        return rl_set_err(errstr, errstr_size, RL_ERR_INVALID_ARG,
                          "snapshot of %zu bytes needs too many chunks", len);
    uint64_t sum = rl_fmt_hash64(framed, len);
    parts = calloc(count, sizeof(*parts));
    if (!parts)
        return rl_set_err(errstr, errstr_size, RL_ERR_NOMEM, "snapshot chunks: out of memory");
    for (size_t i = 0; i < count; i++) {
        Relearn__SnapshotChunk c;
        relearn__snapshot_chunk__init(&c);
        c.has_format_version = 1;
        c.format_version = RL_SNAPSHOT_CHUNK_FORMAT_VERSION;
        c.model_name = (char *)(model_name ? model_name : "");
        c.instance_id = (char *)(instance_id ? instance_id : "");
        c.has_version = 1;
        c.version = version;
        c.has_index = 1;
        c.index = (uint32_t)i;
        c.has_count = 1;
        c.count = (uint32_t)count;
        c.has_total_length = 1;
        c.total_length = len;
        c.has_total_checksum = 1;
        c.total_checksum = sum;
        c.has_chunk_size = 1;
        c.chunk_size = (uint32_t)chunk;
        size_t off = i * chunk;
        c.has_data = 1;
        c.data.data = (uint8_t *)framed + off;
        c.data.len = len - off < chunk ? len - off : chunk;
        e = rl_frame_encode_msg(RL_MAGIC_CHUNK, &c.base, 0, 0, &parts[i], errstr, errstr_size);
        if (e != RL_OK)
            goto fail;
        if (parts[i].len > max_size) {
            e = rl_set_err(errstr, errstr_size, RL_ERR_INVALID_ARG,
                           "snapshot chunk of %zu bytes exceeds the limit %zu", parts[i].len,
                           max_size);
            goto fail;
        }
    }
    *out = parts;
    *n_out = count;
    return RL_OK;
fail:
    rl_snapshot_chunks_free(parts, count);
    return e;
}

/* Decodes one chunk message; *m to be freed by the caller. */
static rl_err chunk_decode(const void *p, size_t len, Relearn__SnapshotChunk **out, char *errstr,
                           size_t errstr_size)
{
    rl_frame_info info;
    const uint8_t *payload;
    size_t plen;
    void *owned = NULL;
    rl_err e;
    *out = NULL;
    e = rl_frame_decode(p, len, RL_MAGIC_CHUNK, &info, &payload, &plen, &owned, errstr,
                        errstr_size);
    if (e != RL_OK)
        return e;
    Relearn__SnapshotChunk *m = relearn__snapshot_chunk__unpack(NULL, plen, payload);
    free(owned);
    if (!m)
        return rl_set_err(errstr, errstr_size, RL_ERR_FORMAT,
                          "checksum matches but the chunk message does not parse");
    e = rl_fmt_check_message_version(m->has_format_version, m->format_version,
                                     RL_SNAPSHOT_CHUNK_FORMAT_VERSION, "chunk", errstr,
                                     errstr_size);
    if (e != RL_OK)
        goto fail;
    if (!m->has_version || !m->has_index || !m->has_count || !m->has_total_length ||
        !m->has_total_checksum || !m->has_chunk_size || !m->has_data || m->count == 0 ||
        m->chunk_size == 0 || m->index >= m->count) {
        e = rl_set_err(errstr, errstr_size, RL_ERR_FORMAT,
                       "chunk header incomplete or index %u not below count %u", m->index,
                       m->count);
        goto fail;
    }
    /* Everything about placement must follow from (total_length, chunk_size). */
    uint64_t want_count = (m->total_length + m->chunk_size - 1) / m->chunk_size;
    uint64_t off = (uint64_t)m->index * m->chunk_size;
    uint64_t want_len =
        off < m->total_length
            ? (m->total_length - off < m->chunk_size ? m->total_length - off : m->chunk_size)
            : 0;
    if (want_count != m->count || m->data.len != want_len || want_len == 0) {
        e = rl_set_err(errstr, errstr_size, RL_ERR_FORMAT,
                       "chunk %u/%u: %zu data bytes inconsistent with total %llu and chunk size "
                       "%u",
                       m->index, m->count, m->data.len, (unsigned long long)m->total_length,
                       m->chunk_size);
        goto fail;
    }
    *out = m;
    return RL_OK;
fail:
    relearn__snapshot_chunk__free_unpacked(m, NULL);
    return e;
}

rl_err rl_snapshot_peek(const void *p, size_t len, rl_snapshot_id *id, char *errstr,
                        size_t errstr_size)
{
    memset(id, 0, sizeof(*id));
    if (len >= 4 && memcmp(p, RL_MAGIC_CHUNK, 4) == 0) {
        Relearn__SnapshotChunk *m;
        rl_err e = chunk_decode(p, len, &m, errstr, errstr_size);
        if (e != RL_OK)
            return e;
        copy_trunc(id->model_name, sizeof(id->model_name), m->model_name);
        copy_trunc(id->instance_id, sizeof(id->instance_id), m->instance_id);
        id->version = m->version;
        id->is_chunk = 1;
        id->index = m->index;
        id->count = m->count;
        id->total_length = m->total_length;
        id->total_checksum = m->total_checksum;
        relearn__snapshot_chunk__free_unpacked(m, NULL);
        return RL_OK;
    }
    rl_snapshot s;
    rl_snapshot_init(&s);
    rl_err e = rl_snapshot_decode(p, len, &s, errstr, errstr_size);
    if (e != RL_OK)
        return e;
    copy_trunc(id->model_name, sizeof(id->model_name), s.model_name);
    copy_trunc(id->instance_id, sizeof(id->instance_id), s.instance_id);
    id->version = s.version;
    id->count = 1;
    id->total_length = len;
    id->total_checksum = rl_fmt_hash64(p, len);
    rl_snapshot_clear(&s);
    return RL_OK;
}

/* ---- reassembly ---- */
typedef struct asm_slot {
    int used;
    uint64_t age; /* larger = more recently started */
    rl_snapshot_id id;
    uint32_t chunk_size;
    uint8_t *data; /* total_length bytes */
    uint8_t *have; /* count flags */
    uint32_t n_have;
} asm_slot;

typedef struct done_id {
    char model_name[128];
    char instance_id[128];
    uint64_t version;
    uint64_t checksum;
} done_id;

struct rl_snapshot_asm {
    uint64_t max_total;
    uint64_t clock;
    asm_slot slots[RL_SNAPSHOT_ASM_SLOTS];
    done_id done[COMPLETED_RING];
    unsigned n_done;
};

static void slot_drop(asm_slot *s)
{
    free(s->data);
    free(s->have);
    memset(s, 0, sizeof(*s));
}

rl_err rl_snapshot_asm_new(uint64_t max_total, rl_snapshot_asm **out, char *errstr,
                           size_t errstr_size)
{
    *out = calloc(1, sizeof(**out));
    if (!*out)
        return rl_set_err(errstr, errstr_size, RL_ERR_NOMEM, "snapshot assembler: out of memory");
    (*out)->max_total = max_total ? max_total : RL_FRAME_MAX_RAW;
    return RL_OK;
}

void rl_snapshot_asm_destroy(rl_snapshot_asm *a)
{
    if (!a)
        return;
    for (int i = 0; i < RL_SNAPSHOT_ASM_SLOTS; i++)
        slot_drop(&a->slots[i]);
    free(a);
}

static int same_snapshot(const rl_snapshot_id *x, const char *model, const char *instance,
                         uint64_t version)
{
    return x->version == version && strcmp(x->model_name, model) == 0 &&
           strcmp(x->instance_id, instance) == 0;
}

static int recently_done(const rl_snapshot_asm *a, const rl_snapshot_id *id)
{
    unsigned n = a->n_done < COMPLETED_RING ? a->n_done : COMPLETED_RING;
    for (unsigned i = 0; i < n; i++) {
        const done_id *d = &a->done[i];
        if (d->version == id->version && d->checksum == id->total_checksum &&
            strcmp(d->model_name, id->model_name) == 0 &&
            strcmp(d->instance_id, id->instance_id) == 0)
            return 1;
    }
    return 0;
}

static void remember_done(rl_snapshot_asm *a, const rl_snapshot_id *id)
{
    done_id *d = &a->done[a->n_done++ % COMPLETED_RING];
    memcpy(d->model_name, id->model_name, sizeof(d->model_name));
    memcpy(d->instance_id, id->instance_id, sizeof(d->instance_id));
    d->version = id->version;
    d->checksum = id->total_checksum;
}

static rl_err deliver(rl_snapshot_asm *a, const uint8_t *p, size_t len, const rl_snapshot_id *id,
                      int *complete, rl_snapshot_id *id_out, rl_buf *whole, char *errstr,
                      size_t errstr_size)
{
    if (whole) {
        rl_buf_reset(whole);
        rl_buf_put(whole, p, len);
        if (whole->failed)
            return rl_set_err(errstr, errstr_size, RL_ERR_NOMEM, "snapshot: out of memory");
    }
    if (id_out)
        *id_out = *id;
    remember_done(a, id);
    *complete = 1;
    return RL_OK;
}

rl_err rl_snapshot_asm_add(rl_snapshot_asm *a, const void *p, size_t len, int *complete,
                           rl_snapshot_id *id, rl_buf *whole, char *errstr, size_t errstr_size)
{
    rl_snapshot_id cid;
    rl_err e;
    *complete = 0;
    if (!(len >= 4 && memcmp(p, RL_MAGIC_CHUNK, 4) == 0)) {
        /* A whole snapshot in one message: verify it fully, then hand it over. */
        e = rl_snapshot_peek(p, len, &cid, errstr, errstr_size);
        if (e != RL_OK)
            return e;
        return deliver(a, p, len, &cid, complete, id, whole, errstr, errstr_size);
    }
    Relearn__SnapshotChunk *m;
    e = chunk_decode(p, len, &m, errstr, errstr_size);
    if (e != RL_OK)
        return e;
    memset(&cid, 0, sizeof(cid));
    copy_trunc(cid.model_name, sizeof(cid.model_name), m->model_name);
    copy_trunc(cid.instance_id, sizeof(cid.instance_id), m->instance_id);
    cid.version = m->version;
    cid.is_chunk = 1;
    cid.index = m->index;
    cid.count = m->count;
    cid.total_length = m->total_length;
    cid.total_checksum = m->total_checksum;
    if (recently_done(a, &cid))
        goto out; /* a late duplicate of a snapshot already delivered */
    if (m->total_length > a->max_total || m->total_length > SIZE_MAX) {
        e = rl_set_err(errstr, errstr_size, RL_ERR_FORMAT,
                       "snapshot %s v%llu: total length %llu exceeds the limit %llu",
                       cid.model_name, (unsigned long long)cid.version,
                       (unsigned long long)m->total_length, (unsigned long long)a->max_total);
        goto out;
    }
    asm_slot *s = NULL;
    for (int i = 0; i < RL_SNAPSHOT_ASM_SLOTS; i++)
        if (a->slots[i].used &&
            same_snapshot(&a->slots[i].id, cid.model_name, cid.instance_id, cid.version))
            s = &a->slots[i];
    if (s && (s->id.count != cid.count || s->id.total_length != cid.total_length ||
              s->id.total_checksum != cid.total_checksum || s->chunk_size != m->chunk_size)) {
        e = rl_set_err(errstr, errstr_size, RL_ERR_FORMAT,
                       "snapshot %s v%llu: chunk %u disagrees with earlier chunks on count, "
                       "length or checksum; dropping the partial snapshot",
                       cid.model_name, (unsigned long long)cid.version, cid.index);
        slot_drop(s);
        goto out;
    }
    if (!s) {
        /* Take a free slot, else evict the oldest partial snapshot. */
        for (int i = 0; i < RL_SNAPSHOT_ASM_SLOTS && !s; i++)
            if (!a->slots[i].used)
                s = &a->slots[i];
        if (!s) {
            s = &a->slots[0];
            for (int i = 1; i < RL_SNAPSHOT_ASM_SLOTS; i++)
                if (a->slots[i].age < s->age)
                    s = &a->slots[i];
            slot_drop(s);
        }
        s->data = malloc(m->total_length ? (size_t)m->total_length : 1);
        s->have = calloc(cid.count, 1);
        if (!s->data || !s->have) {
            slot_drop(s);
            e = rl_set_err(errstr, errstr_size, RL_ERR_NOMEM,
                           "snapshot %s v%llu: %llu bytes: out of memory", cid.model_name,
                           (unsigned long long)cid.version, (unsigned long long)m->total_length);
            goto out;
        }
        s->used = 1;
        s->age = ++a->clock;
        s->id = cid;
        s->id.index = 0;
        s->chunk_size = m->chunk_size;
    }
    uint8_t *dst = s->data + (size_t)m->index * m->chunk_size;
    if (s->have[m->index]) {
        if (memcmp(dst, m->data.data, m->data.len) != 0) {
            e = rl_set_err(errstr, errstr_size, RL_ERR_FORMAT,
                           "snapshot %s v%llu: chunk %u arrived twice with different bytes; "
                           "dropping the partial snapshot",
                           cid.model_name, (unsigned long long)cid.version, cid.index);
            slot_drop(s);
        }
        goto out; /* identical duplicate: ignored */
    }
    memcpy(dst, m->data.data, m->data.len);
    s->have[m->index] = 1;
    s->n_have++;
    if (s->n_have < s->id.count)
        goto out;
    uint64_t sum = rl_fmt_hash64(s->data, (size_t)s->id.total_length);
    if (sum != s->id.total_checksum) {
        e = rl_set_err(errstr, errstr_size, RL_ERR_CHECKSUM,
                       "snapshot %s v%llu: reassembled %u chunks but the checksum does not "
                       "match (stored %016llx, computed %016llx)",
                       cid.model_name, (unsigned long long)cid.version, s->id.count,
                       (unsigned long long)s->id.total_checksum, (unsigned long long)sum);
        slot_drop(s);
        goto out;
    }
    rl_snapshot_id whole_id;
    char sub[256];
    e = rl_snapshot_peek(s->data, (size_t)s->id.total_length, &whole_id, sub, sizeof(sub));
    if (e == RL_OK && !same_snapshot(&whole_id, cid.model_name, cid.instance_id, cid.version))
        e = rl_set_err(sub, sizeof(sub), RL_ERR_FORMAT,
                       "the snapshot inside is %s v%llu, not what its chunks say",
                       whole_id.model_name, (unsigned long long)whole_id.version);
    if (e != RL_OK) {
        rl_set_err(errstr, errstr_size, e, "snapshot %s v%llu reassembled: %s", cid.model_name,
                   (unsigned long long)cid.version, sub);
        slot_drop(s);
        goto out;
    }
    whole_id.is_chunk = 1;
    whole_id.count = s->id.count;
    whole_id.total_checksum = s->id.total_checksum;
    e = deliver(a, s->data, (size_t)s->id.total_length, &whole_id, complete, id, whole, errstr,
                errstr_size);
    slot_drop(s);
out:
    relearn__snapshot_chunk__free_unpacked(m, NULL);
    return e;
}

int64_t rl_snapshot_asm_missing(const rl_snapshot_asm *a, const char *model_name, uint64_t version)
{
    for (int i = 0; i < RL_SNAPSHOT_ASM_SLOTS; i++) {
        const asm_slot *s = &a->slots[i];
        if (s->used && s->id.version == version && strcmp(s->id.model_name, model_name) == 0)
            return (int64_t)s->id.count - s->n_have;
    }
    return -1;
}
