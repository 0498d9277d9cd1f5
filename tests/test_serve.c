/* test_serve.c - relearn serve's request reader (serve/serve_request.c): what it takes, and that
 * no body - truncated, mutated or hostile - makes it read out of bounds (run under ASan). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "serve/serve.h"

/* Parses body and reads every instance; returns features read, or -1 on a refusal. */
static long read_all(const char *body, size_t len)
{
    rl_serve_req r;
    rl_sbuf err = {0}, names = {0};
    long total = 0;
    char *copy = malloc(len + 1); /* exactly len bytes and a NUL, as the server holds it */
    memcpy(copy, body, len);
    copy[len] = '\0';
    if (rl_serve_req_parse(&r, copy, len, &err) != 0) {
        total = -1;
    } else {
        relearn_feature *f = malloc(r.most * sizeof(*f));
        size_t *off = malloc(r.most * sizeof(*off));
        for (size_t i = 0; i < r.n_instances; i++) {
            size_t n = 0;
            if (rl_serve_req_instance(&r, i, f, &n, &names, off, &err) != 0) {
                total = -1;
                break;
            }
            for (size_t k = 0; k < n; k++)
                assert_non_null(f[k].name);
            total += (long)n;
        }
        free(f);
        free(off);
    }
    rl_serve_req_free(&r);
    free(err.p);
    free(names.p);
    free(copy);
    return total;
}

static void test_reads_instances(void **state)
{
    (void)state;
    const char *ok = "{\"signature_name\": {\"a\": [1, 2]}, \"instances\": [{\"f^x\": 1.5, "
                     "\"c\": \"LAS\", \"b\": true, \"n\": null}, {}]}";
    assert_int_equal(read_all(ok, strlen(ok)), 3);
    const char *bad[] = {"",
                         "[]",
                         "{}",
                         "{\"instances\": 1}",
                         "{\"instances\": [1]}",
                         "{\"instances\": [{\"a\": [1]}]}",
                         "{\"instances\": [{\"a\": nan}]}",
                         "{\"instances\": [{\"a\": 1e99}]}",
                         "{\"instances\": [{1: 2}]}",
                         "{\"instances\": []} {}"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(read_all(bad[i], strlen(bad[i])), -1);
}

/* Every prefix, and many random byte changes, of a valid body: never a crash or an overread. */
static void test_mutations_are_safe(void **state)
{
    (void)state;
    const char *base = "{\"instances\": [{\"f\\u005ex1\": 2.5, \"c\": \"a\\\"b\\ud83d\\ude00\", "
                       "\"z\": -1e-3}, {\"k\": 0}], \"x\": [[{}]]}";
    size_t len = strlen(base);
    char buf[256];
    assert_int_equal(read_all(base, len), 4);
    for (size_t n = 0; n < len; n++)
        read_all(base, n);
    uint64_t s = 88172645463325252ull;
    for (int round = 0; round < 20000; round++) {
        memcpy(buf, base, len);
        for (int k = 0; k < 3; k++) {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            buf[s % len] = "{}[]\",:\\u0e-x \x01\xff"[(s >> 32) % 16];
        }
        read_all(buf, len);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reads_instances),
        cmocka_unit_test(test_mutations_are_safe),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
