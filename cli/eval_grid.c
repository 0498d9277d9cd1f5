/* eval_grid.c - configurations, ranking and the table of `relearn eval --grid` (eval_grid.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/eval_grid.h"

/* The default grid: the rate around its default (0.5), from a fifth to sixteen times it. */
static const char *const auto_rates[] = {"0.1", "0.25", "0.5", "1", "2", "4", "8"};

static int add_one(const rl_model_config *base, const char *settings, rl_grid *g, char *err,
                   size_t err_size)
{
    if (g->k == RL_GRID_MAX) {
        snprintf(err, err_size, "more than %d configurations", RL_GRID_MAX);
        return -1;
    }
    rl_model_config *c = &g->cfg[g->k];
    *c = *base;
    char buf[256], sub[256];
    if (strlen(settings) >= sizeof(buf)) {
        snprintf(err, err_size, "configuration '%.40s...' too long", settings);
        return -1;
    }
    snprintf(buf, sizeof(buf), "%s", settings);
    int any = 0;
    for (char *save = NULL, *tok = strtok_r(buf, " ", &save); tok;
         tok = strtok_r(NULL, " ", &save)) {
        char *eq = strchr(tok, '=');
        if (!eq || eq == tok) {
            snprintf(err, err_size, "'%s' is not key=value", tok);
            return -1;
        }
        *eq = '\0';
        if (strcmp(tok, "bits") == 0 || strcmp(tok, "seed") == 0) {
            snprintf(err, err_size,
                     "%s is shared by every configuration (the events are hashed once): give "
                     "--%s instead",
                     tok, tok);
            return -1;
        }
        if (rl_learner_params_set(&c->learner, tok, eq + 1, sub, sizeof(sub)) != RL_OK) {
            snprintf(err, err_size, "'%s=%s': %s", tok, eq + 1, sub);
            return -1;
        }
        any = 1;
    }
    if (!any) {
        snprintf(err, err_size, "an empty configuration");
        return -1;
    }
    snprintf(g->label[g->k], sizeof(g->label[0]), "%s", settings);
    g->k++;
    return 0;
}

int rl_grid_build(const rl_model_config *base, const char *spec, rl_grid *g, char *err,
                  size_t err_size)
{
    g->k = 0;
    if (strcmp(spec, "auto") == 0) {
        const char *name = base->learner.learner, *key = NULL;
        if (strcmp(name, "sgd") == 0 || strcmp(name, "ogd") == 0 || strcmp(name, "softmax") == 0)
            key = "eta";
        else if (strcmp(name, "ftrl") == 0)
            key = "alpha";
        if (!key) {
            snprintf(err, err_size,
                     "auto: %s has no learning rate to tune (a perceptron from zero is the same "
                     "at every eta); give the configurations",
                     name);
            return -1;
        }
        for (size_t i = 0; i < sizeof(auto_rates) / sizeof(auto_rates[0]); i++) {
            char one[32];
            snprintf(one, sizeof(one), "%s=%s", key, auto_rates[i]);
            if (add_one(base, one, g, err, err_size))
                return -1;
        }
        return 0;
    }
    char *copy = strdup(spec);
    if (!copy) {
        snprintf(err, err_size, "out of memory");
        return -1;
    }
    int rc = 0;
    for (char *save = NULL, *c = strtok_r(copy, ";", &save); c && rc == 0;
         c = strtok_r(NULL, ";", &save))
        rc = add_one(base, c, g, err, err_size);
    free(copy);
    if (rc == 0 && g->k < 2) {
        snprintf(err, err_size, "a grid needs at least two configurations separated by ';'");
        rc = -1;
    }
    return rc;
}

int rl_grid_models(const rl_grid *g, rl_model **models, char *err, size_t err_size)
{
    char sub[256];
    for (uint32_t i = 0; i < g->k; i++) {
        models[i] = NULL;
        if (rl_model_new(&g->cfg[i], NULL, NULL, &models[i], sub, sizeof(sub)) != RL_OK)
            snprintf(err, err_size, "configuration %u (%s): %s", i + 1, g->label[i], sub);
        else if (rl_model_learner_c(models[i])->task != rl_model_learner_c(models[0])->task)
            snprintf(err, err_size, "configuration %u (%s) is a %s task, the first a %s one", i + 1,
                     g->label[i], rl_task_name(rl_model_learner_c(models[i])->task),
                     rl_task_name(rl_model_learner_c(models[0])->task));
        else
            continue;
        for (uint32_t j = 0; j <= i; j++) {
            rl_model_destroy(models[j]);
            models[j] = NULL;
        }
        return -1;
    }
    return 0;
}

static double key_of(rl_model *m, int by)
{
    rl_metrics_summary s;
    rl_model_summary(m, &s);
    return by == 0 ? s.log_loss : by == 1 ? -s.accuracy : s.rmse;
}

void rl_grid_rank(rl_model *const *models, uint32_t k, uint32_t *order)
{
    rl_metrics_summary s;
    rl_model_summary(models[0], &s);
    int by = s.task == RL_TASK_REGRESSION ? 2 : 0;
    for (uint32_t i = 0; by == 0 && i < k; i++) {
        rl_model_summary(models[i], &s);
        if (!isfinite(s.log_loss))
            by = 1;
    }
    for (uint32_t i = 0; i < k; i++)
        order[i] = i;
    /* insertion sort, stable: ties keep the order given; NaN ranks last */
    for (uint32_t i = 1; i < k; i++) {
        uint32_t v = order[i], j = i;
        double kv = key_of(models[v], by);
        while (j > 0) {
            double kp = key_of(models[order[j - 1]], by);
            if (!(kv < kp) && !(isnan(kp) && !isnan(kv)))
                break;
            order[j] = order[j - 1];
            j--;
        }
        order[j] = v;
    }
}

void rl_grid_print(const rl_grid *g, rl_model *const *models, const uint32_t *order)
{
    rl_metrics_summary s;
    rl_model_summary(models[0], &s);
    int reg = s.task == RL_TASK_REGRESSION;
    printf("%-5s %-32s %10s %10s %10s\n", "rank", "configuration", reg ? "RMSE" : "accuracy",
           reg ? "MAE" : "log loss", reg ? "mean loss" : "AUC");
    for (uint32_t r = 0; r < g->k; r++) {
        rl_model_summary(models[order[r]], &s);
        printf("%-5u %-32s %10.6f %10.6f %10.6f\n", r + 1, g->label[order[r]],
               reg ? s.rmse : s.accuracy, reg ? s.mae : s.log_loss, reg ? s.mean_loss : s.auc);
    }
}
