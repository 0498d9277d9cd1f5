/* test_learner_alloc.c - no allocation per example: learn() and predict() of every learner, counted
 * through malloc/calloc/realloc wrapped at link time (tests/learners.cmake). Fast: 2^10 weights,
 * short synthetic streams from a fixed LCG (tests/learner_util.h), so it also runs under ASan. */
#include "tests/learner_util.h"
#include "tests/alloc_count.h"

/* ---- no allocation per example ----
 * malloc/calloc/realloc are wrapped at link time (tests/learners.cmake: -Wl,--wrap=...), so every
 * allocation the learners' own code makes is counted while `tu_alloc_counting` is set. */
static void test_no_alloc_per_example(void **state)
{
    (void)state;
    for (size_t c = 0; c < N_CFGS; c++) {
        rl_learner *l = make(cfgs[c].kv);
        gen_ex g;
        rl_pred p;
        rl_weights w;
        rl_hasher h;
        rl_hasher_init(&h, 10, 0);
        rng_seed(500 + c);
        tu_alloc_counting = 1;
        tu_allocs = 0;
        for (int i = 0; i < 300; i++) {
            gen_for(&g, l);
            g.f[0].index = rl_hash_name(&h, "some feature", 12);
            rl_learner_predict(l, &g.ex, &p);
            rl_learner_learn(l, &g.ex, &p);
        }
        rl_learner_weights(l, &w);
        tu_alloc_counting = 0;
        if (tu_allocs != 0)
            fail_msg("%s: %lu allocations while learning", cfgs[c].kv, tu_allocs);
        rl_learner_destroy(l);
    }
    /* The wrap is live: creating a learner does allocate. */
    tu_alloc_counting = 1;
    tu_allocs = 0;
    rl_learner *l = make("learner=sgd");
    tu_alloc_counting = 0;
    assert_true(tu_allocs > 0);
    rl_learner_destroy(l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_no_alloc_per_example),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
