/* test_learner_hashing.c - feature hashing (stable names and indices, seeds, masking) and namespace
 * interactions. Fast: 2^10 weights, short synthetic streams from a fixed LCG
 * (tests/learner_util.h), so it also runs under ASan. */
#include "tests/learner_util.h"

/* ---- hashing ---- */

static void test_hashing(void **state)
{
    (void)state;
    rl_hasher h, h2, hs;
    rl_hasher_init(&h, 18, RL_HASH_SEED_DEFAULT);
    rl_hasher_init(&h2, 18, 0);
    rl_hasher_init(&hs, 18, 42);
    assert_int_equal(h.mask, (1u << 18) - 1);
    /* Pinned values: XXH3-64 of the bytes, seed 0 or 42, low 18 bits. A change here changes
     * every model's slots, so it must be deliberate (and bump the snapshot format). */
    assert_int_equal(rl_hash_name(&h, "age", 3), 0x79e54a37764f091ull & 0x3ffff);
    assert_int_equal(rl_hash_name(&h, "income", 6), 0xfedfd0b56e99eb1dull & 0x3ffff);
    assert_int_equal(rl_hash_name(&h, "user=42", 7), 0xa9a2d0972ffca802ull & 0x3ffff);
    assert_int_equal(rl_hash_name(&h, "ns^feat", 7), 0xeab6daf7f4752727ull & 0x3ffff);
    assert_int_equal(rl_hash_name(&hs, "age", 3), 0xa55df8a778175ee4ull & 0x3ffff);
    assert_int_equal(rl_hash_name(&hs, "income", 6), 0x7813602f39a74c60ull & 0x3ffff);
    /* Same name, same slot, on any hasher with the same bits and seed. */
    assert_int_equal(rl_hash_name(&h, "age", 3), rl_hash_name(&h2, "age", 3));
    assert_int_not_equal(rl_hash_name(&h, "age", 3), rl_hash_name(&hs, "age", 3));
    /* Indices that fit map to themselves; larger ones are hashed in (8 LE bytes). */
    assert_int_equal(rl_hash_index(&h, 0), 0);
    assert_int_equal(rl_hash_index(&h, 12345), 12345);
    assert_int_equal(rl_hash_index(&h, (1u << 18) - 1), (1u << 18) - 1);
    rl_hasher h10;
    rl_hasher_init(&h10, 10, 0);
    assert_int_equal(rl_hash_index(&h10, 12345), 0x9be867392a73b1c1ull & 0x3ff);
    uint32_t big = rl_hash_index(&h, 1ull << 40);
    assert_true(big <= h.mask);
    assert_int_equal(big, rl_hash_index(&h2, 1ull << 40));
    /* Bytes, not C strings: embedded NULs count, the empty name is fine. */
    assert_int_not_equal(rl_hash_name(&h, "a\0b", 3), rl_hash_name(&h, "a", 1));
    assert_true(rl_hash_name(&h, "", 0) <= h.mask);
    rl_hasher h30;
    rl_hasher_init(&h30, 30, 0);
    assert_int_equal(h30.mask, (1u << 30) - 1);
}

/* Interactions: parsing, VW's slot arithmetic, the pairs within one namespace taken once, and
 * generation in chunks equal to generation at once. */
static void test_interactions(void **state)
{
    (void)state;
    char err[256], spec[80];
    rl_interactions it;
    memset(&it, 0, sizeof(it));
    assert_int_equal(rl_interactions_add(&it, "ab,aa", err, sizeof(err)), RL_OK);
    assert_int_equal(rl_interactions_add(&it, "abc", err, sizeof(err)), RL_OK);
    rl_interactions_format(&it, spec, sizeof(spec));
    assert_string_equal(spec, "ab,aa,abc");
    static const struct {
        const char *spec, *why;
    } bad[] = {{"a", "1 namespaces"},
               {"abcd", "4 namespaces"},
               {"ab", "twice"},
               {",", "no term"},
               {"", "no term"}};
    for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
        rl_interactions t = it;
        err[0] = '\0';
        assert_int_equal(rl_interactions_add(&t, bad[k].spec, err, sizeof(err)),
                         RL_ERR_INVALID_ARG);
        assert_memory_equal(&t, &it, sizeof(t));
        if (!strstr(err, bad[k].why))
            fail_msg("'%s': '%s' lacks '%s'", bad[k].spec, err, bad[k].why);
    }
    rl_interactions full;
    memset(&full, 0, sizeof(full));
    for (int k = 0; k < RL_INTERACTIONS_MAX; k++) {
        char t[3] = {(char)('a' + k), 'z', 0};
        assert_int_equal(rl_interactions_add(&full, t, err, sizeof(err)), RL_OK);
    }
    assert_int_equal(rl_interactions_add(&full, "yy", err, sizeof(err)), RL_ERR_INVALID_ARG);

    /* a1 a2 b1 x(indexed): ab -> a1b1 a2b1; aa -> a1a1 a1a2 a2a2; abc -> none (no c) */
    rl_feature f[4] = {{3, 2.0f}, {5, 0.5f}, {7, -1.0f}, {9, 4.0f}};
    uint8_t ns[4] = {'a', 'a', 'b', ' '};
    rl_example ex = {1, 1, f, 4, NULL, 0, ns};
    const uint32_t mask = 1023, P = RL_INTERACTION_FNV;
    rl_feature out[16];
    rl_ix_cursor c = {0, 0, 0, 0};
    assert_int_equal(rl_interactions_next(&it, &ex, mask, &c, out, 16), 5);
    assert_int_equal(rl_interactions_next(&it, &ex, mask, &c, out + 5, 11), 0);
    const uint32_t want_idx[5] = {((3 * P) ^ 7) & mask, ((5 * P) ^ 7) & mask, ((3 * P) ^ 3) & mask,
                                  ((3 * P) ^ 5) & mask, ((5 * P) ^ 5) & mask};
    const float want_val[5] = {-2.0f, -0.5f, 4.0f, 1.0f, 0.25f};
    for (int k = 0; k < 5; k++) {
        assert_int_equal(out[k].index, want_idx[k]);
        assert_true(out[k].value == want_val[k]);
    }
    /* one at a time: the same sequence */
    memset(&c, 0, sizeof(c));
    for (int k = 0; k < 5; k++) {
        rl_feature one;
        assert_int_equal(rl_interactions_next(&it, &ex, mask, &c, &one, 1), 1);
        assert_int_equal(one.index, want_idx[k]);
    }
    rl_feature one;
    assert_int_equal(rl_interactions_next(&it, &ex, mask, &c, &one, 1), 0);
    /* a triple and the indexed namespace; huge products stay within the learners' limit */
    rl_interactions t3;
    memset(&t3, 0, sizeof(t3));
    assert_int_equal(rl_interactions_add(&t3, "ab ", err, sizeof(err)), RL_OK);
    f[0].value = 1e18f;
    f[2].value = 1e18f;
    memset(&c, 0, sizeof(c));
    assert_int_equal(rl_interactions_next(&t3, &ex, mask, &c, out, 16), 2);
    assert_int_equal(out[0].index, ((((3 * P) ^ 7) * P) ^ 9) & mask);
    assert_true(out[0].value == RL_FEATURE_VALUE_MAX);
    ex.ns = NULL; /* every feature in ' ': no a, no b */
    memset(&c, 0, sizeof(c));
    assert_int_equal(rl_interactions_next(&t3, &ex, mask, &c, out, 16), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_interactions),
        cmocka_unit_test(test_hashing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
