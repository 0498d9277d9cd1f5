/* event_text.c - one text line per message -> rl_example, through the readers (event_text.h). */
#include <stdlib.h>
#include <string.h>

#include "wire/event_text.h"

struct rl_text_decoder {
    rl_event_codec_config cfg;
    rl_hasher h;
    rl_reader *r;
    rl_example_builder b;
    const rl_record *rec;
    char name[4096]; /* the name of the feature asked for, composed ("ns^name", "col=value") */
};

/* (event_codec.h: shared by the JSON and text decoders, kept here beside its other user.) */
rl_err rl_event_codec_check_sparse(const rl_event_codec_config *c, const char *what, char *errstr,
                                   size_t errstr_size)
{
    rl_event_decoder *probe = NULL; /* one is made and dropped: its checks say what is wrong */
    rl_err e = rl_event_decoder_new(c, &probe, errstr, errstr_size);
    rl_event_decoder_destroy(probe);
    if (e == RL_OK && c->dense_dim)
        e = rl_set_err(errstr, errstr_size, RL_ERR_INVALID_ARG,
                       "%s carry no dense block (dense_dim %u)", what, c->dense_dim);
    return e;
}

void rl_text_decoder_destroy(rl_text_decoder *d)
{
    if (!d)
        return;
    rl_reader_destroy(d->r);
    rl_example_builder_free(&d->b);
    free(d);
}

rl_err rl_text_decoder_new(const rl_event_codec_config *c, const rl_reader_opts *ropts,
                           const char *csv_header, rl_text_decoder **out, char *errstr,
                           size_t errstr_size)
{
    *out = NULL;
    rl_err e = rl_event_codec_check_sparse(c, "text lines", errstr, errstr_size);
    if (e != RL_OK)
        return e;
    rl_text_decoder *d = calloc(1, sizeof(*d));
    if (!d)
        return rl_set_err(errstr, errstr_size, RL_ERR_NOMEM, "text decoder: out of memory");
    d->cfg = *c;
    rl_hasher_init(&d->h, c->bits, c->seed);
    rl_example_builder_init(&d->b);
    rl_reader_opts o = *ropts;
    o.max_features = c->max_features;
    if (o.max_line < c->max_bytes)
        o.max_line = c->max_bytes;
    e = rl_reader_open_lines(rl_text_format_name(o.format), &o, csv_header, &d->r, errstr,
                             errstr_size);
    if (e != RL_OK) {
        rl_text_decoder_destroy(d);
        return e;
    }
    *out = d;
    return RL_OK;
}

rl_event_reason rl_text_decode(rl_text_decoder *d, const void *buf, size_t len, rl_example *ex,
                               char *errstr, size_t errstr_size)
{
    d->rec = NULL;
    if (len > d->cfg.max_bytes) {
        rl_set_err(errstr, errstr_size, RL_ERR_BAD_EVENT, "%zu bytes, more than %zu", len,
                   d->cfg.max_bytes);
        return RL_EVENT_OVERSIZED;
    }
    const rl_record *rec;
    rl_err e = rl_reader_parse_line(d->r, buf, len, &rec, errstr, errstr_size);
    if (e != RL_OK)
        return strstr(errstr, "more than") && strstr(errstr, "features")
                   ? RL_EVENT_TOO_MANY_FEATURES
                   : RL_EVENT_UNDECODABLE;
    float y = rec->label;
    rl_event_reason r = rl_event_check_label(&d->cfg, &y, errstr, errstr_size);
    if (r != RL_EVENT_OK)
        return r;
    if (rl_example_from_record(&d->b, &d->h, rec, y, ex, errstr, errstr_size) != RL_OK)
        return RL_EVENT_UNDECODABLE;
    d->rec = rec;
    return RL_EVENT_OK;
}

const uint8_t *rl_text_feature_name(rl_text_decoder *d, uint32_t i, size_t *len)
{
    *len = 0;
    if (!d->rec || i >= d->rec->n_feats || !d->rec->feats[i].name)
        return NULL;
    size_t n = rl_record_feature_name(&d->rec->feats[i], d->name, sizeof(d->name));
    if (n > sizeof(d->name))
        n = 0; /* longer than kept: the dictionary keeps at most 63 bytes anyway */
    *len = n;
    return n ? (const uint8_t *)d->name : NULL;
}
