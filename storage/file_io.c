/* file_io.c - whole-file reads (hashed as they arrive) and atomic file writes (temp, fsync,
 * rename, fsync of the directory) behind a fault seam, for every file relearn stores. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "storage/ckpt_hash.h"
#include "storage/ckpt_internal.h"

/* Buffers of at least this size are asked for transparent huge pages. */
#define BIG_ALLOC (256u << 10)
#define HUGE_PAGE (2u << 20)

void *rl_fmt_alloc_big(size_t n, int round_up, size_t *cap)
{
    if (cap)
        *cap = n ? n : 1;
#ifdef MADV_HUGEPAGE
    if (n >= BIG_ALLOC && n <= SIZE_MAX - HUGE_PAGE) {
        /* A huge page needs the whole 2 MiB. Rounded up to whole huge pages when asked or
         * when that wastes at most an eighth (touching the tail makes the rest of its page
         * resident), else only the whole huge pages inside are advised and the tail has
         * 4 KiB pages: many 1 MiB snapshot rows must not take 2 MiB each. */
        size_t up = (n + HUGE_PAGE - 1) & ~(size_t)(HUGE_PAGE - 1);
        size_t r = round_up || up - n <= n / 8 ? up : n;
        size_t advise = r & ~(size_t)(HUGE_PAGE - 1);
        void *p = NULL;
        if (posix_memalign(&p, HUGE_PAGE, r) != 0)
            return NULL;
        /* Advice only: where THP is off or unavailable, the pages are ordinary ones. */
        if (advise)
            (void)madvise(p, advise, MADV_HUGEPAGE);
        if (cap)
            *cap = r;
        return p;
    }
#endif
    return malloc(n ? n : 1);
}

rl_err rl_file_read(const char *path, rl_buf *out, char *errstr, size_t errstr_size)
{
    rl_buf_reset(out);
    int fd;
    struct stat st;
    rl_err ce = rl_fmt_open_checked(path, 1, &fd, &st, errstr, errstr_size);
    if (ce != RL_OK)
        return ce;
    /* Size from fstat, then read until EOF anyway: the file may change under us. */
    size_t want = (size_t)st.st_size + 1;
    for (;;) {
        if (rl_buf_reserve(out, want) != 0) {
            close(fd);
            return rl_set_err(errstr, errstr_size, RL_ERR_NOMEM, "%s: out of memory", path);
        }
        ssize_t n = read(fd, out->data + out->len, out->cap - out->len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            int en = errno;
            close(fd);
            return rl_set_err(errstr, errstr_size, RL_ERR_IO, "%s: read: %s", path, strerror(en));
        }
        if (n == 0)
            break;
        out->len += (size_t)n;
        want = 1 << 16;
    }
    close(fd);
    return RL_OK;
}

/* Chunk of the hashed reads: small enough that the hash finds it in L2 after the copy. */
#define HASHED_READ_CHUNK (256u << 10)

rl_err rl_fmt_file_load(const char *path, void *reuse, size_t reuse_cap, uint8_t **out, size_t *len,
                        size_t *cap, rl_fmt_sum *sum, char *errstr, size_t errstr_size)
{
    rl_fmt_hash h = {NULL};
    uint8_t *buf = NULL;
    rl_err e = RL_OK;
    *out = NULL;
    *len = 0;
    *cap = 0;
    sum->hash = 0;
    sum->len = 0;
    int fd;
    struct stat st = {0};
    e = rl_fmt_open_checked(path, 1, &fd, &st, errstr, errstr_size);
    if (e != RL_OK)
        goto fail;
    if ((uint64_t)st.st_size >= SIZE_MAX / 2) {
        e = rl_set_err(errstr, errstr_size, RL_ERR_NOMEM, "%s: %lld bytes: too large to read", path,
                       (long long)st.st_size);
        goto fail;
    }
    /* One byte more than the size, so a file that grew since fstat is noticed. */
    size_t want = (size_t)st.st_size + 1;
    size_t hash_end =
        (size_t)st.st_size >= RL_FRAME_TRAILER_LEN ? (size_t)st.st_size - RL_FRAME_TRAILER_LEN : 0;
    if (reuse && reuse_cap >= want) {
        buf = reuse;
        *cap = reuse_cap;
        reuse = NULL;
    } else {
        buf = rl_fmt_alloc_big(want, 1, cap);
    }
    if (!buf || rl_fmt_hash_init(&h) != 0) {
        e = rl_set_err(errstr, errstr_size, RL_ERR_NOMEM, "%s: out of memory", path);
        goto fail;
    }
    size_t got = 0;
    for (;;) {
        size_t room = *cap - got;
        if (room == 0) {
            /* The file grew under us: the frame check will say what it reads; no early hash. */
            uint8_t *nb = realloc(buf, *cap * 2);
            if (!nb) {
                e = rl_set_err(errstr, errstr_size, RL_ERR_NOMEM, "%s: out of memory", path);
                goto fail;
            }
            buf = nb;
            *cap *= 2;
            room = *cap - got;
        }
        ssize_t n = read(fd, buf + got, room > HASHED_READ_CHUNK ? HASHED_READ_CHUNK : room);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            e = rl_set_err(errstr, errstr_size, RL_ERR_IO, "%s: read: %s", path, strerror(errno));
            goto fail;
        }
        if (n == 0)
            break;
        /* Hashed right after the copy, while the chunk is still in cache: the checksum then
         * costs no pass over memory of its own. */
        if (got < hash_end)
            rl_fmt_hash_update(&h, buf + got,
                               (size_t)n < hash_end - got ? (size_t)n : hash_end - got);
        got += (size_t)n;
    }
    if (got == (size_t)st.st_size) {
        sum->hash = rl_fmt_hash_digest(&h);
        sum->len = hash_end;
    }
    rl_fmt_hash_free(&h);
    close(fd);
    free(reuse);
    *out = buf;
    *len = got;
    return RL_OK;
fail:
    rl_fmt_hash_free(&h);
    if (fd >= 0)
        close(fd);
    if (buf != reuse)
        free(buf);
    free(reuse);
    *cap = 0;
    return e;
}

static int real_open(const char *path, int flags, mode_t mode)
{
    return open(path, flags, mode);
}

static const rl_ckpt_io default_io = {1, real_open, write, fsync, close, rename, unlink};
static const rl_ckpt_io *cur_io = &default_io;

void rl_ckpt_set_io(const rl_ckpt_io *io)
{
    cur_io = io ? io : &default_io;
}

const rl_ckpt_io *rl_ckpt_default_io(void)
{
    return &default_io;
}

const rl_ckpt_io *rl_ckpt_io_current(void)
{
    return cur_io;
}

/* Directory part of path ("." when there is none) into dir. */
static void dir_of(const char *path, char *dir, size_t size)
{
    const char *slash = strrchr(path, '/');
    if (!slash) {
        snprintf(dir, size, ".");
        return;
    }
    size_t n = (size_t)(slash - path);
    if (n == 0)
        n = 1; /* "/file" */
    if (n >= size)
        n = size - 1;
    memcpy(dir, path, n);
    dir[n] = '\0';
}

rl_err rl_file_write_atomic(const char *path, const void *data, size_t len, char *errstr,
                            size_t errstr_size)
{
    struct iovec one = {(void *)data, len};
    return rl_file_write_atomic_iov(path, &one, 1, errstr, errstr_size);
}

/* Writes p[0..len) to fd, in pieces of at most `chunk` bytes; each piece is added to the hash
 * (when h is set) just before it is written, so the kernel copies it from the cache the hash
 * just pulled it into instead of reading the memory a second time. */
static rl_err write_all(const rl_ckpt_io *io, int fd, const char *tmp, const uint8_t *p,
                        size_t left, size_t chunk, rl_fmt_hash *h, char *errstr, size_t errstr_size)
{
    while (left > 0) {
        size_t piece = left > chunk ? chunk : left;
        if (h)
            rl_fmt_hash_update(h, p, piece);
        size_t done = 0;
        while (done < piece) {
            ssize_t w = io->write(fd, p + done, piece - done);
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0)
                return rl_set_err(errstr, errstr_size, RL_ERR_IO, "%s: write: %s", tmp,
                                  w < 0 ? strerror(errno) : "wrote nothing");
            done += (size_t)w;
        }
        p += piece;
        left -= piece;
    }
    return RL_OK;
}

rl_err rl_file_write_atomic_iov(const char *path, const struct iovec *iov, int n_iov, char *errstr,
                                size_t errstr_size)
{
    return rl_file_write_atomic_sum(path, iov, n_iov, 0, errstr, errstr_size);
}

/* Chunk of the hashed writes: small enough to stay in L2 between the hash and the copy. */
#define HASHED_WRITE_CHUNK (256u << 10)

rl_err rl_file_write_atomic_sum(const char *path, const struct iovec *iov, int n_iov,
                                int append_sum, char *errstr, size_t errstr_size)
{
    static atomic_uint counter;
    rl_fmt_hash h = {NULL};
    const rl_ckpt_io *io = cur_io;
    char dir[PATH_MAX], tmp[PATH_MAX];
    int fd = -1, dfd = -1;
    rl_err e = RL_OK;
    int tmp_made = 0;

    dir_of(path, dir, sizeof(dir));
    struct stat st;
    if (stat(dir, &st) != 0)
        return rl_set_err(errstr, errstr_size, RL_ERR_IO, "%s: directory %s: %s", path, dir,
                          strerror(errno));
    /* Others could replace the file in a world-writable directory; with the sticky bit (/tmp)
     * they cannot touch ours, and the temp name is created exclusively. */
    if ((st.st_mode & S_IWOTH) && !(st.st_mode & S_ISVTX))
        return rl_set_err(errstr, errstr_size, RL_ERR_IO,
                          "%s: directory %s is world-writable: refusing to write there", path, dir);
    int n = snprintf(tmp, sizeof(tmp), "%s.tmp.%ld.%u", path, (long)getpid(),
                     atomic_fetch_add(&counter, 1u));
    if (n < 0 || (size_t)n >= sizeof(tmp))
        return rl_set_err(errstr, errstr_size, RL_ERR_INVALID_ARG, "%s: path too long", path);

    fd = io->open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        e = rl_set_err(errstr, errstr_size, RL_ERR_IO, "%s: create: %s", tmp, strerror(errno));
        goto fail;
    }
    tmp_made = 1;
    if (append_sum && rl_fmt_hash_init(&h) != 0) {
        e = rl_set_err(errstr, errstr_size, RL_ERR_NOMEM, "%s: out of memory", tmp);
        goto fail;
    }
    for (int i = 0; i < n_iov; i++) {
        e = write_all(io, fd, tmp, iov[i].iov_base, iov[i].iov_len,
                      append_sum ? HASHED_WRITE_CHUNK : (1u << 30), append_sum ? &h : NULL, errstr,
                      errstr_size);
        if (e != RL_OK)
            goto fail;
    }
    if (append_sum) {
        uint8_t trailer[RL_FRAME_TRAILER_LEN];
        rl_frame_put_u64(trailer, rl_fmt_hash_digest(&h));
        e = write_all(io, fd, tmp, trailer, sizeof(trailer), sizeof(trailer), NULL, errstr,
                      errstr_size);
        if (e != RL_OK)
            goto fail;
    }
    if (io->fsync(fd) != 0) {
        e = rl_set_err(errstr, errstr_size, RL_ERR_IO, "%s: fsync: %s", tmp, strerror(errno));
        goto fail;
    }
    int rc = io->close(fd);
    fd = -1;
    if (rc != 0) {
        e = rl_set_err(errstr, errstr_size, RL_ERR_IO, "%s: close: %s", tmp, strerror(errno));
        goto fail;
    }
    if (io->rename(tmp, path) != 0) {
        e = rl_set_err(errstr, errstr_size, RL_ERR_IO, "%s: rename from %s: %s", path, tmp,
                       strerror(errno));
        goto fail;
    }
    tmp_made = 0;
    /* The rename is durable only once the directory entry is. */
    dfd = io->open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
    if (dfd < 0) {
        e = rl_set_err(errstr, errstr_size, RL_ERR_IO, "%s: open directory %s: %s", path, dir,
                       strerror(errno));
        goto fail;
    }
    if (io->fsync(dfd) != 0) {
        e = rl_set_err(errstr, errstr_size, RL_ERR_IO, "%s: fsync directory %s: %s", path, dir,
                       strerror(errno));
        goto fail;
    }
    io->close(dfd);
    rl_fmt_hash_free(&h);
    return RL_OK;
fail:
    rl_fmt_hash_free(&h);
    if (fd >= 0)
        io->close(fd);
    if (dfd >= 0)
        io->close(dfd);
    if (tmp_made)
        io->unlink(tmp);
    return e;
}
