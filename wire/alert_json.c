/* alert_json.c - a drift alert as the JSON record ops read (alert_json.h). */
#include "wire/alert_json.h"

#include <math.h>

const char *rl_alert_level_name(rl_drift_state level)
{
    return level == RL_DRIFT_DRIFT ? "DRIFT" : level == RL_DRIFT_WARNING ? "WARNING" : "STABLE";
}

static void set_num(json_t *o, const char *k, double v)
{
    if (isfinite(v))
        json_object_set_new(o, k, json_real(v));
}

json_t *rl_alert_to_json(const rl_alert *a)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    json_object_set_new(o, "detector", json_string(a->detector ? a->detector : ""));
    json_object_set_new(o, "source", json_string(a->source ? a->source : "error"));
    if (a->detail)
        json_object_set_new(o, "detail", json_string(a->detail));
    json_object_set_new(o, "level", json_string(rl_alert_level_name(a->level)));
    set_num(o, "statistic", a->statistic);
    if (a->statistic_name)
        json_object_set_new(o, "statistic_name", json_string(a->statistic_name));
    json_object_set_new(o, "position", json_integer((json_int_t)a->position));
    if (a->pos.topic) {
        json_object_set_new(o, "topic", json_string(a->pos.topic));
        json_object_set_new(o, "partition", json_integer(a->pos.partition));
        json_object_set_new(o, "offset", json_integer((json_int_t)a->pos.offset));
    }
    json_object_set_new(o, "response", json_string(a->response ? a->response : "alert"));
    json_object_set_new(o, "suppressed", json_integer((json_int_t)a->suppressed));
    set_num(o, "recent_loss", a->recent_loss);
    set_num(o, "challenger_loss", a->challenger_loss);
    return o;
}
