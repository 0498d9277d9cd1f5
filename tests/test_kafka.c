/* test_kafka.c - the kafka/ library without a broker: the snapshot headers parser, header
 * reading, log quoting and log lines, and which client a property reaches. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kafka/kafka.h"
#include "wire/kafka_headers.h"

/* ---- snapshot headers ---- */

static rd_kafka_headers_t *headers(const char *model, const char *version, const char *instance,
                                   const char *chunk, const char *size)
{
    rd_kafka_headers_t *h = rd_kafka_headers_new(5);
    if (model)
        rd_kafka_header_add(h, RL_HDR_MODEL, -1, model, -1);
    if (version)
        rd_kafka_header_add(h, RL_HDR_VERSION, -1, version, -1);
    if (instance)
        rd_kafka_header_add(h, RL_HDR_INSTANCE, -1, instance, -1);
    if (chunk)
        rd_kafka_header_add(h, RL_HDR_CHUNK, -1, chunk, -1);
    if (size)
        rd_kafka_header_add(h, RL_HDR_SIZE, -1, size, -1);
    return h;
}

/* Parses and returns the verdict; id, size and why for the caller to check. */
static int parse(const char *model, const char *version, const char *instance, const char *chunk,
                 const char *size, rl_snapshot_id *id, uint64_t *sz, char *why)
{
    rd_kafka_headers_t *h = headers(model, version, instance, chunk, size);
    why[0] = '\0';
    int r = rl_kafka_snapshot_headers(h, id, sz, why, 128);
    rd_kafka_headers_destroy(h);
    return r;
}

static void test_headers_whole_and_chunk(void **state)
{
    rl_snapshot_id id;
    uint64_t sz;
    char why[128];
    (void)state;
    assert_int_equal(parse("ctr", "7", "a", NULL, "1234", &id, &sz, why), 1);
    assert_string_equal(id.model_name, "ctr");
    assert_string_equal(id.instance_id, "a");
    assert_int_equal(id.version, 7);
    assert_int_equal(id.index, 0);
    assert_int_equal(id.count, 1);
    assert_int_equal(id.is_chunk, 0);
    assert_int_equal(sz, 1234);

    assert_int_equal(parse("ctr", "8", "a", "2/3", NULL, &id, &sz, why), 1);
    assert_int_equal(id.version, 8);
    assert_int_equal(id.index, 2);
    assert_int_equal(id.count, 3);
    assert_int_equal(id.is_chunk, 1);
    assert_int_equal(sz, 0);

    /* "0/1" is a whole snapshot said as a chunk. */
    assert_int_equal(parse("ctr", "9", "a", "0/1", NULL, &id, &sz, why), 1);
    assert_int_equal(id.is_chunk, 0);
    assert_int_equal(id.count, 1);
}

static void test_headers_absent(void **state)
{
    rl_snapshot_id id;
    uint64_t sz;
    char why[128];
    (void)state;
    /* No model or no version: not identified by headers (the frame decides). */
    assert_int_equal(parse(NULL, "7", "a", NULL, NULL, &id, &sz, why), 0);
    assert_int_equal(parse("ctr", NULL, "a", NULL, NULL, &id, &sz, why), 0);
    assert_int_equal(rl_kafka_snapshot_headers(NULL, &id, &sz, why, sizeof(why)), 0);
    /* No instance: identified, instance empty. */
    assert_int_equal(parse("ctr", "7", NULL, NULL, NULL, &id, &sz, why), 1);
    assert_string_equal(id.instance_id, "");
    /* An unreadable size is unknown, not an error. */
    assert_int_equal(parse("ctr", "7", "a", NULL, "lots", &id, &sz, why), 1);
    assert_int_equal(sz, 0);
}

static void test_headers_strict(void **state)
{
    rl_snapshot_id id;
    uint64_t sz;
    char why[128];
    static const char *const bad_versions[] = {
        "0", "-1", "+3", " 3", "3 ", "3x", "", "x", "99999999999999999999999"};
    static const char *const bad_chunks[] = {"3",    "/3",        "1/",   "3/3",  "4/3",
                                             "0/0",  "a/b",       "1/x",  "-1/3", "1/+3",
                                             " 1/3", "0/1000001", "1/3/5"};
    (void)state;
    for (size_t i = 0; i < sizeof(bad_versions) / sizeof(bad_versions[0]); i++) {
        assert_int_equal(parse("ctr", bad_versions[i], "a", NULL, NULL, &id, &sz, why), -1);
        assert_string_equal(why, "bad " RL_HDR_VERSION " header");
    }
    for (size_t i = 0; i < sizeof(bad_chunks) / sizeof(bad_chunks[0]); i++) {
        assert_int_equal(parse("ctr", "5", "a", bad_chunks[i], NULL, &id, &sz, why), -1);
        assert_string_equal(why, "bad " RL_HDR_CHUNK " header (want i/n)");
    }
    /* The largest chunk count allowed. */
    assert_int_equal(parse("ctr", "5", "a", "999999/1000000", NULL, &id, &sz, why), 1);
    assert_int_equal(id.count, RL_KAFKA_MAX_CHUNKS);
}

static void test_header_get(void **state)
{
    char out[4];
    (void)state;
    rd_kafka_headers_t *h = headers("model-name", NULL, NULL, NULL, NULL);
    rd_kafka_header_add(h, RL_HDR_MODEL, -1, "second", -1);
    assert_int_equal(rl_kafka_header_get(h, RL_HDR_MODEL, out, sizeof(out)), 0);
    assert_string_equal(out, "sec"); /* the last one, truncated */
    strcpy(out, "?");
    assert_int_equal(rl_kafka_header_get(h, RL_HDR_VERSION, out, sizeof(out)), -1);
    assert_string_equal(out, "?");
    assert_int_equal(rl_kafka_header_get(NULL, RL_HDR_MODEL, out, sizeof(out)), -1);
    rd_kafka_headers_destroy(h);
}

/* ---- logging ---- */

static void test_log_quote(void **state)
{
    char out[64];
    (void)state;
    rl_log_quote("plain text", out, sizeof(out));
    assert_string_equal(out, "plain text");
    rl_log_quote("a\"b\\c", out, sizeof(out));
    assert_string_equal(out, "a\\\"b\\\\c");
    /* A newline cannot start a forged line; other control and non-ASCII bytes are escaped. */
    rl_log_quote("x\ny level=error\t\x7f\xc3\xa9", out, sizeof(out));
    assert_string_equal(out, "x\\x0ay level=error\\x09\\x7f\\xc3\\xa9");
    /* Never overruns, and never cuts an escape in half. */
    char small[8];
    rl_log_quote("\n\n\n\n", small, sizeof(small));
    assert_string_equal(small, "\\x0a");
    rl_log_quote("abcdefghij", small, sizeof(small));
    assert_string_equal(small, "abc");
    small[0] = 'z';
    rl_log_quote("abc", small, 0);
    assert_int_equal(small[0], 'z');
}

/* Runs fn with stderr redirected and returns what it wrote (static buffer). */
static const char *capture_stderr(void (*fn)(void))
{
    static char buf[4096];
    FILE *tmp = tmpfile();
    assert_non_null(tmp);
    int saved = dup(STDERR_FILENO);
    dup2(fileno(tmp), STDERR_FILENO);
    fn();
    dup2(saved, STDERR_FILENO);
    close(saved);
    rewind(tmp);
    size_t n = fread(buf, 1, sizeof(buf) - 1, tmp);
    buf[n] = '\0';
    fclose(tmp);
    return buf;
}

static void write_lines(void)
{
    rl_log(RL_LOG_DEBUG, "not shown", "k=%d", 1);
    rl_log(RL_LOG_WARN, "say \"hi\"\n", "k=%d name=%s", 42, "x");
    rl_log(RL_LOG_INFO, "no tail", NULL);
}

static void test_log_lines(void **state)
{
    (void)state;
    const char *out = capture_stderr(write_lines);
    const char *second = strchr(out, '\n');
    assert_non_null(second);
    assert_memory_equal(out, "ts=", 3);
    assert_non_null(strstr(out, "Z level=warn msg=\"say \\\"hi\\\"\\x0a\" k=42 name=x\n"));
    assert_non_null(strstr(second + 1, "Z level=info msg=\"no tail\"\n"));
    assert_null(strstr(out, "not shown"));
    int lines = 0;
    for (const char *p = out; *p; p++)
        lines += *p == '\n';
    assert_int_equal(lines, 2);
}

static rl_ratelimit limiter;

static void write_limited(void)
{
    for (int i = 0; i < 5; i++)
        rl_log_limited(&limiter, 2, RL_LOG_WARN, "bad event", "i=%d", i);
    limiter.window_start_ms -= 2000; /* a second later */
    rl_log_limited(&limiter, 2, RL_LOG_WARN, "bad event", "i=%d", 5);
}

static void test_log_limited(void **state)
{
    (void)state;
    memset(&limiter, 0, sizeof(limiter));
    const char *out = capture_stderr(write_limited);
    assert_non_null(strstr(out, "msg=\"bad event\" i=0\n"));
    assert_non_null(strstr(out, "msg=\"bad event\" i=1\n"));
    assert_null(strstr(out, "i=2"));
    assert_null(strstr(out, "i=4"));
    assert_non_null(strstr(out, "msg=\"bad event\" i=5 suppressed=3\n"));
}

static void test_log_levels(void **state)
{
    (void)state;
    assert_int_equal(rl_log_level_parse("debug"), RL_LOG_DEBUG);
    assert_int_equal(rl_log_level_parse("error"), RL_LOG_ERROR);
    assert_int_equal(rl_log_level_parse("verbose"), -1);
    assert_string_equal(rl_log_level_name(RL_LOG_WARN), "warn");
    assert_string_equal(rl_log_level_name((rl_log_level)9), "?");
}

/* ---- client configuration ---- */

static void test_prop_role(void **state)
{
    (void)state;
    assert_int_equal(rl_kafka_prop_role("auto.offset.reset"), 'C');
    assert_int_equal(rl_kafka_prop_role("group.id"), 'C');
    assert_int_equal(rl_kafka_prop_role("enable.idempotence"), 'P');
    assert_int_equal(rl_kafka_prop_role("linger.ms"), 'P');
    assert_int_equal(rl_kafka_prop_role("security.protocol"), '*');
    assert_int_equal(rl_kafka_prop_role("client.id"), '*');
    assert_int_equal(rl_kafka_prop_role("no.such.property"), 0);
    assert_int_equal(rl_kafka_prop_role("client"), 0); /* a prefix is not a property */
    assert_int_equal(rl_kafka_prop_role(""), 0);
}

static const char *get(rd_kafka_conf_t *c, const char *key, char *out, size_t size)
{
    if (rd_kafka_conf_get(c, key, out, &size) != RD_KAFKA_CONF_OK)
        snprintf(out, 8, "<unset>");
    return out;
}

/* One [kafka] section for both clients: each gets its own properties and both the shared. */
static void test_conf_splits_by_client(void **state)
{
    char e[256], v[64];
    (void)state;
    const rl_kafka_prop props[] = {
        {"auto.offset.reset", "earliest", "a.ini", 3},
        {"linger.ms", "7", "a.ini", 4},
        {"fetch.wait.max.ms", "11", "a.ini", 5},
        {"client.id", "mine", "a.ini", 6},
    };
    static const char *const pdef[] = {"linger.ms", "1", "client.id", "theirs", NULL};
    rl_kafka_client pc = {RD_KAFKA_PRODUCER, "h:1", "--brokers", pdef, props, 4};
    rd_kafka_conf_t *p = rl_kafka_conf_new(&pc, e, sizeof(e));
    assert_non_null(p);
    assert_string_equal(get(p, "bootstrap.servers", v, sizeof(v)), "h:1");
    assert_string_equal(get(p, "linger.ms", v, sizeof(v)), "7"); /* props override defaults */
    assert_string_equal(get(p, "client.id", v, sizeof(v)), "mine");
    assert_string_equal(get(p, "fetch.wait.max.ms", v, sizeof(v)), "500"); /* left out */
    rd_kafka_conf_destroy(p);

    rl_kafka_client cc = {RD_KAFKA_CONSUMER, NULL, NULL, NULL, props, 4};
    rd_kafka_conf_t *c = rl_kafka_conf_new(&cc, e, sizeof(e));
    assert_non_null(c);
    assert_string_equal(get(c, "fetch.wait.max.ms", v, sizeof(v)), "11");
    assert_string_equal(get(c, "client.id", v, sizeof(v)), "mine");
    assert_string_equal(get(c, "linger.ms", v, sizeof(v)), "5"); /* left out: the default */
    rd_kafka_conf_destroy(c);
}

static void test_conf_errors_name_the_origin(void **state)
{
    char e[256];
    (void)state;
    const rl_kafka_prop file_prop[] = {{"session.timeout.ms", "banana", "a.ini", 12}};
    rl_kafka_client c = {RD_KAFKA_CONSUMER, NULL, NULL, NULL, file_prop, 1};
    assert_null(rl_kafka_conf_new(&c, e, sizeof(e)));
    assert_memory_equal(e, "a.ini:12: [kafka] session.timeout.ms: ", 38);

    const rl_kafka_prop flag_prop[] = {{"sasl.password", "", "-X", 0},
                                       {"no.such.key", "hunter2", "-X", 0}};
    c.props = flag_prop;
    c.n_props = 2;
    assert_null(rl_kafka_conf_new(&c, e, sizeof(e)));
    assert_memory_equal(e, "-X no.such.key: ", 16);
    assert_null(strstr(e, "hunter2")); /* values are never echoed */

    static const char *const bad_def[] = {"linger.ms", "soon", NULL};
    rl_kafka_client d = {RD_KAFKA_PRODUCER, NULL, NULL, bad_def, NULL, 0};
    assert_null(rl_kafka_conf_new(&d, e, sizeof(e)));
    assert_memory_equal(e, "default linger.ms=soon: ", 24);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_headers_whole_and_chunk),
        cmocka_unit_test(test_headers_absent),
        cmocka_unit_test(test_headers_strict),
        cmocka_unit_test(test_header_get),
        cmocka_unit_test(test_log_quote),
        cmocka_unit_test(test_log_lines),
        cmocka_unit_test(test_log_limited),
        cmocka_unit_test(test_log_levels),
        cmocka_unit_test(test_prop_role),
        cmocka_unit_test(test_conf_splits_by_client),
        cmocka_unit_test(test_conf_errors_name_the_origin),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
