/* serve_request.c - reading a V1 predict request body: {"instances": [{name: value, ...}, ...]}.
 *
 * jsmn (Debian's libjsmn-dev, header-only) tokenizes the body in place: no allocation for a
 * request of up to STACK_TOKENS tokens, one array of exactly the needed size beyond that, and
 * names point into the body itself unless they hold escapes. jansson, used before, built a tree
 * of allocated objects for every request and cost ~2.5x as much per 40-feature request
 * (bench_serve_json, BENCHMARKS.md). Numbers are parsed as the readers parse them
 * (relearn_parse_value). Nothing is trusted: the tokenizer is strict, every token is checked
 * for the type the protocol allows, and nesting is walked without recursion. */
#define JSMN_STATIC
#define JSMN_STRICT
#include <jsmn.h>
#include <stdlib.h>
#include <string.h>

#include "serve/serve.h"

_Static_assert(sizeof(((rl_serve_req *)0)->stack_tok[0]) == sizeof(jsmntok_t),
               "rl_serve_req's token room has jsmntok_t's layout");

/* One past the last token of the value at token i (iterative: a hostile body nests deep). */
static int skip(const jsmntok_t *t, int n, int i)
{
    long pending = 1;
    while (pending > 0 && i < n) {
        pending += t[i].size - 1;
        i++;
    }
    return i;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static unsigned hex4(const char *p)
{
    return (unsigned)(hexval(p[0]) << 12 | hexval(p[1]) << 8 | hexval(p[2]) << 4 | hexval(p[3]));
}

static void put_utf8(rl_sbuf *b, unsigned cp)
{
    if (cp < 0x80) {
        rl_sbuf_printf(b, "%c", (char)cp);
    } else if (cp < 0x800) {
        rl_sbuf_printf(b, "%c%c", (char)(0xc0 | cp >> 6), (char)(0x80 | (cp & 0x3f)));
    } else if (cp < 0x10000) {
        rl_sbuf_printf(b, "%c%c%c", (char)(0xe0 | cp >> 12), (char)(0x80 | (cp >> 6 & 0x3f)),
                       (char)(0x80 | (cp & 0x3f)));
    } else {
        rl_sbuf_printf(b, "%c%c%c%c", (char)(0xf0 | cp >> 18), (char)(0x80 | (cp >> 12 & 0x3f)),
                       (char)(0x80 | (cp >> 6 & 0x3f)), (char)(0x80 | (cp & 0x3f)));
    }
}

/* Appends the JSON string p[0..n) (without quotes; jsmn has checked its escapes) unescaped.
 * A NUL (\u0000) is kept as a byte: names are any bytes. */
static void unescape(rl_sbuf *b, const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (p[i] != '\\') {
            size_t j = i;
            while (j < n && p[j] != '\\')
                j++;
            rl_sbuf_printf(b, "%.*s", (int)(j - i), p + i);
            /* %.*s stops at a NUL byte; JSON strings cannot hold a raw one (jsmn refuses
             * control characters only in strict mode for some; be exact anyway) */
            i = j - 1;
            continue;
        }
        char c = p[++i];
        switch (c) {
        case 'b':
            rl_sbuf_printf(b, "\b");
            break;
        case 'f':
            rl_sbuf_printf(b, "\f");
            break;
        case 'n':
            rl_sbuf_printf(b, "\n");
            break;
        case 'r':
            rl_sbuf_printf(b, "\r");
            break;
        case 't':
            rl_sbuf_printf(b, "\t");
            break;
        case 'u': {
            unsigned cp = i + 4 < n ? hex4(p + i + 1) : 0xfffd;
            i += 4;
            if (cp >= 0xd800 && cp < 0xdc00 && i + 6 < n && p[i + 1] == '\\' && p[i + 2] == 'u') {
                unsigned lo = hex4(p + i + 3);
                if (lo >= 0xdc00 && lo < 0xe000) {
                    cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                    i += 6;
                }
            }
            if (cp == 0) {
                if (rl_sbuf_printf(b, "%c", 'x'), !b->failed)
                    b->p[b->len - 1] = '\0';
            } else {
                put_utf8(b, cp);
            }
            break;
        }
        default: /* \" \\ \/ */
            rl_sbuf_printf(b, "%c", c);
            break;
        }
    }
}

static int tok_is(const char *js, const jsmntok_t *t, const char *s)
{
    size_t n = strlen(s);
    return (size_t)(t->end - t->start) == n && memcmp(js + t->start, s, n) == 0;
}

int rl_serve_req_parse(rl_serve_req *r, const char *js, size_t len, rl_sbuf *err)
{
    jsmn_parser p;
    int n;
    memset(r, 0, sizeof(*r));
    r->js = js;
    r->tok = (void *)r->stack_tok;
    jsmn_init(&p);
    n = jsmn_parse(&p, js, len, r->tok, RL_SERVE_STACK_TOKENS);
    if (n == JSMN_ERROR_NOMEM) {
        jsmn_init(&p);
        n = jsmn_parse(&p, js, len, NULL, 0);
        if (n > 0) {
            r->heap = malloc((size_t)n * sizeof(jsmntok_t));
            if (!r->heap) {
                rl_serve_error_json(err, "out of memory");
                return -1;
            }
            r->tok = r->heap;
            jsmn_init(&p);
            n = jsmn_parse(&p, js, len, r->tok, (unsigned)n);
        }
    }
    if (n < 0) {
        rl_serve_error_json(err, "body is not JSON: %s near byte %u",
                            n == JSMN_ERROR_PART ? "it ends too early" : "invalid character",
                            p.pos);
        return -1;
    }
    r->n = n;
    const jsmntok_t *t = r->tok;
    if (n < 1 || t[0].type != JSMN_OBJECT || skip(t, n, 0) != n) {
        rl_serve_error_json(err, "body must be one JSON object with \"instances\"");
        return -1;
    }
    r->inst = -1;
    for (int i = 1, k = 0; k < t[0].size; k++) {
        if (t[i].type == JSMN_STRING && tok_is(js, &t[i], "instances"))
            r->inst = i + 1;
        i = skip(t, n, i + 1);
    }
    if (r->inst < 0 || t[r->inst].type != JSMN_ARRAY) {
        rl_serve_error_json(err, "body needs \"instances\": an array of objects of feature "
                                 "name -> value");
        return -1;
    }
    r->n_instances = (size_t)t[r->inst].size;
    r->next = r->inst + 1;
    /* the largest instance, so the caller sizes its feature array once */
    r->most = 1;
    for (int i = r->inst + 1, k = 0; k < t[r->inst].size; k++) {
        if (t[i].type == JSMN_OBJECT && (size_t)t[i].size > r->most)
            r->most = (size_t)t[i].size;
        i = skip(t, n, i);
    }
    return 0;
}

int rl_serve_req_instance(rl_serve_req *r, size_t idx, relearn_feature *f, size_t *n_out,
                          rl_sbuf *names, size_t *name_off, rl_sbuf *err)
{
    const jsmntok_t *t = r->tok;
    const char *js = r->js;
    int i = r->next;
    size_t k = 0;
    if (t[i].type != JSMN_OBJECT) {
        rl_serve_error_json(err, "instance %zu: not an object of feature name -> value", idx);
        return -1;
    }
    if (t[i].size > RELEARN_MAX_FEATURES) {
        rl_serve_error_json(err, "instance %zu: %d features, more than %d", idx, t[i].size,
                            RELEARN_MAX_FEATURES);
        return -1;
    }
    r->next = skip(t, r->n, i);
    names->len = 0;
    int pairs = t[i].size;
    i++;
    for (int q = 0; q < pairs; q++, i += 2) {
        const jsmntok_t *key = &t[i], *v = &t[i + 1];
        const char *kp = js + key->start, *vp = js + v->start;
        size_t kn = (size_t)(key->end - key->start), vn = (size_t)(v->end - v->start);
        int kesc = memchr(kp, '\\', kn) != NULL;
        memset(&f[k], 0, sizeof(f[k]));
        if (key->type != JSMN_STRING) {
            rl_serve_error_json(err, "instance %zu: a feature name must be a string", idx);
            return -1;
        }
        if (v->type == JSMN_PRIMITIVE && vp[0] == 'n') {
            if (!tok_is(js, v, "null"))
                goto bad_value;
            continue; /* absent */
        }
        f[k].value = 1.0f;
        if (v->type == JSMN_PRIMITIVE && (vp[0] == 't' || vp[0] == 'f')) {
            if (!tok_is(js, v, "true") && !tok_is(js, v, "false"))
                goto bad_value;
            f[k].value = vp[0] == 't' ? 1.0f : 0.0f;
        } else if (v->type == JSMN_PRIMITIVE) {
            if (relearn_parse_value(vp, vn, &f[k].value) != RELEARN_OK) {
                rl_serve_error_json(err,
                                    "instance %zu: feature \"%.*s\": %.*s is not a finite "
                                    "number within float range",
                                    idx, (int)(kn > 100 ? 100 : kn), kp, (int)(vn > 40 ? 40 : vn),
                                    vp);
                return -1;
            }
        } else if (v->type != JSMN_STRING) {
            goto bad_value;
        }
        if (v->type == JSMN_STRING || kesc) {
            /* built in names; names->p may move as it grows: offsets now, pointers after */
            name_off[k] = names->len;
            unescape(names, kp, kn);
            if (v->type == JSMN_STRING) {
                rl_sbuf_printf(names, "=");
                unescape(names, vp, vn);
            }
            f[k].name_len = names->len - name_off[k];
            f[k].index = UINT64_MAX; /* marks a name to fix up */
        } else {
            f[k].name = kp;
            f[k].name_len = kn;
        }
        k++;
        continue;
    bad_value:
        rl_serve_error_json(err,
                            "instance %zu: feature \"%.*s\": value must be a number, a string "
                            "(categorical), a boolean or null",
                            idx, (int)(kn > 100 ? 100 : kn), kp);
        return -1;
    }
    if (names->failed) {
        rl_serve_error_json(err, "out of memory");
        return -1;
    }
    for (size_t j = 0; j < k; j++)
        if (!f[j].name && f[j].index == UINT64_MAX)
            f[j].name = names->p + name_off[j];
    *n_out = k;
    return 0;
}

void rl_serve_req_free(rl_serve_req *r)
{
    free(r->heap);
    r->heap = NULL;
}
