/* faultfs.c - LD_PRELOAD shim for the reliability tests: makes open (create), write, fsync and
 * rename fail with ENOSPC or EIO for files under one directory, switched on and off at run time
 * through a control file, so a test can fill the disk under a running relearnd and then free it.
 *
 * Environment:
 *   RL_FAULTFS_DIR   only paths under this directory (and fds opened there) are touched
 *   RL_FAULTFS_CTL   control file, re-read whenever it changes; one line "OP ERRNO [COUNT]":
 *                    OP is open, write, fsync, rename or any; ERRNO is ENOSPC, EIO, EACCES or
 *                    EROFS; COUNT fails only the next COUNT matching calls (default: all).
 *                    "OP DELAY MS" instead slows every matching call down by MS milliseconds
 *                    (it then succeeds), so kills land inside checkpoint writes more often.
 *                    An empty or missing file, or "off", injects nothing.
 *   RL_FAULTFS_LOG   (optional) one line appended per injected failure: "OP PATH-or-fd ERRNO"
 *
 * Everything else passes straight to libc. Tracking is per fd (a byte table), so writes of
 * other threads (librdkafka's sockets) cost one table look-up. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#define MAX_FD 65536

enum op { OP_NONE = 0, OP_OPEN, OP_WRITE, OP_FSYNC, OP_RENAME, OP_ANY };

static int (*real_open)(const char *, int, ...);
static ssize_t (*real_write)(int, const void *, size_t);
static int (*real_fsync)(int);
static int (*real_close)(int);
static int (*real_rename)(const char *, const char *);

static const char *dir;
static size_t dir_len;
static const char *ctl_path;
static const char *log_path;
static unsigned char tracked[MAX_FD];

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static struct stat ctl_seen;
static int ctl_have;
static enum op fault_op;
static int fault_errno;
static long fault_left;     /* -1 = unlimited */
static long fault_delay_ms; /* > 0: delay instead of failing */

__attribute__((constructor)) static void faultfs_init(void)
{
    /* The POSIX way to store dlsym's answer in a function pointer. */
    *(void **)&real_open = dlsym(RTLD_NEXT, "open");
    *(void **)&real_write = dlsym(RTLD_NEXT, "write");
    *(void **)&real_fsync = dlsym(RTLD_NEXT, "fsync");
    *(void **)&real_close = dlsym(RTLD_NEXT, "close");
    *(void **)&real_rename = dlsym(RTLD_NEXT, "rename");
    dir = getenv("RL_FAULTFS_DIR");
    if (dir && dir[0] == '\0')
        dir = NULL;
    dir_len = dir ? strlen(dir) : 0;
    while (dir_len > 1 && dir[dir_len - 1] == '/')
        dir_len--;
    ctl_path = getenv("RL_FAULTFS_CTL");
    log_path = getenv("RL_FAULTFS_LOG");
}

static int under_dir(const char *path)
{
    return dir && path && strncmp(path, dir, dir_len) == 0 &&
           (path[dir_len] == '\0' || path[dir_len] == '/');
}

static enum op parse_op(const char *s)
{
    if (strcmp(s, "open") == 0)
        return OP_OPEN;
    if (strcmp(s, "write") == 0)
        return OP_WRITE;
    if (strcmp(s, "fsync") == 0)
        return OP_FSYNC;
    if (strcmp(s, "rename") == 0)
        return OP_RENAME;
    if (strcmp(s, "any") == 0)
        return OP_ANY;
    return OP_NONE;
}

static int parse_errno(const char *s)
{
    if (strcmp(s, "ENOSPC") == 0)
        return ENOSPC;
    if (strcmp(s, "EIO") == 0)
        return EIO;
    if (strcmp(s, "EACCES") == 0)
        return EACCES;
    if (strcmp(s, "EROFS") == 0)
        return EROFS;
    return 0;
}

/* Re-reads the control file when its identity, size or mtime changed. Called with mu held. */
static void reload_ctl(void)
{
    struct stat st;
    char buf[256], opname[32] = "", errname[32] = "";
    long count = -1;
    int fd, n;

    if (!ctl_path || stat(ctl_path, &st) != 0) {
        fault_op = OP_NONE;
        ctl_have = 0;
        return;
    }
    if (ctl_have && st.st_ino == ctl_seen.st_ino && st.st_size == ctl_seen.st_size &&
        st.st_mtim.tv_sec == ctl_seen.st_mtim.tv_sec &&
        st.st_mtim.tv_nsec == ctl_seen.st_mtim.tv_nsec)
        return;
    ctl_seen = st;
    ctl_have = 1;
    fault_op = OP_NONE;
    fd = real_open(ctl_path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    n = (int)read(fd, buf, sizeof(buf) - 1);
    real_close(fd);
    if (n <= 0)
        return;
    buf[n] = '\0';
    if (sscanf(buf, "%31s %31s %ld", opname, errname, &count) < 2)
        return;
    fault_op = parse_op(opname);
    fault_delay_ms = 0;
    if (strcmp(errname, "DELAY") == 0) {
        fault_delay_ms = count > 0 ? count : 100;
        return;
    }
    fault_errno = parse_errno(errname);
    if (!fault_errno)
        fault_op = OP_NONE;
    fault_left = count > 0 ? count : -1;
}

static void log_fault(const char *what, const char *path, int fd, int e)
{
    char line[1200];
    int n, lfd;
    if (!log_path)
        return;
    if (path)
        n = snprintf(line, sizeof(line), "%s %s %s\n", what, path, strerror(e));
    else
        n = snprintf(line, sizeof(line), "%s fd=%d %s\n", what, fd, strerror(e));
    lfd = real_open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (lfd < 0)
        return;
    if (n > 0)
        (void)!real_write(lfd, line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
    real_close(lfd);
}

/* 0: let the call through; else the errno to fail it with. */
static int should_fail(enum op op, const char *what, const char *path, int fd)
{
    int e = 0;
    long delay = 0;
    pthread_mutex_lock(&mu);
    reload_ctl();
    if (fault_op != OP_NONE && (fault_op == op || fault_op == OP_ANY) && fault_delay_ms > 0) {
        delay = fault_delay_ms;
    } else if (fault_op != OP_NONE && (fault_op == op || fault_op == OP_ANY) && fault_left != 0) {
        e = fault_errno;
        if (fault_left > 0)
            fault_left--;
    }
    pthread_mutex_unlock(&mu);
    if (delay > 0) {
        struct timespec ts = {delay / 1000, (delay % 1000) * 1000000L};
        nanosleep(&ts, NULL);
    }
    if (e)
        log_fault(what, path, fd, e);
    return e;
}

static int fd_tracked(int fd)
{
    return fd >= 0 && fd < MAX_FD && __atomic_load_n(&tracked[fd], __ATOMIC_RELAXED);
}

int open(const char *path, int flags, ...)
{
    mode_t mode = 0;
    int fd, e;
    if (flags & (O_CREAT | O_TMPFILE)) {
        va_list ap;
        va_start(ap, flags);
        mode = (mode_t)va_arg(ap, int);
        va_end(ap);
    }
    if (!real_open)
        faultfs_init();
    if (under_dir(path) && (flags & O_CREAT) && (e = should_fail(OP_OPEN, "open", path, -1))) {
        errno = e;
        return -1;
    }
    fd = real_open(path, flags, mode);
    if (fd >= 0 && fd < MAX_FD)
        __atomic_store_n(&tracked[fd], (unsigned char)under_dir(path), __ATOMIC_RELAXED);
    return fd;
}

int open64(const char *path, int flags, ...)
{
    mode_t mode = 0;
    if (flags & (O_CREAT | O_TMPFILE)) {
        va_list ap;
        va_start(ap, flags);
        mode = (mode_t)va_arg(ap, int);
        va_end(ap);
    }
    return open(path, flags, mode);
}

ssize_t write(int fd, const void *p, size_t n)
{
    int e;
    if (!real_write)
        faultfs_init();
    if (fd_tracked(fd) && (e = should_fail(OP_WRITE, "write", NULL, fd))) {
        errno = e;
        return -1;
    }
    return real_write(fd, p, n);
}

int fsync(int fd)
{
    int e;
    if (!real_fsync)
        faultfs_init();
    if (fd_tracked(fd) && (e = should_fail(OP_FSYNC, "fsync", NULL, fd))) {
        errno = e;
        return -1;
    }
    return real_fsync(fd);
}

int close(int fd)
{
    if (!real_close)
        faultfs_init();
    if (fd >= 0 && fd < MAX_FD)
        __atomic_store_n(&tracked[fd], 0, __ATOMIC_RELAXED);
    return real_close(fd);
}

int rename(const char *from, const char *to)
{
    int e;
    if (!real_rename)
        faultfs_init();
    if ((under_dir(from) || under_dir(to)) && (e = should_fail(OP_RENAME, "rename", to, -1))) {
        errno = e;
        return -1;
    }
    return real_rename(from, to);
}
