/* fuzz_event.c - libFuzzer target: the Event decoder (wire/event_decode.c) against protobuf-c.
 *
 * Beyond "does not crash": whenever our bounded parser accepts the wire format (any reason
 * other than undecodable / newer_version / oversized), protobuf-c's generated unpacker must
 * accept it too and agree on label, weight, feature count and values, dense block and key.
 * And whenever protobuf-c refuses the bytes, we must say undecodable. Three decoder
 * configurations (binary, multiclass with a dense block, tight limits) cover the checks. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/event.pb-c.h"
#include "wire/event_codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static rl_event_decoder *decs[3];

static void setup(void)
{
    rl_event_codec_config c;
    char err[256];
    rl_event_codec_config_default(&c);
    c.bits = 16;
    if (rl_event_decoder_new(&c, &decs[0], err, sizeof(err)) != RL_OK)
        abort();
    c.task = RL_TASK_MULTICLASS;
    c.n_classes = 5;
    c.dense_dim = 3;
    if (rl_event_decoder_new(&c, &decs[1], err, sizeof(err)) != RL_OK)
        abort();
    rl_event_codec_config_default(&c);
    c.task = RL_TASK_REGRESSION;
    c.poisson = 1;
    c.max_features = 4;
    c.max_bytes = 256;
    if (rl_event_decoder_new(&c, &decs[2], err, sizeof(err)) != RL_OK)
        abort();
}

static int same_float(float a, float b)
{
    return memcmp(&a, &b, sizeof(a)) == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[256];
    if (!decs[0])
        setup();
    Relearn__Event *pe = relearn__event__unpack(NULL, size, data);
    for (int k = 0; k < 3; k++) {
        rl_example ex;
        rl_event_info info;
        rl_event_reason r = rl_event_decode(decs[k], data, size, &ex, &info, err, sizeof(err));
        if (r >= RL_EVENT_REASON__COUNT || (err[0] == '\0' && r != RL_EVENT_OK))
            abort();
        int wire_ok =
            r != RL_EVENT_UNDECODABLE && r != RL_EVENT_NEWER_VERSION && r != RL_EVENT_OVERSIZED;
        if (!pe && wire_ok)
            abort(); /* we accepted what protobuf-c refuses */
        if (r != RL_EVENT_OK)
            continue;
        /* Accepted: every value is as protobuf-c reads it, and within the promised bounds. */
        if (!pe->has_label || !isfinite(ex.label) || !isfinite(ex.weight) || ex.weight < 0)
            abort();
        if (!same_float(ex.label, pe->label) && !(pe->label == -1.0f && ex.label == 0.0f))
            abort();
        if (!same_float(ex.weight, pe->has_weight ? pe->weight : 1.0f))
            abort();
        if (ex.n_feats != pe->n_features)
            abort();
        for (uint32_t i = 0; i < ex.n_feats; i++) {
            const Relearn__Feature *f = pe->features[i];
            if (!same_float(ex.feats[i].value, f->has_value ? f->value : 1.0f) ||
                !isfinite(ex.feats[i].value) || ex.feats[i].index >= (1u << 18))
                abort();
        }
        if (ex.n_dense != pe->n_dense ||
            (ex.n_dense && memcmp(ex.dense, pe->dense, ex.n_dense * sizeof(float))))
            abort();
        if ((info.key != NULL) != (pe->has_key != 0) ||
            (info.key && (info.key_len != pe->key.len ||
                          (info.key_len && memcmp(info.key, pe->key.data, info.key_len)))))
            abort();
    }
    relearn__event__free_unpacked(pe, NULL);
    return 0;
}
