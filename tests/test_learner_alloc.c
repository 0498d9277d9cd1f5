/* test_learner_alloc.c - no allocation per example: learn() and predict() of every learner, counted
 * through malloc/calloc/realloc wrapped at link time (tests/learners.cmake). Fast: 2^10 weights,
 * short synthetic streams from a fixed LCG (tests/learner_util.h), so it also runs under ASan. */
#include "tests/learner_util.h"

/* ---- no allocation per example ----
 * malloc/calloc/realloc are wrapped at link time (tests/learners.cmake: -Wl,--wrap=...), so every
 * allocation the learners' own code makes is counted while `counting` is set. */
void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t k);
void *__real_realloc(void *p, size_t n);
static int counting;
static unsigned long allocs;

void *__wrap_malloc(size_t n)
{
    allocs += counting;
    return __real_malloc(n);
}

void *__wrap_calloc(size_t n, size_t k)
{
    allocs += counting;
    return __real_calloc(n, k);
}

void *__wrap_realloc(void *p, size_t n)
{
    allocs += counting;
    return __real_realloc(p, n);
}

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
        counting = 1;
        allocs = 0;
        for (int i = 0; i < 300; i++) {
            gen_for(&g, l);
            g.f[0].index = rl_hash_name(&h, "some feature", 12);
            rl_learner_predict(l, &g.ex, &p);
            rl_learner_learn(l, &g.ex, &p);
        }
        rl_learner_weights(l, &w);
        counting = 0;
        if (allocs != 0)
            fail_msg("%s: %lu allocations while learning", cfgs[c].kv, allocs);
        rl_learner_destroy(l);
    }
    /* The wrap is live: creating a learner does allocate. */
    counting = 1;
    allocs = 0;
    rl_learner *l = make("learner=sgd");
    counting = 0;
    assert_true(allocs > 0);
    rl_learner_destroy(l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_no_alloc_per_example),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
