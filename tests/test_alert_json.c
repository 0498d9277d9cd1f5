/* test_alert_json.c - the alert record ops read (wire/alert_json.c): the fields of
 * proto/alert.proto's DriftAlert, its enum names for the level, defaults for unset strings, the
 * event's place only when known, and non-finite numbers left out. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "wire/alert_json.h"

static void test_fields(void **state)
{
    (void)state;
    rl_alert a;
    memset(&a, 0, sizeof(a));
    a.detector = "adwin";
    a.source = "feature:age";
    a.level = RL_DRIFT_DRIFT;
    a.statistic = 0.25;
    a.statistic_name = "mean_change";
    a.position = 1234;
    a.response = "challenger_promoted";
    a.suppressed = 3;
    a.recent_loss = 0.5;
    a.challenger_loss = 0.375;
    a.pos.topic = "events";
    a.pos.partition = 2;
    a.pos.offset = 77;
    json_t *o = rl_alert_to_json(&a);
    assert_non_null(o);
    char *s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
    assert_string_equal(s, "{\"challenger_loss\":0.375,\"detector\":\"adwin\",\"level\":\"DRIFT\","
                           "\"offset\":77,\"partition\":2,\"position\":1234,\"recent_loss\":0.5,"
                           "\"response\":\"challenger_promoted\",\"source\":\"feature:age\","
                           "\"statistic\":0.25,\"statistic_name\":\"mean_change\","
                           "\"suppressed\":3,\"topic\":\"events\"}");
    free(s);
    json_decref(o);
}

static void test_defaults_and_omissions(void **state)
{
    (void)state;
    rl_alert a;
    memset(&a, 0, sizeof(a));
    a.level = RL_DRIFT_WARNING;
    a.statistic = NAN;
    a.position = 1;
    a.recent_loss = INFINITY;
    a.challenger_loss = NAN; /* no challenger */
    json_t *o = rl_alert_to_json(&a);
    assert_non_null(o);
    char *s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
    /* no place (offline), no statistic name, no non-finite number; unset strings defaulted */
    assert_string_equal(s, "{\"detector\":\"\",\"level\":\"WARNING\",\"position\":1,"
                           "\"response\":\"alert\",\"source\":\"error\",\"suppressed\":0}");
    free(s);
    json_decref(o);
    assert_string_equal(rl_alert_level_name(RL_DRIFT_STABLE), "STABLE");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fields),
        cmocka_unit_test(test_defaults_and_omissions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
