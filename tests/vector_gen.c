/* vector_gen.c - the test vectors of docs/FORMAT.md (tests/vectors/), made by the C code itself.
 *
 *   rl_vector_gen --write DIR   writes every vector file into DIR
 *   rl_vector_gen --check DIR   makes them again in memory and compares with DIR's files
 *
 * Each model is trained on a fixed stream of named features, published as a snapshot (fixed
 * metadata, so the bytes are reproducible), and scored on fixed events chosen to reach every
 * rule of the spec: seen and unseen names, namespaces, non-UTF-8 and empty names, indices below
 * and above the mask, repeated features, values up to the 1e18 input limit and subnormal ones,
 * dense blocks, the bias alone. The expected outputs are the model's own predict(); the
 * snapshot's predictor must agree bit for bit, or nothing is written. --check (a ctest) fails
 * when the committed vectors are not what the code produces now, so the spec cannot drift from
 * the code. A zstd-framed file may differ in its compressed bytes with another zstd build:
 * those are compared by their decompressed payload. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "storage/ckpt.h"
#include "learners/features.h"
#include "learners/interactions.h"
#include "storage/predictor.h"
#include "input/reader.h"
#include "storage/snapshot.h"
#include "tests/vector_json.h"

#define SEED      42
#define BITS      10
#define N_TRAIN   400
#define MAX_FEATS 16
#define MAX_FILES 32

typedef struct file_out {
    char name[64];
    rl_buf data;
} file_out;

static file_out files[MAX_FILES];
static size_t n_files;

static void die(const char *what, const char *why)
{
    fprintf(stderr, "rl_vector_gen: %s: %s\n", what, why);
    exit(1);
}

static rl_buf *new_file(const char *name)
{
    if (n_files == MAX_FILES)
        die(name, "too many files");
    file_out *f = &files[n_files++];
    snprintf(f->name, sizeof(f->name), "%s", name);
    rl_buf_init(&f->data);
    return &f->data;
}

static void add_json(const char *name, json_t *j)
{
    char *s = json_dumps(j, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
    if (!s)
        die(name, "json_dumps failed");
    rl_buf *b = new_file(name);
    rl_buf_put(b, s, strlen(s));
    rl_buf_put(b, "\n", 1);
    free(s);
    json_decref(j);
}

static uint64_t rng = 1;
static double unif(void)
{
    rng = rng * 6364136223846793005ull + 1442695040888963407ull;
    return (double)(rng >> 11) * (1.0 / 9007199254740992.0);
}

static json_t *name_json(const char *name, size_t len)
{
    char *hex = malloc(2 * len + 1);
    for (size_t i = 0; i < len; i++)
        snprintf(hex + 2 * i, 3, "%02x", (unsigned char)name[i]);
    hex[2 * len] = '\0';
    json_t *s = json_string(hex);
    free(hex);
    return s;
}

/* One input feature as a scorer receives it: a name (bytes) or an index, and a value. */
typedef struct in_feat {
    const char *name; /* NULL: indexed */
    size_t name_len;
    uint64_t index;
    float value;
} in_feat;

typedef struct in_event {
    in_feat f[MAX_FEATS];
    uint32_t n;
    float dense[4];
    uint32_t n_dense;
} in_event;

static void add_name(in_event *e, const char *name, float v)
{
    e->f[e->n++] = (in_feat){name, strlen(name), 0, v};
}

static void add_index(in_event *e, uint64_t idx, float v)
{
    e->f[e->n++] = (in_feat){NULL, 0, idx, v};
}

static const char *const train_names[] = {
    "age",        "income",       "clicks",     "geo^city=Paris", "geo^city=Oslo",
    "geo^zip=75", "dev^os=linux", "dev^os=ios", "hour=7",         "hour=19",
    "price",      "qty",          "ref=search", "ref=mail",       "promo",
};
#define N_TRAIN_NAMES (sizeof(train_names) / sizeof(train_names[0]))

/* ns: each feature's namespace byte (the first byte of its name, ' ' for an index). */
static void to_example(const rl_hasher *h, const in_event *e, rl_feature *feats, uint8_t *ns,
                       rl_example *ex)
{
    for (uint32_t i = 0; i < e->n; i++) {
        feats[i].index = e->f[i].name ? rl_hash_name(h, e->f[i].name, e->f[i].name_len)
                                      : rl_hash_index(h, e->f[i].index);
        feats[i].value = e->f[i].value;
        ns[i] = rl_ns_byte(e->f[i].name, e->f[i].name_len);
    }
    *ex = (rl_example){0, 1.0f, feats, e->n, e->n_dense ? e->dense : NULL, e->n_dense, ns};
}

/* What the learner of a model with interactions sees (as rl_model_step gives it): ex's features
 * followed by the crossed ones, in x (MAX_X). */
#define MAX_X 1024
static const rl_example *crossed(const rl_learner *l, const rl_example *ex, rl_feature *x,
                                 rl_example *out)
{
    const rl_interactions *it = &l->params.interactions;
    if (!it->n)
        return ex;
    memcpy(x, ex->feats, ex->n_feats * sizeof(*x));
    rl_ix_cursor c = {0, 0, 0, 0};
    uint32_t n = ex->n_feats + rl_interactions_next(it, ex, (1u << BITS) - 1, &c, x + ex->n_feats,
                                                    MAX_X - ex->n_feats);
    if (rl_interactions_next(it, ex, (1u << BITS) - 1, &c, x, 0) || n == MAX_X)
        die(l->params.learner, "too many crossed features for the vector generator");
    *out = *ex;
    out->feats = x;
    out->n_feats = n;
    return out;
}

/* A training event over the named features (a few indexed ones too, for the wide model). */
static void train_event(in_event *e, uint32_t dense_dim, int wide, const rl_learner *l, float *y)
{
    e->n = 0;
    double z = 0;
    uint32_t n = wide ? 12 : 2 + (uint32_t)(unif() * 6);
    for (uint32_t i = 0; i < n; i++) {
        if (wide) {
            uint64_t idx = (uint64_t)(unif() * 1024);
            float v = (float)(unif() * 2 - 1);
            add_index(e, idx, v);
            z += v * sin((double)idx);
            continue;
        }
        size_t k = (size_t)(unif() * N_TRAIN_NAMES);
        float v = (float)((unif() * 2 - 1) * (k < 2 ? 40 : 1));
        add_name(e, train_names[k], v);
        z += v * sin((double)k + 1) * (k < 2 ? 0.05 : 1);
    }
    e->n_dense = dense_dim;
    for (uint32_t j = 0; j < dense_dim; j++) {
        e->dense[j] = (float)(unif() * 4 - 2);
        z += 0.3 * e->dense[j];
    }
    if (l->task == RL_TASK_MULTICLASS)
        *y = (float)(z > 0.7 ? 2 : z > -0.7 ? 1 : 0);
    else if (l->params.loss == RL_LOSS_POISSON)
        *y = (float)floor(exp(0.3 * z) * 2 * unif());
    else if (l->task == RL_TASK_REGRESSION)
        *y = (float)z;
    else
        *y = z > 0 ? 1.0f : 0.0f;
}

/* The scored events: each reaches one rule of the spec (see the file comment). */
static uint32_t test_events(in_event *ev, uint32_t dense_dim)
{
    static const char odd[] = {(char)0xff, (char)0xfe, 'x', '\0'};
    uint32_t n = 0;
    memset(ev, 0, 12 * sizeof(*ev));
    add_name(&ev[n], "age", 0.5f), add_name(&ev[n], "geo^city=Paris", 1),
        add_name(&ev[n], "price", -0.25f), n++;
    add_name(&ev[n], "income", 1e18f), add_name(&ev[n], "age", -3.5e17f),
        add_name(&ev[n], "promo", 1), n++; /* far beyond the training range */
    add_name(&ev[n], "never-seen", 2), add_name(&ev[n], odd, 1), add_name(&ev[n], "", 3), n++;
    add_index(&ev[n], 3, 1), add_index(&ev[n], 1023, -1), add_index(&ev[n], 1024, 2),
        add_index(&ev[n], ((uint64_t)1 << 40) + 7, 0.5f), add_index(&ev[n], UINT64_MAX, 1), n++;
    add_name(&ev[n], "clicks", 0.75f), add_name(&ev[n], "clicks", 0.75f),
        add_name(&ev[n], "hour=7", 1), n++; /* a repeated feature counts twice */
    add_name(&ev[n], "qty", 1e-40f), add_name(&ev[n], "ref=mail", -1e-20f), n++; /* tiny */
    n++;                                                                         /* bias alone */
    for (int k = 0; k < 4; k++, n++)
        for (int i = 0; i < 5; i++)
            add_name(&ev[n], train_names[(size_t)(unif() * N_TRAIN_NAMES)],
                     (float)(unif() * 4 - 2));
    if (dense_dim) {
        for (uint32_t i = 0; i < n; i += 2) {
            ev[i].n_dense = dense_dim;
            for (uint32_t j = 0; j < dense_dim; j++)
                ev[i].dense[j] = (float)(unif() * 4 - 2);
        }
        ev[1].dense[0] = 1e18f; /* the dense block is clipped as the sparse features are */
        ev[1].dense[1] = -2e17f;
    }
    return n;
}

static void same_or_die(const char *model, uint32_t i, const rl_pred *a, const rl_pred *b)
{
    if (memcmp(&a->score, &b->score, 8) || memcmp(&a->value, &b->value, 8) ||
        memcmp(&a->prob, &b->prob, 8) || a->cls != b->cls) {
        char why[160];
        snprintf(why, sizeof(why), "event %u: model %.17g, snapshot predictor %.17g", i, a->score,
                 b->score);
        die(model, why);
    }
}

static json_t *event_json(const in_event *e, const rl_feature *slots)
{
    json_t *o = json_object(), *fs = json_array();
    for (uint32_t i = 0; i < e->n; i++) {
        json_t *f = json_object();
        if (e->f[i].name)
            json_object_set_new(f, "name_hex", name_json(e->f[i].name, e->f[i].name_len));
        else
            json_object_set_new(f, "index", u64_json(e->f[i].index));
        json_object_set_new(f, "value", hex32(e->f[i].value));
        json_object_set_new(f, "slot", json_integer(slots[i].index));
        json_array_append_new(fs, f);
    }
    json_object_set_new(o, "features", fs);
    if (e->n_dense) {
        json_t *d = json_array();
        for (uint32_t j = 0; j < e->n_dense; j++)
            json_array_append_new(d, hex32(e->dense[j]));
        json_object_set_new(o, "dense", d);
    }
    return o;
}

typedef struct model_spec {
    const char *name;
    const char *kv;
    int wide;         /* trained over indexed slots everywhere: a dense-coded row */
    size_t chunk_max; /* > 0: also published as chunks of at most this many bytes */
} model_spec;

static const model_spec models[] = {
    {"sgd", "learner=sgd dense_dim=2", 0, 0},
    {"softmax", "learner=softmax classes=3 dense_dim=2", 0, 0},
    {"ftrl", "learner=ftrl l1=0.5", 0, 0},
    {"pegasos", "learner=sgd schedule=pegasos loss=hinge l2=0.01", 0, 0},
    {"ogd", "learner=ogd loss=squared", 0, 0},
    {"poisson", "learner=sgd loss=poisson schedule=constant eta=0.02", 0, 0},
    {"avg_perceptron", "learner=avg_perceptron", 1, 1500},
    /* geo^ and dev^ names cross (g x d), a namespace with itself (h: hour=7 x hour=19 ...), a
     * triple, and age x income */
    {"interactions", "learner=sgd interactions=gd,hh,agp,ai", 0, 0},
};

static rl_learner *make_learner(const char *kv)
{
    rl_learner_params p;
    char buf[128], err[256];
    rl_learner_params_default(&p);
    p.bits = BITS;
    snprintf(buf, sizeof(buf), "%s", kv);
    for (char *tok = strtok(buf, " "); tok; tok = strtok(NULL, " ")) {
        char *eq = strchr(tok, '=');
        *eq = '\0';
        if (rl_learner_params_set(&p, tok, eq + 1, err, sizeof(err)) != RL_OK)
            die(kv, err);
    }
    rl_learner *l = NULL;
    if (rl_learner_new(&p, &l, err, sizeof(err)) != RL_OK)
        die(kv, err);
    return l;
}

static void gen_model(const model_spec *ms)
{
    char err[256], fname[64];
    rl_hasher h;
    rl_hasher_init(&h, BITS, SEED);
    rl_learner *l = make_learner(ms->kv);
    uint32_t dd = l->params.dense_dim;
    in_event e;
    rl_feature feats[MAX_FEATS], xf[MAX_X];
    uint8_t ns[MAX_FEATS];
    rl_example ex, xex;
    rl_pred mp, sp;
    rng = 1;
    for (int i = 0; i < (ms->wide ? 4 : 1) * N_TRAIN; i++) {
        float y;
        train_event(&e, dd, ms->wide, l, &y);
        to_example(&h, &e, feats, ns, &ex);
        ex.label = y;
        rl_learner_learn(l, crossed(l, &ex, xf, &xex), &mp);
    }
    rl_snapshot_meta meta = {.model_name = ms->name,
                             .instance_id = "vectors",
                             .version = 3,
                             .parent_version = 2,
                             .created_ms = 1767225600000};
    snprintf(fname, sizeof(fname), "%s.rlsn", ms->name);
    rl_buf *snap = new_file(fname);
    if (rl_snapshot_encode_learner(l, SEED, N_TRAIN, NULL, &meta, RL_SNAPSHOT_COMPRESS_AUTO, snap,
                                   err, sizeof(err)) != RL_OK)
        die(ms->name, err);
    rl_snapshot s;
    rl_snapshot_init(&s);
    rl_predictor *pr = NULL;
    if (rl_snapshot_decode(snap->data, snap->len, &s, err, sizeof(err)) != RL_OK ||
        rl_predictor_new(&s, &pr, err, sizeof(err)) != RL_OK)
        die(ms->name, err);

    json_t *root = json_object(), *evs = json_array();
    json_object_set_new(root, "snapshot", json_string(fname));
    json_object_set_new(root, "config", json_string(ms->kv));
    json_object_set_new(root, "format_version", json_integer(s.format_version));
    json_object_set_new(root, "bits", json_integer(BITS));
    json_object_set_new(root, "hash_seed", json_integer(SEED));
    in_event tev[12];
    uint32_t n = test_events(tev, dd);
    for (uint32_t i = 0; i < n; i++) {
        double scores[8], probs[8];
        to_example(&h, &tev[i], feats, ns, &ex);
        rl_learner_predict(l, crossed(l, &ex, xf, &xex), &mp);
        rl_predictor_predict_rows(pr, &ex, &sp, scores, probs);
        same_or_die(ms->name, i, &mp, &sp);
        json_t *o = event_json(&tev[i], feats);
        json_object_set_new(o, "score", hex64(mp.score));
        json_object_set_new(o, "value", hex64(mp.value));
        json_object_set_new(o, "prob", isnan(mp.prob) ? json_null() : hex64(mp.prob));
        json_object_set_new(o, "cls", json_integer(mp.cls));
        if (l->task == RL_TASK_MULTICLASS) {
            json_t *ps = json_array();
            for (uint32_t k = 0; k < rl_predictor_rows(pr); k++)
                json_array_append_new(ps, hex64(probs[k]));
            json_object_set_new(o, "probs", ps);
        }
        json_object_set_new(o, "score_dec", dec(mp.score));
        json_object_set_new(o, "value_dec", dec(mp.value));
        json_array_append_new(evs, o);
    }
    json_object_set_new(root, "events", evs);
    if (ms->chunk_max) {
        rl_buf *chunks = NULL;
        size_t nc = 0;
        if (rl_snapshot_split(snap->data, snap->len, ms->name, "vectors", 3, ms->chunk_max, &chunks,
                              &nc, err, sizeof(err)) != RL_OK)
            die(ms->name, err);
        if (nc < 2) {
            char why[96];
            snprintf(why, sizeof(why), "snapshot of %zu bytes too small for chunks of %zu",
                     snap->len, ms->chunk_max);
            die(ms->name, why);
        }
        json_t *cj = json_array();
        for (size_t i = 0; i < nc; i++) {
            char cname[64];
            /* the order a reader sees them in does not matter: list them last to first */
            snprintf(cname, sizeof(cname), "%s.chunk%zu.rlsc", ms->name, nc - 1 - i);
            rl_buf *c = new_file(cname);
            rl_buf_put(c, chunks[nc - 1 - i].data, chunks[nc - 1 - i].len);
            json_array_append_new(cj, json_string(cname));
        }
        json_object_set_new(root, "chunks", cj);
        rl_snapshot_chunks_free(chunks, nc);
    }
    snprintf(fname, sizeof(fname), "%s.json", ms->name);
    add_json(fname, root);
    rl_predictor_destroy(pr);
    rl_snapshot_clear(&s);
    rl_learner_destroy(l);
}

/* How names and indices become slots, for two mask widths. */
static void gen_hash(void)
{
    static const char odd[] = {(char)0xff, 0, 'b', 'i', 'n'};
    static const struct {
        const char *p;
        size_t len;
    } names[] = {{"", 0},
                 {"a", 1},
                 {"price", 5},
                 {"geo^city=Paris", 14},
                 {odd, sizeof(odd)},
                 {"a-rather-long-feature-name-that-is-longer-than-the-16-byte-and-128-byte-"
                  "paths-of-xxh3-so-that-every-one-of-its-code-paths-is-tried-at-least-once!!",
                  146}};
    static const uint64_t idx[] = {0, 1023, 1024, 262143, 262144, (1ull << 32) + 5, UINT64_MAX};
    json_t *root = json_array();
    for (uint32_t bits = 10; bits <= 18; bits += 8) {
        rl_hasher h;
        rl_hasher_init(&h, bits, SEED);
        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
            json_t *o = json_object();
            json_object_set_new(o, "bits", json_integer(bits));
            json_object_set_new(o, "seed", json_integer(SEED));
            json_object_set_new(o, "name_hex", name_json(names[i].p, names[i].len));
            json_object_set_new(o, "slot",
                                json_integer(rl_hash_name(&h, names[i].p, names[i].len)));
            json_array_append_new(root, o);
        }
        for (size_t i = 0; i < sizeof(idx) / sizeof(idx[0]); i++) {
            json_t *o = json_object();
            json_object_set_new(o, "bits", json_integer(bits));
            json_object_set_new(o, "seed", json_integer(SEED));
            json_object_set_new(o, "index", u64_json(idx[i]));
            json_object_set_new(o, "slot", json_integer(rl_hash_index(&h, idx[i])));
            json_array_append_new(root, o);
        }
    }
    add_json("hash.json", root);
}

/* Text lines of each reader, and the (slot, value) features and label they give. */
static void gen_text(void)
{
    static const struct {
        const char *format, *text;
    } inputs[] = {
        {"libsvm", "-1 3:0.5 1024:2 7:1e3 qid:9 3:0.25 # a comment\n+1 1:1\n"},
        {"vw", "1 2.5 'tag|user age:31 city=Oslo |item:0.5 price:20 promo | bare 7:2\n"
               "-1 |user age:45\n"},
        {"csv", "label,age,income,city_code\n0,31,52000,\n1,45,,3\n"},
        {"csv", "churned,age,city,plan\nyes,31,Oslo,NA\nno,45,,gold\nfalse,2.5e1,inf,7\n"},
    };
    json_t *root = json_array();
    rl_hasher h;
    rl_hasher_init(&h, 18, SEED);
    for (size_t i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
        char err[256];
        rl_reader_opts o;
        rl_reader_opts_default(&o);
        if (rl_text_format_parse(inputs[i].format, &o.format) != RL_OK)
            die(inputs[i].format, "unknown format");
        rl_reader *r = NULL;
        if (rl_reader_open_mem(inputs[i].format, inputs[i].text, strlen(inputs[i].text), &o, &r,
                               err, sizeof(err)) != RL_OK)
            die(inputs[i].format, err);
        json_t *t = json_object(), *recs = json_array();
        json_object_set_new(t, "format", json_string(inputs[i].format));
        json_object_set_new(t, "text", json_string(inputs[i].text));
        json_object_set_new(t, "bits", json_integer(18));
        json_object_set_new(t, "seed", json_integer(SEED));
        const rl_record *rec;
        rl_example_builder b;
        rl_example_builder_init(&b);
        while (rl_reader_next(r, &rec, err, sizeof(err)) == RL_OK && rec) {
            float y;
            rl_example ex;
            if (rl_record_label(r, rec, RL_TASK_BINARY, 0, &y, err, sizeof(err)) != RL_OK ||
                rl_example_from_record(&b, &h, rec, y, &ex, err, sizeof(err)) != RL_OK)
                die(inputs[i].format, err);
            json_t *jr = json_object(), *fs = json_array();
            json_object_set_new(jr, "label", hex32(ex.label));
            json_object_set_new(jr, "weight", hex32(ex.weight));
            for (uint32_t k = 0; k < ex.n_feats; k++) {
                json_t *f = json_array();
                char nm[256];
                size_t nl = rl_record_feature_name(&rec->feats[k], nm, sizeof(nm));
                json_array_append_new(f, rec->feats[k].name ? json_stringn(nm, nl)
                                                            : u64_json(rec->feats[k].index));
                json_array_append_new(f, json_integer(ex.feats[k].index));
                json_array_append_new(f, hex32(ex.feats[k].value));
                json_array_append_new(fs, f);
            }
            json_object_set_new(jr, "features", fs);
            json_array_append_new(recs, jr);
        }
        json_object_set_new(t, "records", recs);
        json_array_append_new(root, t);
        rl_example_builder_free(&b);
        rl_reader_destroy(r);
    }
    add_json("text.json", root);
}

/* Equal bytes, or (zstd frames of another zstd build) equal decompressed payloads. */
static int same_file(const rl_buf *want, const rl_buf *have)
{
    if (want->len == have->len && memcmp(want->data, have->data, want->len) == 0)
        return 1;
    rl_frame_info a, b;
    const uint8_t *pa, *pb;
    size_t la, lb;
    void *oa = NULL, *ob = NULL;
    char err[256];
    int same = 0;
    if (rl_frame_decode(want->data, want->len, NULL, &a, &pa, &la, &oa, err, sizeof(err)) ==
            RL_OK &&
        rl_frame_decode(have->data, have->len, NULL, &b, &pb, &lb, &ob, err, sizeof(err)) == RL_OK)
        same =
            (a.flags & RL_FRAME_ZSTD) && a.flags == b.flags && la == lb && memcmp(pa, pb, la) == 0;
    free(oa);
    free(ob);
    return same;
}

int main(int argc, char **argv)
{
    if (argc != 3 || (strcmp(argv[1], "--write") != 0 && strcmp(argv[1], "--check") != 0)) {
        fprintf(stderr, "usage: rl_vector_gen --write|--check DIR\n");
        return 2;
    }
    for (size_t i = 0; i < sizeof(models) / sizeof(models[0]); i++)
        gen_model(&models[i]);
    gen_hash();
    gen_text();
    int bad = 0;
    for (size_t i = 0; i < n_files; i++) {
        char path[4096], err[256];
        snprintf(path, sizeof(path), "%s/%s", argv[2], files[i].name);
        if (strcmp(argv[1], "--write") == 0) {
            if (rl_file_write_atomic(path, files[i].data.data, files[i].data.len, err,
                                     sizeof(err)) != RL_OK)
                die(path, err);
            continue;
        }
        rl_buf have;
        rl_buf_init(&have);
        if (rl_file_read(path, &have, err, sizeof(err)) != RL_OK) {
            fprintf(stderr, "rl_vector_gen: %s\n", err);
            bad = 1;
        } else if (!same_file(&files[i].data, &have)) {
            fprintf(stderr,
                    "rl_vector_gen: %s differs from what the code produces now (%zu bytes, "
                    "committed %zu): if the change is meant, update docs/FORMAT.md and run "
                    "rl_vector_gen --write tests/vectors\n",
                    path, files[i].data.len, have.len);
            bad = 1;
        }
        rl_buf_free(&have);
    }
    for (size_t i = 0; i < n_files; i++)
        rl_buf_free(&files[i].data);
    if (!bad)
        printf("rl_vector_gen: %zu files %s\n", n_files,
               strcmp(argv[1], "--write") == 0 ? "written" : "match the code");
    return bad;
}
