/* kafka_headers.h - names of the Kafka message headers relearn writes and reads.
 *
 * One place for the wire conventions between relearnd (writer) and the CLI / tests / ops tools
 * (readers), so the two never drift apart. Header values are ASCII text (decimal numbers), never
 * binary, so kcat -f '%h' shows them as they are.
 *
 * Snapshot topic (docs/DESIGN.md "Snapshot versions"): the message key is the model name; every
 * message of one snapshot carries
 *   relearn-model     model name (same as the key; present so a header-only reader needs no key)
 *   relearn-version   decimal version, 1, 2, ... per (model, instance); never reused or skipped
 *   relearn-instance  the publishing instance's id
 *   relearn-chunk     "i/n": chunk i (0-based) of n; a snapshot that fits one message is "0/1"
 *   relearn-size      decimal byte size of the whole (reassembled) snapshot
 * Chunks of one version are produced in order to one partition (same key), so a reader sees
 * 0..n-1 in order; a reader that sees a gap or a restart at "0/n" discards the partial snapshot.
 *
 * Dead-letter topic: the message value and key are the original event's bytes, unchanged; the
 * headers say why and where it came from:
 *   relearn-reason     rl_event_reason_name() (event_codec.h), e.g. "nonfinite_label"
 *   relearn-detail     the decoder's errstr (human text, may change between versions)
 *   relearn-topic      source topic
 *   relearn-partition  source partition, decimal
 *   relearn-offset     source offset, decimal
 *   relearn-instance   the instance that refused it
 */
#ifndef RL_KAFKA_HEADERS_H
#define RL_KAFKA_HEADERS_H

#define RL_HDR_MODEL    "relearn-model"
#define RL_HDR_VERSION  "relearn-version"
#define RL_HDR_INSTANCE "relearn-instance"
#define RL_HDR_CHUNK    "relearn-chunk"
#define RL_HDR_SIZE     "relearn-size"

#define RL_HDR_REASON    "relearn-reason"
#define RL_HDR_DETAIL    "relearn-detail"
#define RL_HDR_TOPIC     "relearn-topic"
#define RL_HDR_PARTITION "relearn-partition"
#define RL_HDR_OFFSET    "relearn-offset"

#endif
