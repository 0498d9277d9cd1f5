/* reader_args.h - checks on the text-input options shared by relearn eval and relearn produce. */
#ifndef RL_READER_ARGS_H
#define RL_READER_ARGS_H

#include "reader.h"

/* The CSV-only options (--label-col, --delimiter, --no-header) given for an input that was read
 * as another format (by --format or by detection) would be ignored without a word, and a label
 * column the user named would silently not be the label. Returns 0 when none was given or the
 * input is CSV, else 1 after saying so on stderr as "relearn CMD: FILE: ...". */
int rl_cli_check_csv_opts(const char *cmd, const rl_reader_opts *o, const rl_reader *r);

#endif
