/* bench_event_codec.c - Event decoding speed: relearn's bounded parser (wire/event_decode.c)
 * against protobuf-c's generated unpacker doing the same job (unpack, hash every feature into
 * an example, free), over the same encoded events in the same run.
 *
 *   bench_event_codec [EVENTS [FEATURES [REPS]]]     (defaults 200000 20 5)
 *
 * Events carry FEATURES named features ("f<k>", 2-7 bytes) with values, a label and a weight:
 * what `relearn produce` writes for VW/CSV input. Prints the best-of-REPS time of each and the
 * ratio (protobuf-c time / ours). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "proto/event.pb-c.h"
#include "wire/event_codec.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    size_t n_events = argc > 1 ? strtoul(argv[1], NULL, 10) : 200000;
    uint32_t n_feats = argc > 2 ? (uint32_t)strtoul(argv[2], NULL, 10) : 20;
    int reps = argc > 3 ? atoi(argv[3]) : 5;
    char err[256];
    if (n_events == 0 || n_feats == 0 || n_feats > 10000 || reps < 1) {
        fprintf(stderr, "usage: bench_event_codec [EVENTS [FEATURES [REPS]]]\n");
        return 2;
    }

    /* Encode everything up front into one buffer with offsets. */
    rl_buf all;
    rl_buf_init(&all);
    size_t *off = malloc((n_events + 1) * sizeof(*off));
    rl_event_feature *f = malloc(n_feats * sizeof(*f));
    char(*names)[16] = malloc(n_feats * sizeof(*names));
    rl_feature *scratch = malloc(n_feats * sizeof(*scratch));
    if (!off || !f || !names || !scratch)
        return 1;
    uint64_t s = 0x9E3779B97F4A7C15ull;
    for (size_t i = 0; i < n_events; i++) {
        for (uint32_t k = 0; k < n_feats; k++) {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            int len = snprintf(names[k], sizeof(names[k]), "f%u", (unsigned)(s % 100000));
            f[k] = (rl_event_feature){names[k], (size_t)len, 0, (float)(s % 1000) / 1000.0f};
        }
        rl_event_record r = {1, (float)(s & 1), 1.0f, f, n_feats, NULL, 0, 0, 0, NULL, 0};
        off[i] = all.len;
        if (rl_event_encode(&r, &all) != RL_OK)
            return 1;
    }
    off[n_events] = all.len;

    rl_event_codec_config c;
    rl_event_codec_config_default(&c);
    rl_event_decoder *d = NULL;
    if (rl_event_decoder_new(&c, &d, err, sizeof(err)) != RL_OK) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    rl_hasher h;
    rl_hasher_init(&h, c.bits, c.seed);

    double best_ours = 1e30, best_pbc = 1e30;
    volatile uint64_t sink = 0;
    for (int rep = 0; rep < reps; rep++) {
        double t0 = now_s();
        for (size_t i = 0; i < n_events; i++) {
            rl_example ex;
            if (rl_event_decode(d, all.data + off[i], off[i + 1] - off[i], &ex, NULL, err,
                                sizeof(err)) != RL_EVENT_OK)
                return 1;
            sink += ex.feats[ex.n_feats - 1].index;
        }
        double t1 = now_s();
        for (size_t i = 0; i < n_events; i++) {
            Relearn__Event *e =
                relearn__event__unpack(NULL, off[i + 1] - off[i], all.data + off[i]);
            if (!e)
                return 1;
            for (size_t k = 0; k < e->n_features && k < n_feats; k++) {
                const Relearn__Feature *ft = e->features[k];
                scratch[k].index = ft->name ? rl_hash_name(&h, ft->name, strlen(ft->name))
                                            : rl_hash_index(&h, ft->index);
                scratch[k].value = ft->value;
            }
            sink += scratch[e->n_features - 1].index;
            relearn__event__free_unpacked(e, NULL);
        }
        double t2 = now_s();
        if (t1 - t0 < best_ours)
            best_ours = t1 - t0;
        if (t2 - t1 < best_pbc)
            best_pbc = t2 - t1;
    }
    printf("events=%zu features=%u bytes/event=%.1f reps=%d\n", n_events, n_feats,
           (double)all.len / (double)n_events, reps);
    printf("relearn decoder:   %.3f s  %.0f events/s\n", best_ours, (double)n_events / best_ours);
    printf("protobuf-c unpack: %.3f s  %.0f events/s (baseline)\n", best_pbc,
           (double)n_events / best_pbc);
    printf("speedup: %.2fx\n", best_pbc / best_ours);
    rl_event_decoder_destroy(d);
    rl_buf_free(&all);
    free(off);
    free(f);
    free(names);
    free(scratch);
    return (int)(sink & 0);
}
