/* rld_config_file.c - reading a relearnd INI file into rld_config through inih: file:line in
 * every message, over-long lines refused instead of split. */
#include "daemon/rld_config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ini.h>

/* A config is a few kilobytes: more than this is not one (and /dev/zero never ends). */
#define CONFIG_MAX_BYTES ((size_t)1 << 20)

struct reader {
    FILE *f;
    int line;
    int long_line;  /* first line that did not fit inih's buffer */
    int nul_line;   /* first line holding a NUL byte (it would cut the value short) */
    int read_errno; /* errno of a failed read (a directory, EIO), else 0 */
    size_t total;   /* bytes read so far */
    int too_big;    /* stopped at CONFIG_MAX_BYTES */
};

/* A key already set in this file, and where: a second one is refused (last-wins hid typos and
 * merges gone wrong). */
struct seen_key {
    char section[32];
    char key[128];
    int line;
};

struct parse_ctx {
    rld_config *c;
    struct reader *rd;
    struct seen_key *seen;
    size_t n_seen, cap_seen;
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
    size_t len = 0;
    int ch = EOF;
    errno = 0;
    /* By bytes, not fgets: a NUL inside a line must be seen, not end the value there. */
    while (len + 1 < (size_t)num && (ch = getc(rd->f)) != EOF) {
        if (++rd->total > CONFIG_MAX_BYTES) {
            rd->too_big = 1;
            return NULL;
        }
        if (ch == '\0' && !rd->nul_line)
            rd->nul_line = rd->line + 1;
        str[len++] = ch == '\0' ? ' ' : (char)ch;
        if (ch == '\n')
            break;
    }
    if (len == 0) {
        if (ferror(rd->f))
            rd->read_errno = errno ? errno : EIO;
        return NULL;
    }
    str[len] = '\0';
    char *s = str;
    rd->line++;
    if (len == (size_t)num - 1 && s[len - 1] != '\n' && !feof(rd->f)) {
        if (!rd->long_line)
            rd->long_line = rd->line;
        /* Swallow the rest of the line so the line count stays right. */
        while ((ch = getc(rd->f)) != EOF && ch != '\n')
            if (++rd->total > CONFIG_MAX_BYTES) {
                rd->too_big = 1;
                return NULL;
            }
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
    for (size_t i = 0; i < p->n_seen; i++)
        if (strcmp(p->seen[i].section, section) == 0 && strcmp(p->seen[i].key, name) == 0) {
            p->err = rl_set_err(p->errstr, p->errstr_size, RL_ERR_CONFIG,
                                "%s: [%s] %s: duplicate key (first set at line %d; each key "
                                "once)",
                                where, qs, qn, p->seen[i].line);
            return 1;
        }
    if (p->n_seen == p->cap_seen) {
        size_t cap = p->cap_seen ? p->cap_seen * 2 : 32;
        struct seen_key *ns = realloc(p->seen, cap * sizeof(*ns));
        if (!ns) {
            p->err =
                rl_set_err(p->errstr, p->errstr_size, RL_ERR_NOMEM, "%s: out of memory", where);
            return 1;
        }
        p->seen = ns;
        p->cap_seen = cap;
    }
    struct seen_key *k = &p->seen[p->n_seen++];
    snprintf(k->section, sizeof(k->section), "%s", section);
    snprintf(k->key, sizeof(k->key), "%s", name);
    k->line = p->rd->line;
    p->err = rld_config_set_line(p->c, where, section, name, value, p->rd->line, p->errstr,
                                 p->errstr_size);
    return 1;
}

/* Builds the model the file describes, so that a [model] or [drift] key the learner or the
 * detector refuses (a key the learner does not read, a bad combination) names the line that set
 * it, like every other config error. Flags set no model key: the file decides. A refusal with no
 * key of this file in front is left to rld_config_check. */
static rl_err check_model(struct parse_ctx *p)
{
    char e[512];
    rl_model *m = NULL;
    if (rl_model_new(&p->c->model, NULL, NULL, &m, e, sizeof(e)) == RL_OK) {
        rl_model_destroy(m);
        return RL_OK;
    }
    /* The message names the key as "...: KEY: reason" ("model: learner: classes: not a
     * parameter of learner sgd ...") or 'KEY' ("unknown parameter 'bogus'"): the key named
     * last is the one refused. */
    const struct seen_key *best = NULL;
    const char *best_at = NULL;
    for (size_t i = 0; i < p->n_seen; i++) {
        const struct seen_key *k = &p->seen[i];
        size_t n = strlen(k->key);
        if (strcmp(k->section, "model") != 0 && strcmp(k->section, "drift") != 0)
            continue;
        for (const char *at = e; (at = strstr(at, k->key)) != NULL; at += n)
            if ((((at == e || at[-1] == ' ') && at[n] == ':') ||
                 (at > e && at[-1] == '\'' && at[n] == '\'')) &&
                (!best_at || at > best_at)) {
                best = k;
                best_at = at;
            }
    }
    if (best)
        return rl_set_err(p->errstr, p->errstr_size, RL_ERR_CONFIG, "%s:%d: [%s] %s", p->path,
                          best->line, best->section, e);
    return RL_OK;
}

rl_err rld_config_load(rld_config *c, const char *path, char *errstr, size_t errstr_size)
{
    struct reader rd = {0};
    struct parse_ctx p = {c, &rd, NULL, 0, 0, path, RL_OK, errstr, errstr_size};
    int r;

    struct stat st;
    int fd;
    /* A FIFO, a device (/dev/zero, /dev/urandom) or a directory is refused before it is opened
     * for reading: it could block the open or never end. */
    if (stat(path, &st) != 0)
        return rl_set_err(errstr, errstr_size, RL_ERR_IO, "%s: cannot open: %s", path,
                          strerror(errno));
    if (S_ISDIR(st.st_mode))
        return rl_set_err(errstr, errstr_size, RL_ERR_IO, "%s: cannot read: %s", path,
                          strerror(EISDIR));
    if (!S_ISREG(st.st_mode))
        return rl_set_err(errstr, errstr_size, RL_ERR_IO,
                          "%s: not a regular file (a config is read from a file)", path);
    if ((size_t)st.st_size > CONFIG_MAX_BYTES)
        return rl_set_err(errstr, errstr_size, RL_ERR_CONFIG,
                          "%s: %lld bytes (allowed: at most %zu)", path, (long long)st.st_size,
                          CONFIG_MAX_BYTES);
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        int en = fd < 0 ? errno : EINVAL;
        if (fd >= 0)
            close(fd);
        return rl_set_err(errstr, errstr_size, RL_ERR_IO, "%s: cannot open: %s", path,
                          en == EINVAL ? "not a regular file" : strerror(en));
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    rd.f = fdopen(fd, "r");
    if (!rd.f) {
        close(fd);
        return rl_set_err(errstr, errstr_size, RL_ERR_NOMEM, "%s: cannot open: %s", path,
                          strerror(errno));
    }
    snprintf(c->path, sizeof(c->path), "%s", path);
    r = ini_parse_stream(count_reader, &rd, handler, &p);
    fclose(rd.f);
    if (r == 0 && p.err == RL_OK)
        p.err = check_model(&p);
    free(p.seen);
    /* fgets fails the same way at the end and on an error (EISDIR for a directory): without
     * this a directory or an unreadable file would read as an empty config. */
    if (rd.read_errno && p.err == RL_OK)
        return rl_set_err(errstr, errstr_size, RL_ERR_IO, "%s: cannot read: %s", path,
                          strerror(rd.read_errno));
    if (rd.too_big)
        return rl_set_err(errstr, errstr_size, RL_ERR_CONFIG,
                          "%s: more than %zu bytes (allowed: at most that)", path,
                          CONFIG_MAX_BYTES);
    if (rd.nul_line && (p.err == RL_OK || rd.nul_line <= r || r == 0))
        return rl_set_err(errstr, errstr_size, RL_ERR_CONFIG,
                          "%s:%d: NUL byte in the line (it would cut the value short; is this a "
                          "text file?)",
                          path, rd.nul_line);
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
