/* event_text.h - events as text lines on Kafka (one VW, libsvm or CSV line per message), read by
 * the same readers as `relearn eval` (input/reader.h, line mode) -> rl_example.
 *
 * A message is one line of the topic's format; CSV messages carry no header, so the column names
 * are declared (csv_header). The label is checked against the task as rl_event_decode checks an
 * Event's (binary -1 is 0). Refusals reuse the Event reasons: a line the reader refuses is
 * "undecodable" (with the reader's reason), "label_out_of_domain" / "nonfinite_label",
 * "too_many_features", "oversized". Nothing is allocated per message once the buffers have grown
 * to the widest line. */
#ifndef RL_EVENT_TEXT_H
#define RL_EVENT_TEXT_H

#include <stddef.h>
#include <stdint.h>

#include "common/rl_common.h"
#include "input/reader.h"
#include "learners/learner.h"
#include "wire/event_codec.h"

typedef struct rl_text_decoder rl_text_decoder;

/* c: task, hashing and limits (dense_dim must be 0: text lines carry no dense block); ropts:
 * format (libsvm, vw or csv) and the reader's options (label column, CSV column options);
 * csv_header: the CSV column names, comma-separated, when ropts->header. */
rl_err rl_text_decoder_new(const rl_event_codec_config *c, const rl_reader_opts *ropts,
                           const char *csv_header, rl_text_decoder **out, char *errstr,
                           size_t errstr_size);
void rl_text_decoder_destroy(rl_text_decoder *d); /* NULL: no-op */

rl_event_reason rl_text_decode(rl_text_decoder *d, const void *buf, size_t len, rl_example *ex,
                               char *errstr, size_t errstr_size);

/* The name feature i of the last decoded event was hashed from (NULL for an indexed one). */
const uint8_t *rl_text_feature_name(rl_text_decoder *d, uint32_t i, size_t *len);

#endif
