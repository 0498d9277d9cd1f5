/* daemon_faultfs.c - an LD_PRELOAD shim for disk-fault tests of relearnd (issue 6).
 *
 * While the file named by $RL_FAULT_TRIGGER exists, every open() that would create or write a
 * file under $RL_FAULT_DIR fails with $RL_FAULT_ERRNO (default ENOSPC, "disk full"); reads and
 * everything elsewhere pass through. Tests flip the fault on and off by creating and removing
 * the trigger file, with no change to the daemon. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef int (*open_fn)(const char *, int, ...);
typedef int (*openat_fn)(int, const char *, int, ...);

/* dlsym returns an object pointer; copying it is the POSIX-sanctioned way to a function pointer
 * that -Wpedantic accepts. */
static open_fn next_open(const char *name)
{
    void *p = dlsym(RTLD_NEXT, name);
    open_fn f;
    memcpy(&f, &p, sizeof(f));
    return f;
}

static openat_fn next_openat(void)
{
    void *p = dlsym(RTLD_NEXT, "openat");
    openat_fn f;
    memcpy(&f, &p, sizeof(f));
    return f;
}

static int should_fail(const char *path, int flags)
{
    const char *dir = getenv("RL_FAULT_DIR");
    const char *trig = getenv("RL_FAULT_TRIGGER");
    struct stat st;
    if (!dir || !trig || !path || !(flags & (O_WRONLY | O_RDWR | O_CREAT)))
        return 0;
    if (strncmp(path, dir, strlen(dir)) != 0)
        return 0;
    return stat(trig, &st) == 0;
}

static int fault_errno(void)
{
    const char *e = getenv("RL_FAULT_ERRNO");
    return e ? atoi(e) : ENOSPC;
}

static mode_t mode_arg(int flags, va_list ap)
{
    return (flags & (O_CREAT | O_TMPFILE)) ? (mode_t)va_arg(ap, int) : 0;
}

int open(const char *path, int flags, ...)
{
    va_list ap;
    mode_t mode;
    va_start(ap, flags);
    mode = mode_arg(flags, ap);
    va_end(ap);
    if (should_fail(path, flags)) {
        errno = fault_errno();
        return -1;
    }
    return next_open("open")(path, flags, mode);
}

int open64(const char *path, int flags, ...)
{
    va_list ap;
    mode_t mode;
    va_start(ap, flags);
    mode = mode_arg(flags, ap);
    va_end(ap);
    if (should_fail(path, flags)) {
        errno = fault_errno();
        return -1;
    }
    return next_open("open64")(path, flags, mode);
}

int openat(int dirfd, const char *path, int flags, ...)
{
    va_list ap;
    mode_t mode;
    va_start(ap, flags);
    mode = mode_arg(flags, ap);
    va_end(ap);
    if (should_fail(path, flags)) {
        errno = fault_errno();
        return -1;
    }
    return next_openat()(dirfd, path, flags, mode);
}
