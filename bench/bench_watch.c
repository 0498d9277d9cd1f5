/* bench_watch.c - watches one relearnd until it has learned N events, for bench_relearnd.sh:
 * every INTERVAL_MS (default 10) it reads relearnd_model_events and the partitions' lag from
 * /metrics on 127.0.0.1:PORT and the process's CPU time and RSS from /proc/PID, in-process (a
 * curl per sample would cost more CPU than it measures and resolve only ~0.1 s).
 *
 *   bench_watch PID PORT N [INTERVAL_MS]
 *
 * Prints one line when model_events >= N:
 *   end_ms=<realtime ms> lag_s=T cpu_s=C busy=C/T loop=L/T rss_mib=<at 25/50/75/100%> hwm_mib=M
 * where the lag window runs from the first sample that shows an assigned partition with lag
 * (or an event learned) to the sample that shows N: C/T is relearnd's CPU share (cores, all
 * threads: librdkafka's decompress and parse on its broker threads) while an assigned partition
 * had unread events, L/T the consume loop's own (the main thread's), and loop_runq the share
 * of the window the loop was runnable but waiting for a CPU (/proc/PID/task/PID/schedstat):
 * on a shared machine loop + loop_runq is what the loop asked for, loop what it got. The window
 * opens up to one interval late and closes up to one late, so short runs need a short interval.
 * Exit 1 if relearnd exits first or nothing moves for 60 s. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CPU seconds (user + system) of PID, all threads (tid 0) or thread tid; -1 when gone. */
static double proc_cpu_s(int pid, int tid)
{
    char path[64], buf[2048];
    unsigned long ut = 0, st = 0;
    FILE *f;
    if (tid)
        snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", pid, tid);
    else
        snprintf(path, sizeof(path), "/proc/%d/stat", pid);
    f = fopen(path, "r");
    if (!f)
        return -1;
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = 0;
    const char *p = strrchr(buf, ')'); /* the command name may hold spaces */
    if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
        return -1;
    return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/* Seconds the thread spent waiting for a CPU while runnable (schedstat's second field). */
static double thread_runq_s(int pid)
{
    char path[64];
    unsigned long long on = 0, wait = 0;
    FILE *f;
    snprintf(path, sizeof(path), "/proc/%d/task/%d/schedstat", pid, pid);
    f = fopen(path, "r");
    if (!f)
        return 0;
    if (fscanf(f, "%llu %llu", &on, &wait) != 2)
        wait = 0;
    fclose(f);
    return (double)wait / 1e9;
}

static long proc_status_kib(int pid, const char *key)
{
    char path[64], line[256];
    long v = 0;
    size_t kl = strlen(key);
    FILE *f;
    snprintf(path, sizeof(path), "/proc/%d/status", pid);
    f = fopen(path, "r");
    if (!f)
        return 0;
    while (fgets(line, sizeof(line), f))
        if (strncmp(line, key, kl) == 0) {
            v = strtol(line + kl, NULL, 10);
            break;
        }
    fclose(f);
    return v;
}

/* One GET /metrics; sets *events and *lag (sum over partitions, -1 when none is assigned). */
static int scrape(int port, unsigned long long *events, long long *lag)
{
    static char buf[1 << 20];
    struct sockaddr_in a = {0};
    size_t n = 0;
    ssize_t k;
    const char req[] = "GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
        write(fd, req, sizeof(req) - 1) != (ssize_t)(sizeof(req) - 1)) {
        close(fd);
        return -1;
    }
    while (n < sizeof(buf) - 1 && (k = read(fd, buf + n, sizeof(buf) - 1 - n)) > 0)
        n += (size_t)k;
    close(fd);
    buf[n] = 0;
    *lag = -1;
    *events = 0;
    for (char *l = buf; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
        if (strncmp(l, "relearnd_model_events ", 22) == 0)
            *events = strtoull(l + 22, NULL, 10);
        else if (strncmp(l, "relearnd_partition_lag{", 23) == 0) {
            const char *v = strchr(l, '}');
            if (v) {
                long long x = strtoll(v + 1, NULL, 10);
                *lag = (*lag < 0 ? 0 : *lag) + (x > 0 ? x : 0);
            }
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    int pid, port;
    unsigned long long want, ev = 0, last_ev = 0;
    long long lag = -1;
    double t0 = 0, c0 = 0, l0 = 0, q0 = 0, last_move;
    long rss[4] = {0};
    int q = 0;
    struct timespec iv;
    long interval_ms;

    if (argc < 4) {
        fprintf(stderr, "usage: bench_watch PID PORT N [INTERVAL_MS]\n");
        return 2;
    }
    pid = atoi(argv[1]);
    port = atoi(argv[2]);
    want = strtoull(argv[3], NULL, 10);
    interval_ms = argc > 4 ? atol(argv[4]) : 10;
    iv.tv_sec = interval_ms / 1000;
    iv.tv_nsec = (interval_ms % 1000) * 1000000L;
    last_move = mono_s();
    for (;;) {
        double cpu = proc_cpu_s(pid, 0), loop = proc_cpu_s(pid, pid), now;
        if (cpu < 0) {
            fprintf(stderr, "bench_watch: relearnd (pid %d) is gone\n", pid);
            return 1;
        }
        if (scrape(port, &ev, &lag) != 0)
            ev = last_ev;
        now = mono_s();
        if (t0 == 0 && (lag > 0 || ev > 0)) {
            t0 = now;
            c0 = cpu;
            l0 = loop;
            q0 = thread_runq_s(pid);
        }
        while (q < 4 && ev >= want * (unsigned long long)(q + 1) / 4)
            rss[q++] = proc_status_kib(pid, "VmRSS:");
        if (ev >= want) {
            struct timespec rt;
            double cpu_now = proc_cpu_s(pid, 0), loop_now = proc_cpu_s(pid, pid), win = now - t0;
            clock_gettime(CLOCK_REALTIME, &rt);
            printf("end_ms=%lld lag_s=%.4f cpu_s=%.3f busy=%.2f loop=%.2f loop_runq=%.2f "
                   "rss_mib=%ld/%ld/%ld/%ld hwm_mib=%ld\n",
                   (long long)rt.tv_sec * 1000 + rt.tv_nsec / 1000000, win, cpu_now - c0,
                   win > 0 ? (cpu_now - c0) / win : 0.0, win > 0 ? (loop_now - l0) / win : 0.0,
                   win > 0 ? (thread_runq_s(pid) - q0) / win : 0.0, rss[0] / 1024, rss[1] / 1024,
                   rss[2] / 1024, rss[3] / 1024, proc_status_kib(pid, "VmHWM:") / 1024);
            return 0;
        }
        if (ev != last_ev) {
            last_ev = ev;
            last_move = now;
        } else if (now - last_move > 60) {
            fprintf(stderr, "bench_watch: stuck at %llu of %llu events for 60 s\n", ev, want);
            return 1;
        }
        nanosleep(&iv, NULL);
    }
}
