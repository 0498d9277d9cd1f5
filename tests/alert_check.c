/* alert_check.c - checks the drift alerts relearnd wrote to its alerts topic, as an operator's
 * script would read them: one JSON object per line on stdin (kcat -f '%s\n').
 *
 *   rl_alert_check --model NAME --response R [--max-position N] [--list]
 *
 * Every line must be a JSON object with the fields of proto/alert.proto that ops rely on:
 * format_version 1, model NAME, instance_id, detector, source, level (WARNING / DRIFT /
 * STABLE), position (1-based, >= 1, <= N), response, suppressed, model_version, checkpoint_seq,
 * time_ms (within the last day); model alerts (detector not "gate" / "checkpoint") also a finite
 * statistic and the event's topic, partition and offset (>= 0). Responses must match the level and
 * the configured response R (warning: alert or challenger_started; drift: alert or R's own; stable:
 * challenger_dropped). Per instance and source: positions never go back, no alert is repeated (same
 * level and position), and every announced challenger's end is shown before the next start. Prints
 * "warning=W drift=D stable=S suppressed_warning=... suppressed_drift=... suppressed_stable=..."
 * for the model alerts (for the script to compare with /metrics) and exits 0, or names the line and
 * the reason and exits 1. --list prints instead one line per model alert, "source level position
 * response suppressed", to compare two runs. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#define MAX_TRACKED 64

typedef struct track {
    char key[300]; /* instance_id '\n' source */
    int64_t last_pos[3];
    int challenger_open;
} track;

static int fail(long line, const char *why, const char *text)
{
    fprintf(stderr, "rl_alert_check: line %ld: %s: %.400s\n", line, why, text);
    return 1;
}

static const char *str(json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

static int integer(json_t *o, const char *k, json_int_t *out)
{
    json_t *v = json_object_get(o, k);
    if (!json_is_integer(v))
        return 0;
    *out = json_integer_value(v);
    return 1;
}

static int level_of(const char *s)
{
    if (!s)
        return -1;
    if (strcmp(s, "STABLE") == 0)
        return 0;
    if (strcmp(s, "WARNING") == 0)
        return 1;
    if (strcmp(s, "DRIFT") == 0)
        return 2;
    return -1;
}

static int drift_response_ok(const char *configured, const char *r)
{
    if (strcmp(r, "alert") == 0)
        return 1;
    if (strcmp(configured, "challenger") == 0)
        return strcmp(r, "challenger_promoted") == 0 || strcmp(r, "challenger_dropped") == 0;
    return strcmp(r, configured) == 0;
}

static track *track_get(track *t, size_t *n, const char *inst, const char *src)
{
    char key[300];
    snprintf(key, sizeof(key), "%s\n%s", inst, src);
    for (size_t i = 0; i < *n; i++)
        if (strcmp(t[i].key, key) == 0)
            return &t[i];
    if (*n == MAX_TRACKED)
        return NULL;
    track *x = &t[(*n)++];
    memset(x, 0, sizeof(*x));
    snprintf(x->key, sizeof(x->key), "%s", key);
    return x;
}

int main(int argc, char **argv)
{
    const char *model = NULL, *response = NULL;
    int64_t max_pos = INT64_MAX;
    int list = 0;
    static char buf[1 << 16];
    static track tracks[MAX_TRACKED];
    size_t n_tracks = 0;
    uint64_t count[3] = {0, 0, 0}, supp[3] = {0, 0, 0};
    long line = 0;
    json_int_t now_ms = (json_int_t)time(NULL) * 1000;

    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--list") == 0) {
            list = 1;
            memmove(&argv[i], &argv[i + 1], (size_t)(argc - i) * sizeof(*argv));
            argc--;
            break;
        }
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--model") == 0)
            model = argv[i + 1];
        else if (strcmp(argv[i], "--response") == 0)
            response = argv[i + 1];
        else if (strcmp(argv[i], "--max-position") == 0)
            max_pos = strtoll(argv[i + 1], NULL, 10);
    }
    if (!model || !response || argc % 2 == 0) {
        fprintf(stderr,
                "usage: rl_alert_check --model NAME --response R [--max-position N] [--list]\n");
        return 2;
    }
    while (fgets(buf, sizeof(buf), stdin)) {
        json_error_t je;
        json_int_t fv, pos, sup, ver, cseq, t, part, off;
        line++;
        buf[strcspn(buf, "\n")] = '\0';
        json_t *o = json_loads(buf, 0, &je);
        if (!json_is_object(o))
            return fail(line, "not a JSON object", buf);
        const char *det = str(o, "detector"), *src = str(o, "source"),
                   *inst = str(o, "instance_id");
        const char *resp = str(o, "response"), *m = str(o, "model");
        int lv = level_of(str(o, "level"));
        if (!integer(o, "format_version", &fv) || fv != 1)
            return fail(line, "format_version is not 1", buf);
        if (!m || strcmp(m, model) != 0)
            return fail(line, "model is not the expected one", buf);
        if (!det || !src || !inst || !resp || !*inst)
            return fail(line, "detector, source, instance_id or response missing", buf);
        if (lv < 0)
            return fail(line, "level is not WARNING, DRIFT or STABLE", buf);
        if (!integer(o, "position", &pos) || pos < 1 || pos > max_pos)
            return fail(line, "position missing or out of [1, max]", buf);
        if (!integer(o, "suppressed", &sup) || sup < 0)
            return fail(line, "suppressed missing or negative", buf);
        if (!integer(o, "model_version", &ver) || ver < 0)
            return fail(line, "model_version missing or negative", buf);
        if (!integer(o, "checkpoint_seq", &cseq) || cseq < 0)
            return fail(line, "checkpoint_seq missing or negative", buf);
        if (!integer(o, "time_ms", &t) || t < now_ms - 86400000 || t > now_ms + 60000)
            return fail(line, "time_ms missing or not around now", buf);
        if (strcmp(src, "error") != 0 && strncmp(src, "feature:", 8) != 0 &&
            strcmp(src, "daemon") != 0)
            return fail(line, "source is not error, feature:<name> or daemon", buf);
        if (strcmp(src, "daemon") == 0) {
            if (!str(o, "detail"))
                return fail(line, "a daemon alert without detail", buf);
            json_decref(o);
            continue;
        }
        json_t *st = json_object_get(o, "statistic");
        if (!json_is_number(st) || !isfinite(json_number_value(st)))
            return fail(line, "statistic missing or not finite", buf);
        if (!str(o, "topic") || !integer(o, "partition", &part) || part < 0 ||
            !integer(o, "offset", &off) || off < 0)
            return fail(line, "topic, partition or offset missing", buf);
        if ((lv == 1 && strcmp(resp, "alert") != 0 &&
             !(strcmp(response, "challenger") == 0 && strcmp(resp, "challenger_started") == 0)) ||
            (lv == 2 && !drift_response_ok(response, resp)) ||
            (lv == 0 && strcmp(resp, "challenger_dropped") != 0))
            return fail(line, "response does not fit the level and the configured response", buf);
        track *k = track_get(tracks, &n_tracks, inst, src);
        if (!k)
            return fail(line, "too many instances and sources", buf);
        for (int l = 0; l < 3; l++)
            if (pos < k->last_pos[l] || (l == lv && pos == k->last_pos[l]))
                return fail(line, "position goes back, or the alert is repeated", buf);
        k->last_pos[lv] = pos;
        if (strcmp(resp, "challenger_started") == 0) {
            if (k->challenger_open)
                return fail(line, "a challenger started before the last one's end was shown", buf);
            k->challenger_open = 1;
        } else if (strncmp(resp, "challenger_", 11) == 0) {
            k->challenger_open = 0;
        }
        count[lv]++;
        supp[lv] += (uint64_t)sup;
        if (list)
            printf("%s %s %" PRId64 " %s %" PRId64 "\n", src, str(o, "level"), (int64_t)pos, resp,
                   (int64_t)sup);
        json_decref(o);
    }
    if (list)
        return 0;
    printf("warning=%" PRIu64 " drift=%" PRIu64 " stable=%" PRIu64 " suppressed_warning=%" PRIu64
           " suppressed_drift=%" PRIu64 " suppressed_stable=%" PRIu64 "\n",
           count[1], count[2], count[0], supp[1], supp[2], supp[0]);
    return 0;
}
