/* options.c - a command's option table read with getopt_long (see options.h). */
#include "cli/options.h"

#include <getopt.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAX_OPTS 64
#define VAL_BASE 256 /* getopt_long's val for row i is VAL_BASE + i */

static int takes_value(const rl_opt *o)
{
    return o->kind == RL_OPT_STRING || o->kind == RL_OPT_NUMBER ||
           (o->kind == RL_OPT_CALL && o->takes_value);
}

/* How the option was written ("-o" or "--output"), for messages. */
static const char *spelled(const rl_opt *o, const char *arg, char *buf, size_t size)
{
    if (o->short_name && (!o->name || (arg && arg[0] == '-' && arg[1] == o->short_name)))
        snprintf(buf, size, "-%c", o->short_name);
    else
        snprintf(buf, size, "--%s", o->name);
    return buf;
}

int rl_cli_parse_ll(const char *s, long long min, long long max, long long *out)
{
    rl_param_spec spec = {"n", RL_PARAM_INT, (double)min, (double)max, 0, 0, 0, NULL, 0};
    rl_param_value v;
    if (rl_param_parse(&spec, s, &v) != RL_PARAM_OK || v.i < min || v.i > max)
        return -1;
    *out = v.i;
    return 0;
}

int rl_opt_number(const char *cmd, const char *flag, const char *value, const rl_param_spec *s,
                  const char *allowed, rl_param_value *out)
{
    char desc[160];
    rl_param_fault f = rl_param_parse(s, value, out);
    if (f == RL_PARAM_OK)
        return 0;
    fprintf(stderr, "relearn %s: %s: '%s' %s (allowed: %s)\n", cmd, flag, value,
            rl_param_fault_str(f), allowed ? allowed : rl_param_describe(s, desc, sizeof(desc)));
    return 2;
}

static int set_number(const char *cmd, const rl_opt *o, const char *flag, const char *value)
{
    rl_param_value v;
    if (rl_opt_number(cmd, flag, value, &o->spec, o->allowed, &v) != 0)
        return 2;
    if (o->spec.kind == RL_PARAM_REAL)
        *(double *)o->dst = v.real;
    else if (o->spec.kind == RL_PARAM_UINT)
        *(uint64_t *)o->dst = v.u;
    else
        *(int64_t *)o->dst = v.i;
    return 0;
}

/* Applies row o with value (NULL for a flag). 0, or the exit status after saying why. */
static int apply(const char *cmd, const rl_opt *o, const char *flag, const char *value)
{
    switch (o->kind) {
    case RL_OPT_FLAG:
        *(int *)o->dst = 1;
        return 0;
    case RL_OPT_STRING:
        *(const char **)o->dst = value;
        return 0;
    case RL_OPT_NUMBER:
        return set_number(cmd, o, flag, value);
    case RL_OPT_CALL:
        return o->call(o->ctx, flag, value);
    case RL_OPT_END:
        break;
    }
    return 2;
}

int rl_opts_parse(int argc, char **argv, const char *cmd, const rl_opt *opts, void (*usage)(FILE *),
                  int *first_operand)
{
    struct option longopts[MAX_OPTS + 2];
    char shorts[3 * MAX_OPTS + 4] = ":h";
    size_t n = 0, ns = 2, nl = 0;
    char flag[64];
    int c;

    while (opts[n].kind != RL_OPT_END && n < MAX_OPTS) {
        const rl_opt *o = &opts[n];
        if (o->name)
            longopts[nl++] = (struct option){
                o->name, takes_value(o) ? required_argument : no_argument, NULL, VAL_BASE + (int)n};
        if (o->short_name) {
            shorts[ns++] = o->short_name;
            if (takes_value(o))
                shorts[ns++] = ':';
        }
        n++;
    }
    shorts[ns] = '\0';
    longopts[nl] = (struct option){"help", no_argument, NULL, 'h'};
    longopts[nl + 1] = (struct option){NULL, 0, NULL, 0};

    opterr = 0;
    optind = 0; /* a fresh scan (GNU getopt: 0 also resets its state) */
    while ((c = getopt_long(argc, argv, shorts, longopts, NULL)) != -1) {
        const rl_opt *o = NULL;
        if (c == 'h') {
            usage(stdout);
            return 0;
        }
        if (c == '?') {
            if (optopt && optopt < VAL_BASE)
                fprintf(stderr, "relearn %s: unknown option '-%c' (see --help)\n", cmd, optopt);
            else
                fprintf(stderr, "relearn %s: unknown option '%s' (see --help)\n", cmd,
                        argv[optind - 1]);
            return 2;
        }
        if (c == ':') {
            for (size_t i = 0; i < n && !o; i++)
                if (optopt == VAL_BASE + (int)i ||
                    (opts[i].short_name && optopt == opts[i].short_name))
                    o = &opts[i];
            fprintf(stderr, "relearn %s: %s needs a value (see --help)\n", cmd,
                    o ? spelled(o, argv[optind - 1], flag, sizeof(flag)) : argv[optind - 1]);
            return 2;
        }
        for (size_t i = 0; i < n && !o; i++)
            if (c == VAL_BASE + (int)i || (opts[i].short_name && c == opts[i].short_name))
                o = &opts[i];
        if (!o)
            return 2;
        /* Where the option was written: the element before a separate value, else the last. */
        int separate = optarg && optind >= 2 && optarg == argv[optind - 1];
        const char *arg = argv[optind - 1 - separate];
        spelled(o, arg, flag, sizeof(flag));
        if (separate && strncmp(optarg, "--", 2) == 0) {
            fprintf(stderr,
                    "relearn %s: %s needs a value, got the option '%s' (write %s=VALUE for a "
                    "value starting with --)\n",
                    cmd, flag, optarg, flag);
            return 2;
        }
        int rc = apply(cmd, o, flag, optarg);
        if (rc != 0)
            return rc;
    }
    *first_operand = optind;
    return -1;
}
