/* signals.c - handlers that only record (see kafka.h, "signals"). */
#include <string.h>

#include "kafka/kafka.h"

volatile sig_atomic_t rl_stop_signals;
volatile sig_atomic_t rl_stop_signo;
volatile sig_atomic_t rl_usr1_received;

static void on_stop(int sig)
{
    rl_stop_signo = sig;
    rl_stop_signals++;
}

static void on_usr1(int sig)
{
    (void)sig;
    rl_usr1_received = 1;
}

void rl_signals_install(unsigned which)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sigemptyset(&sa.sa_mask);
    if (which & RL_SIGNALS_STOP) {
        sa.sa_handler = on_stop;
        sigaction(SIGTERM, &sa, NULL);
        sigaction(SIGINT, &sa, NULL);
    }
    if (which & RL_SIGNALS_USR1) {
        sa.sa_handler = on_usr1;
        sigaction(SIGUSR1, &sa, NULL);
    }
    if (which & RL_SIGNALS_NO_SIGPIPE) {
        sa.sa_handler = SIG_IGN;
        sigaction(SIGPIPE, &sa, NULL);
    }
}
