/* test_readers.c - the libsvm, VW and CSV readers: known-good parses, every kind of malformed
 * line (reported with file:line and a reason, then skipped), buffering edge cases, detection,
 * label mapping and the record -> example conversion. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "input/reader.h"

static char err[512];

static rl_reader *open_mem(const char *name, const char *text, const rl_reader_opts *o)
{
    rl_reader *r = NULL;
    rl_err e = rl_reader_open_mem(name, text, strlen(text), o, &r, err, sizeof(err));
    if (e != RL_OK)
        fail_msg("open %s: %s", name, err);
    return r;
}

/* Next record, which must parse. */
static const rl_record *next_ok(rl_reader *r)
{
    const rl_record *rec = NULL;
    err[0] = '\0';
    rl_err e = rl_reader_next(r, &rec, err, sizeof(err));
    if (e != RL_OK)
        fail_msg("unexpected error: %s", err);
    assert_non_null(rec);
    return rec;
}

/* Next line must be refused with a message "name:line: ...why...". */
static void next_bad(rl_reader *r, const char *name, unsigned line, const char *why)
{
    const rl_record *rec = (const rl_record *)1;
    err[0] = '\0';
    rl_err e = rl_reader_next(r, &rec, err, sizeof(err));
    if (e != RL_ERR_FORMAT)
        fail_msg("line %u: expected a format error containing '%s', got %d (%s)", line, why, (int)e,
                 err);
    assert_null(rec);
    char prefix[128];
    snprintf(prefix, sizeof(prefix), "%s:%u: ", name, line);
    if (strncmp(err, prefix, strlen(prefix)) != 0 || !strstr(err, why))
        fail_msg("line %u: message '%s' lacks '%s' or '%s'", line, err, prefix, why);
}

static void next_end(rl_reader *r)
{
    const rl_record *rec = (const rl_record *)1;
    assert_int_equal(rl_reader_next(r, &rec, err, sizeof(err)), RL_OK);
    assert_null(rec);
    /* End of stream is sticky. */
    rec = (const rl_record *)1;
    assert_int_equal(rl_reader_next(r, &rec, err, sizeof(err)), RL_OK);
    assert_null(rec);
}

static void assert_idx(const rl_text_feature *f, uint64_t idx, float v)
{
    assert_null(f->name);
    assert_int_equal(f->index, idx);
    assert_true(f->value == v);
}

static void assert_named(const rl_text_feature *f, const char *full, float v)
{
    char buf[256];
    size_t n = rl_record_feature_name(f, buf, sizeof(buf));
    assert_non_null(f->name);
    if (n != strlen(full) || memcmp(buf, full, n) != 0)
        fail_msg("feature name '%.*s', expected '%s'", (int)n, buf, full);
    if (f->value != v)
        fail_msg("feature %s value %g, expected %g", full, (double)f->value, (double)v);
}

/* ---- libsvm ---- */

static void test_libsvm_good(void **state)
{
    (void)state;
    rl_reader_opts o;
    rl_reader_opts_default(&o);
    o.format = RL_TEXT_LIBSVM;
    rl_reader *r = open_mem("a",
                            "1 1:0.5 3:2 # comment 4:4\n"
                            "-1 qid:3 2:1e-3   10:-4\n"
                            "+1\n"
                            "2.5 0:1 4294967295:0.25",
                            &o);
    const rl_record *rec = next_ok(r);
    assert_true(rec->label == 1.0f);
    assert_true(rec->weight == 1.0f);
    assert_false(rec->has_weight);
    assert_int_equal(rec->line, 1);
    assert_int_equal(rec->n_feats, 2);
    assert_idx(&rec->feats[0], 1, 0.5f);
    assert_idx(&rec->feats[1], 3, 2.0f);
    rec = next_ok(r);
    assert_true(rec->label == -1.0f);
    assert_int_equal(rec->n_feats, 2);
    assert_idx(&rec->feats[0], 2, 1e-3f);
    assert_idx(&rec->feats[1], 10, -4.0f);
    rec = next_ok(r);
    assert_true(rec->label == 1.0f);
    assert_int_equal(rec->n_feats, 0);
    rec = next_ok(r);
    assert_true(rec->label == 2.5f);
    assert_int_equal(rec->line, 4);
    assert_idx(&rec->feats[0], 0, 1.0f);
    assert_idx(&rec->feats[1], UINT32_MAX, 0.25f);
    next_end(r);
    rl_reader_stats st;
    rl_reader_get_stats(r, &st);
    assert_int_equal(st.lines, 4);
    assert_int_equal(st.records, 4);
    assert_int_equal(st.bad, 0);
    rl_reader_destroy(r);
}

static void test_libsvm_malformed(void **state)
{
    (void)state;
    rl_reader_opts o;
    rl_reader_opts_default(&o);
    o.format = RL_TEXT_LIBSVM;
    rl_reader *r = open_mem("bad.svm",
                            "\n"                            /* 1 blank: skipped */
                            "   \t \n"                      /* 2 blank: skipped */
                            "1:2 3:4\n"                     /* 3 */
                            "abc 1:2\n"                     /* 4 */
                            "nan 1:2\n"                     /* 5 */
                            "1 1:nan\n"                     /* 6 */
                            "1 1:inf\n"                     /* 7 */
                            "1 1:1e999\n"                   /* 8 */
                            "1 1:1e39\n"                    /* 9 */
                            "1 4294967296:1\n"              /* 10 */
                            "1 99999999999999999999999:1\n" /* 11 */
                            "1 1:\n"                        /* 12 */
                            "1 :1\n"                        /* 13 */
                            "1 1:2:3\n"                     /* 14 */
                            "1 7\n"                         /* 15 */
                            "1 -3:1\n"                      /* 16 */
                            "1 1:0x\n"                      /* 17 */
                            "1 1:1,5\n"                     /* 18 */
                            "inf 1:1\n"                     /* 19 */
                            "# only a comment\n"            /* 20 skipped */
                            "0 5:1\n",                      /* 21 good */
                            &o);
    next_bad(r, "bad.svm", 3, "missing label");
    next_bad(r, "bad.svm", 4, "bad label 'abc'");
    next_bad(r, "bad.svm", 5, "NaN");
    next_bad(r, "bad.svm", 6, "NaN");
    next_bad(r, "bad.svm", 7, "infinity");
    next_bad(r, "bad.svm", 8, "out of range");
    next_bad(r, "bad.svm", 9, "out of float range");
    next_bad(r, "bad.svm", 10, "index 4294967296 exceeds the maximum 4294967295");
    next_bad(r, "bad.svm", 11, "integer too large");
    next_bad(r, "bad.svm", 12, "has no value");
    next_bad(r, "bad.svm", 13, "has no index");
    next_bad(r, "bad.svm", 14, "more than one ':'");
    next_bad(r, "bad.svm", 15, "no ':value'");
    next_bad(r, "bad.svm", 16, "bad index");
    next_bad(r, "bad.svm", 17, "not a number");
    next_bad(r, "bad.svm", 18, "not a number");
    next_bad(r, "bad.svm", 19, "infinity");
    const rl_record *rec = next_ok(r);
    assert_int_equal(rec->line, 21);
    assert_true(rec->label == 0.0f);
    assert_idx(&rec->feats[0], 5, 1.0f);
    next_end(r);
    rl_reader_stats st;
    rl_reader_get_stats(r, &st);
    assert_int_equal(st.lines, 21);
    assert_int_equal(st.bad, 17);
    assert_int_equal(st.skipped, 3);
    assert_int_equal(st.records, 1);
    rl_reader_destroy(r);
}

/* A finite value beyond RL_FEATURE_VALUE_MAX is a bad line in every format (its square is not a
 * float: it made the default learner's counters NaN for good); the limit itself is taken. A line
 * that starts with a NUL byte is a bad line, not a blank one. */
static void test_value_limit_and_nul_lines(void **state)
{
    (void)state;
    rl_reader_opts o;
    rl_reader_opts_default(&o);
    o.format = RL_TEXT_LIBSVM;
    rl_reader *r = open_mem("big.svm", "1 1:1e20\n0 2:-1e19\n1 3:1e18 4:-1e18\n", &o);
    next_bad(r, "big.svm", 1, "beyond +-1e18");
    next_bad(r, "big.svm", 2, "beyond +-1e18");
    const rl_record *rec = next_ok(r);
    assert_int_equal(rec->n_feats, 2);
    assert_true(rec->feats[0].value == 1e18f && rec->feats[1].value == -1e18f);
    next_end(r);
    rl_reader_destroy(r);

    o.format = RL_TEXT_VW;
    r = open_mem("big.vw", "1 |f a:1e20\n1 |f:1e10 a:1e10\n1 |f:2 a:1e17\n", &o);
    next_bad(r, "big.vw", 1, "beyond +-1e18");
    next_bad(r, "big.vw", 2, "times namespace scale: beyond +-1e18");
    rec = next_ok(r);
    assert_true(rec->feats[0].value == 2e17f);
    next_end(r);
    rl_reader_destroy(r);

    rl_reader_opts_default(&o);
    o.format = RL_TEXT_CSV;
    r = open_mem("big.csv", "x,label\n1e20,1\n5,0\n", &o);
    next_bad(r, "big.csv", 2, "beyond +-1e18");
    rec = next_ok(r);
    next_end(r);
    rl_reader_destroy(r);

    static const char nul[] = "1 1:2\n\0garbage\n   \0\n0 1:1\n";
    rl_reader_opts_default(&o);
    o.format = RL_TEXT_LIBSVM;
    r = NULL;
    assert_int_equal(rl_reader_open_mem("nul.svm", nul, sizeof(nul) - 1, &o, &r, err, sizeof(err)),
                     RL_OK);
    next_ok(r);
    const rl_record *bad = (const rl_record *)1;
    assert_int_equal(rl_reader_next(r, &bad, err, sizeof(err)), RL_ERR_FORMAT);
    assert_non_null(strstr(err, "nul.svm:2: "));
    assert_int_equal(rl_reader_next(r, &bad, err, sizeof(err)), RL_ERR_FORMAT);
    assert_non_null(strstr(err, "nul.svm:3: "));
    next_ok(r);
    next_end(r);
    rl_reader_destroy(r);
}

static void test_libsvm_max_index_option(void **state)
{
    (void)state;
    rl_reader_opts o;
    rl_reader_opts_default(&o);
    o.format = RL_TEXT_LIBSVM;
    o.max_index = 100;
    rl_reader *r = open_mem("m", "1 100:1\n1 101:1\n", &o);
    next_ok(r);
    next_bad(r, "m", 2, "index 101 exceeds the maximum 100");
    next_end(r);
    rl_reader_destroy(r);
}

static void test_crlf_and_trailing_space(void **state)
{
    (void)state;
    rl_reader *r = open_mem("crlf.libsvm", "1 1:2 \r\n0 2:3\t \r\n\r\n-1 3:4\r\n", NULL);
    assert_int_equal(rl_reader_format(r), RL_TEXT_LIBSVM);
    const rl_record *rec = next_ok(r);
    assert_int_equal(rec->n_feats, 1);
    assert_idx(&rec->feats[0], 1, 2.0f);
    rec = next_ok(r);
    assert_idx(&rec->feats[0], 2, 3.0f);
    rec = next_ok(r);
    assert_int_equal(rec->line, 4);
    assert_idx(&rec->feats[0], 3, 4.0f);
    next_end(r);
    rl_reader_destroy(r);
}

static void test_numbers_exact(void **state)
{
    (void)state;
    /* The fast decimal path must give exactly what strtod gives. */
    const char *nums[] = {
        "0.1", "0.3", "1e-7", "123456.789", "-0.000001234", "1e22", "9.99e-23", "3.14159265358979",
        "17", "+5.5", "1E3", "0.1e1", "12345678901234567", "4.9e-324", "2.2250738585072014e-308",
        /* the one-pass feature reader's edges (input/reader_libsvm.c) */
        "-0", "5.", ".25", "-.5", "000000000000000001", "0.30000000000000004", "123456789012345678",
        "9007199254740993", "0.000000000000000001", "-999999999999999.9"};
    for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++) {
        char line[128];
        /* a feature value beyond RL_FEATURE_VALUE_MAX is refused: that one as a label only */
        int big = fabs(strtod(nums[i], NULL)) > RL_FEATURE_VALUE_MAX;
        snprintf(line, sizeof(line), "%s 1:%s\n", nums[i], big ? "1" : nums[i]);
        rl_reader_opts o;
        rl_reader_opts_default(&o);
        o.format = RL_TEXT_LIBSVM;
        rl_reader *r = open_mem("n", line, &o);
        const rl_record *rec = next_ok(r);
        float want = (float)strtod(nums[i], NULL);
        float want_feat = big ? 1.0f : want;
        /* bitwise: -0 must stay -0 */
        if (memcmp(&rec->label, &want, sizeof(want)) != 0 ||
            memcmp(&rec->feats[0].value, &want_feat, sizeof(want)) != 0)
            fail_msg("%s parsed as %.9g, want %.9g", nums[i], (double)rec->label, (double)want);
        rl_reader_destroy(r);
    }
}

/* ---- line buffer ---- */

static void test_overlong_lines(void **state)
{
    (void)state;
    rl_reader_opts o;
    rl_reader_opts_default(&o);
    o.format = RL_TEXT_LIBSVM;
    o.max_line = 32;
    size_t big = 20000;
    char *text = malloc(big + 200);
    assert_non_null(text);
    size_t n = 0;
    n += (size_t)sprintf(text + n, "1 1:1\n");
    /* 2: a bit over the limit; 3: far over it (skipped in pieces); 4: exactly the limit. */
    n += (size_t)sprintf(text + n, "1 1:1 2:1 3:1 4:1 5:1 6:1 7:1 8:1 9:1\n");
    n += (size_t)sprintf(text + n, "1");
    for (size_t i = 0; i < big; i++)
        text[n++] = ' ';
    n += (size_t)sprintf(text + n, "1:1\n");
    n += (size_t)sprintf(text + n, "1 1:1 2:1 3:1 4:1 5:1 6:1 7:1\r\n");       /* 32 + CR */
    n += (size_t)sprintf(text + n, "0 2:2 3:3 4:4 5:5 6:6 7:7 8:8 9:9 10:10"); /* no newline */
    text[n] = '\0';
    rl_reader *r = open_mem("long", text, &o);
    assert_int_equal(next_ok(r)->line, 1);
    next_bad(r, "long", 2, "longer than 32 bytes");
    next_bad(r, "long", 3, "longer than 32 bytes");
    const rl_record *rec = next_ok(r);
    assert_int_equal(rec->line, 4);
    assert_int_equal(rec->n_feats, 7);
    next_bad(r, "long", 5, "longer than 32 bytes");
    next_end(r);
    rl_reader_destroy(r);
    free(text);
}

static void test_many_short_lines_small_buffer(void **state)
{
    (void)state;
    /* With a 16-byte line limit the buffer holds ~3 lines: every line boundary case is hit. */
    rl_reader_opts o;
    rl_reader_opts_default(&o);
    o.format = RL_TEXT_LIBSVM;
    o.max_line = 16;
    size_t cap = 3000 * 20;
    char *text = malloc(cap);
    assert_non_null(text);
    size_t n = 0;
    for (int i = 0; i < 3000; i++)
        n += (size_t)snprintf(text + n, cap - n, "%d %d:%d%s", i % 2, i % 97, i % 7,
                              i % 5 == 0 ? "\r\n" : "\n");
    rl_reader *r = open_mem("short", text, &o);
    const rl_text_feature *first_feats = NULL;
    for (int i = 0; i < 3000; i++) {
        const rl_record *rec = next_ok(r);
        assert_int_equal(rec->line, (uint64_t)i + 1);
        assert_true(rec->label == (float)(i % 2));
        assert_int_equal(rec->n_feats, 1);
        assert_idx(&rec->feats[0], (uint64_t)(i % 97), (float)(i % 7));
        /* No allocation per record: the feature array is reused. */
        if (!first_feats)
            first_feats = rec->feats;
        assert_ptr_equal(rec->feats, first_feats);
    }
    next_end(r);
    rl_reader_destroy(r);
    free(text);
}

static void test_max_features(void **state)
{
    (void)state;
    rl_reader_opts o;
    rl_reader_opts_default(&o);
    o.format = RL_TEXT_LIBSVM;
    o.max_features = 3;
    rl_reader *r = open_mem("mf", "1 1:1 2:1 3:1\n1 1:1 2:1 3:1 4:1\n0 1:1\n", &o);
    assert_int_equal(next_ok(r)->n_feats, 3);
    next_bad(r, "mf", 2, "more than 3 features");
    assert_int_equal(next_ok(r)->n_feats, 1);
    next_end(r);
    rl_reader_destroy(r);
}

/* ---- VW ---- */

static void test_vw_good(void **state)
{
    (void)state;
    rl_reader *r = open_mem("x.vw",
                            "1 2.5 'tag1 |ns1:2 a b:3 |  c:0.5 |ns2 d\n"
                            "-1 tag2| x y:-1\n"
                            "0.5 |f \xff\xfe:2 caf\xc3\xa9\n"
                            "3 'only| a\n",
                            NULL);
    const rl_record *rec = next_ok(r);
    assert_true(rec->label == 1.0f);
    assert_true(rec->weight == 2.5f);
    assert_true(rec->has_weight);
    assert_int_equal(rec->tag_len, 4);
    assert_memory_equal(rec->tag, "tag1", 4);
    assert_int_equal(rec->n_feats, 4);
    assert_named(&rec->feats[0], "ns1^a", 2.0f);
    assert_named(&rec->feats[1], "ns1^b", 6.0f);
    assert_named(&rec->feats[2], "c", 0.5f);
    assert_null(rec->feats[2].ns);
    assert_named(&rec->feats[3], "ns2^d", 1.0f);
    assert_int_equal(rec->feats[3].ns_len, 3);
    rec = next_ok(r);
    assert_true(rec->label == -1.0f);
    assert_false(rec->has_weight);
    assert_int_equal(rec->tag_len, 4);
    assert_memory_equal(rec->tag, "tag2", 4);
    assert_named(&rec->feats[0], "x", 1.0f);
    assert_named(&rec->feats[1], "y", -1.0f);
    rec = next_ok(r);
    /* Names are bytes: non-UTF-8 is kept as is. */
    assert_named(&rec->feats[0], "f^\xff\xfe", 2.0f);
    assert_named(&rec->feats[1], "f^caf\xc3\xa9", 1.0f);
    rec = next_ok(r);
    assert_true(rec->label == 3.0f);
    assert_int_equal(rec->tag_len, 4);
    assert_named(&rec->feats[0], "a", 1.0f);
    next_end(r);
    rl_reader_destroy(r);
}

static void test_vw_malformed(void **state)
{
    (void)state;
    rl_reader_opts o;
    rl_reader_opts_default(&o);
    o.format = RL_TEXT_VW;
    rl_reader *r = open_mem("v",
                            "| a b\n"            /* 1 */
                            "1 a b\n"            /* 2 */
                            "x y | a\n"          /* 3 */
                            "1 -2 | a\n"         /* 4 */
                            "1 2 3 | a\n"        /* 5 */
                            "1 | a:\n"           /* 6 */
                            "1 | a:b:c\n"        /* 7 */
                            "1 | :3\n"           /* 8 */
                            "1 | a:nan\n"        /* 9 */
                            "1 |ns:x a\n"        /* 10 */
                            "nan | a\n"          /* 11 */
                            "1 | \xff:zz\n"      /* 12 */
                            "1:0.5 2:1 | a\n"    /* 13: cost-sensitive labels are refused */
                            "1 |s:1e30 a:1e30\n" /* 14 */
                            "0 | ok\n",          /* 15 */
                            &o);
    next_bad(r, "v", 1, "missing label");
    next_bad(r, "v", 2, "no '|'");
    next_bad(r, "v", 3, "bad label 'x'");
    next_bad(r, "v", 4, "negative");
    next_bad(r, "v", 5, "third number");
    next_bad(r, "v", 6, "has no value");
    next_bad(r, "v", 7, "more than one ':'");
    next_bad(r, "v", 8, "has no name");
    next_bad(r, "v", 9, "NaN");
    next_bad(r, "v", 10, "bad namespace scale");
    next_bad(r, "v", 11, "NaN");
    next_bad(r, "v", 12, "'\\xff:zz'");
    next_bad(r, "v", 13, "bad label");
    next_bad(r, "v", 14, "not finite");
    const rl_record *rec = next_ok(r);
    assert_int_equal(rec->line, 15);
    assert_named(&rec->feats[0], "ok", 1.0f);
    next_end(r);
    rl_reader_destroy(r);
}

/* ---- CSV ---- */

static void test_csv_header(void **state)
{
    (void)state;
    rl_reader *r = open_mem("d.csv",
                            "a, \"b \"\"q\"\"\" ,label\r\n"
                            "1,2,1\n"
                            "3,,0\n"
                            "\"4\",5 , -1\n",
                            NULL);
    assert_int_equal(rl_reader_format(r), RL_TEXT_CSV);
    const char *lname;
    assert_int_equal(rl_reader_label_column(r, &lname), 2);
    assert_string_equal(lname, "label");
    const rl_record *rec = next_ok(r);
    assert_int_equal(rec->line, 2);
    assert_true(rec->label == 1.0f);
    assert_int_equal(rec->n_feats, 2);
    assert_named(&rec->feats[0], "a", 1.0f);
    assert_named(&rec->feats[1], "b \"q\"", 2.0f);
    rec = next_ok(r);
    assert_true(rec->label == 0.0f);
    assert_int_equal(rec->n_feats, 1); /* empty field: absent feature */
    assert_named(&rec->feats[0], "a", 3.0f);
    rec = next_ok(r);
    assert_true(rec->label == -1.0f);
    assert_named(&rec->feats[0], "a", 4.0f);
    assert_named(&rec->feats[1], "b \"q\"", 5.0f);
    next_end(r);
    rl_reader_destroy(r);
}

static void test_csv_label_choice(void **state)
{
    (void)state;
    rl_reader_opts o;
    rl_reader_opts_default(&o);
    o.format = RL_TEXT_CSV;
    o.label_col = "y";
    rl_reader *r = open_mem("c", "x1,y,x2\n0.5,1,2\n", &o);
    const rl_record *rec = next_ok(r);
    assert_true(rec->label == 1.0f);
    assert_named(&rec->feats[0], "x1", 0.5f);
    assert_named(&rec->feats[1], "x2", 2.0f);
    rl_reader_destroy(r);

    /* By number, with a header. */
    o.label_col = "2";
    r = open_mem("c", "x1,y,x2\n0.5,1,2\n", &o);
    rec = next_ok(r);
    assert_true(rec->label == 2.0f);
    rl_reader_destroy(r);

    /* Default without a "label" column: column 0. */
    o.label_col = NULL;
    r = open_mem("c", "x1,y,x2\n0.5,1,2\n", &o);
    rec = next_ok(r);
    assert_true(rec->label == 0.5f);
    rl_reader_destroy(r);

    /* No header: indices are column numbers; ';' delimiter. */
    o.header = 0;
    o.delimiter = ';';
    o.label_col = "1";
    r = open_mem("c", "0.5;1;2\n7;0;\n", &o);
    rec = next_ok(r);
    assert_true(rec->label == 1.0f);
    assert_int_equal(rec->n_feats, 2);
    assert_idx(&rec->feats[0], 0, 0.5f);
    assert_idx(&rec->feats[1], 2, 2.0f);
    rec = next_ok(r);
    assert_int_equal(rec->n_feats, 1);
    assert_idx(&rec->feats[0], 0, 7.0f);
    rl_reader_destroy(r);

    /* Tab-separated, where blanks are the delimiter. */
    o.delimiter = '\t';
    o.label_col = "0";
    r = open_mem("c", "1\t2\t3\n", &o);
    rec = next_ok(r);
    assert_true(rec->label == 1.0f);
    assert_int_equal(rec->n_feats, 2);
    rl_reader_destroy(r);
}

static void test_csv_open_errors(void **state)
{
    (void)state;
    rl_reader *r = NULL;
    rl_reader_opts o;
    rl_reader_opts_default(&o);
    o.format = RL_TEXT_CSV;
    o.label_col = "nope";
    const char *t = "a,b\n1,2\n";
    assert_int_equal(rl_reader_open_mem("c", t, strlen(t), &o, &r, err, sizeof(err)),
                     RL_ERR_INVALID_ARG);
    assert_non_null(strstr(err, "no column named 'nope'"));
    assert_null(r);
    o.label_col = "5";
    assert_int_equal(rl_reader_open_mem("c", t, strlen(t), &o, &r, err, sizeof(err)),
                     RL_ERR_INVALID_ARG);
    assert_non_null(strstr(err, "past the header"));
    o.label_col = "a";
    o.header = 0;
    assert_int_equal(rl_reader_open_mem("c", t, strlen(t), &o, &r, err, sizeof(err)),
                     RL_ERR_INVALID_ARG);
    assert_non_null(strstr(err, "no header"));
    o.header = 1;
    o.label_col = NULL;
    t = "a,a\n1,2\n";
    assert_int_equal(rl_reader_open_mem("c", t, strlen(t), &o, &r, err, sizeof(err)),
                     RL_ERR_FORMAT);
    assert_non_null(strstr(err, "appears twice"));
    t = "";
    assert_int_equal(rl_reader_open_mem("c", t, 0, &o, &r, err, sizeof(err)), RL_ERR_FORMAT);
    assert_non_null(strstr(err, "no header"));
    o.delimiter = '5';
    t = "a,b\n";
    assert_int_equal(rl_reader_open_mem("c", t, strlen(t), &o, &r, err, sizeof(err)),
                     RL_ERR_INVALID_ARG);
    assert_non_null(strstr(err, "delimiter"));
}

static void test_csv_malformed(void **state)
{
    (void)state;
    rl_reader *r = open_mem("m.csv",
                            "x,label\n"  /* 1 */
                            "1,1,3\n"    /* 2 */
                            "1\n"        /* 3 */
                            "1e39,1\n"   /* 4 */
                            "1,\n"       /* 5 */
                            "\"1,1\n"    /* 6 */
                            "nan,1\n"    /* 7 NaN: a missing value, left out */
                            "1,inf\n"    /* 8 */
                            "\"1\"x,1\n" /* 9 */
                            "1\"2,1\n"   /* 10 */
                            "\xff,1\n"   /* 11 text: the category x=\xff */
                            "\n"         /* 12 skipped */
                            "2,0\n",     /* 13 */
                            NULL);
    next_bad(r, "m.csv", 2, "3 fields, expected 2");
    next_bad(r, "m.csv", 3, "1 fields, expected 2");
    next_bad(r, "m.csv", 4, "column 0 (x): bad number '1e39': out of float range");
    next_bad(r, "m.csv", 5, "missing label");
    next_bad(r, "m.csv", 6, "unterminated quote");
    const rl_record *rec = next_ok(r);
    assert_int_equal(rec->line, 7);
    assert_int_equal(rec->n_feats, 0);
    next_bad(r, "m.csv", 8, "bad label");
    next_bad(r, "m.csv", 9, "after the closing quote");
    next_bad(r, "m.csv", 10, "stray quote");
    rec = next_ok(r);
    assert_int_equal(rec->line, 11);
    assert_named(&rec->feats[0], "x=\xff", 1.0f);
    rec = next_ok(r);
    assert_int_equal(rec->line, 13);
    assert_named(&rec->feats[0], "x", 2.0f);
    next_end(r);
    rl_reader_destroy(r);
}

/* Tables as people have them: text columns become categories "col=value", missing values are
 * left out, replaced by the column's running mean or marked, columns can be ignored or forced to
 * a type, and string labels map to classes. Each feature carries its column as namespace. */
static void test_csv_tabular(void **state)
{
    (void)state;
    static const char table[] = "city,age,zip,note,churned\n"
                                "paris,30,75001,x,yes\n"
                                "lyon,NA,69001,y,no\n"
                                "paris,50,,z,TRUE\n"
                                "?,null,75002,w,false\n";
    rl_reader_opts o;
    rl_reader_opts_default(&o);
    o.label_col = "churned";
    o.ignore = "note";
    o.cat_cols = "zip";
    rl_reader *r = open_mem("t.csv", table, &o);
    const rl_record *rec = next_ok(r);
    assert_true(rec->label == 1.0f);
    assert_int_equal(rec->n_feats, 3);
    assert_named(&rec->feats[0], "city=paris", 1.0f);
    assert_named(&rec->feats[1], "age", 30.0f); /* a number: hashed as the column name alone */
    assert_named(&rec->feats[2], "zip=75001", 1.0f);
    for (int i = 0; i < 3; i++)
        assert_int_equal(rec->feats[i].ns[0], "caz"[i]);
    assert_int_equal(rec->feats[0].ns_len, 4);
    rec = next_ok(r); /* NA left out */
    assert_true(rec->label == 0.0f);
    assert_int_equal(rec->n_feats, 2);
    assert_named(&rec->feats[1], "zip=69001", 1.0f);
    rec = next_ok(r);
    assert_true(rec->label == 1.0f);
    assert_int_equal(rec->n_feats, 2);
    rec = next_ok(r);
    assert_true(rec->label == 0.0f);
    assert_int_equal(rec->n_feats, 1);
    next_end(r);
    rl_reader_destroy(r);

    /* mean: a missing number becomes the mean of the column's numbers so far */
    o.missing = RL_CSV_MISSING_MEAN;
    r = open_mem("t.csv", table, &o);
    next_ok(r);
    rec = next_ok(r);
    assert_named(&rec->feats[1], "age", 30.0f);
    rec = next_ok(r);
    rec = next_ok(r);
    assert_int_equal(rec->n_feats, 2); /* no mean for a category: city stays out */
    assert_named(&rec->feats[0], "age", 40.0f);
    rl_reader_destroy(r);

    /* indicator: "col=<missing>" */
    o.missing = RL_CSV_MISSING_INDICATOR;
    r = open_mem("t.csv", table, &o);
    next_ok(r);
    rec = next_ok(r);
    assert_named(&rec->feats[1], "age=<missing>", 1.0f);
    rl_reader_destroy(r);

    /* declared classes; a column forced numeric refuses text; other missing tokens */
    rl_reader_opts_default(&o);
    o.label_values = "lo,mid,hi";
    o.num_cols = "1";
    o.na_values = "-,n/a";
    r = open_mem("c.csv", "label,a,b\nhi,1,-\nmid,x,2\nyes,1,N/A\n", &o);
    rec = next_ok(r);
    assert_true(rec->label == 2.0f);
    assert_int_equal(rec->n_feats, 1);
    next_bad(r, "c.csv", 3, "column 1 (a): bad number 'x'");
    next_bad(r, "c.csv", 4, "bad label 'yes'");
    next_end(r);
    rl_reader_destroy(r);

    /* without a header: columns are named by number, categories "N=value" */
    rl_reader_opts_default(&o);
    o.header = 0;
    o.ignore = "2";
    r = open_mem("h.csv", "1,red,9,3.5\n", &o);
    rec = next_ok(r);
    assert_int_equal(rec->n_feats, 2);
    assert_named(&rec->feats[0], "1=red", 1.0f);
    assert_idx(&rec->feats[1], 3, 3.5f);
    assert_int_equal(rec->feats[1].ns[0], '3');
    rl_reader_destroy(r);

    /* refused options */
    static const struct {
        const char *ignore, *cat, *num, *labels, *why;
    } bad[] = {
        {"nope", NULL, NULL, NULL, "--ignore: no column 'nope'"},
        {"churned", NULL, NULL, NULL, "is the label column"},
        {NULL, "age", "age", NULL, "two types"},
        {NULL, NULL, NULL, "yes", "at least two"},
        {NULL, NULL, NULL, "a,,b", "empty name"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        rl_reader_opts_default(&o);
        o.label_col = "churned";
        o.ignore = bad[i].ignore;
        o.cat_cols = bad[i].cat;
        o.num_cols = bad[i].num;
        o.label_values = bad[i].labels;
        r = NULL;
        err[0] = '\0';
        assert_int_equal(
            rl_reader_open_mem("t.csv", table, strlen(table), &o, &r, err, sizeof(err)),
            RL_ERR_INVALID_ARG);
        assert_null(r);
        if (!strstr(err, bad[i].why))
            fail_msg("case %zu: '%s' lacks '%s'", i, err, bad[i].why);
    }
}

/* Line mode (relearnd's text topics): one message, one line; CSV's header is declared. */
static void test_line_mode(void **state)
{
    (void)state;
    rl_reader_opts o;
    rl_reader_opts_default(&o);
    o.format = RL_TEXT_CSV;
    rl_reader *r = NULL;
    assert_int_equal(rl_reader_open_lines("lc", &o, NULL, &r, err, sizeof(err)),
                     RL_ERR_INVALID_ARG);
    assert_non_null(strstr(err, "header"));
    assert_int_equal(rl_reader_open_lines("lc", &o, "city,age,label", &r, err, sizeof(err)), RL_OK);
    const rl_record *rec = NULL;
    assert_int_equal(rl_reader_parse_line(r, "paris,30,yes\r\n", 14, &rec, err, sizeof(err)),
                     RL_OK);
    assert_true(rec->label == 1.0f);
    assert_named(&rec->feats[0], "city=paris", 1.0f);
    assert_named(&rec->feats[1], "age", 30.0f);
    static const struct {
        const char *msg, *why;
    } bad[] = {{"a,1,yes\nb,2,no", "more than one line"},
               {"", "empty, blank"},
               {"  ", "empty, blank"},
               {"lyon,4", "2 fields, expected 3"}};
    for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
        assert_int_equal(
            rl_reader_parse_line(r, bad[k].msg, strlen(bad[k].msg), &rec, err, sizeof(err)),
            RL_ERR_FORMAT);
        if (!strstr(err, bad[k].why))
            fail_msg("'%s': '%s' lacks '%s'", bad[k].msg, err, bad[k].why);
    }
    rl_reader_destroy(r);
    o.format = RL_TEXT_AUTO;
    assert_int_equal(rl_reader_open_lines("x", &o, NULL, &r, err, sizeof(err)), RL_ERR_INVALID_ARG);
    o.format = RL_TEXT_VW;
    assert_int_equal(rl_reader_open_lines("lv", &o, NULL, &r, err, sizeof(err)), RL_OK);
    assert_int_equal(rl_reader_parse_line(r, "1 |f a b:2", 10, &rec, err, sizeof(err)), RL_OK);
    assert_named(&rec->feats[1], "f^b", 2.0f);
    rl_reader_destroy(r);
}

/* ---- detection, files, stdin ---- */

static void test_detect_by_content(void **state)
{
    (void)state;
    rl_reader *r = open_mem("noext", "\n# c\n1 |f a\n", NULL);
    assert_int_equal(rl_reader_format(r), RL_TEXT_VW);
    rl_reader_destroy(r);
    r = open_mem("noext", "-1 3:1 qid:2 7:0.5\n", NULL);
    assert_int_equal(rl_reader_format(r), RL_TEXT_LIBSVM);
    assert_int_equal(next_ok(r)->n_feats, 2);
    rl_reader_destroy(r);
    r = open_mem("noext", "a,label\n1,0\n", NULL);
    assert_int_equal(rl_reader_format(r), RL_TEXT_CSV);
    rl_reader_destroy(r);
    r = NULL;
    const char *t = "hello world\n";
    assert_int_equal(rl_reader_open_mem("noext", t, strlen(t), NULL, &r, err, sizeof(err)),
                     RL_ERR_FORMAT);
    assert_non_null(strstr(err, "--format"));
    assert_null(r);
    /* A UTF-8 byte-order mark before the first line is not part of the data. */
    r = open_mem("bom", "\xef\xbb\xbfx,label\n2,1\n", NULL);
    assert_int_equal(rl_reader_format(r), RL_TEXT_CSV);
    assert_int_equal(rl_reader_label_column(r, NULL), 1);
    assert_named(&next_ok(r)->feats[0], "x", 2.0f);
    rl_reader_destroy(r);
    r = open_mem("bom",
                 "\xef\xbb\xbf"
                 "1 2:3\n",
                 NULL);
    assert_int_equal(rl_reader_format(r), RL_TEXT_LIBSVM);
    assert_idx(&next_ok(r)->feats[0], 2, 3.0f);
    rl_reader_destroy(r);
    /* Empty input: zero records, no error. */
    r = open_mem("empty", "", NULL);
    next_end(r);
    rl_reader_destroy(r);
}

static void test_files_and_extension(void **state)
{
    (void)state;
    char path[] = "/tmp/rl_test_readersXXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    char vw[64];
    snprintf(vw, sizeof(vw), "%s.vw", path);
    FILE *f = fopen(vw, "w");
    assert_non_null(f);
    /* Content that would look like libsvm: the extension decides. */
    fputs("1 |a 1:2\n", f);
    fclose(f);
    rl_reader *r = NULL;
    assert_int_equal(rl_reader_open(vw, NULL, &r, err, sizeof(err)), RL_OK);
    assert_int_equal(rl_reader_format(r), RL_TEXT_VW);
    assert_string_equal(rl_reader_name(r), vw);
    assert_named(&next_ok(r)->feats[0], "a^1", 2.0f);
    next_end(r);
    rl_reader_destroy(r);
    unlink(vw);
    unlink(path);
    r = NULL;
    assert_int_equal(rl_reader_open("/nonexistent/x.svm", NULL, &r, err, sizeof(err)), RL_ERR_IO);
    assert_non_null(strstr(err, "/nonexistent/x.svm"));
    assert_null(r);
    assert_int_equal(rl_reader_open("/", NULL, &r, err, sizeof(err)), RL_ERR_IO);
}

static void test_heart_scale(void **state)
{
    (void)state;
    const char *p = "/usr/share/doc/liblinear-tools/examples/heart_scale";
    if (access(p, R_OK) != 0)
        p = RL_TEST_DATA "/heart_scale";
    rl_reader *r = NULL;
    assert_int_equal(rl_reader_open(p, NULL, &r, err, sizeof(err)), RL_OK);
    assert_int_equal(rl_reader_format(r), RL_TEXT_LIBSVM);
    uint64_t n = 0, pos = 0, maxidx = 0;
    const rl_record *rec;
    while (rl_reader_next(r, &rec, err, sizeof(err)) == RL_OK && rec) {
        n++;
        pos += rec->label == 1.0f;
        assert_true(rec->label == 1.0f || rec->label == -1.0f);
        for (uint32_t i = 0; i < rec->n_feats; i++)
            if (rec->feats[i].index > maxidx)
                maxidx = rec->feats[i].index;
    }
    assert_int_equal(n, 270);
    assert_int_equal(pos, 120);
    assert_int_equal(maxidx, 13);
    rl_reader_stats st;
    rl_reader_get_stats(r, &st);
    assert_int_equal(st.bad, 0);
    rl_reader_destroy(r);
}

static void test_bad_options(void **state)
{
    (void)state;
    rl_reader *r = NULL;
    rl_reader_opts o;
    rl_reader_opts_default(&o);
    o.max_line = 3;
    assert_int_equal(rl_reader_open_mem("o", "", 0, &o, &r, err, sizeof(err)), RL_ERR_INVALID_ARG);
    assert_non_null(strstr(err, "max line"));
    rl_text_format f;
    assert_int_equal(rl_text_format_parse("svmlight", &f), RL_OK);
    assert_int_equal(f, RL_TEXT_LIBSVM);
    assert_int_equal(rl_text_format_parse("vw", &f), RL_OK);
    assert_int_equal(f, RL_TEXT_VW);
    assert_int_equal(rl_text_format_parse("parquet", &f), RL_ERR_INVALID_ARG);
    assert_string_equal(rl_text_format_name(RL_TEXT_CSV), "csv");
    rl_reader_destroy(NULL);
}

/* ---- labels and examples ---- */

static void test_record_label(void **state)
{
    (void)state;
    rl_reader *r = open_mem("l.svm", "-1\n1\n0\n2\n0.5\n3\n", NULL);
    float y;
    const rl_record *rec = next_ok(r);
    assert_int_equal(rl_record_label(r, rec, RL_TASK_BINARY, 0, &y, err, sizeof(err)), RL_OK);
    assert_true(y == 0.0f);
    assert_int_equal(rl_record_label(r, rec, RL_TASK_REGRESSION, 0, &y, err, sizeof(err)), RL_OK);
    assert_true(y == -1.0f);
    assert_int_equal(rl_record_label(r, rec, RL_TASK_MULTICLASS, 3, &y, err, sizeof(err)),
                     RL_ERR_FORMAT);
    rec = next_ok(r);
    assert_int_equal(rl_record_label(r, rec, RL_TASK_BINARY, 0, &y, err, sizeof(err)), RL_OK);
    assert_true(y == 1.0f);
    rec = next_ok(r);
    assert_int_equal(rl_record_label(r, rec, RL_TASK_BINARY, 0, &y, err, sizeof(err)), RL_OK);
    assert_true(y == 0.0f);
    rec = next_ok(r);
    assert_int_equal(rl_record_label(r, rec, RL_TASK_BINARY, 0, &y, err, sizeof(err)),
                     RL_ERR_FORMAT);
    assert_non_null(strstr(err, "l.svm:4: label 2 is not a binary label"));
    assert_int_equal(rl_record_label(r, rec, RL_TASK_MULTICLASS, 3, &y, err, sizeof(err)), RL_OK);
    assert_true(y == 2.0f);
    rec = next_ok(r);
    assert_int_equal(rl_record_label(r, rec, RL_TASK_MULTICLASS, 3, &y, err, sizeof(err)),
                     RL_ERR_FORMAT);
    rec = next_ok(r);
    assert_int_equal(rl_record_label(r, rec, RL_TASK_MULTICLASS, 3, &y, err, sizeof(err)),
                     RL_ERR_FORMAT);
    assert_non_null(strstr(err, "0..2"));
    rl_reader_destroy(r);
}

static void test_example_from_record(void **state)
{
    (void)state;
    rl_hasher h;
    rl_hasher_init(&h, 18, 7);
    rl_example_builder b;
    rl_example_builder_init(&b);
    rl_reader *r = open_mem("e.vw", "1 0.5 |ns a:2 |  b\n", NULL);
    const rl_record *rec = next_ok(r);
    rl_example ex;
    assert_int_equal(rl_example_from_record(&b, &h, rec, 1.0f, &ex, err, sizeof(err)), RL_OK);
    assert_int_equal(ex.n_feats, 2);
    assert_true(ex.label == 1.0f);
    assert_true(ex.weight == 0.5f);
    assert_null(ex.dense);
    /* VW names hash as "ns^name" - the string a producer puts into Event.name. */
    assert_int_equal(ex.feats[0].index, rl_hash_name(&h, "ns^a", 4));
    assert_true(ex.feats[0].value == 2.0f);
    assert_int_equal(ex.feats[1].index, rl_hash_name(&h, "b", 1));
    rl_reader_destroy(r);

    r = open_mem("e.svm", "1 3:1 262143:2 262144:3 4294967295:4\n", NULL);
    rec = next_ok(r);
    assert_int_equal(rl_example_from_record(&b, &h, rec, 1.0f, &ex, err, sizeof(err)), RL_OK);
    assert_int_equal(ex.n_feats, 4);
    /* Indices below 2^bits are their own slot; larger ones are hashed into range. */
    assert_int_equal(ex.feats[0].index, 3);
    assert_int_equal(ex.feats[1].index, 262143);
    assert_int_equal(ex.feats[2].index, rl_hash_index(&h, 262144));
    assert_true(ex.feats[2].index < (1u << 18));
    assert_true(ex.feats[3].index < (1u << 18));
    rl_reader_destroy(r);
    rl_example_builder_free(&b);
    rl_example_builder_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_libsvm_good),
        cmocka_unit_test(test_libsvm_malformed),
        cmocka_unit_test(test_value_limit_and_nul_lines),
        cmocka_unit_test(test_libsvm_max_index_option),
        cmocka_unit_test(test_crlf_and_trailing_space),
        cmocka_unit_test(test_numbers_exact),
        cmocka_unit_test(test_overlong_lines),
        cmocka_unit_test(test_many_short_lines_small_buffer),
        cmocka_unit_test(test_max_features),
        cmocka_unit_test(test_vw_good),
        cmocka_unit_test(test_vw_malformed),
        cmocka_unit_test(test_csv_header),
        cmocka_unit_test(test_csv_label_choice),
        cmocka_unit_test(test_csv_open_errors),
        cmocka_unit_test(test_csv_malformed),
        cmocka_unit_test(test_csv_tabular),
        cmocka_unit_test(test_line_mode),
        cmocka_unit_test(test_detect_by_content),
        cmocka_unit_test(test_files_and_extension),
        cmocka_unit_test(test_heart_scale),
        cmocka_unit_test(test_bad_options),
        cmocka_unit_test(test_record_label),
        cmocka_unit_test(test_example_from_record),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
