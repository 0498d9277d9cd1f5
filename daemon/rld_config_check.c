/* rld_config_check.c - the checks that need the whole configuration: the required keys, output
 * topics apart from each other and from the inputs, and a trial model (the learner and the
 * detector validate their own parameters when built), and the [kafka] clients as librdkafka
 * will create them. */
#include <string.h>

#include "daemon/rld_config.h"
#include "kafka/kafka.h"

rl_err rld_config_check(const rld_config *c, char *errstr, size_t errstr_size)
{
    char e[512];
    rl_model *m = NULL;
    const char *src = c->path[0] ? c->path : "(no config file)";

    if (!c->brokers[0])
        return rl_set_err(errstr, errstr_size, RL_ERR_CONFIG,
                          "%s: [input] brokers: required (allowed: host:port[,host:port...]; or "
                          "--brokers)",
                          src);
    if (!c->topics[0])
        return rl_set_err(errstr, errstr_size, RL_ERR_CONFIG,
                          "%s: [input] topics: required (allowed: comma-separated topic names; "
                          "or --topic)",
                          src);
    if (!c->checkpoint_dir[0])
        return rl_set_err(errstr, errstr_size, RL_ERR_CONFIG,
                          "%s: [checkpoint] dir: required (allowed: a directory path; or "
                          "--checkpoint-dir)",
                          src);
    if (c->ckpt_every_events == 0 && c->ckpt_every_seconds <= 0)
        return rl_set_err(errstr, errstr_size, RL_ERR_CONFIG,
                          "%s: [checkpoint] every_events, every_seconds: both off (allowed: at "
                          "least one > 0)",
                          src);
    if (!strcmp(c->snapshot_topic, c->alerts_topic) ||
        !strcmp(c->snapshot_topic, c->dead_letter_topic) ||
        !strcmp(c->alerts_topic, c->dead_letter_topic))
        return rl_set_err(errstr, errstr_size, RL_ERR_CONFIG,
                          "%s: [output]: snapshot_topic, alerts_topic and dead_letter_topic must "
                          "differ",
                          src);
    {
        /* An output topic that is also an input would feed the daemon its own output. */
        const char *outs[3] = {c->snapshot_topic, c->alerts_topic, c->dead_letter_topic};
        const char *p = c->topics;
        while (*p) {
            const char *comma = strchr(p, ',');
            size_t l = comma ? (size_t)(comma - p) : strlen(p);
            for (int i = 0; i < 3; i++)
                if (strlen(outs[i]) == l && strncmp(outs[i], p, l) == 0)
                    return rl_set_err(errstr, errstr_size, RL_ERR_CONFIG,
                                      "%s: [input] topics: '%s' is also an [output] topic", src,
                                      outs[i]);
            p += l + (comma ? 1 : 0);
        }
    }
    /* The learner and the detector validate their own parameters when built. */
    if (rl_model_new(&c->model, NULL, NULL, &m, e, sizeof(e)) != RL_OK)
        return rl_set_err(errstr, errstr_size, RL_ERR_CONFIG, "%s: [model]/[drift]: %s", src, e);
    rl_model_destroy(m);
    /* [kafka] as librdkafka will take it, rules across properties included: a combination it
     * refuses (fetch.max.bytes below message.max.bytes) made relearnd retry every 2 s forever.
     * The clients are created with no broker to reach, and destroyed. */
    for (int k = 0; k < 2; k++) {
        rd_kafka_type_t type = k ? RD_KAFKA_PRODUCER : RD_KAFKA_CONSUMER;
        const char *defaults[RLD_CLIENT_DEFAULTS];
        rl_kafka_prop props[RLD_CONF_MAX_KAFKA];
        rld_config_client_defaults(c, type, defaults);
        for (size_t i = 0; i < c->n_kafka; i++)
            props[i] = (rl_kafka_prop){c->kafka[i].key, c->kafka[i].value, src, c->kafka[i].line};
        rl_kafka_client client = {type, NULL, "[input] brokers", defaults, props, c->n_kafka};
        rl_err err = rl_kafka_conf_check(&client, errstr, errstr_size);
        if (err != RL_OK)
            return err;
    }
    return RL_OK;
}
