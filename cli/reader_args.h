/* reader_args.h - the text-input options shared by relearn eval and relearn produce: --format,
 * --label-col, --delimiter, --no-header, --max-line (option rows, options.h), and the check that
 * CSV-only ones were given for CSV. */
#ifndef RL_READER_ARGS_H
#define RL_READER_ARGS_H

#include "cli/options.h"
#include "input/reader.h"

/* The CSV-only options (--label-col, --delimiter, --no-header) given for an input that was read
 * as another format (by --format or by detection) would be ignored without a word, and a label
 * column the user named would silently not be the label. Returns 0 when none was given or the
 * input is CSV, else 1 after saying so on stderr as "relearn CMD: FILE: ...". */
int rl_cli_check_csv_opts(const char *cmd, const rl_reader_opts *o, const rl_reader *r);

/* The column lists --ignore, --categorical and --numeric may each be given more than once; the
 * values are joined with commas here (owned; free with rl_cli_csv_lists_free once the reader is
 * open, which copies them). */
typedef struct rl_cli_csv_lists {
    char *ignore, *cat, *num;
} rl_cli_csv_lists;
void rl_cli_csv_lists_free(rl_cli_csv_lists *l);

/* The CSV column options shared by relearn eval and produce: --ignore COLS, --categorical COLS,
 * --numeric COLS, --missing skip|mean|indicator, --na-values LIST, --label-values LIST. Returns 1
 * when flag is one of them and its value was taken into o (v must outlive the reader's open),
 * 0 when flag is not one of them, -1 after saying on stderr what is wrong with v. */
int rl_cli_csv_flag(const char *cmd, const char *flag, const char *v, rl_reader_opts *o,
                    rl_cli_csv_lists *l);

/* What the reader option rows fill: the reader's options, the CSV column lists, and the
 * command's name for messages. */
typedef struct rl_reader_args {
    const char *cmd;
    rl_reader_opts *ro;
    rl_cli_csv_lists *lists;
} rl_reader_args;

/* One row handler for every text-input option (--format, --label-col, --delimiter,
 * --no-header, --max-line and the CSV column options above); a is the rl_reader_args. */
int rl_reader_opt(void *a, const char *flag, const char *value);
#define RL_READER_OPT_ROWS(a)                                                                      \
    RL_OPT_CALL_ROW("format", 0, rl_reader_opt, a, 1),                                             \
        RL_OPT_CALL_ROW("label-col", 0, rl_reader_opt, a, 1),                                      \
        RL_OPT_CALL_ROW("delimiter", 0, rl_reader_opt, a, 1),                                      \
        RL_OPT_CALL_ROW("no-header", 0, rl_reader_opt, a, 0),                                      \
        RL_OPT_CALL_ROW("max-line", 0, rl_reader_opt, a, 1),                                       \
        RL_OPT_CALL_ROW("ignore", 0, rl_reader_opt, a, 1),                                         \
        RL_OPT_CALL_ROW("categorical", 0, rl_reader_opt, a, 1),                                    \
        RL_OPT_CALL_ROW("numeric", 0, rl_reader_opt, a, 1),                                        \
        RL_OPT_CALL_ROW("missing", 0, rl_reader_opt, a, 1),                                        \
        RL_OPT_CALL_ROW("na-values", 0, rl_reader_opt, a, 1),                                      \
        RL_OPT_CALL_ROW("label-values", 0, rl_reader_opt, a, 1)

/* Help text for those options, 2-space indented, for usage(). */
#define RL_CLI_CSV_HELP                                                                            \
    "  --ignore COLS      CSV columns left out (names or 0-based numbers, comma-separated;\n"      \
    "                     repeatable)\n"                                                           \
    "  --categorical COLS CSV columns read as categories col=value even where they look\n"         \
    "                     numeric (zip codes, ids); other text is a category anyway\n"             \
    "  --numeric COLS     CSV columns that must be numbers (text is a bad line)\n"                 \
    "  --missing M        a missing CSV value is left out (skip, default), replaced by the\n"      \
    "                     column's running mean (mean), or marked col=<missing> (indicator)\n"     \
    "  --na-values LIST   missing-value tokens, ignoring case (default: empty, NA, NaN, ?,\n"      \
    "                     null; the empty field is always missing)\n"                              \
    "  --label-values L   CSV string labels in class order, e.g. no,yes (default: numbers,\n"      \
    "                     yes/no, true/false)\n"

#endif
