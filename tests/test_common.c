/* test_common.c - common/: the error helpers, the little-endian buffer and its bounds-checked
 * reader, and the shortest round-tripping double format. Everything else builds on these, so
 * they are tested directly, not only through the state round trips of other modules. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/rl_common.h"

static void test_format_version(void **state)
{
    (void)state;
    char err[160];
    assert_int_equal(rl_check_format_version(2, 1, 2, "x", err, sizeof(err)), RL_OK);
    assert_int_equal(rl_check_format_version(1, 1, 2, "x", err, sizeof(err)), RL_OK);

    /* Newer: refused as a version error that says a newer relearn wrote it. */
    assert_int_equal(rl_check_format_version(3, 1, 2, "metrics state", err, sizeof(err)),
                     RL_ERR_VERSION);
    assert_non_null(strstr(err, "metrics state: format version 3 is newer"));
    assert_non_null(strstr(err, "newer relearn"));

    /* Older than anything this build reads, and 0: a format error naming what is read. */
    assert_int_equal(rl_check_format_version(0, 1, 2, "adwin: state", err, sizeof(err)),
                     RL_ERR_FORMAT);
    assert_string_equal(err, "adwin: state: unknown format version 0 (this build reads 1 to 2)");
    assert_int_equal(rl_check_format_version(1, 2, 2, "model state", err, sizeof(err)),
                     RL_ERR_FORMAT);
    assert_string_equal(err, "model state: unknown format version 1 (this build reads 2)");

    /* No buffer: still the right code. */
    assert_int_equal(rl_check_format_version(9, 1, 1, "x", NULL, 0), RL_ERR_VERSION);
}

static void test_set_err_truncates(void **state)
{
    (void)state;
    char small[8];
    memset(small, 'z', sizeof(small));
    assert_int_equal(rl_set_err(small, sizeof(small), RL_ERR_IO, "%s", "a long message"),
                     RL_ERR_IO);
    assert_int_equal(strlen(small), sizeof(small) - 1);
    for (int e = 0; e < RL_ERR__COUNT; e++)
        assert_non_null(rl_err_str((rl_err)e));
}

static void test_buf_little_endian(void **state)
{
    (void)state;
    rl_buf b;
    rl_buf_init(&b);
    rl_buf_put_u8(&b, 0xab);
    rl_buf_put_u32(&b, 0x01020304u);
    rl_buf_put_u64(&b, 0x1122334455667788ull);
    rl_buf_put_f32(&b, -0.0f);
    rl_buf_put_f64(&b, 0.1);
    assert_false(b.failed);
    assert_int_equal(b.len, 1 + 4 + 8 + 4 + 8);
    static const uint8_t head[] = {0xab, 0x04, 0x03, 0x02, 0x01, 0x88, 0x77, 0x66, 0x55,
                                   0x44, 0x33, 0x22, 0x11, 0x00, 0x00, 0x00, 0x80};
    assert_memory_equal(b.data, head, sizeof(head));

    rl_cursor r;
    rl_cursor_init(&r, b.data, b.len);
    assert_int_equal(rl_cursor_u8(&r), 0xab);
    assert_int_equal(rl_cursor_u32(&r), 0x01020304u);
    assert_true(rl_cursor_u64(&r) == 0x1122334455667788ull);
    float z = rl_cursor_f32(&r);
    assert_true(z == 0.0f && signbit(z));
    assert_true(rl_cursor_f64(&r) == 0.1);
    assert_true(rl_cursor_ok(&r, 1));
    rl_buf_free(&b);
}

static void test_rd_latches_short_reads(void **state)
{
    (void)state;
    const uint8_t bytes[6] = {1, 0, 0, 0, 2, 0};
    rl_cursor r;
    rl_cursor_init(&r, bytes, sizeof(bytes));
    assert_int_equal(rl_cursor_u32(&r), 1);
    assert_true(rl_cursor_ok(&r, 0));
    assert_false(rl_cursor_ok(&r, 1));      /* two bytes left */
    assert_int_equal(rl_cursor_u32(&r), 0); /* only two bytes: fails, returns 0 */
    assert_false(rl_cursor_ok(&r, 0));
    assert_int_equal(rl_cursor_u8(&r), 0); /* stays failed, even though a byte would fit */
    assert_false(rl_cursor_ok(&r, 0));

    /* A huge count never reads past the end. */
    float out[4];
    rl_cursor_init(&r, bytes, sizeof(bytes));
    rl_cursor_f32s(&r, out, (size_t)1 << 60);
    assert_false(rl_cursor_ok(&r, 0));
}

static void test_fmt_double_round_trips(void **state)
{
    (void)state;
    char s[RL_FMT_DOUBLE_LEN];
    assert_string_equal(rl_fmt_double(s, sizeof(s), 0.1), "0.1");
    assert_string_equal(rl_fmt_double(s, sizeof(s), 100), "100");
    assert_string_equal(rl_fmt_double(s, sizeof(s), -2.5), "-2.5");
    const double vals[] = {1.0 / 3,        1e-300,
                           5e-324,         1.7976931348623157e308,
                           -123456789.125, 0.30000000000000004,
                           1e15,           123456789012345678.0};
    for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
        rl_fmt_double(s, sizeof(s), vals[i]);
        assert_true(strtod(s, NULL) == vals[i]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format_version),
        cmocka_unit_test(test_set_err_truncates),
        cmocka_unit_test(test_buf_little_endian),
        cmocka_unit_test(test_rd_latches_short_reads),
        cmocka_unit_test(test_fmt_double_round_trips),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
