/* learner_cfgs.h - the learner configurations the conformance suite (test_learner_conformance.c)
 * runs over, shared with the tests that must hold for every one of them (test_predictor.c: a
 * snapshot scores exactly as its model). Include after cmocka.h. */
#ifndef RL_TEST_LEARNER_CFGS_H
#define RL_TEST_LEARNER_CFGS_H

#include <stdio.h>
#include <string.h>

#include "learners/learner.h"

struct cfg {
    const char *kv; /* "key=value key=value" */
};

static const struct cfg cfgs[] = {
    {"learner=sgd"},
    {"learner=sgd loss=hinge"},
    {"learner=sgd loss=squared"},
    {"learner=sgd loss=poisson eta=0.1"},
    {"learner=sgd schedule=constant"},
    {"learner=sgd schedule=constant l1=0.001 l2=0.01"},
    {"learner=sgd schedule=invscaling"},
    {"learner=sgd schedule=adagrad l1=0.001 l2=0.001"},
    {"learner=sgd schedule=pegasos loss=hinge l2=0.01"},
    {"learner=sgd l1=0.0001 l2=0.001"},
    {"learner=sgd dense_dim=3"},
    {"learner=sgd schedule=constant dense_dim=3"},
    {"learner=sgd schedule=constant dense_dim=3 l2=0.01"},
    {"learner=sgd schedule=pegasos l2=0.05 dense_dim=3"},
    {"learner=perceptron"},
    {"learner=perceptron dense_dim=3"},
    {"learner=avg_perceptron"},
    {"learner=avg_perceptron dense_dim=3 bias=0"},
    {"learner=ogd"},
    {"learner=ogd loss=hinge dense_dim=3"},
    {"learner=ogd loss=squared radius=0.5 eta=2 dense_dim=3"},
    {"learner=ftrl"},
    {"learner=ftrl l1=0.5 l2=0.1 dense_dim=3"},
    {"learner=softmax classes=3"},
    {"learner=softmax classes=4 schedule=constant dense_dim=3"},
    {"learner=softmax classes=3 schedule=adagrad l1=0.001 l2=0.001"},
    {"learner=softmax classes=5 schedule=invscaling bias=0"},
};
#define N_CFGS (sizeof(cfgs) / sizeof(cfgs[0]))

static void params_from(const char *kv, rl_learner_params *p)
{
    char buf[256], err[256];
    rl_learner_params_default(p);
    p->bits = 10;
    snprintf(buf, sizeof(buf), "%s", kv);
    for (char *tok = strtok(buf, " "); tok; tok = strtok(NULL, " ")) {
        char *eq = strchr(tok, '=');
        assert_non_null(eq);
        *eq = '\0';
        if (rl_learner_params_set(p, tok, eq + 1, err, sizeof(err)) != RL_OK)
            fail_msg("%s: %s", kv, err);
    }
}

#endif
