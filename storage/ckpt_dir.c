/* ckpt_dir.c - a directory of checkpoints: ckpt-<seq, 20 digits>.rlck, the newest K kept.
 *
 * The order of operations is the safety argument: a new checkpoint is written to a temp file,
 * fsync'd, renamed into place and the directory fsync'd (rl_file_write_atomic) before any old
 * one is deleted, so at every instant the directory holds at least one complete checkpoint
 * (once it ever did). Loading walks from the highest seq down and takes the first that
 * verifies, reporting each one skipped. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "storage/ckpt_internal.h"

#define NAME_PREFIX "ckpt-"
#define NAME_SUFFIX ".rlck"
#define SEQ_DIGITS  20

rl_err rl_ckpt_dir_prepare(const char *dir, char *errstr, size_t errstr_size)
{
    struct stat st;
    if (stat(dir, &st) != 0) {
        if (errno != ENOENT)
            return rl_set_err(errstr, errstr_size, RL_ERR_IO, "%s: %s", dir, strerror(errno));
        if (mkdir(dir, 0700) != 0 && errno != EEXIST)
            return rl_set_err(errstr, errstr_size, RL_ERR_IO, "%s: mkdir: %s", dir,
                              strerror(errno));
        if (stat(dir, &st) != 0)
            return rl_set_err(errstr, errstr_size, RL_ERR_IO, "%s: %s", dir, strerror(errno));
    }
    if (!S_ISDIR(st.st_mode))
        return rl_set_err(errstr, errstr_size, RL_ERR_IO, "%s: not a directory", dir);
    /* Anyone could plant or swap a checkpoint in a world- or group-writable directory, sticky
     * or not (a planted newer ckpt-*.rlck would be loaded): refuse it outright. */
    if (st.st_mode & (S_IWOTH | S_IWGRP))
        return rl_set_err(errstr, errstr_size, RL_ERR_IO,
                          "%s: checkpoint directory is %s-writable (mode %04o): refusing it; "
                          "chmod go-w it",
                          dir, st.st_mode & S_IWOTH ? "world" : "group",
                          (unsigned)(st.st_mode & 07777));
    if (access(dir, W_OK | X_OK) != 0)
        return rl_set_err(errstr, errstr_size, RL_ERR_IO, "%s: not writable: %s", dir,
                          strerror(errno));
    return RL_OK;
}

rl_err rl_ckpt_dir_path(const char *dir, uint64_t seq, char *path_out, size_t path_size)
{
    int n = snprintf(path_out, path_size, "%s/" NAME_PREFIX "%020llu" NAME_SUFFIX, dir,
                     (unsigned long long)seq);
    if (n < 0 || (size_t)n >= path_size)
        return RL_ERR_INVALID_ARG;
    return RL_OK;
}

/* seq of a checkpoint file name, or -1 when the name is not exactly ckpt-<20 digits>.rlck. */
static int parse_name(const char *name, uint64_t *seq)
{
    size_t pl = strlen(NAME_PREFIX), sl = strlen(NAME_SUFFIX);
    if (strlen(name) != pl + SEQ_DIGITS + sl || strncmp(name, NAME_PREFIX, pl) != 0 ||
        strcmp(name + pl + SEQ_DIGITS, NAME_SUFFIX) != 0)
        return -1;
    uint64_t v = 0;
    for (size_t i = 0; i < SEQ_DIGITS; i++) {
        char ch = name[pl + i];
        if (ch < '0' || ch > '9')
            return -1;
        uint64_t d = (uint64_t)(ch - '0');
        if (v > (UINT64_MAX - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    *seq = v;
    return 0;
}

/* A temp file a crashed writer left: "ckpt-<...>.rlck.tmp.<pid>.<n>". */
static int is_stale_tmp(const char *name)
{
    return strncmp(name, NAME_PREFIX, strlen(NAME_PREFIX)) == 0 &&
           strstr(name, NAME_SUFFIX ".tmp.") != NULL;
}

static int cmp_desc(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? 1 : x > y ? -1 : 0;
}

/* Sorted (newest first) seqs of the checkpoint files in dir; *seqs malloc'd. */
static rl_err list_seqs(const char *dir, uint64_t **seqs, size_t *n, char *errstr,
                        size_t errstr_size)
{
    *seqs = NULL;
    *n = 0;
    DIR *d = opendir(dir);
    if (!d)
        return rl_set_err(errstr, errstr_size, errno == ENOENT ? RL_ERR_NOT_FOUND : RL_ERR_IO,
                          "%s: %s", dir, strerror(errno));
    size_t cap = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        uint64_t s;
        if (parse_name(de->d_name, &s) != 0)
            continue;
        if (*n == cap) {
            size_t nc = cap ? cap * 2 : 16;
            uint64_t *p = realloc(*seqs, nc * sizeof(*p));
            if (!p) {
                closedir(d);
                free(*seqs);
                *seqs = NULL;
                *n = 0;
                return rl_set_err(errstr, errstr_size, RL_ERR_NOMEM, "%s: out of memory", dir);
            }
            *seqs = p;
            cap = nc;
        }
        (*seqs)[(*n)++] = s;
    }
    closedir(d);
    if (*n > 1)
        qsort(*seqs, *n, sizeof(**seqs), cmp_desc);
    return RL_OK;
}

static void report(rl_ckpt_report_cb cb, void *opaque, const char *path, rl_err err,
                   const char *reason)
{
    if (cb)
        cb(opaque, path, err, reason);
}

/* Deletes all but the newest `keep` checkpoints (never `written`) and stale temp files. */
static void prune(const char *dir, uint64_t written, uint32_t keep, rl_ckpt_report_cb cb,
                  void *opaque)
{
    uint64_t *seqs = NULL;
    size_t n = 0;
    char path[PATH_MAX], why[PATH_MAX + 64];
    const rl_ckpt_io *io = rl_ckpt_io_current();
    if (list_seqs(dir, &seqs, &n, why, sizeof(why)) != RL_OK) {
        report(cb, opaque, dir, RL_ERR_IO, why);
        return;
    }
    for (size_t i = keep; i < n; i++) {
        if (seqs[i] == written)
            continue;
        if (rl_ckpt_dir_path(dir, seqs[i], path, sizeof(path)) != RL_OK)
            continue;
        if (io->unlink(path) != 0 && errno != ENOENT) {
            snprintf(why, sizeof(why), "cannot delete old checkpoint: %s", strerror(errno));
            report(cb, opaque, path, RL_ERR_IO, why);
        }
    }
    free(seqs);
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (!is_stale_tmp(de->d_name))
            continue;
        int k = snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
        if (k > 0 && (size_t)k < sizeof(path))
            unlink(path);
    }
    closedir(d);
}

rl_err rl_ckpt_dir_write(const char *dir, const rl_ckpt *c, unsigned flags, uint32_t keep,
                         rl_ckpt_report_cb cb, void *opaque, char *path_out, size_t path_size,
                         char *errstr, size_t errstr_size)
{
    char path[PATH_MAX];
    rl_err e = rl_ckpt_dir_prepare(dir, errstr, errstr_size);
    if (e != RL_OK)
        return e;
    if (rl_ckpt_dir_path(dir, c->seq, path, sizeof(path)) != RL_OK)
        return rl_set_err(errstr, errstr_size, RL_ERR_INVALID_ARG, "%s: path too long", dir);
    e = rl_ckpt_write_file(path, c, flags, errstr, errstr_size);
    if (e != RL_OK)
        return e;
    if (path_out && path_size)
        snprintf(path_out, path_size, "%s", path);
    prune(dir, c->seq, keep ? keep : RL_CKPT_KEEP_DEFAULT, cb, opaque);
    return RL_OK;
}

/* The newest file that verifies (and, with out, becomes a model). */
static rl_err load_newest(const char *dir, rl_ckpt *c, rl_ckpt_report_cb cb, void *opaque,
                          rl_alert_cb alert_cb, void *alert_opaque, rl_model **out, char *path_out,
                          size_t path_size, char *errstr, size_t errstr_size)
{
    uint64_t *seqs = NULL;
    size_t n = 0;
    char path[PATH_MAX], why[PATH_MAX + 256];
    rl_ckpt_clear(c);
    rl_err e = list_seqs(dir, &seqs, &n, errstr, errstr_size);
    if (e != RL_OK)
        return e;
    size_t skipped = 0;
    for (size_t i = 0; i < n; i++) {
        if (rl_ckpt_dir_path(dir, seqs[i], path, sizeof(path)) != RL_OK)
            continue;
        int stage = 0;
        if (out)
            e = rl_ckpt_load_model(path, c, alert_cb, alert_opaque, out, &stage, why, sizeof(why));
        else
            e = rl_ckpt_read_file(path, c, why, sizeof(why));
        if (e != RL_OK && stage == 1) {
            free(seqs);
            return rl_set_err(errstr, errstr_size, e, "%s", why);
        }
        if (e == RL_OK && c->seq != seqs[i]) {
            /* A file renamed by hand: its name and content disagree on which it is. */
            snprintf(why, sizeof(why), "%s: holds seq %llu, its name says %llu", path,
                     (unsigned long long)c->seq, (unsigned long long)seqs[i]);
            rl_ckpt_clear(c);
            if (out) {
                rl_model_destroy(*out);
                *out = NULL;
            }
            e = RL_ERR_FORMAT;
        }
        if (e == RL_OK) {
            free(seqs);
            if (path_out && path_size)
                snprintf(path_out, path_size, "%s", path);
            return RL_OK;
        }
        report(cb, opaque, path, e, why);
        skipped++;
    }
    free(seqs);
    if (n == 0)
        return rl_set_err(errstr, errstr_size, RL_ERR_NOT_FOUND, "%s: no checkpoint", dir);
    return rl_set_err(errstr, errstr_size, RL_ERR_NOT_FOUND,
                      "%s: none of the %zu checkpoints verifies", dir, skipped);
}

rl_err rl_ckpt_dir_load_newest(const char *dir, rl_ckpt *c, rl_ckpt_report_cb cb, void *opaque,
                               char *path_out, size_t path_size, char *errstr, size_t errstr_size)
{
    return load_newest(dir, c, cb, opaque, NULL, NULL, NULL, path_out, path_size, errstr,
                       errstr_size);
}

rl_err rl_ckpt_dir_load_newest_model(const char *dir, rl_ckpt *c, rl_ckpt_report_cb cb,
                                     void *opaque, rl_alert_cb alert_cb, void *alert_opaque,
                                     rl_model **out, char *path_out, size_t path_size, char *errstr,
                                     size_t errstr_size)
{
    *out = NULL;
    return load_newest(dir, c, cb, opaque, alert_cb, alert_opaque, out, path_out, path_size, errstr,
                       errstr_size);
}
