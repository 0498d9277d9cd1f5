/* headers.c - reading the relearn-* message headers (see kafka.h, "headers"; the names and
 * their meaning are wire/kafka_headers.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kafka/kafka.h"
#include "wire/kafka_headers.h"

int rl_kafka_header_get(const rd_kafka_headers_t *h, const char *name, char *out, size_t out_size)
{
    const void *v = NULL;
    size_t n = 0;
    if (!h || out_size == 0 ||
        rd_kafka_header_get_last(h, name, &v, &n) != RD_KAFKA_RESP_ERR_NO_ERROR || !v)
        return -1;
    if (n >= out_size)
        n = out_size - 1;
    memcpy(out, v, n);
    out[n] = '\0';
    return 0;
}

const char *rl_kafka_message_header(const rd_kafka_message_t *m, const char *name,
                                    const char *absent, char *out, size_t out_size)
{
    rd_kafka_headers_t *h = NULL;
    if (rd_kafka_message_headers(m, &h) != RD_KAFKA_RESP_ERR_NO_ERROR ||
        rl_kafka_header_get(h, name, out, out_size) != 0)
        snprintf(out, out_size, "%s", absent);
    return out;
}

/* A decimal number with nothing before or after it (no sign, no space). */
static int parse_u64(const char *s, uint64_t *out)
{
    char *end;
    if (*s < '0' || *s > '9')
        return -1;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end)
        return -1;
    *out = v;
    return 0;
}

int rl_kafka_snapshot_headers(const rd_kafka_headers_t *h, rl_snapshot_id *id, uint64_t *size,
                              char *why, size_t why_size)
{
    char ver[32], chunk[48], sz[32];
    memset(id, 0, sizeof(*id));
    *size = 0;
    if (rl_kafka_header_get(h, RL_HDR_MODEL, id->model_name, sizeof(id->model_name)) != 0 ||
        rl_kafka_header_get(h, RL_HDR_VERSION, ver, sizeof(ver)) != 0)
        return 0;
    if (parse_u64(ver, &id->version) != 0 || id->version == 0) {
        snprintf(why, why_size, "bad %s header", RL_HDR_VERSION);
        return -1;
    }
    if (rl_kafka_header_get(h, RL_HDR_INSTANCE, id->instance_id, sizeof(id->instance_id)) != 0)
        id->instance_id[0] = '\0';
    id->index = 0;
    id->count = 1;
    if (rl_kafka_header_get(h, RL_HDR_CHUNK, chunk, sizeof(chunk)) == 0) {
        char *slash = strchr(chunk, '/');
        uint64_t i, n;
        if (slash)
            *slash = '\0';
        if (!slash || parse_u64(chunk, &i) != 0 || parse_u64(slash + 1, &n) != 0 || n == 0 ||
            n > RL_KAFKA_MAX_CHUNKS || i >= n) {
            snprintf(why, why_size, "bad %s header (want i/n)", RL_HDR_CHUNK);
            return -1;
        }
        id->index = (uint32_t)i;
        id->count = (uint32_t)n;
        id->is_chunk = n > 1;
    }
    if (rl_kafka_header_get(h, RL_HDR_SIZE, sz, sizeof(sz)) == 0 && parse_u64(sz, size) != 0)
        *size = 0;
    return 1;
}
