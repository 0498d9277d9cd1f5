/* test_config.c - relearnd's configuration: the table, the INI reader, flags, secrets. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "storage/ckpt.h"
#include "storage/snapshot.h"
#include "daemon/rld_config.h"

static char tmp_path[64];

/* Writes text to a fresh temp file; its path is in tmp_path. */
static const char *write_ini(const char *text)
{
    int fd;
    snprintf(tmp_path, sizeof(tmp_path), "/tmp/rl-test-config-XXXXXX");
    fd = mkstemp(tmp_path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    return tmp_path;
}

/* Loads text; returns the error code, message in e. */
static rl_err load(rld_config *c, const char *text, char *e, size_t n)
{
    rl_err err;
    rld_config_default(c);
    err = rld_config_load(c, write_ini(text), e, n);
    unlink(tmp_path);
    return err;
}

static void expect_error(const char *text, const char *needle)
{
    static rld_config c;
    char e[1024] = "";
    char where[80];
    rl_err err = load(&c, text, e, sizeof(e));
    if (err == RL_OK)
        err = rld_config_check(&c, e, sizeof(e));
    assert_int_equal(err, RL_ERR_CONFIG);
    if (!strstr(e, needle))
        fail_msg("message '%s' lacks '%s'", e, needle);
    /* Every message names the file. */
    snprintf(where, sizeof(where), "%s", tmp_path);
    assert_non_null(strstr(e, where));
}

static const char *good = "; relearnd test config\n"
                          "[model]\n"
                          "name = ctr\n"
                          "learner = ftrl\n"
                          "bits = 20\n"
                          "alpha = 0.05\n"
                          "hash_seed = 42\n"
                          "[input]\n"
                          "brokers = k1:9092,k2:9092\n"
                          "topics = clicks,views\n"
                          "group = g1\n"
                          "instance_id = node-1\n"
                          "batch_size = 500\n"
                          "[checkpoint]\n"
                          "dir = /var/lib/relearn\n"
                          "every_events = 5000\n"
                          "every_seconds = 10.5\n"
                          "keep = 4\n"
                          "[snapshot]\n"
                          "gate_tolerance = inf\n"
                          "[drift]\n"
                          "detector = adwin\n"
                          "response = boost\n"
                          "[metrics]\n"
                          "listen = 0.0.0.0:9000\n"
                          "[kafka]\n"
                          "security.protocol = sasl_ssl\n"
                          "sasl.mechanisms = PLAIN\n"
                          "sasl.username = bob\n"
                          "sasl.password = hunter2\n"
                          "ssl.key.password = s3cret\n";

static void test_defaults(void **state)
{
    static rld_config c;
    (void)state;
    rld_config_default(&c);
    assert_string_equal(c.model_name, "model");
    assert_string_equal(c.group, "relearnd");
    assert_string_equal(c.metrics_listen, "127.0.0.1:9464"); /* loopback unless configured */
    assert_string_equal(c.snapshot_topic, "relearn-snapshots");
    assert_int_equal(c.ckpt_keep, 3);
    assert_int_equal(c.batch_size, 1000);
    assert_int_equal(c.max_features, 65536);
    assert_true(c.ckpt_every_seconds == 30.0);
    assert_int_equal(c.ckpt_every_events, 1000000);
    assert_true(c.gate_tolerance == 0.0);
    assert_int_equal(c.gate_window, 5000);
    assert_int_equal(c.gate_every, 1);
    assert_true(c.gate_confidence == 0.99);
    assert_true(c.gate_loss_cap == 10.0);
    assert_true(c.instance_id[0] != '\0');
    assert_null(strchr(c.instance_id, ':'));
    /* Required keys are absent by default: check says which. */
    {
        char e[512];
        assert_int_equal(rld_config_check(&c, e, sizeof(e)), RL_ERR_CONFIG);
        assert_non_null(strstr(e, "[input] brokers: required"));
    }
}

static void test_good_file(void **state)
{
    static rld_config c;
    char e[1024];
    (void)state;
    assert_int_equal(load(&c, good, e, sizeof(e)), RL_OK);
    assert_string_equal(c.model_name, "ctr");
    assert_string_equal(c.model.learner.learner, "ftrl");
    assert_int_equal(c.model.learner.bits, 20);
    assert_true(c.model.learner.ftrl_alpha == 0.05);
    assert_int_equal(c.model.hash_seed, 42);
    assert_string_equal(c.brokers, "k1:9092,k2:9092");
    assert_string_equal(c.topics, "clicks,views");
    assert_string_equal(c.instance_id, "node-1");
    assert_int_equal(c.batch_size, 500);
    assert_int_equal(c.ckpt_every_events, 5000);
    assert_true(c.ckpt_every_seconds == 10.5);
    assert_int_equal(c.ckpt_keep, 4);
    assert_true(c.gate_tolerance > 1e308);
    assert_string_equal(c.model.detector, "adwin");
    assert_int_equal(c.model.response, RL_RESPONSE_BOOST);
    assert_int_equal(c.n_kafka, 5);
    assert_string_equal(c.kafka[3].key, "sasl.password");
    assert_int_equal(c.kafka[3].line, 30);
    assert_int_equal(rld_config_check(&c, e, sizeof(e)), RL_OK);
}

static void test_unknown_key_and_section(void **state)
{
    (void)state;
    expect_error("[input]\nbrokers = a:1\nbokers = b:2\n",
                 ":3: [input] bokers: unknown key (allowed: brokers, topics, group");
    expect_error("[inptu]\nbrokers = a:1\n", ":2: [inptu] brokers: unknown section (allowed:");
    expect_error("brokers = a:1\n", ":1: brokers: key outside any [section]");
}

static void test_bad_values(void **state)
{
    (void)state;
    expect_error("[input]\nbatch_size = 0\n", ":2: [input] batch_size: '0' is not valid "
                                              "(allowed: 1..100000)");
    expect_error("[input]\nbatch_size = -5\n", "[input] batch_size: '-5' is not valid");
    expect_error("[input]\nbatch_size = 12abc\n", "[input] batch_size: '12abc' is not valid");
    expect_error("[checkpoint]\nevery_seconds = nan\n", "[checkpoint] every_seconds: 'nan'");
    expect_error("[checkpoint]\nevery_seconds = inf\n", "[checkpoint] every_seconds: 'inf'");
    expect_error("[snapshot]\ngate_tolerance = -0.1\n", "[snapshot] gate_tolerance: '-0.1'");
    expect_error("[output]\nsnapshot_topic = bad topic!\n",
                 "[output] snapshot_topic: not a valid topic name");
    expect_error("[input]\ntopics = a,,b\n", "[input] topics: not a valid topic name list");
    expect_error("[input]\ntopics = a,\n", "[input] topics: trailing comma");
    expect_error("[input]\ninstance_id = a:b\n", "[input] instance_id: contains ':'");
    expect_error("[metrics]\nlisten = localhost\n", "[metrics] listen: not host:port");
    expect_error("[metrics]\nlisten = :99999\n", "[metrics] listen: not host:port");
    expect_error("[log]\nlevel = loud\n", "[log] level: unknown level (allowed: debug, info");
    expect_error("[model]\nbits = 99\n", ":2: [model] bits:");
    expect_error("[model]\nlearner = nosuch\n", ":2: [model] learner:");
    expect_error("[drift]\nresponse = panic\n", ":2: [drift] response:");
}

static void test_kafka_keys(void **state)
{
    (void)state;
    expect_error("[kafka]\nenable.auto.commit = true\n",
                 ":2: [kafka] enable.auto.commit: relearnd sets this itself");
    expect_error("[kafka]\nbootstrap.servers = x:1\n", "set [input] brokers");
    expect_error("[kafka]\nno.such.property = 1\n", ":2: [kafka] no.such.property:");
    expect_error("[kafka]\nsession.timeout.ms = banana\n", ":2: [kafka] session.timeout.ms:");
}

static void test_syntax_and_long_lines(void **state)
{
    char big[600];
    char text[700];
    (void)state;
    expect_error("[input]\nbrokers = a:1\n[checkpoint\n", ":3: syntax error");
    expect_error("[input]\njust a line\n", ":2: syntax error");
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    snprintf(text, sizeof(text), "[input]\ngroup = %s\n", big);
    expect_error(text, ":2: line too long");
}

static void test_cross_checks(void **state)
{
    (void)state;
    expect_error("[input]\nbrokers = a:1\n[checkpoint]\ndir = /tmp/x\n",
                 "[input] topics: required");
    expect_error("[input]\nbrokers = a:1\ntopics = t\n", "[checkpoint] dir: required");
    expect_error("[input]\nbrokers = a:1\ntopics = t,relearn-alerts\n[checkpoint]\ndir = /x\n",
                 "'relearn-alerts' is also an [output] topic");
    expect_error("[input]\nbrokers = a:1\ntopics = t\n[checkpoint]\ndir = /x\n"
                 "every_events = 0\nevery_seconds = 0\n",
                 "both off");
    expect_error("[input]\nbrokers = a:1\ntopics = t\n[checkpoint]\ndir = /x\n"
                 "[output]\nalerts_topic = relearn-snapshots\n",
                 "must differ");
    /* A detector parameter only its detector knows about is checked when the model is built,
     * and the message names the line that set it. */
    expect_error("[input]\nbrokers = a:1\ntopics = t\n[checkpoint]\ndir = /x\n"
                 "[drift]\ndetector = ddm\nbogus_param = 3\n",
                 ":8: [drift] ");
    /* So does a key the learner does not read (it would be ignored). */
    expect_error("[model]\nlearner = ftrl\n\neta = 0.1\n[input]\nbrokers = a:1\ntopics = t\n"
                 "[checkpoint]\ndir = /x\n",
                 ":4: [model] model: learner: eta: not a parameter of learner ftrl");
}

static void test_flags_override(void **state)
{
    static rld_config c;
    char e[1024];
    (void)state;
    assert_int_equal(load(&c, good, e, sizeof(e)), RL_OK);
    assert_int_equal(rld_config_set(&c, "--brokers", "input", "brokers", "local:1", e, sizeof(e)),
                     RL_OK);
    assert_string_equal(c.brokers, "local:1");
    assert_int_equal(rld_config_set(&c, "--topic", "input", "topics", "bad topic", e, sizeof(e)),
                     RL_ERR_CONFIG);
    assert_non_null(strstr(e, "--topic: [input] topics:"));
    assert_int_equal(
        rld_config_set(&c, "--checkpoint-dir", "checkpoint", "dir", "/srv/ck", e, sizeof(e)),
        RL_OK);
    assert_string_equal(c.checkpoint_dir, "/srv/ck");
}

static void test_print_masks_secrets(void **state)
{
    static rld_config c;
    char e[1024];
    char *out = NULL;
    size_t len = 0;
    FILE *f;
    (void)state;
    assert_int_equal(load(&c, good, e, sizeof(e)), RL_OK);
    f = open_memstream(&out, &len);
    assert_non_null(f);
    rld_config_print(&c, f);
    fclose(f);
    assert_null(strstr(out, "hunter2"));
    assert_null(strstr(out, "s3cret"));
    assert_non_null(strstr(out, "sasl.password = ********"));
    assert_non_null(strstr(out, "ssl.key.password = ********"));
    assert_non_null(strstr(out, "sasl.username = bob"));
    assert_non_null(strstr(out, "learner = ftrl"));
    assert_non_null(strstr(out, "detector = adwin"));
    assert_non_null(strstr(out, "every_seconds = 10.5"));
    free(out);
    assert_true(rld_config_is_secret("sasl.oauthbearer.client.secret"));
    assert_true(rld_config_is_secret("ssl.keystore.password"));
    assert_false(rld_config_is_secret("security.protocol"));
}

/* [checkpoint] compress and [snapshot] compress: the three names map to the encoders' flags,
 * anything else is refused with file:line:key and the allowed names, and --check-config prints
 * it back. */
static void check_compress(const char *section, const unsigned *field, rld_config *c)
{
    static const struct {
        const char *name;
        unsigned flags;
    } ok[] = {{"auto", RL_CKPT_COMPRESS_AUTO}, {"zstd", RL_FRAME_ZSTD}, {"none", 0}};
    char e[1024], text[128], line[64], want[128];
    rld_config_default(c);
    assert_int_equal(*field, RL_CKPT_COMPRESS_AUTO);
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        char *out = NULL;
        size_t len = 0;
        FILE *f;
        snprintf(text, sizeof(text), "[%s]\ncompress = %s\n", section, ok[i].name);
        assert_int_equal(load(c, text, e, sizeof(e)), RL_OK);
        /* a checkpoint's zstd takes zero runs out first (snapshots have sparse rows instead) */
        unsigned want_flags = ok[i].flags;
        if (want_flags == RL_FRAME_ZSTD && strcmp(section, "checkpoint") == 0)
            want_flags |= RL_FRAME_ZERO_RUNS;
        assert_int_equal(*field, want_flags);
        f = open_memstream(&out, &len);
        assert_non_null(f);
        rld_config_print(c, f);
        fclose(f);
        /* printed under its own section */
        snprintf(line, sizeof(line), "compress = %s\n", ok[i].name);
        char header[32];
        snprintf(header, sizeof(header), "[%s]\n", section);
        const char *sec = strstr(out, header);
        assert_non_null(sec);
        const char *next = strstr(sec + 1, "\n[");
        const char *hit = strstr(sec, line);
        assert_non_null(hit);
        assert_true(next == NULL || hit < next);
        free(out);
    }
    snprintf(text, sizeof(text), "[%s]\n\ncompress = lz4\n", section);
    snprintf(want, sizeof(want), ":3: [%s] compress: 'lz4' is not valid (allowed: auto, zstd, none",
             section);
    expect_error(text, want);
    snprintf(text, sizeof(text), "[%s]\ncompress = ZSTD\n", section);
    snprintf(want, sizeof(want), ":2: [%s] compress: 'ZSTD'", section);
    expect_error(text, want);
    snprintf(text, sizeof(text), "[%s]\ncompress =\n", section);
    snprintf(want, sizeof(want), "[%s] compress: '' is not valid", section);
    expect_error(text, want);
}

static void test_compress_options(void **state)
{
    static rld_config c;
    (void)state;
    /* One flag value serves both: the config table maps "auto" once. */
    assert_int_equal(RL_SNAPSHOT_COMPRESS_AUTO, RL_CKPT_COMPRESS_AUTO);
    check_compress("checkpoint", &c.ckpt_compress, &c);
    check_compress("snapshot", &c.snap_compress, &c);
}

static void test_missing_file(void **state)
{
    static rld_config c;
    char e[512];
    (void)state;
    rld_config_default(&c);
    assert_int_equal(rld_config_load(&c, "/nonexistent/relearn.ini", e, sizeof(e)), RL_ERR_IO);
    assert_non_null(strstr(e, "/nonexistent/relearn.ini: cannot open"));
}

/* Issue 17, item 8: what was accepted silently is refused with FILE:LINE. */
static void test_refused_with_file_line(void **state)
{
    (void)state;
    /* a duplicate key: the last one won without a word */
    expect_error("[model]\nname = a\nbits = 12\nname = b\n",
                 ":4: [model] name: duplicate key (first set at line 2");
    expect_error("[kafka]\nlinger.ms = 5\n[kafka]\nlinger.ms = 6\n",
                 ":4: [kafka] linger.ms: duplicate key (first set at line 2");
    /* control and bidirectional-text characters in names printed raw into logs and headers */
    expect_error("[model]\nname = m\x1b[2J\n", ":2: [model] name: contains a control character");
    expect_error("[model]\nname = safe\xe2\x80\xae"
                 "evil\n",
                 ":2: [model] name: contains a bidirectional-text control character");
    expect_error("[model]\nname = a\xe2\x81\xa6"
                 "b\n",
                 "bidirectional-text control");
    expect_error("[input]\ninstance_id = a\x7f\n", ":2: [input] instance_id: contains a control");
    expect_error("[input]\ngroup = g\xc2\x85\n", ":2: [input] group: contains a control");
    /* topics Kafka refuses or keeps for itself */
    expect_error("[input]\ntopics = .\n", ":2: [input] topics: not a valid topic name list");
    expect_error("[input]\ntopics = ok,..\n", ":2: [input] topics: not a valid topic name list");
    expect_error("[input]\ntopics = __consumer_offsets\n", ":2: [input] topics: not a valid");
    expect_error("[output]\nalerts_topic = __transaction_state\n",
                 ":2: [output] alerts_topic: not a valid topic name");
    expect_error("[output]\nsnapshot_topic = ..\n", ":2: [output] snapshot_topic: not a valid");
}

/* A NUL byte cut a value short: name = m<NUL>evil read as "m". */
static void test_nul_byte_refused(void **state)
{
    static rld_config c;
    static const char text[] = "[model]\nlearner = sgd\nname = m\0evil\n";
    char e[512] = "";
    int fd;
    (void)state;
    snprintf(tmp_path, sizeof(tmp_path), "/tmp/rl-test-config-XXXXXX");
    fd = mkstemp(tmp_path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, sizeof(text) - 1), (ssize_t)(sizeof(text) - 1));
    close(fd);
    rld_config_default(&c);
    assert_int_equal(rld_config_load(&c, tmp_path, e, sizeof(e)), RL_ERR_CONFIG);
    unlink(tmp_path);
    if (!strstr(e, ":3: NUL byte in the line"))
        fail_msg("message '%s'", e);
}

/* A group- or world-writable checkpoint directory: anyone in the group could plant a newer
 * checkpoint. */
static void test_writable_checkpoint_dir(void **state)
{
    char dir[64], text[256];
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/rl-test-ckdir-XXXXXX");
    assert_non_null(mkdtemp(dir));
    snprintf(text, sizeof(text), "[checkpoint]\ndir = %s\n", dir);
    assert_int_equal(chmod(dir, 0775), 0);
    expect_error(text, ":2: [checkpoint] dir: group-writable");
    assert_int_equal(chmod(dir, 0707), 0);
    expect_error(text, ":2: [checkpoint] dir: world-writable");
    assert_int_equal(chmod(dir, 0700), 0);
    {
        static rld_config c;
        char e[512];
        assert_int_equal(load(&c, text, e, sizeof(e)), RL_OK);
    }
    rmdir(dir);
}

/* A directory (or any file that fails to read) is an error, not an empty config. */
static void test_directory_is_not_a_config(void **state)
{
    static rld_config c;
    char e[512];
    (void)state;
    rld_config_default(&c);
    assert_int_equal(rld_config_load(&c, "/tmp", e, sizeof(e)), RL_ERR_IO);
    assert_non_null(strstr(e, "/tmp: cannot read: Is a directory"));
}

/* Indentation is insignificant: inih would read an indented line after a key as more of that
 * key's value, so these keys were lost and "name" became "bits = 12". */
static void test_indented_keys(void **state)
{
    static rld_config c;
    char e[1024];
    (void)state;
    assert_int_equal(load(&c,
                          "[model]\nname = x\n  learner = ftrl\n\tbits = 12\n"
                          "  [input]\n    brokers = a:1\n",
                          e, sizeof(e)),
                     RL_OK);
    assert_string_equal(c.model_name, "x");
    assert_string_equal(c.model.learner.learner, "ftrl");
    assert_int_equal(c.model.learner.bits, 12);
    assert_string_equal(c.brokers, "a:1");
}

/* Binary junk is shown escaped, and the learner's own "allowed" is not repeated. */
static void test_messages_readable(void **state)
{
    static rld_config c;
    char e[1024] = "";
    (void)state;
    expect_error("[model]\nna\x01me = x\n", ":2: [model] na\\x01me: not printable ASCII");
    assert_int_equal(load(&c, "[model]\nbits = 99\n", e, sizeof(e)), RL_ERR_CONFIG);
    assert_non_null(strstr(e, "(allowed:"));
    assert_null(strstr(strstr(e, "(allowed:") + 1, "(allowed:"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_good_file),
        cmocka_unit_test(test_unknown_key_and_section),
        cmocka_unit_test(test_bad_values),
        cmocka_unit_test(test_kafka_keys),
        cmocka_unit_test(test_syntax_and_long_lines),
        cmocka_unit_test(test_cross_checks),
        cmocka_unit_test(test_flags_override),
        cmocka_unit_test(test_print_masks_secrets),
        cmocka_unit_test(test_compress_options),
        cmocka_unit_test(test_missing_file),
        cmocka_unit_test(test_directory_is_not_a_config),
        cmocka_unit_test(test_refused_with_file_line),
        cmocka_unit_test(test_nul_byte_refused),
        cmocka_unit_test(test_writable_checkpoint_dir),
        cmocka_unit_test(test_indented_keys),
        cmocka_unit_test(test_messages_readable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
