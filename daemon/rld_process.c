/* rld_process.c - process_* metrics from /proc/self, as the Prometheus client libraries read
 * them (client_golang's procfs collector): the same names, units and meanings. */
#include "daemon/rld_process.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Fields of /proc/self/stat after the command name (which may hold spaces and parentheses, so
 * parsing starts after its last ')'): utime is field 14, stime 15, starttime 22, vsize 23 and
 * rss 24 in proc(5)'s 1-based numbering. */
typedef struct proc_stat {
    unsigned long long utime, stime, starttime, vsize;
    long long rss;
} proc_stat;

static int read_stat(proc_stat *st)
{
    char buf[1024];
    FILE *f = fopen("/proc/self/stat", "r");
    size_t n;
    char *p;
    if (!f)
        return -1;
    n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    p = strrchr(buf, ')');
    if (!p)
        return -1;
    /* after ')': state(3) ppid pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt
     * utime(14) stime(15) cutime cstime priority nice num_threads itrealvalue starttime(22)
     * vsize(23) rss(24) */
    if (sscanf(p + 1,
               " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %*d %*d %*d %*d %*d %*d "
               "%llu %llu %lld",
               &st->utime, &st->stime, &st->starttime, &st->vsize, &st->rss) != 5)
        return -1;
    return 0;
}

/* The rest of the first line of a /proc file that starts with prefix, or -1. */
static int proc_line(const char *path, const char *prefix, char *rest, size_t size)
{
    char line[256];
    int found = -1;
    size_t n = strlen(prefix);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    while (found < 0 && fgets(line, sizeof(line), f))
        if (strncmp(line, prefix, n) == 0) {
            snprintf(rest, size, "%s", line + n);
            found = 0;
        }
    fclose(f);
    return found;
}

/* Boot time (seconds since the epoch) from /proc/stat's btime line: starttime counts from it. */
static long long boot_time(void)
{
    char rest[64];
    long long bt;
    if (proc_line("/proc/stat", "btime ", rest, sizeof(rest)) != 0 ||
        sscanf(rest, "%lld", &bt) != 1)
        return -1;
    return bt;
}

static long long open_fds(void)
{
    long long n = 0;
    struct dirent *e;
    DIR *dir = opendir("/proc/self/fd");
    if (!dir)
        return -1;
    while ((e = readdir(dir)))
        if (e->d_name[0] != '.')
            n++;
    closedir(dir);
    return n - 1; /* the directory stream's own descriptor */
}

/* The soft limit of open files, from /proc/self/limits ("Max open files  1024  4096  files";
 * "unlimited" gives no value). */
static long long max_fds(void)
{
    char rest[200];
    long long soft;
    if (proc_line("/proc/self/limits", "Max open files", rest, sizeof(rest)) != 0 ||
        sscanf(rest, "%lld", &soft) != 1)
        return -1;
    return soft;
}

static void family(FILE *f, const char *name, const char *type, const char *help)
{
    fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

void rld_process_metrics(FILE *f)
{
    proc_stat st;
    long ticks = sysconf(_SC_CLK_TCK);
    long page = sysconf(_SC_PAGESIZE);
    long long bt = boot_time(), fds = open_fds(), maxf = max_fds();

    if (ticks > 0 && page > 0 && read_stat(&st) == 0) {
        family(f, "process_cpu_seconds_total", "counter",
               "Total user and system CPU time spent in seconds.");
        fprintf(f, "process_cpu_seconds_total %.2f\n",
                (double)(st.utime + st.stime) / (double)ticks);
        family(f, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes.");
        fprintf(f, "process_resident_memory_bytes %lld\n", st.rss * (long long)page);
        family(f, "process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.");
        fprintf(f, "process_virtual_memory_bytes %llu\n", st.vsize);
        if (bt >= 0) {
            family(f, "process_start_time_seconds", "gauge",
                   "Start time of the process since unix epoch in seconds.");
            fprintf(f, "process_start_time_seconds %.2f\n",
                    (double)bt + (double)st.starttime / (double)ticks);
        }
    }
    if (fds >= 0) {
        family(f, "process_open_fds", "gauge", "Number of open file descriptors.");
        fprintf(f, "process_open_fds %lld\n", fds);
    }
    if (maxf >= 0) {
        family(f, "process_max_fds", "gauge", "Maximum number of open file descriptors.");
        fprintf(f, "process_max_fds %lld\n", maxf);
    }
}
