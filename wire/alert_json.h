/* alert_json.h - a drift alert as the JSON record ops read.
 *
 * relearnd's alerts topic and `relearn eval --alerts-json` write the same record: the JSON form
 * of proto/alert.proto's DriftAlert, its field names and its enum names for the level
 * ("WARNING", "DRIFT"; "STABLE" for a gate alert). A number that is not finite (no challenger:
 * no challenger_loss) is left out, as an unset proto field is. The writers add what only they
 * know: relearnd the model, instance, model_version, time_ms and checkpoint_seq; eval the input
 * file and line. */
#ifndef RL_ALERT_JSON_H
#define RL_ALERT_JSON_H

#include <jansson.h>

#include "model/model.h"

/* "WARNING", "DRIFT" or "STABLE". */
const char *rl_alert_level_name(rl_drift_state level);

/* The record's fields that come from the alert itself: detector, source ("error" when unset),
 * level, statistic and statistic_name, position, topic/partition/offset (when the alert knows
 * its event's place), response ("alert" when unset), suppressed, recent_loss,
 * challenger_loss. A new object (the caller's to json_decref), or NULL when out of memory. */
json_t *rl_alert_to_json(const rl_alert *a);

#endif
