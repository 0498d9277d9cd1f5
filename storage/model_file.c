/* model_file.c - open any relearn model file (checkpoint or snapshot) as one weights view. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "storage/model_file.h"

const char *rl_file_kind_name(rl_file_kind k)
{
    switch (k) {
    case RL_FILE_CHECKPOINT:
        return "checkpoint";
    case RL_FILE_SNAPSHOT:
        return "snapshot";
    case RL_FILE_CHUNK:
        return "snapshot chunk";
    }
    return "unknown";
}

void rl_model_file_close(rl_model_file *f)
{
    if (!f)
        return;
    rl_ckpt_clear(&f->ckpt);
    rl_model_destroy(f->model);
    rl_snapshot_clear(&f->snap);
    free(f->owned);
    memset(f, 0, sizeof(*f));
}

rl_err rl_model_file_open(const char *path, rl_model_file *f, char *errstr, size_t errstr_size)
{
    rl_buf b;
    char sub[512];
    rl_err e;
    memset(f, 0, sizeof(*f));
    rl_ckpt_init(&f->ckpt);
    rl_snapshot_init(&f->snap);
    rl_buf_init(&b);
    e = rl_file_read(path, &b, errstr, errstr_size);
    if (e != RL_OK)
        goto fail;
    f->file_len = b.len;
    if (b.len >= 4 && memcmp(b.data, RL_MAGIC_CKPT, 4) == 0) {
        f->kind = RL_FILE_CHECKPOINT;
        e = rl_ckpt_decode(b.data, b.len, &f->ckpt, sub, sizeof(sub));
        if (e == RL_OK)
            e = rl_ckpt_to_model(&f->ckpt, NULL, NULL, &f->model, sub, sizeof(sub));
        if (e != RL_OK)
            goto fail_sub;
        f->frame = &f->ckpt.frame;
        f->params = &rl_model_learner_c(f->model)->params;
        f->hash_seed = f->ckpt.config.hash_seed;
        f->dict = f->ckpt.dict;
        rl_learner_weights(rl_model_learner_c(f->model), &f->w);
    } else if (b.len >= 4 && memcmp(b.data, RL_MAGIC_CHUNK, 4) == 0) {
        f->kind = RL_FILE_CHUNK;
        e = rl_snapshot_peek(b.data, b.len, &f->chunk, sub, sizeof(sub));
        if (e != RL_OK)
            goto fail_sub;
    } else {
        /* Snapshot, or anything else: the decoder names what is wrong (magic, empty...). */
        f->kind = RL_FILE_SNAPSHOT;
        e = rl_snapshot_decode(b.data, b.len, &f->snap, sub, sizeof(sub));
        if (e == RL_OK)
            e = rl_snapshot_weights_dense(&f->snap, &f->w, &f->owned, sub, sizeof(sub));
        if (e != RL_OK)
            goto fail_sub;
        f->frame = &f->snap.frame;
        f->params = &f->snap.learner;
        f->hash_seed = f->snap.hash_seed;
        f->dict = f->snap.dict;
    }
    rl_buf_free(&b);
    return RL_OK;
fail_sub:
    rl_set_err(errstr, errstr_size, e, "%s: %s", path, sub);
fail:
    rl_buf_free(&b);
    rl_model_file_close(f);
    return e;
}

uint64_t rl_model_file_dim(const rl_model_file *f)
{
    return (uint64_t)f->w.n_rows * (f->w.n_sparse + f->w.dense_dim + 1);
}

float rl_model_file_get(const rl_model_file *f, uint64_t i)
{
    uint64_t per = f->w.n_sparse + f->w.dense_dim + 1;
    uint64_t r = i / per, k = i % per;
    if (k < f->w.n_sparse)
        return f->w.w[r * f->w.n_sparse + k];
    k -= f->w.n_sparse;
    if (k < f->w.dense_dim)
        return f->w.dense[r * f->w.dense_dim + k];
    return f->w.bias[r];
}

void rl_model_file_flatten(const rl_model_file *f, float *out)
{
    for (uint32_t r = 0; r < f->w.n_rows; r++) {
        memcpy(out, f->w.w + (size_t)r * f->w.n_sparse, f->w.n_sparse * sizeof(float));
        out += f->w.n_sparse;
        if (f->w.dense_dim)
            memcpy(out, f->w.dense + (size_t)r * f->w.dense_dim, f->w.dense_dim * sizeof(float));
        out += f->w.dense_dim;
        *out++ = f->w.bias[r];
    }
}

int64_t rl_model_file_slot(const rl_model_file *f, uint64_t i)
{
    uint64_t per = f->w.n_sparse + f->w.dense_dim + 1;
    uint64_t k = i % per;
    return k < f->w.n_sparse ? (int64_t)k : -1;
}

void rl_model_file_label(const rl_model_file *f, uint64_t i, char *out, size_t out_size)
{
    uint64_t per = f->w.n_sparse + f->w.dense_dim + 1;
    uint64_t r = i / per, k = i % per;
    size_t n = 0;
    int w = 0;
    if (f->w.n_rows > 1)
        w = snprintf(out, out_size, "class %llu:", (unsigned long long)r);
    if (w > 0)
        n = (size_t)w < out_size ? (size_t)w : out_size - 1;
    if (k >= f->w.n_sparse) {
        k -= f->w.n_sparse;
        if (k < f->w.dense_dim)
            snprintf(out + n, out_size - n, "dense[%llu]", (unsigned long long)k);
        else
            snprintf(out + n, out_size - n, "bias");
        return;
    }
    uint32_t len = 0;
    const char *name = f->dict ? rl_dict_lookup(f->dict, (uint32_t)k, &len) : NULL;
    if (!name) {
        snprintf(out + n, out_size - n, "slot %llu", (unsigned long long)k);
        return;
    }
    for (uint32_t j = 0; j < len && n + 5 < out_size; j++) {
        unsigned char ch = (unsigned char)name[j];
        if (ch >= 0x20 && ch < 0x7f && ch != '\\') {
            out[n++] = (char)ch;
        } else {
            snprintf(out + n, out_size - n, "\\x%02x", ch);
            n += 4;
        }
    }
    out[n] = '\0';
}

/* 1 when entry a ranks below b (smaller magnitude, or equal and a higher index). */
static int ranks_below(const float *v, uint64_t a, uint64_t b)
{
    float x = fabsf(v[a]), y = fabsf(v[b]);
    if (x != y)
        return x < y;
    return a > b;
}

static void heap_down(const float *v, uint64_t *h, size_t n, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < n && ranks_below(v, h[l], h[m]))
            m = l;
        if (r < n && ranks_below(v, h[r], h[m]))
            m = r;
        if (m == i)
            return;
        uint64_t t = h[i];
        h[i] = h[m];
        h[m] = t;
        i = m;
    }
}

size_t rl_top_abs(const float *v, uint64_t n, size_t k, int skip_zero, uint64_t *idx)
{
    /* A min-heap (by rank) of the best k so far: its root is the one to beat. */
    size_t size = 0;
    if (k == 0)
        return 0;
    for (uint64_t i = 0; i < n; i++) {
        if (skip_zero && v[i] == 0)
            continue;
        if (v[i] != v[i]) /* NaN never ranks */
            continue;
        if (size < k) {
            idx[size++] = i;
            for (size_t j = size - 1; j > 0;) {
                size_t p = (j - 1) / 2;
                if (!ranks_below(v, idx[j], idx[p]))
                    break;
                uint64_t t = idx[j];
                idx[j] = idx[p];
                idx[p] = t;
                j = p;
            }
        } else if (ranks_below(v, idx[0], i)) {
            idx[0] = i;
            heap_down(v, idx, size, 0);
        }
    }
    /* Heap-sort in place: pop the lowest to the end, leaving the best first. */
    for (size_t end = size; end > 1; end--) {
        uint64_t t = idx[0];
        idx[0] = idx[end - 1];
        idx[end - 1] = t;
        heap_down(v, idx, end - 1, 0);
    }
    return size;
}
