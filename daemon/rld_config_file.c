/* rld_config_file.c - reading a relearnd INI file into rld_config through inih: file:line in
 * every message, over-long lines refused instead of split. */
#include "rld_config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <ini.h>

struct reader {
    FILE *f;
    int line;
    int long_line; /* first line that did not fit inih's buffer */
};

struct parse_ctx {
    rld_config *c;
    struct reader *rd;
    const char *path;
    rl_err err;
    char *errstr;
    size_t errstr_size;
};

/* fgets that counts lines, so the handler knows where it is (Debian's inih is built without
 * INI_HANDLER_LINENO) and so an over-long line is an error instead of being split in two. */
static char *count_reader(char *str, int num, void *stream)
{
    struct reader *rd = stream;
    char *s = fgets(str, num, rd->f);
    if (!s)
        return NULL;
    rd->line++;
    size_t len = strlen(s);
    if (len == (size_t)num - 1 && s[len - 1] != '\n' && !feof(rd->f)) {
        int ch;
        if (!rd->long_line)
            rd->long_line = rd->line;
        /* Swallow the rest of the line so the line count stays right. */
        while ((ch = fgetc(rd->f)) != EOF && ch != '\n')
            ;
        s[0] = '\0';
    }
    return s;
}

static int handler(void *user, const char *section, const char *name, const char *value)
{
    struct parse_ctx *p = user;
    char where[RLD_CONF_PATH + 32];
    if (p->err != RL_OK)
        return 1; /* report the first error only */
    snprintf(where, sizeof(where), "%s:%d", p->path, p->rd->line);
    if (section[0] == '\0') {
        p->err = rl_set_err(p->errstr, p->errstr_size, RL_ERR_CONFIG,
                            "%s: %s: key outside any [section] (allowed: model, input, output, "
                            "checkpoint, snapshot, drift, metrics, log, kafka)",
                            where, name);
        return 1;
    }
    p->err = rld_config_set_line(p->c, where, section, name, value, p->rd->line, p->errstr,
                                 p->errstr_size);
    return 1;
}

rl_err rld_config_load(rld_config *c, const char *path, char *errstr, size_t errstr_size)
{
    struct reader rd = {0};
    struct parse_ctx p = {c, &rd, path, RL_OK, errstr, errstr_size};
    int r;

    rd.f = fopen(path, "r");
    if (!rd.f)
        return rl_set_err(errstr, errstr_size, RL_ERR_IO, "%s: cannot open: %s", path,
                          strerror(errno));
    snprintf(c->path, sizeof(c->path), "%s", path);
    r = ini_parse_stream(count_reader, &rd, handler, &p);
    fclose(rd.f);
    if (rd.long_line && (p.err == RL_OK || rd.long_line < r))
        return rl_set_err(errstr, errstr_size, RL_ERR_CONFIG,
                          "%s:%d: line too long (allowed: at most %d bytes per line)", path,
                          rd.long_line, INI_MAX_LINE - 2);
    if (r > 0 && p.err == RL_OK)
        return rl_set_err(errstr, errstr_size, RL_ERR_CONFIG,
                          "%s:%d: syntax error (allowed: [section] headers, key = value lines, "
                          "comments starting with ; or #)",
                          path, r);
    if (r < 0 && p.err == RL_OK)
        return rl_set_err(errstr, errstr_size, RL_ERR_IO, "%s: cannot read", path);
    return p.err;
}
