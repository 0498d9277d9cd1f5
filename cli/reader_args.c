/* reader_args.c - checks on the text-input options shared by relearn eval and relearn produce. */
#include "cli/reader_args.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int rl_cli_check_csv_opts(const char *cmd, const rl_reader_opts *o, const rl_reader *r)
{
    const char *opt = o->label_col                        ? "--label-col"
                      : o->delimiter != ','               ? "--delimiter"
                      : !o->header                        ? "--no-header"
                      : o->ignore                         ? "--ignore"
                      : o->cat_cols                       ? "--categorical"
                      : o->num_cols                       ? "--numeric"
                      : o->missing != RL_CSV_MISSING_SKIP ? "--missing"
                      : o->na_values                      ? "--na-values"
                      : o->label_values                   ? "--label-values"
                                                          : NULL;
    rl_text_format f = rl_reader_format(r);
    if (!opt || f == RL_TEXT_CSV)
        return 0;
    fprintf(stderr,
            "relearn %s: %s: %s applies to CSV input only, and this input reads as %s (give "
            "--format csv if it is CSV)\n",
            cmd, rl_reader_name(r), opt, rl_text_format_name(f));
    return 1;
}

void rl_cli_csv_lists_free(rl_cli_csv_lists *l)
{
    free(l->ignore);
    free(l->cat);
    free(l->num);
    memset(l, 0, sizeof(*l));
}

/* *list = *list + "," + v (or v): a repeated option adds to its list. */
static int join(char **list, const char *v)
{
    size_t a = *list ? strlen(*list) : 0, b = strlen(v);
    char *n = realloc(*list, a + b + 2);
    if (!n)
        return -1;
    if (a)
        n[a++] = ',';
    memcpy(n + a, v, b + 1);
    *list = n;
    return 0;
}

int rl_cli_csv_flag(const char *cmd, const char *flag, const char *v, rl_reader_opts *o,
                    rl_cli_csv_lists *l)
{
    char **list = strcmp(flag, "--ignore") == 0        ? &l->ignore
                  : strcmp(flag, "--categorical") == 0 ? &l->cat
                  : strcmp(flag, "--numeric") == 0     ? &l->num
                                                       : NULL;
    if (list) {
        if (!*v) {
            fprintf(stderr, "relearn %s: %s: empty column list\n", cmd, flag);
            return -1;
        }
        if (join(list, v) != 0) {
            fprintf(stderr, "relearn %s: %s: out of memory\n", cmd, flag);
            return -1;
        }
        o->ignore = l->ignore;
        o->cat_cols = l->cat;
        o->num_cols = l->num;
        return 1;
    }
    if (strcmp(flag, "--missing") == 0) {
        if (rl_csv_missing_parse(v, &o->missing) != RL_OK) {
            fprintf(stderr, "relearn %s: --missing: '%s' is not skip, mean or indicator\n", cmd, v);
            return -1;
        }
        return 1;
    }
    if (strcmp(flag, "--na-values") == 0) {
        o->na_values = v;
        return 1;
    }
    if (strcmp(flag, "--label-values") == 0) {
        o->label_values = v;
        return 1;
    }
    return 0;
}
