/* ckpt_frame_open.c - opening a relearn file (checkpoint, snapshot, chunk) for reading without
 * trusting it.
 *
 * Before, every reader opened the path and read it whole before looking at it: a FIFO made
 * `relearn verify` wait forever (open blocks until a writer comes), and a 4 GB sparse
 * ckpt-...99.rlck made relearnd's start-up allocate and read 4 GB before finding that its first
 * four bytes were not a magic. Now:
 *  - a path that is not a regular file is refused before it is opened for reading (stat), and
 *    the open itself is O_NONBLOCK with a second check on the descriptor, so a FIFO swapped in
 *    between cannot block either;
 *  - a file larger than the bound (rl_fmt_set_max_file_bytes; relearnd: [checkpoint]
 *    max_file_size) is refused from its size;
 *  - a file over RL_FMT_PRECHECK_BYTES has its 24-byte header checked against its size (one of
 *    our magics, the container version, header + payload + trailer = the file, the raw length
 *    within RL_FRAME_MAX_RAW) and then its checksum in a streamed pass in constant memory, before
 *    any reader allocates a buffer as large as the file. Smaller files go straight to the
 *    readers, whose messages stand. */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "storage/ckpt_hash.h"
#include "storage/ckpt_internal.h"

static _Atomic uint64_t max_file_bytes =
    RL_FRAME_MAX_RAW + RL_FRAME_HEADER_LEN + RL_FRAME_TRAILER_LEN;

void rl_fmt_set_max_file_bytes(uint64_t n)
{
    atomic_store(&max_file_bytes,
                 n ? n : RL_FRAME_MAX_RAW + RL_FRAME_HEADER_LEN + RL_FRAME_TRAILER_LEN);
}

uint64_t rl_fmt_max_file_bytes(void)
{
    return atomic_load(&max_file_bytes);
}

static int read_at(int fd, void *buf, size_t n, off_t off)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = pread(fd, (uint8_t *)buf + got, n - got, off + (off_t)got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        got += (size_t)r;
    }
    return 0;
}

/* Header against size, then the checksum over header + payload, 1 MiB at a time. */
static rl_err precheck(int fd, const char *path, uint64_t size, char *errstr, size_t errstr_size)
{
    uint8_t h[RL_FRAME_HEADER_LEN], t[RL_FRAME_TRAILER_LEN];
    static const char *const magics[] = {RL_MAGIC_CKPT, RL_MAGIC_SNAPSHOT, RL_MAGIC_CHUNK,
                                         RL_MAGIC_GATE};
    rl_frame_info info;
    int ours = 0;

    if (read_at(fd, h, sizeof(h), 0) != 0)
        return rl_set_err(errstr, errstr_size, RL_ERR_IO, "%s: cannot read its header: %s", path,
                          strerror(errno ? errno : EIO));
    rl_frame_read_header(h, &info);
    for (size_t i = 0; i < sizeof(magics) / sizeof(magics[0]); i++)
        ours |= memcmp(h, magics[i], 4) == 0;
    if (!ours)
        return rl_set_err(errstr, errstr_size, RL_ERR_FORMAT,
                          "%s: not a relearn file (no RLCK/RLSN/RLSC magic in its first bytes); "
                          "%llu bytes not read",
                          path, (unsigned long long)size);
    if (info.version != RL_FRAME_VERSION)
        return rl_set_err(errstr, errstr_size, RL_ERR_FORMAT,
                          "%s: container version %u, this build reads %u", path,
                          (unsigned)info.version, RL_FRAME_VERSION);
    if (info.payload_len > size ||
        size != RL_FRAME_HEADER_LEN + info.payload_len + RL_FRAME_TRAILER_LEN)
        return rl_set_err(errstr, errstr_size, RL_ERR_FORMAT,
                          "%s: header says a payload of %llu bytes, the file has %llu "
                          "(truncated, or not written whole)",
                          path, (unsigned long long)info.payload_len, (unsigned long long)size);
    if (info.raw_len > RL_FRAME_MAX_RAW)
        return rl_set_err(errstr, errstr_size, RL_ERR_FORMAT,
                          "%s: raw length %llu exceeds the limit of %llu bytes", path,
                          (unsigned long long)info.raw_len, (unsigned long long)RL_FRAME_MAX_RAW);
    rl_fmt_hash hash;
    uint8_t buf[1 << 16];
    uint64_t left = size - RL_FRAME_TRAILER_LEN;
    off_t off = 0;
    if (rl_fmt_hash_init(&hash) != 0)
        return rl_set_err(errstr, errstr_size, RL_ERR_NOMEM, "%s: out of memory", path);
    while (left > 0) {
        size_t n = left < sizeof(buf) ? (size_t)left : sizeof(buf);
        if (read_at(fd, buf, n, off) != 0) {
            rl_fmt_hash_free(&hash);
            return rl_set_err(errstr, errstr_size, RL_ERR_IO, "%s: read: %s", path,
                              strerror(errno ? errno : EIO));
        }
        rl_fmt_hash_update(&hash, buf, n);
        off += (off_t)n;
        left -= n;
    }
    uint64_t digest = rl_fmt_hash_digest(&hash);
    rl_fmt_hash_free(&hash);
    if (read_at(fd, t, sizeof(t), off) != 0 || rl_frame_get_u64(t) != digest)
        return rl_set_err(errstr, errstr_size, RL_ERR_FORMAT,
                          "%s: checksum mismatch (file damaged or altered)", path);
    return RL_OK;
}

rl_err rl_fmt_open_checked(const char *path, int check_frame, int *fd_out, struct stat *st,
                           char *errstr, size_t errstr_size)
{
    int fd;
    rl_err e;
    *fd_out = -1;
    if (stat(path, st) != 0)
        return rl_set_err(errstr, errstr_size, errno == ENOENT ? RL_ERR_NOT_FOUND : RL_ERR_IO,
                          "%s: %s", path, strerror(errno));
    if (!S_ISREG(st->st_mode))
        return rl_set_err(errstr, errstr_size, RL_ERR_IO,
                          "%s: not a regular file (a FIFO, device or directory is never read)",
                          path);
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return rl_set_err(errstr, errstr_size, errno == ENOENT ? RL_ERR_NOT_FOUND : RL_ERR_IO,
                          "%s: %s", path, strerror(errno));
    if (fstat(fd, st) != 0 || !S_ISREG(st->st_mode)) {
        close(fd);
        return rl_set_err(errstr, errstr_size, RL_ERR_IO, "%s: not a regular file", path);
    }
    /* Reads from here block as usual (O_NONBLOCK only kept the open from waiting). */
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    if ((uint64_t)st->st_size > rl_fmt_max_file_bytes()) {
        close(fd);
        return rl_set_err(errstr, errstr_size, RL_ERR_FORMAT,
                          "%s: %llu bytes, over the bound of %llu bytes for a relearn file "
                          "(relearnd: [checkpoint] max_file_size); not read",
                          path, (unsigned long long)st->st_size,
                          (unsigned long long)rl_fmt_max_file_bytes());
    }
    if (check_frame && (uint64_t)st->st_size > RL_FMT_PRECHECK_BYTES) {
        e = precheck(fd, path, (uint64_t)st->st_size, errstr, errstr_size);
        if (e != RL_OK) {
            close(fd);
            return e;
        }
    }
    *fd_out = fd;
    return RL_OK;
}
