/* event_json.c - JSON objects -> rl_example through a field mapping (event_json.h). */
#define JSMN_STATIC
#define JSMN_STRICT
#include <jsmn.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "learners/interactions.h"
#include "wire/event_json.h"

typedef struct str_list {
    char *buf;
    const char **s;
    uint32_t *len;
    uint32_t n;
} str_list;

struct rl_json_decoder {
    rl_event_codec_config cfg;
    rl_hasher h;
    char *label, *weight; /* paths; weight "" = none */
    str_list feats_sel, label_values;
    jsmntok_t *tok;
    unsigned n_tok;
    rl_feature *feats;
    uint8_t *ns;
    uint32_t *name_off, *name_len;
    char *arena; /* the names of the current event */
    size_t arena_cap, arena_used;
    char path[RL_JSON_MAX_NAME];
};

static int list_init(str_list *l, const char *s)
{
    memset(l, 0, sizeof(*l));
    if (!s || !*s)
        return 0;
    size_t n = 1, len = strlen(s);
    for (size_t i = 0; i < len; i++)
        n += s[i] == ',';
    l->buf = malloc(len + 1);
    l->s = calloc(n, sizeof(*l->s));
    l->len = calloc(n, sizeof(*l->len));
    if (!l->buf || !l->s || !l->len)
        return -1;
    memcpy(l->buf, s, len + 1);
    char *p = l->buf;
    for (size_t k = 0; k < n; k++) {
        char *e = strchr(p, ',');
        if (e)
            *e = '\0';
        l->s[k] = p;
        l->len[k] = (uint32_t)strlen(p);
        p = e ? e + 1 : p + strlen(p);
    }
    l->n = (uint32_t)n;
    return 0;
}

static void list_free(str_list *l)
{
    free(l->buf);
    free(l->s);
    free(l->len);
}

void rl_json_decoder_destroy(rl_json_decoder *d)
{
    if (!d)
        return;
    free(d->label);
    free(d->weight);
    list_free(&d->feats_sel);
    list_free(&d->label_values);
    free(d->tok);
    free(d->feats);
    free(d->ns);
    free(d->name_off);
    free(d->name_len);
    free(d->arena);
    free(d);
}

rl_err rl_json_decoder_new(const rl_event_codec_config *c, const rl_json_mapping *m,
                           rl_json_decoder **out, char *errstr, size_t errstr_size)
{
    *out = NULL;
    rl_err e = rl_event_codec_check_sparse(c, "JSON events", errstr, errstr_size);
    if (e != RL_OK)
        return e;
    rl_json_decoder *d = calloc(1, sizeof(*d));
    if (!d)
        return rl_set_err(errstr, errstr_size, RL_ERR_NOMEM, "JSON decoder: out of memory");
    d->cfg = *c;
    rl_hasher_init(&d->h, c->bits, c->seed);
    d->label = strdup(m && m->label ? m->label : "label");
    d->weight = strdup(m && m->weight ? m->weight : "weight");
    /* key + value per feature, an array element per category, and room for structure */
    d->n_tok = c->max_features * 2 + 256;
    d->tok = calloc(d->n_tok, sizeof(*d->tok));
    d->feats = calloc(c->max_features, sizeof(*d->feats));
    d->ns = calloc(c->max_features, 1);
    d->name_off = calloc(c->max_features, sizeof(*d->name_off));
    d->name_len = calloc(c->max_features, sizeof(*d->name_len));
    d->arena_cap = 2 * c->max_bytes + 4096;
    d->arena = malloc(d->arena_cap);
    if (!d->label || !d->weight || !d->tok || !d->feats || !d->ns || !d->name_off || !d->name_len ||
        !d->arena || list_init(&d->feats_sel, m ? m->features : NULL) ||
        list_init(&d->label_values, m ? m->label_values : NULL)) {
        rl_json_decoder_destroy(d);
        return rl_set_err(errstr, errstr_size, RL_ERR_NOMEM, "JSON decoder: out of memory");
    }
    if (!d->label[0]) {
        rl_json_decoder_destroy(d);
        return rl_set_err(errstr, errstr_size, RL_ERR_INVALID_ARG,
                          "JSON events: empty label field");
    }
    *out = d;
    return RL_OK;
}

static int hexval(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c - 'A' + 10;
}

/* Appends the JSON string p[0..n) (jsmn's strict mode has checked its escapes), unescaped, to
 * out at *o (cap bytes). -1 when it does not fit. */
static int unescape(const char *p, size_t n, char *out, size_t *o, size_t cap)
{
    for (size_t i = 0; i < n; i++) {
        unsigned cp = (unsigned char)p[i];
        if (p[i] == '\\') {
            char c = p[++i];
            cp = c == 'b'   ? '\b'
                 : c == 'f' ? '\f'
                 : c == 'n' ? '\n'
                 : c == 'r' ? '\r'
                 : c == 't' ? '\t'
                            : (unsigned char)c;
            if (c == 'u') {
                cp = (unsigned)(hexval(p[i + 1]) << 12 | hexval(p[i + 2]) << 8 |
                                hexval(p[i + 3]) << 4 | hexval(p[i + 4]));
                i += 4;
                if (cp >= 0xd800 && cp < 0xdc00 && i + 6 < n && p[i + 1] == '\\' &&
                    p[i + 2] == 'u') {
                    unsigned lo = (unsigned)(hexval(p[i + 3]) << 12 | hexval(p[i + 4]) << 8 |
                                             hexval(p[i + 5]) << 4 | hexval(p[i + 6]));
                    if (lo >= 0xdc00 && lo < 0xe000) {
                        cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                        i += 6;
                    }
                }
                /* UTF-8, 1 to 4 bytes */
                unsigned char b[4];
                int k = 0;
                if (cp < 0x80) {
                    b[k++] = (unsigned char)cp;
                } else if (cp < 0x800) {
                    b[k++] = (unsigned char)(0xc0 | cp >> 6);
                    b[k++] = (unsigned char)(0x80 | (cp & 0x3f));
                } else if (cp < 0x10000) {
                    b[k++] = (unsigned char)(0xe0 | cp >> 12);
                    b[k++] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
                    b[k++] = (unsigned char)(0x80 | (cp & 0x3f));
                } else {
                    b[k++] = (unsigned char)(0xf0 | cp >> 18);
                    b[k++] = (unsigned char)(0x80 | (cp >> 12 & 0x3f));
                    b[k++] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
                    b[k++] = (unsigned char)(0x80 | (cp & 0x3f));
                }
                if (*o + (size_t)k > cap)
                    return -1;
                memcpy(out + *o, b, (size_t)k);
                *o += (size_t)k;
                continue;
            }
        }
        if (*o + 1 > cap)
            return -1;
        out[(*o)++] = (char)cp;
    }
    return 0;
}

static int path_is(const char *path, size_t n, const char *want)
{
    return strlen(want) == n && memcmp(path, want, n) == 0;
}

/* A feature field: listed in the mapping (itself or an object above it), or, with no list,
 * anything but the label and the weight. */
static int is_feature(const rl_json_decoder *d, const char *path, size_t n)
{
    if (path_is(path, n, d->label) || (d->weight[0] && path_is(path, n, d->weight)))
        return 0;
    if (!d->feats_sel.n)
        return 1;
    for (uint32_t k = 0; k < d->feats_sel.n; k++) {
        size_t m = d->feats_sel.len[k];
        if (m <= n && memcmp(path, d->feats_sel.s[k], m) == 0 && (m == n || path[m] == '.'))
            return 1;
    }
    return 0;
}

/* A JSON number token as a double; NULL on success, else why not. */
static const char *number(const char *p, size_t n, double *out)
{
    char tmp[64];
    if (n >= sizeof(tmp))
        return "number too long";
    memcpy(tmp, p, n);
    tmp[n] = '\0';
    char *end = NULL;
    *out = strtod(tmp, &end);
    if (end != tmp + n)
        return "not a number";
    return NULL;
}

typedef struct walk {
    rl_json_decoder *d;
    const char *js;
    uint32_t n_feats;
    int have_label;
    int n_tok; /* tokens of this message */
    float label, weight;
    char *errstr;
    size_t errstr_size;
} walk;

/* Adds the feature path[0..plen) + ("=" + the string value, when v is a string) with value x. */
static rl_event_reason add(walk *w, size_t plen, const jsmntok_t *v, float x)
{
    rl_json_decoder *d = w->d;
    if (w->n_feats == d->cfg.max_features) {
        rl_set_err(w->errstr, w->errstr_size, RL_ERR_BAD_EVENT, "more than %u features",
                   d->cfg.max_features);
        return RL_EVENT_TOO_MANY_FEATURES;
    }
    size_t o = d->arena_used, start = o;
    if (o + plen + 1 > d->arena_cap)
        goto too_long;
    memcpy(d->arena + o, d->path, plen);
    o += plen;
    if (v && v->type == JSMN_STRING) {
        d->arena[o++] = '=';
        if (unescape(w->js + v->start, (size_t)(v->end - v->start), d->arena, &o, d->arena_cap) ||
            o - start > RL_JSON_MAX_NAME)
            goto too_long;
    }
    if (!isfinite(x)) {
        rl_set_err(w->errstr, w->errstr_size, RL_ERR_BAD_EVENT, "field %.*s: value not finite",
                   (int)(plen > 64 ? 64 : plen), d->path);
        return RL_EVENT_NONFINITE_VALUE;
    }
    if (!(fabsf(x) <= RL_FEATURE_VALUE_MAX)) {
        rl_set_err(w->errstr, w->errstr_size, RL_ERR_BAD_EVENT,
                   "field %.*s: value beyond +-%g, the largest the learners take",
                   (int)(plen > 64 ? 64 : plen), d->path, (double)RL_FEATURE_VALUE_MAX);
        return RL_EVENT_VALUE_TOO_LARGE;
    }
    uint32_t i = w->n_feats++;
    d->name_off[i] = (uint32_t)start;
    d->name_len[i] = (uint32_t)(o - start);
    d->arena_used = o;
    d->feats[i].index = rl_hash_name(&d->h, d->arena + start, o - start);
    d->feats[i].value = x;
    d->ns[i] = rl_ns_byte(d->arena + start, o - start);
    return RL_EVENT_OK;
too_long:
    rl_set_err(w->errstr, w->errstr_size, RL_ERR_BAD_EVENT,
               "a feature name longer than %d bytes (or names beyond the message's size)",
               RL_JSON_MAX_NAME);
    return RL_EVENT_UNDECODABLE;
}

static int word_is(const char *p, size_t n, const char *w)
{
    return strlen(w) == n && strncasecmp(p, w, n) == 0;
}

/* The label from token v: a number, true/false, or a string class name / yes/no / true/false. */
static rl_event_reason take_label(walk *w, const jsmntok_t *v)
{
    const char *p = w->js + v->start;
    size_t n = (size_t)(v->end - v->start);
    double y;
    const str_list *lv = &w->d->label_values;
    w->have_label = 1;
    if (v->type == JSMN_STRING) {
        for (uint32_t k = 0; k < lv->n; k++)
            if (lv->len[k] == n && memcmp(lv->s[k], p, n) == 0) {
                w->label = (float)k;
                return rl_event_check_label(&w->d->cfg, &w->label, w->errstr, w->errstr_size);
            }
        if (!lv->n && (word_is(p, n, "yes") || word_is(p, n, "true") || word_is(p, n, "no") ||
                       word_is(p, n, "false"))) {
            w->label = word_is(p, n, "yes") || word_is(p, n, "true");
            return rl_event_check_label(&w->d->cfg, &w->label, w->errstr, w->errstr_size);
        }
    } else if (v->type == JSMN_PRIMITIVE && (*p == 't' || *p == 'f')) {
        w->label = *p == 't';
        return rl_event_check_label(&w->d->cfg, &w->label, w->errstr, w->errstr_size);
    } else if (v->type == JSMN_PRIMITIVE && *p != 'n' && !number(p, n, &y)) {
        w->label = (float)y;
        return rl_event_check_label(&w->d->cfg, &w->label, w->errstr, w->errstr_size);
    }
    if (v->type == JSMN_PRIMITIVE && *p == 'n') {
        w->have_label = 0; /* null: missing */
        return RL_EVENT_OK;
    }
    rl_set_err(w->errstr, w->errstr_size, RL_ERR_BAD_EVENT,
               "label is not a number, true/false, yes/no%s", lv->n ? " or a declared class" : "");
    return RL_EVENT_LABEL_DOMAIN;
}

/* One value at token i under path[0..plen); returns the token after it, or -1 (reason in *r). */
static int leaf(walk *w, int i, size_t plen, rl_event_reason *r)
{
    rl_json_decoder *d = w->d;
    const jsmntok_t *v = &d->tok[i];
    const char *p = w->js + v->start;
    size_t n = (size_t)(v->end - v->start);
    double x;
    *r = RL_EVENT_OK;
    if (path_is(d->path, plen, d->label)) {
        *r = take_label(w, v);
    } else if (d->weight[0] && path_is(d->path, plen, d->weight)) {
        if (v->type != JSMN_PRIMITIVE || *p == 't' || *p == 'f' || *p == 'n' || number(p, n, &x) ||
            !(x >= 0) || !isfinite((float)x)) {
            rl_set_err(w->errstr, w->errstr_size, RL_ERR_BAD_EVENT,
                       "weight is not a finite number >= 0");
            *r = RL_EVENT_BAD_WEIGHT;
        } else {
            w->weight = (float)x;
        }
    } else if (!is_feature(d, d->path, plen)) {
        /* not a feature: skipped below */
    } else if (v->type == JSMN_STRING) {
        *r = add(w, plen, v, 1.0f);
    } else if (v->type == JSMN_PRIMITIVE) {
        if (*p == 't' || *p == 'f')
            *r = add(w, plen, NULL, *p == 't' ? 1.0f : 0.0f);
        else if (*p != 'n' && !number(p, n, &x))
            *r = add(w, plen, NULL, (float)x);
    } else if (v->type == JSMN_ARRAY) {
        for (int k = 0; k < v->size && *r == RL_EVENT_OK; k++) {
            const jsmntok_t *e = &d->tok[i + 1 + k];
            if (i + 1 + k >= w->n_tok || e->type != JSMN_STRING) {
                rl_set_err(w->errstr, w->errstr_size, RL_ERR_BAD_EVENT,
                           "field %.*s: an array of other than strings",
                           (int)(plen > 64 ? 64 : plen), d->path);
                *r = RL_EVENT_UNDECODABLE;
            } else {
                *r = add(w, plen, e, 1.0f);
            }
        }
        return *r == RL_EVENT_OK ? i + 1 + v->size : -1;
    }
    if (*r != RL_EVENT_OK)
        return -1;
    /* skip the value (an array or object not read as a feature: its whole subtree) */
    int end = i + 1;
    for (long pending = v->size; pending > 0 && end < w->n_tok; end++)
        pending += d->tok[end].size - 1;
    return end;
}

rl_event_reason rl_json_decode(rl_json_decoder *d, const void *buf, size_t len, rl_example *ex,
                               char *errstr, size_t errstr_size)
{
    if (len > d->cfg.max_bytes) {
        rl_set_err(errstr, errstr_size, RL_ERR_BAD_EVENT, "%zu bytes, more than %zu", len,
                   d->cfg.max_bytes);
        return RL_EVENT_OVERSIZED;
    }
    jsmn_parser ps;
    jsmn_init(&ps);
    int nt = jsmn_parse(&ps, (const char *)buf, len, d->tok, d->n_tok);
    if (nt == JSMN_ERROR_NOMEM) {
        rl_set_err(errstr, errstr_size, RL_ERR_BAD_EVENT, "more than %u JSON tokens", d->n_tok);
        return RL_EVENT_TOO_MANY_FEATURES;
    }
    if (nt < 1 || d->tok[0].type != JSMN_OBJECT || d->tok[0].end != (int)len) {
        /* trailing blanks after the object are fine */
        int ok = nt >= 1 && d->tok[0].type == JSMN_OBJECT;
        for (size_t k = ok ? (size_t)d->tok[0].end : len; ok && k < len; k++)
            ok = strchr(" \t\r\n", ((const char *)buf)[k]) != NULL;
        if (!ok) {
            rl_set_err(errstr, errstr_size, RL_ERR_BAD_EVENT, "not one JSON object%s",
                       nt < 0 ? " (malformed JSON)" : "");
            return RL_EVENT_UNDECODABLE;
        }
    }
    walk w = {d, (const char *)buf, 0, 0, nt, 0, 1.0f, errstr, errstr_size};
    struct {
        int left;
        size_t plen;
    } st[RL_JSON_MAX_DEPTH];
    int depth = 0, i = 1;
    st[0].left = d->tok[0].size;
    st[0].plen = 0;
    d->arena_used = 0;
    while (depth >= 0) {
        if (st[depth].left == 0) {
            depth--;
            continue;
        }
        st[depth].left--;
        const jsmntok_t *k = &d->tok[i];
        /* jsmn does not check everything: a key must be a string with exactly one value */
        if (i + 1 >= nt || k->type != JSMN_STRING || k->size != 1) {
            rl_set_err(errstr, errstr_size, RL_ERR_BAD_EVENT, "not one JSON object (malformed)");
            return RL_EVENT_UNDECODABLE;
        }
        size_t plen = st[depth].plen, o = plen;
        if (plen)
            d->path[o++] = '.';
        if (o >= sizeof(d->path) ||
            unescape(w.js + k->start, (size_t)(k->end - k->start), d->path, &o, sizeof(d->path))) {
            rl_set_err(errstr, errstr_size, RL_ERR_BAD_EVENT, "a field path longer than %d bytes",
                       RL_JSON_MAX_NAME);
            return RL_EVENT_UNDECODABLE;
        }
        i++;
        if (d->tok[i].type == JSMN_OBJECT) {
            if (depth + 1 == RL_JSON_MAX_DEPTH) {
                rl_set_err(errstr, errstr_size, RL_ERR_BAD_EVENT, "objects nested deeper than %d",
                           RL_JSON_MAX_DEPTH);
                return RL_EVENT_UNDECODABLE;
            }
            depth++;
            st[depth].left = d->tok[i].size;
            st[depth].plen = o;
            i++;
            continue;
        }
        rl_event_reason r;
        i = leaf(&w, i, o, &r);
        if (i < 0)
            return r;
    }
    if (!w.have_label) {
        rl_set_err(errstr, errstr_size, RL_ERR_BAD_EVENT, "no label field '%s'", d->label);
        return RL_EVENT_MISSING_LABEL;
    }
    memset(ex, 0, sizeof(*ex));
    ex->label = w.label;
    ex->weight = w.weight;
    ex->feats = d->feats;
    ex->ns = d->ns;
    ex->n_feats = w.n_feats;
    return RL_EVENT_OK;
}

const uint8_t *rl_json_feature_name(const rl_json_decoder *d, uint32_t i, size_t *len)
{
    *len = d->name_len[i];
    return (const uint8_t *)d->arena + d->name_off[i];
}

/* A JSON string of p[0..n): quotes, \" \\ and control bytes escaped; other bytes as they are. */
static void put_str(rl_buf *b, const char *p, size_t n)
{
    rl_buf_put(b, "\"", 1);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c == '"' || c == '\\') {
            char e[2] = {'\\', (char)c};
            rl_buf_put(b, e, 2);
        } else if (c < 0x20) {
            char e[8];
            snprintf(e, sizeof(e), "\\u%04x", c);
            rl_buf_put(b, e, 6);
        } else {
            rl_buf_put(b, p + i, 1);
        }
    }
    rl_buf_put(b, "\"", 1);
}

static void put_num(rl_buf *b, double x)
{
    char t[32];
    int n = snprintf(t, sizeof(t), "%.9g", x);
    rl_buf_put(b, t, (size_t)n);
}

rl_err rl_event_encode_json(const rl_record *rec, rl_buf *out)
{
    rl_buf_put(out, "{\"label\":", 9);
    put_num(out, rec->label);
    if (rec->has_weight) {
        rl_buf_put(out, ",\"weight\":", 10);
        put_num(out, rec->weight);
    }
    for (uint32_t i = 0; i < rec->n_feats; i++) {
        const rl_text_feature *f = &rec->feats[i];
        rl_buf_put(out, ",", 1);
        if (f->name && f->ns && f->ns_sep == '=') {
            put_str(out, f->ns, f->ns_len);
            rl_buf_put(out, ":", 1);
            put_str(out, f->name, f->name_len);
            continue;
        }
        if (f->name) {
            size_t n = rl_record_feature_name(f, NULL, 0);
            char stack[256];
            if (n <= sizeof(stack)) {
                rl_record_feature_name(f, stack, sizeof(stack));
                put_str(out, stack, n);
            } else {
                /* a name longer than the stack buffer (rare): one allocation */
                char *tmp = malloc(n);
                if (!tmp)
                    return RL_ERR_NOMEM;
                rl_record_feature_name(f, tmp, n);
                put_str(out, tmp, n);
                free(tmp);
            }
        } else {
            char t[32];
            int n = snprintf(t, sizeof(t), "%llu", (unsigned long long)f->index);
            put_str(out, t, (size_t)n);
        }
        rl_buf_put(out, ":", 1);
        put_num(out, f->value);
    }
    rl_buf_put(out, "}", 1);
    return out->failed ? RL_ERR_NOMEM : RL_OK;
}
