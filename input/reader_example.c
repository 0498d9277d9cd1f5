/* reader_example.c - from text records to what the learners take: the hashed feature name,
 * the label mapped to the task's convention, and rl_example built in reused buffers. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "learners/interactions.h"
#include "input/reader_int.h"

size_t rl_record_feature_name(const rl_text_feature *f, char *out, size_t out_size)
{
    if (!f->name)
        return 0;
    const int joined = f->ns && f->ns_sep;
    size_t need = joined ? (size_t)f->ns_len + 1 + f->name_len : f->name_len;
    if (need > out_size)
        return need;
    size_t o = 0;
    if (joined) {
        memcpy(out, f->ns, f->ns_len);
        o = f->ns_len;
        out[o++] = f->ns_sep;
    }
    memcpy(out + o, f->name, f->name_len);
    return need;
}

rl_err rl_record_label(const rl_reader *r, const rl_record *rec, rl_task task, uint32_t n_classes,
                       float *out, char *errstr, size_t errstr_size)
{
    float y = rec->label;
    const char *name = r ? r->name : "<input>";
    switch (task) {
    case RL_TASK_BINARY:
        if (y == 0.0f || y == 1.0f) {
            *out = y;
            return RL_OK;
        }
        if (y == -1.0f) {
            *out = 0.0f;
            return RL_OK;
        }
        return rl_set_err(errstr, errstr_size, RL_ERR_FORMAT,
                          "%s:%llu: label %.9g is not a binary label (0/1 or -1/+1)", name,
                          (unsigned long long)rec->line, (double)y);
    case RL_TASK_MULTICLASS:
        if (y >= 0.0f && y == floorf(y) && y < (float)n_classes) {
            *out = y;
            return RL_OK;
        }
        return rl_set_err(errstr, errstr_size, RL_ERR_FORMAT,
                          "%s:%llu: label %.9g is not a class id 0..%u", name,
                          (unsigned long long)rec->line, (double)y, n_classes ? n_classes - 1 : 0);
    case RL_TASK_REGRESSION:
        break;
    }
    *out = y;
    return RL_OK;
}

void rl_example_builder_init(rl_example_builder *b)
{
    memset(b, 0, sizeof(*b));
}

void rl_example_builder_free(rl_example_builder *b)
{
    if (!b)
        return;
    free(b->feats);
    free(b->ns);
    free(b->scratch);
    memset(b, 0, sizeof(*b));
}

rl_err rl_example_from_record(rl_example_builder *b, const rl_hasher *h, const rl_record *rec,
                              float label, rl_example *ex, char *errstr, size_t errstr_size)
{
    if (rec->n_feats > b->cap) {
        uint32_t nc = b->cap ? b->cap : 64;
        while (nc < rec->n_feats)
            nc = nc > UINT32_MAX / 2 ? rec->n_feats : nc * 2;
        rl_feature *nf = realloc(b->feats, (size_t)nc * sizeof(*nf));
        if (nf)
            b->feats = nf;
        uint8_t *nn = nf ? realloc(b->ns, nc) : NULL;
        if (!nn)
            return rl_set_err(errstr, errstr_size, RL_ERR_NOMEM, "out of memory for %u features",
                              nc);
        b->ns = nn;
        b->cap = nc;
    }
    for (uint32_t i = 0; i < rec->n_feats; i++) {
        const rl_text_feature *f = &rec->feats[i];
        uint32_t slot;
        if (!f->name) {
            /* rl_hash_index's identity case inline: most indices fit, and this runs per
             * feature. */
            slot = f->index <= h->mask ? (uint32_t)f->index : rl_hash_index(h, f->index);
        } else if (!f->ns || !f->ns_sep) {
            slot = rl_hash_name(h, f->name, f->name_len);
        } else {
            size_t need = rl_record_feature_name(f, b->scratch, b->scratch_cap);
            if (need > b->scratch_cap) {
                size_t nc = b->scratch_cap ? b->scratch_cap : 256;
                while (nc < need)
                    nc *= 2;
                char *ns = realloc(b->scratch, nc);
                if (!ns)
                    return rl_set_err(errstr, errstr_size, RL_ERR_NOMEM, "out of memory");
                b->scratch = ns;
                b->scratch_cap = nc;
                need = rl_record_feature_name(f, b->scratch, b->scratch_cap);
            }
            slot = rl_hash_name(h, b->scratch, need);
        }
        b->feats[i].index = slot;
        b->feats[i].value = f->value;
        /* the first byte of the name as hashed: ns if it is joined to the name, else the name */
        b->ns[i] = f->name && f->ns && f->ns_sep ? rl_ns_byte(f->ns, f->ns_len)
                                                 : rl_ns_byte(f->name, f->name_len);
    }
    memset(ex, 0, sizeof(*ex));
    ex->label = label;
    ex->weight = rec->weight;
    ex->feats = b->feats;
    ex->ns = b->ns;
    ex->n_feats = rec->n_feats;
    return RL_OK;
}
