/* snapshot_score.c - scores events with a snapshot file through the C predictor, for comparing
 * another implementation with it (tests/integration/python_snapshot.sh).
 *
 *   rl_snapshot_score SNAPSHOT EVENTS.json > SCORED.json
 *
 * EVENTS.json is a list of events in the schema of the test vectors (docs/FORMAT.md section 10:
 * features with name_hex or index and value bits, optional dense); the output is the same list
 * with slot, score, value, prob, cls (and probs for softmax) filled in, as exact bits. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "learners/features.h"
#include "storage/predictor.h"
#include "storage/snapshot.h"
#include "tests/vector_json.h"

#define MAX_FEATS 4096

static int fail(const char *what, const char *why)
{
    fprintf(stderr, "rl_snapshot_score: %s: %s\n", what, why);
    return 1;
}

/* Bytes of a hex string into out (at most cap); -1 when it is not hex. */
static long unhex(const char *s, unsigned char *out, size_t cap)
{
    size_t n = strlen(s);
    if (n % 2 || n / 2 > cap)
        return -1;
    for (size_t i = 0; i < n / 2; i++) {
        unsigned v;
        if (sscanf(s + 2 * i, "%2x", &v) != 1)
            return -1;
        out[i] = (unsigned char)v;
    }
    return (long)(n / 2);
}

static int score_event(const rl_predictor *pr, const rl_hasher *h, json_t *ev)
{
    static rl_feature feats[MAX_FEATS];
    float dense[1024];
    unsigned char name[4096];
    json_t *fs = json_object_get(ev, "features"), *f;
    size_t i;
    if (!json_is_array(fs) || json_array_size(fs) > MAX_FEATS)
        return -1;
    json_array_foreach(fs, i, f)
    {
        const char *nh = json_string_value(json_object_get(f, "name_hex"));
        const char *ix = json_string_value(json_object_get(f, "index"));
        if (hex32_parse(json_string_value(json_object_get(f, "value")), &feats[i].value) != 0)
            return -1;
        if (nh) {
            long n = unhex(nh, name, sizeof(name));
            if (n < 0)
                return -1;
            feats[i].index = rl_hash_name(h, name, (size_t)n);
        } else if (ix) {
            feats[i].index = rl_hash_index(h, strtoull(ix, NULL, 10));
        } else {
            return -1;
        }
        json_object_set_new(f, "slot", json_integer(feats[i].index));
    }
    rl_example ex = {0, 1.0f, feats, (uint32_t)json_array_size(fs), NULL, 0, NULL};
    json_t *d = json_object_get(ev, "dense");
    if (json_is_array(d)) {
        json_t *x;
        if (json_array_size(d) > 1024)
            return -1;
        json_array_foreach(d, i,
                           x) if (hex32_parse(json_string_value(x), &dense[i]) != 0) return -1;
        ex.dense = dense;
        ex.n_dense = (uint32_t)json_array_size(d);
    }
    double scores[RL_CLASSES_MAX], probs[RL_CLASSES_MAX];
    rl_pred p;
    rl_predictor_predict_rows(pr, &ex, &p, scores, probs);
    json_object_set_new(ev, "score", hex64(p.score));
    json_object_set_new(ev, "value", hex64(p.value));
    json_object_set_new(ev, "prob", isnan(p.prob) ? json_null() : hex64(p.prob));
    json_object_set_new(ev, "cls", json_integer(p.cls));
    if (rl_predictor_task(pr) == RL_TASK_MULTICLASS) {
        json_t *ps = json_array();
        for (uint32_t k = 0; k < rl_predictor_rows(pr); k++)
            json_array_append_new(ps, hex64(probs[k]));
        json_object_set_new(ev, "probs", ps);
    }
    return 0;
}

int main(int argc, char **argv)
{
    char err[512];
    if (argc != 3) {
        fprintf(stderr, "usage: rl_snapshot_score SNAPSHOT EVENTS.json\n");
        return 2;
    }
    rl_snapshot s;
    rl_snapshot_init(&s);
    rl_predictor *pr = NULL;
    if (rl_snapshot_read_file(argv[1], &s, err, sizeof(err)) != RL_OK ||
        rl_predictor_new(&s, &pr, err, sizeof(err)) != RL_OK)
        return fail(argv[1], err);
    rl_hasher h;
    rl_hasher_init(&h, s.learner.bits, s.hash_seed);
    json_error_t je;
    json_t *evs = json_load_file(argv[2], 0, &je);
    int rc = 0;
    if (!json_is_array(evs)) {
        rc = fail(argv[2], evs ? "not a JSON list of events" : je.text);
    } else {
        json_t *ev;
        size_t i;
        json_array_foreach(evs, i, ev) if (score_event(pr, &h, ev) != 0)
        {
            snprintf(err, sizeof(err), "event %zu: bad feature, value or dense block", i);
            rc = fail(argv[2], err);
            break;
        }
        if (!rc && json_dumpf(evs, stdout, JSON_INDENT(1) | JSON_PRESERVE_ORDER) != 0)
            rc = fail("stdout", "write failed");
    }
    json_decref(evs);
    rl_predictor_destroy(pr);
    rl_snapshot_clear(&s);
    return rc;
}
