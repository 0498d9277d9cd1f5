/* kafka_event_dump.c - rl_event_dump, a test tool: prints Events as the daemon would see them.
 *
 *   kcat -C ... -f '%R%s' | rl_event_dump [--bits B] [--seed S] [--task T] [--classes K]
 *   rl_event_dump --text FILE [--format F] [--bits B] [--seed S]
 *
 * The first form reads Kafka payloads framed as kcat's %R%s (32-bit big-endian length, then
 * the bytes) and decodes each with the Event codec; the second reads a text file with the
 * eval path (input/reader.h + rl_example_from_record). Both print one line per event,
 *   ok LABEL WEIGHT N IDX:VALUE ...     or     bad REASON
 * so an integration test can diff what went into `relearn produce` with what came out of the
 * broker. Exit status 0, or 1 on a read or framing error. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wire/event_codec.h"
#include "input/reader.h"

static void print_example(const rl_example *ex)
{
    printf("ok %.9g %.9g %u", (double)ex->label, (double)ex->weight, ex->n_feats);
    for (uint32_t i = 0; i < ex->n_feats; i++)
        printf(" %u:%.9g", ex->feats[i].index, (double)ex->feats[i].value);
    for (uint32_t i = 0; i < ex->n_dense; i++)
        printf(" d%u:%.9g", i, (double)ex->dense[i]);
    printf("\n");
}

static int dump_text(const char *path, rl_text_format fmt, const rl_event_codec_config *c)
{
    rl_reader_opts o;
    rl_reader *rd = NULL;
    char err[1024];
    rl_hasher h;
    rl_example_builder eb;
    int status = 0;
    rl_reader_opts_default(&o);
    o.format = fmt;
    if (rl_reader_open(path, &o, &rd, err, sizeof(err)) != RL_OK) {
        fprintf(stderr, "rl_event_dump: %s\n", err);
        return 1;
    }
    rl_hasher_init(&h, c->bits, c->seed);
    rl_example_builder_init(&eb);
    for (;;) {
        const rl_record *rec = NULL;
        rl_err e = rl_reader_next(rd, &rec, err, sizeof(err));
        if (e == RL_ERR_FORMAT)
            continue; /* produce skips bad lines too */
        if (e != RL_OK) {
            fprintf(stderr, "rl_event_dump: %s\n", err);
            status = 1;
            break;
        }
        if (!rec)
            break;
        float label;
        rl_example ex;
        if (rl_record_label(rd, rec, c->task, c->n_classes, &label, err, sizeof(err)) != RL_OK) {
            printf("bad label_out_of_domain\n");
            continue;
        }
        if (rl_example_from_record(&eb, &h, rec, label, &ex, err, sizeof(err)) != RL_OK) {
            fprintf(stderr, "rl_event_dump: %s\n", err);
            status = 1;
            break;
        }
        print_example(&ex);
    }
    rl_example_builder_free(&eb);
    rl_reader_destroy(rd);
    return status;
}

static int dump_framed(const rl_event_codec_config *c)
{
    rl_event_decoder *d = NULL;
    char err[512];
    uint8_t *buf = NULL;
    int status = 1;
    if (rl_event_decoder_new(c, &d, err, sizeof(err)) != RL_OK) {
        fprintf(stderr, "rl_event_dump: %s\n", err);
        return 1;
    }
    buf = malloc(c->max_bytes + 1);
    if (!buf)
        goto done;
    for (;;) {
        uint8_t hdr[4];
        size_t n = fread(hdr, 1, 4, stdin);
        if (n == 0 && feof(stdin))
            break;
        if (n != 4) {
            fprintf(stderr, "rl_event_dump: truncated length prefix\n");
            goto done;
        }
        int32_t len = (int32_t)((uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 |
                                (uint32_t)hdr[2] << 8 | hdr[3]);
        if (len < 0) {
            printf("bad null_payload\n");
            continue;
        }
        if ((size_t)len > c->max_bytes) {
            /* Read past it so the stream stays in step; the codec refuses it by size. */
            for (int32_t left = len; left > 0;) {
                size_t want = (size_t)left > c->max_bytes ? c->max_bytes : (size_t)left;
                if (fread(buf, 1, want, stdin) != want) {
                    fprintf(stderr, "rl_event_dump: truncated payload\n");
                    goto done;
                }
                left -= (int32_t)want;
            }
            printf("bad %s\n", rl_event_reason_name(RL_EVENT_OVERSIZED));
            continue;
        }
        if (fread(buf, 1, (size_t)len, stdin) != (size_t)len) {
            fprintf(stderr, "rl_event_dump: truncated payload\n");
            goto done;
        }
        rl_example ex;
        rl_event_reason r = rl_event_decode(d, buf, (size_t)len, &ex, NULL, err, sizeof(err));
        if (r == RL_EVENT_OK)
            print_example(&ex);
        else
            printf("bad %s\n", rl_event_reason_name(r));
    }
    status = 0;
done:
    free(buf);
    rl_event_decoder_destroy(d);
    return status;
}

int main(int argc, char **argv)
{
    rl_event_codec_config c;
    const char *text = NULL;
    rl_text_format fmt = RL_TEXT_AUTO;
    rl_event_codec_config_default(&c);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v) {
            fprintf(stderr, "rl_event_dump: %s needs a value\n", a);
            return 2;
        }
        i++;
        if (strcmp(a, "--text") == 0)
            text = v;
        else if (strcmp(a, "--format") == 0 && rl_text_format_parse(v, &fmt) == RL_OK)
            ;
        else if (strcmp(a, "--bits") == 0)
            c.bits = (uint32_t)strtoul(v, NULL, 10);
        else if (strcmp(a, "--seed") == 0)
            c.seed = strtoull(v, NULL, 10);
        else if (strcmp(a, "--classes") == 0)
            c.n_classes = (uint32_t)strtoul(v, NULL, 10);
        else if (strcmp(a, "--dense") == 0)
            c.dense_dim = (uint32_t)strtoul(v, NULL, 10);
        else if (strcmp(a, "--task") == 0 && strcmp(v, "binary") == 0)
            c.task = RL_TASK_BINARY;
        else if (strcmp(a, "--task") == 0 && strcmp(v, "regression") == 0)
            c.task = RL_TASK_REGRESSION;
        else if (strcmp(a, "--task") == 0 && strcmp(v, "multiclass") == 0)
            c.task = RL_TASK_MULTICLASS;
        else {
            fprintf(stderr, "rl_event_dump: bad option %s %s\n", a, v);
            return 2;
        }
    }
    return text ? dump_text(text, fmt, &c) : dump_framed(&c);
}
