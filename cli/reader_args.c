/* reader_args.c - checks on the text-input options shared by relearn eval and relearn produce. */
#include "reader_args.h"

#include <stdio.h>

int rl_cli_check_csv_opts(const char *cmd, const rl_reader_opts *o, const rl_reader *r)
{
    const char *opt = o->label_col          ? "--label-col"
                      : o->delimiter != ',' ? "--delimiter"
                      : !o->header          ? "--no-header"
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
