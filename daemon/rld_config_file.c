/* rld_config_file.c - reading a relearnd INI file into rld_config through inih: file:line in
 * every message, over-long lines refused instead of split. */
#include "daemon/rld_config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <ini.h>

struct reader {
    FILE *f;
    int line;
    int long_line;  /* first line that did not fit inih's buffer */
    int read_errno; /* errno of a failed read (a directory, EIO), else 0 */
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
    errno = 0;
    char *s = fgets(str, num, rd->f);
    if (!s) {
        if (ferror(rd->f))
            rd->read_errno = errno ? errno : EIO;
        return NULL;
    }
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
    /* Indentation means nothing here: inih would take an indented line after a key as a
     * continuation of that key's value ("name = x" then "  bits = 12" gave name "bits = 12" and
     * left bits unset), and no relearnd value spans lines. */
    size_t lead = strspn(s, " \t");
    if (lead > 0)
        memmove(s, s + lead, strlen(s + lead) + 1);
    return s;
}

/* Copies s into out with bytes outside printable ASCII as \xNN, for messages. */
static void printable(const char *s, char *out, size_t out_size)
{
    size_t o = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p && o + 5 < out_size; p++) {
        if (*p < 0x20 || *p >= 0x7f)
            o += (size_t)snprintf(out + o, out_size - o, "\\x%02x", *p);
        else
            out[o++] = (char)*p;
    }
    out[o] = '\0';
}

static int handler(void *user, const char *section, const char *name, const char *value)
{
    struct parse_ctx *p = user;
    char where[RLD_CONF_PATH + 32];
    if (p->err != RL_OK)
        return 1; /* report the first error only */
    snprintf(where, sizeof(where), "%s:%d", p->path, p->rd->line);
    char qs[256], qn[256];
    printable(section, qs, sizeof(qs));
    printable(name, qn, sizeof(qn));
    if (section[0] == '\0') {
        p->err = rl_set_err(p->errstr, p->errstr_size, RL_ERR_CONFIG,
                            "%s: %s: key outside any [section] (allowed: model, input, output, "
                            "checkpoint, snapshot, drift, metrics, log, kafka)",
                            where, qn);
        return 1;
    }
    if (strcmp(qs, section) != 0 || strcmp(qn, name) != 0) {
        p->err =
            rl_set_err(p->errstr, p->errstr_size, RL_ERR_CONFIG,
                       "%s: [%s] %s: not printable ASCII (is this a text file?)", where, qs, qn);
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
    /* fgets fails the same way at the end and on an error (EISDIR for a directory): without
     * this a directory or an unreadable file would read as an empty config. */
    if (rd.read_errno && p.err == RL_OK)
        return rl_set_err(errstr, errstr_size, RL_ERR_IO, "%s: cannot read: %s", path,
                          strerror(rd.read_errno));
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
