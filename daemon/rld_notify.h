/* rld_notify.h - relearnd's side of systemd's service notification protocol (sd_notify(3)),
 * for a Type=notify unit with a watchdog: READY=1 once the group has given the first assignment
 * (relearnd is consuming, not just started), WATCHDOG=1 from the consume loop while it turns,
 * STOPPING=1 when SIGTERM/SIGINT starts the final checkpoint, and STATUS= lines saying what it
 * does. Without NOTIFY_SOCKET (not under systemd) every call is a no-op. */
#ifndef RLD_NOTIFY_H
#define RLD_NOTIFY_H

#include <stdint.h>

/* READY=1 with a status line, once (later calls do nothing). */
void rld_notify_ready(const char *status);
/* WATCHDOG=1, at most every half of the watchdog interval systemd gave (WATCHDOG_USEC), plus a
 * STATUS= line with the figures at most every 10 s. now: monotonic seconds. */
void rld_notify_alive(double now, uint64_t events, uint64_t ckpt_seq, uint64_t snapshot_version);
/* STATUS= only. */
void rld_notify_status(const char *status);
/* STOPPING=1 with a status line. */
void rld_notify_stopping(const char *status);

#endif
