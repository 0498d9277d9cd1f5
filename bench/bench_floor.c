/* bench_floor.c - the physical floor of a hashed linear learner's per-feature cost: for every
 * feature, two random touches of the weight table (read its weight for the prediction, then
 * write it back updated), and nothing else - no loss, no schedule, no parsing.
 *
 *   bench_floor FEATURES [BITS [EVENTS [STRIDE]]]    (defaults: -, 20, 200000, 4)
 *
 * The table holds 2^BITS coordinates of STRIDE floats (4 = sgd's normalized {w, G, N, rate},
 * 16 bytes, the same cache-line footprint), in huge pages when the kernel allows, as sgd's
 * state is. Events are FEATURES distinct-ish random slots each (a pool of events cycled, larger
 * than the caches). Each event: prefetch the next event's slots (as relearn eval reads ahead),
 * sum w*x over its slots, then add c*x to each of them. Prints the CPU ns per feature (this
 * thread's CPU time, best of 5 passes): the cost any learner pays per feature on this machine
 * for the memory traffic alone. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

static uint64_t rng = 0x9E3779B97F4A7C15ull;

static uint64_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_floor FEATURES [BITS [EVENTS [STRIDE]]]\n");
        return 2;
    }
    uint32_t k = (uint32_t)strtoul(argv[1], NULL, 10);
    uint32_t bits = argc > 2 ? (uint32_t)strtoul(argv[2], NULL, 10) : 20;
    size_t events = argc > 3 ? strtoul(argv[3], NULL, 10) : 200000;
    uint32_t stride = argc > 4 ? (uint32_t)strtoul(argv[4], NULL, 10) : 4;
    if (k == 0 || bits < 10 || bits > 28 || events == 0 || stride == 0 || stride > 16)
        return 2;
    uint32_t mask = (1u << bits) - 1;
    size_t bytes = ((size_t)mask + 1) * stride * sizeof(float);
    float *w = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (w == MAP_FAILED)
        return 1;
    madvise(w, bytes, MADV_HUGEPAGE);
    memset(w, 0, bytes); /* faulted in before timing: the floor is the steady state */
    /* 64 MiB of slots in the pool: beyond any cache, so slots come from memory */
    size_t pool = ((size_t)16 << 20) / k;
    if (pool > events)
        pool = events;
    if (pool < 2)
        pool = 2;
    uint32_t *slot = malloc(pool * k * sizeof(*slot));
    float *x = malloc(pool * k * sizeof(*x));
    if (!slot || !x)
        return 1;
    for (size_t i = 0; i < pool * k; i++) {
        slot[i] = (uint32_t)next() & mask;
        x[i] = (float)((next() >> 40) & 0xffff) / 65536.0f;
    }
    double best = 1e300, sink = 0;
    for (int pass = 0; pass < 5; pass++) {
        double t0 = cpu_s();
        for (size_t e = 0; e < events; e++) {
            size_t cur = (e % pool) * k, nxt = ((e + 1) % pool) * k;
            for (uint32_t j = 0; j < k; j++)
                __builtin_prefetch(&w[(size_t)slot[nxt + j] * stride], 1, 3);
            float z = 0;
            for (uint32_t j = 0; j < k; j++)
                z += w[(size_t)slot[cur + j] * stride] * x[cur + j];
            float c = 0.001f * (1.0f - z);
            for (uint32_t j = 0; j < k; j++)
                w[(size_t)slot[cur + j] * stride] += c * x[cur + j];
        }
        double t = cpu_s() - t0;
        if (t < best)
            best = t;
    }
    for (uint32_t i = 0; i <= mask; i += 4099)
        sink += w[(size_t)i * stride];
    printf("features=%u bits=%u stride=%u events=%zu ns_per_feature=%.2f ns_per_event=%.1f "
           "(check %.3g)\n",
           k, bits, stride, events, best * 1e9 / ((double)events * k), best * 1e9 / (double)events,
           sink);
    munmap(w, bytes);
    free(slot);
    free(x);
    return 0;
}
