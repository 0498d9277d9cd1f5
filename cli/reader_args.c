/* reader_args.c - the text-input options shared by relearn eval and relearn produce. */
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

int rl_reader_opt(void *args, const char *flag, const char *value)
{
    static const rl_param_spec max_line = {
        "max-line", RL_PARAM_UINT, RL_READER_MAX_LINE_MIN, RL_READER_MAX_LINE_MAX, 0, 0, 0, NULL,
        0};
    rl_reader_args *a = args;
    rl_param_value v;
    int csv = rl_cli_csv_flag(a->cmd, flag, value, a->ro, a->lists);
    if (csv != 0)
        return csv < 0 ? 2 : 0;
    if (strcmp(flag, "--no-header") == 0) {
        a->ro->header = 0;
    } else if (strcmp(flag, "--label-col") == 0) {
        a->ro->label_col = value;
    } else if (strcmp(flag, "--format") == 0) {
        if (rl_text_format_parse(value, &a->ro->format) != RL_OK) {
            fprintf(stderr, "relearn %s: --format: '%s' is not libsvm, vw, csv or auto\n", a->cmd,
                    value);
            return 2;
        }
    } else if (strcmp(flag, "--delimiter") == 0) {
        if (strcmp(value, "tab") == 0 || strcmp(value, "\\t") == 0) {
            a->ro->delimiter = '\t';
        } else if (strlen(value) == 1) {
            a->ro->delimiter = value[0];
        } else {
            fprintf(stderr, "relearn %s: --delimiter: '%s' is not one character\n", a->cmd, value);
            return 2;
        }
    } else {
        if (rl_opt_number(a->cmd, flag, value, &max_line, NULL, &v) != 0)
            return 2;
        a->ro->max_line = (size_t)v.u;
    }
    return 0;
}
#include <stdlib.h>
#include <string.h>
