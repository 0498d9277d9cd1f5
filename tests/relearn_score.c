/* relearn_score.c - a test tool: scores probes with librelearn in-process, the reference that
 * `relearn serve`'s HTTP answers must equal (and a program built only on include/relearn.h).
 *
 *   relearn_score SNAPSHOT < probes
 *
 * Each probe line is whitespace-separated name:value pairs (a name without ':' has value 1);
 * prints the version, then one line per probe: the output (%.17g), or the class probabilities
 * separated by spaces for softmax. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "relearn.h"

int main(int argc, char **argv)
{
    char err[512], line[65536];
    relearn_model *m = NULL;
    relearn_info info;
    static relearn_feature f[RELEARN_MAX_FEATURES];
    static double probs[1024];
    if (argc != 2) {
        fprintf(stderr, "usage: relearn_score SNAPSHOT < probes\n");
        return 2;
    }
    if (relearn_model_open_file(argv[1], &m, err, sizeof(err)) != RELEARN_OK) {
        fprintf(stderr, "relearn_score: %s\n", err);
        return 1;
    }
    relearn_model_info(m, &info);
    printf("version %llu\n", (unsigned long long)info.version);
    while (fgets(line, sizeof(line), stdin)) {
        relearn_event ev;
        relearn_prediction p;
        size_t n = 0;
        for (char *tok = strtok(line, " \t\n"); tok && n < RELEARN_MAX_FEATURES;
             tok = strtok(NULL, " \t\n")) {
            char *colon = strrchr(tok, ':');
            memset(&f[n], 0, sizeof(f[n]));
            f[n].name = tok;
            f[n].value = 1.0f;
            if (colon) {
                *colon = '\0';
                f[n].value = strtof(colon + 1, NULL);
            }
            f[n].name_len = strlen(tok);
            n++;
        }
        memset(&ev, 0, sizeof(ev));
        ev.features = f;
        ev.n_features = n;
        relearn_err e = relearn_predict(m, &ev, &p, probs);
        if (e != RELEARN_OK) {
            printf("error %s\n", relearn_err_str(e));
            continue;
        }
        if (info.n_outputs)
            for (uint32_t c = 0; c < info.n_outputs; c++)
                printf(c + 1 < info.n_outputs ? "%.17g " : "%.17g\n", probs[c]);
        else
            printf("%.17g\n", p.output);
    }
    relearn_model_release(m);
    return 0;
}
