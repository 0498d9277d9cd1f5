/* fuzz_config.c - libFuzzer target: relearnd's config parser (daemon/rld_config.c and
 * rld_config_file.c over inih), fed arbitrary bytes as an INI file.
 *
 * Beyond "does not crash": every refusal is one line that names the file (it starts with the
 * path); an accepted file goes through the cross-key check (skipped when it asks for more than
 * 2^20 weights, which the check would really allocate) and is printed as --check-config does,
 * and that output never shows a secret [kafka] key (password, secret, ...) with its value. The
 * input is written to a private temp file because the parser reads paths. */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/rld_config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char path[64];

static void remove_tmp(void)
{
    if (path[0])
        unlink(path);
}

static void write_input(const uint8_t *data, size_t size)
{
    int fd;
    if (!path[0]) {
        snprintf(path, sizeof(path), "/tmp/rl_fuzz_config.%ld.ini", (long)getpid());
        atexit(remove_tmp);
    }
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        abort();
    while (size > 0) {
        ssize_t w = write(fd, data, size);
        if (w <= 0)
            abort();
        data += w;
        size -= (size_t)w;
    }
    close(fd);
}

static int contains(const char *hay, size_t n, const char *needle)
{
    size_t m = strlen(needle);
    for (size_t i = 0; m && i + m <= n; i++)
        if (memcmp(hay + i, needle, m) == 0)
            return 1;
    return 0;
}

/* The printed config must never show a secret [kafka] key with its value: the line
 * "key = value" must not be there (the value itself may appear elsewhere by coincidence, e.g.
 * a password that reads like the mask line of another key). */
static void check_masked(const rld_config *c)
{
    char *out = NULL, line[sizeof(c->kafka[0].key) + sizeof(c->kafka[0].value) + 8];
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    if (!f)
        abort();
    rld_config_print(c, f);
    fclose(f);
    for (size_t i = 0; i < c->n_kafka; i++) {
        if (!rld_config_is_secret(c->kafka[i].key) || c->kafka[i].value[0] == '\0' ||
            strcmp(c->kafka[i].value, "********") == 0)
            continue;
        snprintf(line, sizeof(line), "\n%s = %s\n", c->kafka[i].key, c->kafka[i].value);
        if (contains(out, len, line))
            abort(); /* a secret printed in clear */
    }
    free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static rld_config c;
    char err[2048];
    rl_err e;

    write_input(data, size);
    rld_config_default(&c);
    err[0] = '\0';
    e = rld_config_load(&c, path, err, sizeof(err));
    if (e != RL_OK) {
        if (strncmp(err, path, strlen(path)) != 0 || strchr(err, '\n'))
            abort(); /* one line naming the file */
        return 0;
    }
    check_masked(&c);
    if (c.model.learner.bits <= 20 && c.model.learner.dense_dim <= (1u << 20)) {
        err[0] = '\0';
        if (rld_config_check(&c, err, sizeof(err)) != RL_OK && err[0] == '\0')
            abort(); /* a refusal must say why */
    }
    return 0;
}
