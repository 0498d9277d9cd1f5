/* rld_ckpt_dir.c - is the checkpoint directory relearnd locked still the one at its path?
 *
 * relearnd holds an flock on its checkpoint directory for its whole life (one relearnd per
 * directory). When someone deletes the directory (or moves another in its place) under a running
 * relearnd, the lock stays on the old, unlinked inode: writing on would re-create the path -
 * silently, unlocked - and a second relearnd could then start on it and both would write there.
 * So before each checkpoint (and about once a second) the path's st_dev/st_ino are compared with
 * those of the locked descriptor. When they differ, or the locked directory has no links left,
 * relearnd logs it, sends an alert (detector "checkpoint_dir"), stops checkpointing (and so
 * committing: offsets never run ahead of a durable checkpoint) and /healthz answers 503 with the
 * reason. Restarting relearnd takes a fresh lock on whatever is at the path then. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "daemon/rld_int.h"

void rld_ckpt_dir_remember(rld_daemon *d)
{
    struct stat st;
    if (d->ckpt_lock_fd >= 0 && fstat(d->ckpt_lock_fd, &st) == 0) {
        d->ckpt_dir_dev = st.st_dev;
        d->ckpt_dir_ino = st.st_ino;
    }
}

int rld_ckpt_dir_check(rld_daemon *d)
{
    struct stat locked, now;
    char why[160];
    if (d->ckpt_dir_lost)
        return -1;
    if (d->ckpt_lock_fd < 0)
        return 0;
    if (fstat(d->ckpt_lock_fd, &locked) == 0 && locked.st_nlink == 0)
        snprintf(why, sizeof(why), "removed");
    else if (stat(d->cfg.checkpoint_dir, &now) != 0)
        snprintf(why, sizeof(why), "gone (%s)", strerror(errno));
    else if (now.st_dev != d->ckpt_dir_dev || now.st_ino != d->ckpt_dir_ino)
        snprintf(why, sizeof(why), "replaced by another directory (inode %llu, locked %llu)",
                 (unsigned long long)now.st_ino, (unsigned long long)d->ckpt_dir_ino);
    else
        return 0;
    d->ckpt_dir_lost = 1;
    snprintf(d->sd.ckpt_dir_lost, sizeof(d->sd.ckpt_dir_lost),
             "checkpoint directory %.150s %s while running: not checkpointing there (restart "
             "relearnd to lock it again)",
             d->cfg.checkpoint_dir, why);
    rl_log(RL_LOG_ERROR, "checkpoint directory removed or replaced; checkpoints stop",
           "dir=\"%s\" what=\"%s\" last_seq=%llu note=\"offsets stay committed at the last "
           "durable checkpoint; restart relearnd to lock the directory again\"",
           d->cfg.checkpoint_dir, why, (unsigned long long)d->ckpt_seq);
    rld_alert_send(d, "checkpoint_dir", RL_DRIFT_WARNING, "checkpoints_stopped",
                   d->sd.ckpt_dir_lost, NAN, NULL);
    return -1;
}
