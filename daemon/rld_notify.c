/* rld_notify.c - sd_notify(3) from libsystemd: the unit's READY, WATCHDOG, STOPPING and STATUS
 * notifications (rld_notify.h). */
#include "daemon/rld_notify.h"

#include <inttypes.h>
#include <stdio.h>

#include <systemd/sd-daemon.h>

static int ready_sent;
static double last_ping = -1e9, last_status = -1e9;
static double ping_every = -1; /* seconds; 0 = no watchdog; -1 = not asked yet */

void rld_notify_ready(const char *status)
{
    if (ready_sent)
        return;
    ready_sent = 1;
    sd_notifyf(0, "READY=1\nSTATUS=%s", status);
}

void rld_notify_status(const char *status)
{
    sd_notifyf(0, "STATUS=%s", status);
}

void rld_notify_alive(double now, uint64_t events, uint64_t ckpt_seq, uint64_t snapshot_version)
{
    if (ping_every < 0) {
        uint64_t usec = 0;
        /* >0 only when systemd set WATCHDOG_USEC for this process (WatchdogSec= in the unit) */
        ping_every = sd_watchdog_enabled(0, &usec) > 0 ? (double)usec / 2e6 : 0;
    }
    if (ping_every > 0 && now - last_ping >= ping_every) {
        last_ping = now;
        sd_notify(0, "WATCHDOG=1");
    }
    if (ready_sent && now - last_status >= 10.0) {
        last_status = now;
        sd_notifyf(0,
                   "STATUS=learning: %" PRIu64 " events in the model, checkpoint %" PRIu64
                   ", snapshot version %" PRIu64,
                   events, ckpt_seq, snapshot_version);
    }
}

void rld_notify_stopping(const char *status)
{
    sd_notifyf(0, "STOPPING=1\nSTATUS=%s", status);
}
