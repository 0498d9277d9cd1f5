/* ogd.c - online gradient descent regression: squared loss (z - y)^2, plain gradient steps.
 *
 * OGD is the textbook rule (Zinkevich 2003): w <- w - eta_t * grad. Its default schedule is
 * invscaling, eta_t = eta / (t0 + t)^power_t (power_t 0.5 gives the classic 1/sqrt(t) rate):
 * the shared default "normalized" is read as that default here, so `learner=ogd` alone gives
 * the textbook learner; constant, invscaling and adagrad may be chosen explicitly. The loss is
 * always squared (a different loss key is an error). It shares the sgd engine (sgd.c) and has
 * its own state kind, so sgd state cannot be imported into ogd or the other way round. */
#include "learner_impl.h"

static rl_err ogd_create(const rl_learner_params *p, rl_learner **out, char *errstr,
                         size_t errstr_size)
{
    rl_learner_params q = *p;
    if (q.loss != RL_LOSS_SQUARED && q.loss != RL_LOSS_LOGISTIC)
        return rl_set_err(errstr, errstr_size, RL_ERR_INVALID_ARG,
                          "ogd: loss %s not supported (ogd is squared-loss regression; use "
                          "learner=sgd for other losses)",
                          rl_loss_name(q.loss));
    /* logistic is the shared default, so it stands for "unset" here. */
    q.loss = RL_LOSS_SQUARED;
    if (q.schedule == RL_SCHED_NORMALIZED)
        q.schedule = RL_SCHED_INVSCALING;
    if (q.schedule == RL_SCHED_PEGASOS)
        return rl_set_err(errstr, errstr_size, RL_ERR_INVALID_ARG,
                          "ogd: schedule pegasos not supported (allowed: constant, invscaling, "
                          "adagrad; default invscaling)");
    return rl_sgd_create_kind(&q, &rl_learner_ogd_ops, RL_LKIND_OGD, out, errstr, errstr_size);
}

const struct rl_learner_ops rl_learner_ogd_ops = {
    .version = RL_LEARNER_OPS_VERSION,
    .name = "ogd",
    .summary = "online gradient descent regression, squared loss, eta/(t0+t)^power_t by default",
    .params = "loss schedule eta power_t t0 l1 l2 bias",
    .create = ogd_create,
    .predict = rl_sgd_predict,
    .learn = rl_sgd_learn,
    .reset = rl_sgd_reset,
    .export_state = rl_sgd_export,
    .import_state = rl_sgd_import,
    .weights = rl_sgd_weights,
    .set_weights = rl_sgd_set_weights,
    .destroy = rl_sgd_destroy,
    .prefetch = rl_sgd_prefetch,
    .import_state_from = rl_sgd_import_from,
};
