/* file_io.h - whole-file reads and atomic file writes, behind a fault seam tests can trip. */
#ifndef RL_FILE_IO_H
#define RL_FILE_IO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/rl_common.h"

/* The largest file any relearn reader reads (0: the default, RL_FRAME_MAX_RAW plus framing).
 * Larger files are refused from their size, unread. Process-wide. */
void rl_fmt_set_max_file_bytes(uint64_t n);
uint64_t rl_fmt_max_file_bytes(void);
/* Reads a whole file into out (replacing its contents); refuses what rl_fmt_open_checked
 * (storage/ckpt_frame_open.c) refuses: non-regular files before opening them, files over the
 * bound, large files whose header or checksum is wrong, before reading them into memory. */
rl_err rl_file_read(const char *path, rl_buf *out, char *errstr, size_t errstr_size);

/* Atomic replace of path with data: temp file in the same directory (mode 0600), write, fsync,
 * close, rename over path, fsync of the directory. On failure path is untouched and the temp
 * file is removed. Refuses a world-writable directory. */
rl_err rl_file_write_atomic(const char *path, const void *data, size_t len, char *errstr,
                            size_t errstr_size);

/* The same, with the bytes given as pieces (written in order, never joined in memory). */
struct iovec;
rl_err rl_file_write_atomic_iov(const char *path, const struct iovec *iov, int n_iov, char *errstr,
                                size_t errstr_size);

/* Fault seam: every system call of the write path goes through this table, so tests can fail
 * open/write/fsync/rename with ENOSPC or EIO at any point. rl_ckpt_set_io(NULL) restores the
 * real calls. Process-global; set it only in tests, before any writer thread starts. */
typedef struct rl_ckpt_io {
    int version; /* 1 */
    int (*open)(const char *path, int flags, mode_t mode);
    ssize_t (*write)(int fd, const void *p, size_t n);
    int (*fsync)(int fd);
    int (*close)(int fd);
    int (*rename)(const char *from, const char *to);
    int (*unlink)(const char *path);
} rl_ckpt_io;
void rl_ckpt_set_io(const rl_ckpt_io *io);
const rl_ckpt_io *rl_ckpt_default_io(void);

#endif
