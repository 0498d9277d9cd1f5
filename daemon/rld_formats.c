/* rld_formats.c - which format each input topic's messages have ([input] format and
 * topic_formats): the Event protobuf, JSON, or VW / libsvm / CSV lines. */
#include <string.h>

#include "daemon/rld_config.h"

static const char *const format_names[RLD_FMT_N] = {"event", "json", "vw", "libsvm", "csv"};

const char *rld_format_name(int f)
{
    return f >= 0 && f < RLD_FMT_N ? format_names[f] : "unknown";
}

int rld_format_parse(const char *p, size_t n)
{
    for (int f = 0; f < RLD_FMT_N; f++)
        if (strlen(format_names[f]) == n && memcmp(p, format_names[f], n) == 0)
            return f;
    return -1;
}

/* "topic:format,...": NULL when well formed, else why not. */
const char *rld_config_bad_topic_formats(const char *v)
{
    for (const char *p = v; *p;) {
        const char *comma = strchr(p, ',');
        size_t l = comma ? (size_t)(comma - p) : strlen(p);
        const char *colon = memchr(p, ':', l);
        if (!colon || !rld_valid_topic(p, (size_t)(colon - p)))
            return "not topic:format";
        if (rld_format_parse(colon + 1, l - (size_t)(colon + 1 - p)) < 0)
            return "an unknown format (event, json, vw, libsvm, csv)";
        p += l + (comma ? 1 : 0);
    }
    return NULL;
}

int rld_config_topic_format(const rld_config *c, const char *topic)
{
    size_t tl = strlen(topic);
    for (const char *p = c->topic_formats; *p;) {
        const char *comma = strchr(p, ',');
        size_t l = comma ? (size_t)(comma - p) : strlen(p);
        const char *colon = memchr(p, ':', l);
        if (colon && (size_t)(colon - p) == tl && memcmp(p, topic, tl) == 0)
            return rld_format_parse(colon + 1, l - (size_t)(colon + 1 - p));
        p += l + (comma ? 1 : 0);
    }
    int f = rld_format_parse(c->input_format, strlen(c->input_format));
    return f < 0 ? RLD_FMT_EVENT : f;
}

int rld_config_uses_format(const rld_config *c, int f)
{
    if (rld_format_parse(c->input_format, strlen(c->input_format)) == f)
        return 1;
    for (const char *p = c->topic_formats; *p;) {
        const char *comma = strchr(p, ',');
        size_t l = comma ? (size_t)(comma - p) : strlen(p);
        const char *colon = memchr(p, ':', l);
        if (colon && rld_format_parse(colon + 1, l - (size_t)(colon + 1 - p)) == f)
            return 1;
        p += l + (comma ? 1 : 0);
    }
    return 0;
}
