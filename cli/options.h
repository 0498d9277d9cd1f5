/* options.h - the command line of every relearn subcommand: a table of options, read with
 * getopt_long, so a command's parse_args is its table and the checks between options.
 *
 * Every command answers alike: -h/--help prints its usage on stdout (exit 0); an unknown
 * option, an option without its value, a value that is itself an option ("--save --strict":
 * the value was left out, and taking --strict as a path would silently change what the command
 * does; --save=--strict still passes one) and a number outside its row (common/rl_param.h)
 * are usage errors, said on stderr as "relearn CMD: ..." (exit 2). Long options may be written
 * --name VALUE or --name=VALUE; operands (FILE, "-") may come anywhere. */
#ifndef RL_CLI_OPTIONS_H
#define RL_CLI_OPTIONS_H

#include <stdio.h>

#include "common/rl_param.h"

typedef enum rl_opt_kind {
    RL_OPT_END = 0, /* ends the table */
    RL_OPT_FLAG,    /* no value: *(int *)dst = 1 */
    RL_OPT_STRING,  /* *(const char **)dst = the value (it points into argv) */
    RL_OPT_NUMBER,  /* checked against spec; REAL: double, INT: int64_t, UINT: uint64_t at dst */
    RL_OPT_CALL,    /* call(ctx, name, value): 0, or the exit status after saying why */
} rl_opt_kind;

typedef struct rl_opt {
    rl_opt_kind kind;
    const char *name; /* the long name without "--"; NULL for a short option only (-X) */
    char short_name;  /* 'o' for -o, or 0 */
    void *dst;
    rl_param_spec spec;  /* NUMBER (its key is ignored: the option names it) */
    const char *allowed; /* NUMBER: how a message says what is allowed; NULL: the row's */
    int (*call)(void *ctx, const char *opt, const char *value); /* CALL */
    void *ctx;
    int takes_value; /* CALL: 1 when it takes a value */
} rl_opt;

#define RL_OPT_FLAG_ROW(name, sh, dst)                                                             \
    {                                                                                              \
        RL_OPT_FLAG, name, sh, dst, {0}, NULL, NULL, NULL, 0                                       \
    }
#define RL_OPT_STRING_ROW(name, sh, dst)                                                           \
    {                                                                                              \
        RL_OPT_STRING, name, sh, dst, {0}, NULL, NULL, NULL, 1                                     \
    }
#define RL_OPT_CALL_ROW(name, sh, fn, ctx, takes_value)                                            \
    {                                                                                              \
        RL_OPT_CALL, name, sh, NULL, {0}, NULL, fn, ctx, takes_value                               \
    }

/* A number option: kind RL_PARAM_REAL, _INT or _UINT, bounds [lo, hi]. */
#define RL_OPT_NUMBER_ROW(name, sh, dst, kind, lo, hi, allowed)                                    \
    {                                                                                              \
        RL_OPT_NUMBER, name, sh, dst, {name, kind, lo, hi, 0, 0, 0, NULL, 0}, allowed, NULL, NULL, \
            1                                                                                      \
    }

/* Checks value of option flag against s (for RL_OPT_CALL handlers that take numbers): 0, or 2
 * after saying "relearn CMD: FLAG: 'VALUE' is out of range (allowed: ...)" (allowed: NULL
 * says the row's bounds). */
int rl_opt_number(const char *cmd, const char *flag, const char *value, const rl_param_spec *s,
                  const char *allowed, rl_param_value *out);

/* A decimal integer in [min, max] (rl_param_parse, INT), for text a command reads that is not
 * an option (relearn broker's control lines). 0 on success, -1 (nothing said) otherwise. */
int rl_cli_parse_ll(const char *s, long long min, long long max, long long *out);

/* Reads the options of `relearn CMD` from argv against opts (ended by a row of kind
 * RL_OPT_END). Operands are moved to the end of argv: they are argv[*first_operand..argc).
 * Returns -1 to go on, 0 after --help, 2 after a usage error (said). usage prints the help. */
int rl_opts_parse(int argc, char **argv, const char *cmd, const rl_opt *opts, void (*usage)(FILE *),
                  int *first_operand);

#endif
