/* rld_config_values.c - what a relearnd config value may be beyond its type: Kafka's topic
 * names, text that is safe to print into logs and headers, a checkpoint directory only its
 * owner can write; and the settings relearnd gives its Kafka clients before [kafka]. */
#include <string.h>
#include <sys/stat.h>

#include "daemon/rld_config.h"

/* Kafka's rules for a topic name: 1..249 of [A-Za-z0-9._-], not "." or "..", and none of the
 * broker's internal topics (reading or writing them would be an accident). */
int rld_valid_topic(const char *t, size_t len)
{
    if (len == 0 || len > 249)
        return 0;
    if ((len == 1 && t[0] == '.') || (len == 2 && t[0] == '.' && t[1] == '.') ||
        (len == 18 && memcmp(t, "__consumer_offsets", 18) == 0) ||
        (len == 19 && memcmp(t, "__transaction_state", 19) == 0))
        return 0;
    for (size_t i = 0; i < len; i++) {
        char ch = t[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '.' || ch == '_' || ch == '-'))
            return 0;
    }
    return 1;
}

/* A control character (C0, DEL, C1) or a bidirectional-text control (U+061C, U+200E/F,
 * U+202A..E, U+2066..9) in s: printed raw into logs, headers and metric labels, they hide or
 * reorder what an operator reads. Returns a description, or NULL when s is clean. */
const char *rld_unsafe_text(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p < 0x20 || *p == 0x7f)
            return "contains a control character";
        if (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f)
            return "contains a control character";
        if ((p[0] == 0xd8 && p[1] == 0x9c) ||
            (p[0] == 0xe2 && p[1] == 0x80 &&
             (p[2] == 0x8e || p[2] == 0x8f || (p[2] >= 0xaa && p[2] <= 0xae))) ||
            (p[0] == 0xe2 && p[1] == 0x81 && p[2] >= 0xa6 && p[2] <= 0xa9))
            return "contains a bidirectional-text control character";
    }
    return NULL;
}

/* A checkpoint directory others can write to: anyone in the group could plant a newer
 * ckpt-*.rlck. Checked when the config names it (if it exists) and again at start-up. */
const char *rld_unsafe_dir(const char *dir)
{
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return NULL; /* created 0700 at start-up, or refused there */
    if (st.st_mode & S_IWOTH)
        return "world-writable (chmod go-w it)";
    if (st.st_mode & S_IWGRP)
        return "group-writable (chmod go-w it)";
    return NULL;
}

void rld_config_client_defaults(const rld_config *c, rd_kafka_type_t type,
                                const char *out[RLD_CLIENT_DEFAULTS])
{
    size_t n = 0;
    if (type == RD_KAFKA_CONSUMER) {
        /* Offsets move only after a durable checkpoint (rld_offsets.c); [kafka] cannot change
         * these, but auto.offset.reset it can. The prefetch queue is a quarter and a fifth of
         * librdkafka's defaults (64 MiB, 100,000 messages): those are sized to cover its 1 s
         * idle wait after the queue fills, which the fetch waker (rld_fetch_wake.h) now cuts
         * short, and they cost more memory than the learner on small models (peak RSS 71-78 ->
         * 41-43 MiB on 1,000,000 named10 events with 2^18 weights, same speed). [kafka] can set
         * both. */
        /* clang-format off */
        const char *kv[] = {
            "group.id", c->group,
            "enable.auto.commit", "false",
            "enable.auto.offset.store", "false",
            "auto.offset.reset", "earliest",
            "queued.max.messages.kbytes", "16384",
            "queued.min.messages", "20000"};
        /* clang-format on */
        for (size_t i = 0; i < sizeof(kv) / sizeof(kv[0]); i++)
            out[n++] = kv[i];
    } else {
        out[n++] = "enable.idempotence"; /* snapshots, alerts, dead letters: never twice */
        out[n++] = "true";
    }
    out[n] = NULL;
}
