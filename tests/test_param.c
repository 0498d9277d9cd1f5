/* test_param.c - the one parser of bounded parameters (common/rl_param.h): every kind, the
 * bounds open and closed, the text forms refused, and what a message says is allowed. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "common/rl_param.h"

static rl_param_fault parse(const rl_param_spec *s, const char *text, rl_param_value *v)
{
    memset(v, 0xa5, sizeof(*v));
    return rl_param_parse(s, text, v);
}

static void test_real(void **state)
{
    static const rl_param_spec open01 = {"delta", RL_PARAM_REAL, 0, 1, 1, 1, 0.002, NULL, 0};
    static const rl_param_spec closed = {"l2", RL_PARAM_REAL, 0, 1e6, 0, 0, 0, NULL, 0};
    rl_param_value v;
    (void)state;
    assert_int_equal(parse(&open01, "0.5", &v), RL_PARAM_OK);
    assert_true(v.real == 0.5);
    assert_int_equal(parse(&open01, "1e-3", &v), RL_PARAM_OK);
    assert_true(v.real == 1e-3);
    assert_int_equal(parse(&open01, "0", &v), RL_PARAM_OUT_OF_RANGE);
    assert_int_equal(parse(&open01, "1", &v), RL_PARAM_OUT_OF_RANGE);
    assert_int_equal(parse(&closed, "0", &v), RL_PARAM_OK);
    assert_int_equal(parse(&closed, "1000000", &v), RL_PARAM_OK);
    assert_int_equal(parse(&closed, "1000000.5", &v), RL_PARAM_OUT_OF_RANGE);
    assert_int_equal(parse(&closed, "-0.1", &v), RL_PARAM_OUT_OF_RANGE);
    static const char *const not_numbers[] = {"abc",   "0.5x",   "nan", "inf", "-inf",
                                              "1e999", "1e-400", " ",   "0,5"};
    for (size_t i = 0; i < sizeof(not_numbers) / sizeof(not_numbers[0]); i++)
        assert_int_equal(parse(&closed, not_numbers[i], &v), RL_PARAM_NOT_NUMBER);
    assert_int_equal(parse(&closed, "", &v), RL_PARAM_EMPTY);
    assert_int_equal(parse(&closed, NULL, &v), RL_PARAM_EMPTY);
}

static void test_real_infinite(void **state)
{
    static const rl_param_spec tol = {"gate_tolerance", RL_PARAM_REAL, 0, INFINITY, 0, 0, 0, NULL,
                                      RL_PARAM_INF_OK};
    static const rl_param_spec no_flag = {"threshold", RL_PARAM_REAL, 0, INFINITY, 1, 0,
                                          0,           NULL,          0};
    rl_param_value v;
    (void)state;
    assert_int_equal(parse(&tol, "inf", &v), RL_PARAM_OK);
    assert_true(isinf(v.real));
    assert_int_equal(parse(&tol, "-inf", &v), RL_PARAM_NOT_NUMBER);
    assert_int_equal(parse(&tol, "1e300", &v), RL_PARAM_OK);
    assert_int_equal(parse(&no_flag, "inf", &v), RL_PARAM_NOT_NUMBER);
    assert_int_equal(parse(&no_flag, "50", &v), RL_PARAM_OK);
}

static void test_int(void **state)
{
    static const rl_param_spec lat = {"latency", RL_PARAM_INT, -200, 1000, 0, 0, 0, NULL, 0};
    rl_param_value v;
    (void)state;
    assert_int_equal(parse(&lat, "-200", &v), RL_PARAM_OK);
    assert_int_equal(v.i, -200);
    assert_int_equal(parse(&lat, "1000", &v), RL_PARAM_OK);
    assert_int_equal(v.i, 1000);
    assert_true(v.real == 1000);
    assert_int_equal(parse(&lat, "1001", &v), RL_PARAM_OUT_OF_RANGE);
    assert_int_equal(parse(&lat, "-201", &v), RL_PARAM_OUT_OF_RANGE);
    assert_int_equal(parse(&lat, "99999999999999999999", &v), RL_PARAM_OUT_OF_RANGE);
    assert_int_equal(parse(&lat, "0.5", &v), RL_PARAM_NOT_WHOLE);
    assert_int_equal(parse(&lat, "-2.5", &v), RL_PARAM_NOT_WHOLE);
    assert_int_equal(parse(&lat, ".5", &v), RL_PARAM_NOT_WHOLE);
    static const char *const refused[] = {"+5",   " 5",   "5 ", "1e3", "5.0",
                                          "0x10", "five", "-",  "--5"};
    for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
        assert_int_equal(parse(&lat, refused[i], &v), RL_PARAM_NOT_NUMBER);
}

static void test_uint(void **state)
{
    static const rl_param_spec seed = {"hash_seed", RL_PARAM_UINT, 0, 0x1p64, 0, 0, 0, NULL, 0};
    static const rl_param_spec keep = {"keep", RL_PARAM_UINT, 1, 1000, 0, 0, 0, NULL, 0};
    static const rl_param_spec big = {"events", RL_PARAM_UINT, 0, 9007199254740992.0, 0, 0,
                                      0,        NULL,          0};
    rl_param_value v;
    (void)state;
    assert_int_equal(parse(&seed, "18446744073709551615", &v), RL_PARAM_OK);
    assert_true(v.u == UINT64_MAX); /* exact, not through a double */
    assert_int_equal(parse(&seed, "18446744073709551616", &v), RL_PARAM_OUT_OF_RANGE);
    assert_int_equal(parse(&seed, "12345678901234567891", &v), RL_PARAM_OK);
    assert_true(v.u == 12345678901234567891ull);
    assert_int_equal(parse(&keep, "0", &v), RL_PARAM_OUT_OF_RANGE);
    assert_int_equal(parse(&keep, "-5", &v), RL_PARAM_OUT_OF_RANGE);
    assert_int_equal(parse(&keep, "-x", &v), RL_PARAM_NOT_NUMBER);
    assert_int_equal(parse(&keep, "12abc", &v), RL_PARAM_NOT_NUMBER);
    assert_int_equal(parse(&keep, "1000", &v), RL_PARAM_OK);
    assert_int_equal(v.u, 1000);
    assert_int_equal(v.i, 1000);
    /* The upper bound holds exactly where a double would round 2^53 + 1 down to it. */
    assert_int_equal(parse(&big, "9007199254740992", &v), RL_PARAM_OK);
    assert_int_equal(parse(&big, "9007199254740993", &v), RL_PARAM_OUT_OF_RANGE);
}

static void test_choice_and_bool(void **state)
{
    static const char *const dirs[] = {"both", "up", "down", NULL};
    static const rl_param_spec dir = {"direction", RL_PARAM_CHOICE, 0, 0, 0, 0, 0, dirs, 0};
    static const rl_param_spec bias = {"bias", RL_PARAM_BOOL, 0, 1, 0, 0, 0, NULL, 0};
    rl_param_value v;
    (void)state;
    assert_int_equal(parse(&dir, "down", &v), RL_PARAM_OK);
    assert_int_equal(v.i, 2);
    assert_true(v.real == 2);
    assert_int_equal(parse(&dir, "Down", &v), RL_PARAM_NOT_CHOICE);
    assert_int_equal(parse(&dir, "left", &v), RL_PARAM_NOT_CHOICE);
    static const char *const yes[] = {"1", "true", "YES", "On"};
    static const char *const no[] = {"0", "False", "no", "OFF"};
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(parse(&bias, yes[i], &v), RL_PARAM_OK);
        assert_int_equal(v.i, 1);
        assert_int_equal(parse(&bias, no[i], &v), RL_PARAM_OK);
        assert_int_equal(v.i, 0);
    }
    assert_int_equal(parse(&bias, "2", &v), RL_PARAM_NOT_CHOICE);
    assert_int_equal(parse(&bias, "y", &v), RL_PARAM_NOT_CHOICE);
}

static void test_refused_value_untouched(void **state)
{
    static const rl_param_spec keep = {"keep", RL_PARAM_UINT, 1, 1000, 0, 0, 0, NULL, 0};
    rl_param_value v = {7, 7, 7};
    (void)state;
    assert_int_equal(rl_param_parse(&keep, "0", &v), RL_PARAM_OUT_OF_RANGE);
    assert_true(v.real == 7 && v.i == 7 && v.u == 7);
}

static void test_describe(void **state)
{
    static const char *const dirs[] = {"both", "up", "down", NULL};
    static const rl_param_spec open01 = {"delta", RL_PARAM_REAL, 0, 1, 1, 1, 0, NULL, 0};
    static const rl_param_spec half = {"warning", RL_PARAM_REAL, 0, 1, 0, 1, 0, NULL, 0};
    static const rl_param_spec clock = {"clock", RL_PARAM_INT, 1, 1048576, 0, 0, 0, NULL, 0};
    static const rl_param_spec dir = {"direction", RL_PARAM_CHOICE, 0, 0, 0, 0, 0, dirs, 0};
    static const rl_param_spec bias = {"bias", RL_PARAM_BOOL, 0, 1, 0, 0, 0, NULL, 0};
    char out[96];
    (void)state;
    assert_string_equal(rl_param_describe(&open01, out, sizeof(out)), "real in (0, 1)");
    assert_string_equal(rl_param_describe(&half, out, sizeof(out)), "real in [0, 1)");
    assert_string_equal(rl_param_describe(&clock, out, sizeof(out)), "integer in [1, 1048576]");
    assert_string_equal(rl_param_describe(&dir, out, sizeof(out)), "one of both|up|down");
    assert_string_equal(rl_param_describe(&bias, out, sizeof(out)),
                        "0/1, true/false, yes/no, on/off");
    char tiny[10];
    rl_param_describe(&dir, tiny, sizeof(tiny));
    assert_true(strlen(tiny) < sizeof(tiny));
    assert_string_equal(rl_param_fault_str(RL_PARAM_NOT_WHOLE), "is not a whole number");
    assert_string_equal(rl_param_fault_str(RL_PARAM_OUT_OF_RANGE), "is out of range");
}

static void test_find(void **state)
{
    static const rl_param_spec table[] = {
        {"a", RL_PARAM_REAL, 0, 1, 0, 0, 0, NULL, 0},
        {"b", RL_PARAM_INT, 0, 1, 0, 0, 0, NULL, 0},
    };
    (void)state;
    assert_ptr_equal(rl_param_find(table, 2, "b"), &table[1]);
    assert_null(rl_param_find(table, 2, "c"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_real),
        cmocka_unit_test(test_real_infinite),
        cmocka_unit_test(test_int),
        cmocka_unit_test(test_uint),
        cmocka_unit_test(test_choice_and_bool),
        cmocka_unit_test(test_refused_value_untouched),
        cmocka_unit_test(test_describe),
        cmocka_unit_test(test_find),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
