/* main.c - relearnd: parse flags, read and check the config, run the daemon. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/rld_config.h"
#include "daemon/rld_daemon.h"
#include "kafka/kafka.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: relearnd --config FILE [options]\n"
            "\n"
            "Consumes labeled events from Kafka, learns online (predict, score, update),\n"
            "checkpoints with the consumed offsets, publishes model snapshots and drift alerts.\n"
            "\n"
            "options (each overrides the config file):\n"
            "  -c, --config FILE      INI configuration (see deploy/*.ini)\n"
            "  --brokers LIST         [input] brokers\n"
            "  --topic LIST           [input] topics (comma-separated)\n"
            "  --group ID             [input] group\n"
            "  --instance-id ID       [input] instance_id (stable across restarts)\n"
            "  --checkpoint-dir DIR   [checkpoint] dir\n"
            "  --metrics-listen ADDR  [metrics] listen (host:port, or off)\n"
            "  --log-level LEVEL      [log] level (debug, info, warn, error)\n"
            "  --init-model SNAPSHOT  start from a snapshot's weights when no checkpoint exists\n"
            "  --check-config         validate, print the effective config (secrets masked), "
            "exit\n"
            "  -h, --help             this text\n"
            "\n"
            "signals: SIGTERM/SIGINT finish the batch, checkpoint, commit, leave the group, "
            "exit 0;\n"
            "         SIGUSR1 publishes a snapshot now.\n"
            "\n"
            "exit status:\n"
            "  0  clean shutdown (final checkpoint written), or --check-config passed\n"
            "  1  start-up failed (checkpoint dir, model load, Kafka client), the final\n"
            "     checkpoint could not be written, or --check-config could not write stdout\n"
            "  2  usage or configuration error (message names file:line, [section] key), or a\n"
            "     configured topic the cluster does not have, or a session.timeout.ms the\n"
            "     brokers refuse\n");
}

int main(int argc, char **argv)
{
    enum {
        O_BROKERS = 256,
        O_TOPIC,
        O_GROUP,
        O_INSTANCE,
        O_CKPT,
        O_METRICS,
        O_LOG,
        O_INIT,
        O_CHECK
    };
    static const struct option longopts[] = {
        {"config", required_argument, NULL, 'c'},
        {"brokers", required_argument, NULL, O_BROKERS},
        {"topic", required_argument, NULL, O_TOPIC},
        {"group", required_argument, NULL, O_GROUP},
        {"instance-id", required_argument, NULL, O_INSTANCE},
        {"checkpoint-dir", required_argument, NULL, O_CKPT},
        {"metrics-listen", required_argument, NULL, O_METRICS},
        {"log-level", required_argument, NULL, O_LOG},
        {"init-model", required_argument, NULL, O_INIT},
        {"check-config", no_argument, NULL, O_CHECK},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    /* Flags are applied after the file, in the order given, so they override it. */
    struct {
        const char *flag, *section, *key, *value;
    } flags[16];
    size_t n_flags = 0;
    const char *config = NULL;
    int check = 0, opt, status;
    char e[2048];
    static rld_config cfg;
    rld_daemon *d = NULL;
    rl_err err;

    while ((opt = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
        const char *flag = NULL, *section = NULL, *key = NULL;
        /* "--brokers --check-config" would take the next option as the value and then start
         * the daemon instead of checking: a separate value that looks like an option is an
         * omitted value (--opt=--x still passes one). */
        if (optarg && optind > 1 && optarg == argv[optind - 1] && strncmp(optarg, "--", 2) == 0) {
            fprintf(stderr,
                    "relearnd: %s needs a value, got the option '%s' (write %s=VALUE for a value "
                    "starting with --)\n",
                    argv[optind - 2], optarg, argv[optind - 2]);
            return 2;
        }
        switch (opt) {
        case 'c':
            config = optarg;
            continue;
        case 'h':
            usage(stdout);
            return 0;
        case O_CHECK:
            check = 1;
            continue;
        case O_INIT:
            if (strlen(optarg) >= sizeof(cfg.init_model)) {
                fprintf(stderr, "relearnd: --init-model: path too long\n");
                return 2;
            }
            snprintf(cfg.init_model, sizeof(cfg.init_model), "%s", optarg);
            continue;
        case O_BROKERS:
            flag = "--brokers";
            section = "input";
            key = "brokers";
            break;
        case O_TOPIC:
            flag = "--topic";
            section = "input";
            key = "topics";
            break;
        case O_GROUP:
            flag = "--group";
            section = "input";
            key = "group";
            break;
        case O_INSTANCE:
            flag = "--instance-id";
            section = "input";
            key = "instance_id";
            break;
        case O_CKPT:
            flag = "--checkpoint-dir";
            section = "checkpoint";
            key = "dir";
            break;
        case O_METRICS:
            flag = "--metrics-listen";
            section = "metrics";
            key = "listen";
            break;
        case O_LOG:
            flag = "--log-level";
            section = "log";
            key = "level";
            break;
        default:
            usage(stderr);
            return 2;
        }
        /* Past the table a flag used to be dropped without a word, so the file's value won. */
        if (n_flags >= sizeof(flags) / sizeof(flags[0])) {
            fprintf(stderr, "relearnd: %s: more than %zu override options\n", flag,
                    sizeof(flags) / sizeof(flags[0]));
            return 2;
        }
        flags[n_flags].flag = flag;
        flags[n_flags].section = section;
        flags[n_flags].key = key;
        flags[n_flags].value = optarg;
        n_flags++;
    }
    /* Bare `relearnd` is someone asking how to run it, not a config to check. */
    if (argc == 1) {
        usage(stderr);
        return 2;
    }
    if (optind < argc) {
        fprintf(stderr, "relearnd: unexpected argument '%s'\n", argv[optind]);
        usage(stderr);
        return 2;
    }
    {
        char init[sizeof(cfg.init_model)];
        memcpy(init, cfg.init_model, sizeof(init));
        rld_config_default(&cfg);
        memcpy(cfg.init_model, init, sizeof(init));
    }
    if (config && rld_config_load(&cfg, config, e, sizeof(e)) != RL_OK) {
        fprintf(stderr, "relearnd: %s\n", e);
        return 2;
    }
    for (size_t i = 0; i < n_flags; i++)
        if (rld_config_set(&cfg, flags[i].flag, flags[i].section, flags[i].key, flags[i].value, e,
                           sizeof(e)) != RL_OK) {
            fprintf(stderr, "relearnd: %s\n", e);
            return 2;
        }
    if (rld_config_check(&cfg, e, sizeof(e)) != RL_OK) {
        fprintf(stderr, "relearnd: %s\n", e);
        return 2;
    }
    if (check) {
        rld_config_print(&cfg, stdout);
        /* The effective config is the point of --check-config: a lost copy is a failure. */
        if (fflush(stdout) != 0 || ferror(stdout)) {
            fprintf(stderr, "relearnd: --check-config: writing stdout: %s\n", strerror(errno));
            return RLD_EXIT_FAILURE;
        }
        return 0;
    }
    rl_log_min_level = (rl_log_level)rl_log_level_parse(cfg.log_level);
    rl_signals_install(RL_SIGNALS_STOP | RL_SIGNALS_USR1 | RL_SIGNALS_NO_SIGPIPE);
    err = rld_topics_check(&cfg, 10000, e, sizeof(e));
    if (err != RL_OK) {
        rl_log(RL_LOG_ERROR, "start-up failed", "error=\"%s\"", e);
        return err == RL_ERR_NOT_FOUND ? RLD_EXIT_CONFIG : RLD_EXIT_FAILURE;
    }
    if (rld_daemon_new(&cfg, &d, e, sizeof(e)) != RL_OK) {
        rl_log(RL_LOG_ERROR, "start-up failed", "error=\"%s\"", e);
        return RLD_EXIT_FAILURE;
    }
    status = rld_daemon_run(d);
    rld_daemon_destroy(d);
    return status;
}
