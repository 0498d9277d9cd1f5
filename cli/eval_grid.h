/* eval_grid.h - `relearn eval --grid`: K learner configurations over the same events in one pass.
 *
 * The input is read, parsed and hashed once; each event's example is stepped through K models
 * (rl_model_step, the same step as a single run), so each model's progressive metrics are
 * exactly what a single run with its configuration reports, at the cost of one parse for all.
 * The configurations share bits, seed and the input options (the hashing is done once); each
 * may set any other learner key, interactions included. */
#ifndef RL_EVAL_GRID_H
#define RL_EVAL_GRID_H

#include <stdint.h>

#include "model/model.h"

#define RL_GRID_MAX 64

typedef struct rl_grid {
    uint32_t k;
    rl_model_config cfg[RL_GRID_MAX];
    char label[RL_GRID_MAX][96]; /* "eta=0.5", as given */
} rl_grid;

/* Builds the configurations from base (the other options) and spec: configurations separated by
 * ';', each one or more space-separated key=value learner settings ("eta=0.1;eta=0.5 l2=1e-6"),
 * or "auto": a default grid over the learner's rate (sgd, ogd, softmax: eta 0.1 .. 8 by factors
 * of two and a half; ftrl: alpha likewise). 0 on success, else -1 with err set. */
int rl_grid_build(const rl_model_config *base, const char *spec, rl_grid *g, char *err,
                  size_t err_size);

/* One model per configuration into models[0..k) (no alert callback: a grid runs no detector);
 * every configuration must be of the same task (the labels are read once). 0, or -1 with err
 * set and nothing left allocated. */
int rl_grid_models(const rl_grid *g, rl_model **models, char *err, size_t err_size);

/* Ranks models[0..k) (best first) into order[]: by log loss when every model has one, else
 * accuracy (classification), or RMSE (regression). */
void rl_grid_rank(rl_model *const *models, uint32_t k, uint32_t *order);

/* Prints the ranked table to stdout. */
void rl_grid_print(const rl_grid *g, rl_model *const *models, const uint32_t *order);

#endif
