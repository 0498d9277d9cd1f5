/* test_event_json.c - JSON events through a field mapping (wire/event_json.h): flattening, the
 * value kinds, the CSV reader's names, labels, the mapping's choices, and every refusal with its
 * reason. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "learners/features.h"
#include "wire/event_json.h"

static char err[512];

static rl_json_decoder *make(rl_task task, const rl_json_mapping *m)
{
    rl_event_codec_config c;
    rl_event_codec_config_default(&c);
    c.task = task;
    c.n_classes = 3;
    c.max_features = 8;
    c.max_bytes = 4096;
    rl_json_decoder *d = NULL;
    if (rl_json_decoder_new(&c, m, &d, err, sizeof(err)) != RL_OK)
        fail_msg("new: %s", err);
    return d;
}

static rl_event_reason dec(rl_json_decoder *d, const char *js, rl_example *ex)
{
    err[0] = '\0';
    return rl_json_decode(d, js, strlen(js), ex, err, sizeof(err));
}

/* Feature i is the name `want` (hashed as the CSV reader's names are) with value v. */
static void feat_is(const rl_json_decoder *d, const rl_example *ex, uint32_t i, const char *want,
                    float v)
{
    size_t n;
    const uint8_t *name = rl_json_feature_name(d, i, &n);
    if (n != strlen(want) || memcmp(name, want, n) != 0)
        fail_msg("feature %u is '%.*s', expected '%s'", i, (int)n, name, want);
    rl_hasher h;
    rl_hasher_init(&h, 18, 0);
    assert_int_equal(ex->feats[i].index, rl_hash_name(&h, want, strlen(want)));
    assert_true(ex->feats[i].value == v);
    assert_int_equal(ex->ns[i], (uint8_t)want[0]);
}

static void test_json_values(void **state)
{
    (void)state;
    rl_json_decoder *d = make(RL_TASK_BINARY, NULL);
    rl_example ex;
    assert_int_equal(
        dec(d,
            "{\"label\": \"yes\", \"user\": {\"age\": 30, \"geo\": {\"city\": \"Par\\u00eds\"}},"
            " \"premium\": true, \"trial\": false, \"tags\": [\"a\", \"b\\\"c\"],"
            " \"note\": null, \"weight\": 2.5}  \n",
            &ex),
        RL_EVENT_OK);
    assert_true(ex.label == 1.0f && ex.weight == 2.5f);
    assert_int_equal(ex.n_feats, 6);
    feat_is(d, &ex, 0, "user.age", 30.0f);
    feat_is(d, &ex, 1, "user.geo.city=Par\xc3\xads", 1.0f);
    feat_is(d, &ex, 2, "premium", 1.0f);
    feat_is(d, &ex, 3, "trial", 0.0f);
    feat_is(d, &ex, 4, "tags=a", 1.0f);
    feat_is(d, &ex, 5, "tags=b\"c", 1.0f);
    /* labels: numbers (binary -1 is 0), booleans, no/false; weight absent is 1 */
    assert_int_equal(dec(d, "{\"label\": -1}", &ex), RL_EVENT_OK);
    assert_true(ex.label == 0.0f && ex.weight == 1.0f && ex.n_feats == 0);
    assert_int_equal(dec(d, "{\"label\": true}", &ex), RL_EVENT_OK);
    assert_true(ex.label == 1.0f);
    assert_int_equal(dec(d, "{\"label\": \"False\"}", &ex), RL_EVENT_OK);
    assert_true(ex.label == 0.0f);
    rl_json_decoder_destroy(d);
}

static void test_json_refusals(void **state)
{
    (void)state;
    rl_json_decoder *d = make(RL_TASK_BINARY, NULL);
    rl_example ex;
    static const struct {
        const char *js;
        rl_event_reason r;
        const char *why;
    } bad[] = {
        {"{\"x\": 1}", RL_EVENT_MISSING_LABEL, "no label"},
        {"{\"label\": null, \"x\": 1}", RL_EVENT_MISSING_LABEL, "no label"},
        {"{\"label\": 2}", RL_EVENT_LABEL_DOMAIN, "not 0 or 1"},
        {"{\"label\": \"maybe\"}", RL_EVENT_LABEL_DOMAIN, "label is not"},
        {"{\"label\": 1, \"weight\": -1}", RL_EVENT_BAD_WEIGHT, "weight"},
        {"{\"label\": 1, \"weight\": \"2\"}", RL_EVENT_BAD_WEIGHT, "weight"},
        {"{\"label\": 1, \"x\": 1e39}", RL_EVENT_NONFINITE_VALUE, "not finite"},
        {"{\"label\": 1, \"x\": 1e30}", RL_EVENT_VALUE_TOO_LARGE, "beyond"},
        {"{\"label\": 1, \"x\": [1, 2]}", RL_EVENT_UNDECODABLE, "array of other than strings"},
        {"{\"label\": 1, \"x\": }", RL_EVENT_UNDECODABLE, "not one JSON object"},
        {"[1, 2]", RL_EVENT_UNDECODABLE, "not one JSON object"},
        {"{\"label\": 1} {\"label\": 0}", RL_EVENT_UNDECODABLE, "not one JSON object"},
        {"", RL_EVENT_UNDECODABLE, "not one JSON object"},
        {"{\"label\": 1, \"a\":1, \"b\":1, \"c\":1, \"d\":1, \"e\":1, \"f\":1, \"g\":1, \"h\":1, "
         "\"i\":1}",
         RL_EVENT_TOO_MANY_FEATURES, "more than 8 features"},
        {"{\"label\": 1, \"t\": [\"a\",\"b\",\"c\",\"d\",\"e\",\"f\",\"g\",\"h\",\"i\"]}",
         RL_EVENT_TOO_MANY_FEATURES, "more than 8 features"},
    };
    for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
        rl_event_reason r = dec(d, bad[k].js, &ex);
        if (r != bad[k].r || !strstr(err, bad[k].why))
            fail_msg("%s: reason %s (%s), expected %s with '%s'", bad[k].js,
                     rl_event_reason_name(r), err, rl_event_reason_name(bad[k].r), bad[k].why);
    }
    /* deep nesting is refused without recursion */
    char deep[1024];
    size_t o = 0;
    o += (size_t)snprintf(deep + o, sizeof(deep) - o, "{\"label\": 1, \"a\": ");
    for (int k = 0; k < 40; k++)
        o += (size_t)snprintf(deep + o, sizeof(deep) - o, "{\"a\": ");
    deep[o++] = '1';
    for (int k = 0; k < 41; k++)
        deep[o++] = '}';
    deep[o] = '\0';
    assert_int_equal(dec(d, deep, &ex), RL_EVENT_UNDECODABLE);
    assert_non_null(strstr(err, "nested deeper"));
    rl_json_decoder_destroy(d);
}

static void test_json_mapping(void **state)
{
    (void)state;
    rl_json_mapping m = {"meta.y", "", "user,city", "lo,mid,hi"};
    rl_json_decoder *d = make(RL_TASK_MULTICLASS, &m);
    rl_example ex;
    assert_int_equal(dec(d,
                         "{\"meta\": {\"y\": \"hi\", \"src\": \"x\"}, \"weight\": 3, \"user\": "
                         "{\"age\": 4}, \"city\": \"oslo\", \"cityx\": 1, \"other\": 1}",
                         &ex),
                     RL_EVENT_OK);
    assert_true(ex.label == 2.0f && ex.weight == 1.0f); /* weight "" : no weight field */
    assert_int_equal(ex.n_feats, 2);
    feat_is(d, &ex, 0, "user.age", 4.0f);
    feat_is(d, &ex, 1, "city=oslo", 1.0f);
    assert_int_equal(dec(d, "{\"meta\": {\"y\": \"yes\"}}", &ex), RL_EVENT_LABEL_DOMAIN);
    assert_int_equal(dec(d, "{\"meta\": {\"y\": 3}}", &ex), RL_EVENT_LABEL_DOMAIN);
    rl_json_decoder_destroy(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_values),
        cmocka_unit_test(test_json_refusals),
        cmocka_unit_test(test_json_mapping),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
