/* ckpt_dir_util.h - for the cmocka checkpoint tests: a fresh temporary directory per test
 * (tu_setup_dir / tu_teardown_dir, as cmocka setup and teardown), and a model made from a
 * config and stepped over a tu_stream. Include after cmocka.h and tests/ckpt_util.h. */
#ifndef RL_TEST_CKPT_DIR_UTIL_H
#define RL_TEST_CKPT_DIR_UTIL_H

#include <stdio.h>
#include <stdlib.h>

#include "storage/ckpt.h"
#include "tests/ckpt_util.h"

static char tmpdir[256];

static inline int tu_setup_dir(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/rl-test-ckpt-XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static inline int tu_teardown_dir(void **state)
{
    (void)state;
    rl_ckpt_set_io(NULL); /* a failed test must not leave the fault seam in place */
    char cmd[512];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

static inline rl_model *tu_new_model(const rl_model_config *c)
{
    rl_model *m = NULL;
    char err[256];
    rl_err e = rl_model_new(c, NULL, NULL, &m, err, sizeof(err));
    if (e != RL_OK)
        fail_msg("rl_model_new(%s, %s): %s", c->learner.learner, c->detector, err);
    return m;
}

static inline void tu_step_n(rl_model *m, tu_stream *s, int n)
{
    rl_example ex;
    for (int i = 0; i < n; i++) {
        tu_example(s, &ex, NULL);
        rl_model_step(m, &ex, NULL, NULL);
    }
}

#endif
