/* fuzz_reader.c - libFuzzer target for the text readers (input/reader*.c).
 *
 * The first byte picks the format and options (line limit as small as 16 bytes so buffer
 * boundaries are hit, CSV header on/off, delimiter, label column); the rest is the input. Every
 * record must satisfy the reader's promises: finite label, weight and values, at most
 * max_features features, indices within max_index, names inside the line, line numbers
 * increasing; every error must say "name:line: ". Then each record goes through the example
 * builder, whose slots must lie in 2^bits. Sanitizers catch the rest. */
#include <assert.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "input/reader.h"

static void check(int ok)
{
    if (!ok)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t sel = data[0];
    data++;
    size--;
    static const char delims[] = {',', ';', '\t', '|'};
    static const char *const label_cols[] = {NULL, "0", "1", "label"};
    rl_reader_opts o;
    rl_reader_opts_default(&o);
    o.format = (rl_text_format)(sel & 3);
    o.max_line = 16u + (size_t)((sel >> 2) & 3) * 80u;
    o.max_features = 8;
    o.max_index = (sel & 0x10) ? 1000 : UINT32_MAX;
    o.header = (sel & 0x20) ? 0 : 1;
    o.delimiter = delims[(sel >> 6) & 3];
    o.label_col = label_cols[(sel >> 3) & 3];
    if (!o.header && o.label_col && strcmp(o.label_col, "label") == 0)
        o.label_col = "1";

    char err[512];
    rl_reader *r = NULL;
    if (rl_reader_open_mem("fz", data, size, &o, &r, err, sizeof(err)) != RL_OK) {
        check(r == NULL);
        check(strncmp(err, "fz", 2) == 0 || strstr(err, "label column") != NULL);
        return 0;
    }
    rl_hasher h;
    rl_hasher_init(&h, 10, 3);
    rl_example_builder b;
    rl_example_builder_init(&b);
    uint64_t last_line = 0;
    for (int guard = 0; guard < 100000; guard++) {
        const rl_record *rec = NULL;
        rl_err e = rl_reader_next(r, &rec, err, sizeof(err));
        if (e == RL_ERR_FORMAT) {
            check(rec == NULL);
            check(strncmp(err, "fz:", 3) == 0);
            continue;
        }
        check(e == RL_OK);
        if (!rec)
            break;
        check(rec->line > last_line);
        last_line = rec->line;
        check(isfinite(rec->label) && isfinite(rec->weight) && rec->weight >= 0);
        check(rec->n_feats <= o.max_features);
        for (uint32_t i = 0; i < rec->n_feats; i++) {
            const rl_text_feature *f = &rec->feats[i];
            check(isfinite(f->value));
            if (f->name) {
                check(f->name_len > 0 && f->name_len <= o.max_line);
                /* Reading every byte lets ASan check the pointers. */
                volatile unsigned sum = 0;
                for (uint32_t k = 0; k < f->name_len; k++)
                    sum += (unsigned char)f->name[k];
                for (uint32_t k = 0; f->ns && k < f->ns_len; k++)
                    sum += (unsigned char)f->ns[k];
                (void)sum;
            } else {
                check(f->index <= o.max_index);
            }
        }
        float y;
        if (rl_record_label(r, rec, RL_TASK_BINARY, 0, &y, err, sizeof(err)) == RL_OK)
            check(y == 0.0f || y == 1.0f);
        rl_example ex;
        check(rl_example_from_record(&b, &h, rec, rec->label, &ex, err, sizeof(err)) == RL_OK);
        check(ex.n_feats == rec->n_feats);
        for (uint32_t i = 0; i < ex.n_feats; i++)
            check(ex.feats[i].index < (1u << 10));
    }
    rl_reader_stats st;
    rl_reader_get_stats(r, &st);
    check(st.records + st.bad + st.skipped <= st.lines);
    rl_example_builder_free(&b);
    rl_reader_destroy(r);
    return 0;
}
