// The terminal state and the replaced signal actions live here, in C
// statics: a signal handler can reach nothing else, and only async-signal-
// safe calls (tcsetattr, sigaction, raise) are made from it.
#include <signal.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include "CTerminal.h"

static const int guarded[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGTSTP, SIGTTIN, SIGTTOU};
#define GUARDED_COUNT (sizeof(guarded) / sizeof(guarded[0]))

static volatile sig_atomic_t active = 0;
static int terminal_fd = -1;
static struct termios saved_termios;
static struct termios silent_termios;
static struct sigaction saved_actions[GUARDED_COUNT];
static int installed[GUARDED_COUNT];

static int slot_of(int sig) {
    for (unsigned i = 0; i < GUARDED_COUNT; i++) if (guarded[i] == sig) return (int)i;
    return -1;
}

static void on_signal(int sig) {
    int slot = slot_of(sig);
    if (!active || slot < 0) return;
    tcsetattr(terminal_fd, TCSANOW, &saved_termios);
    int stops = sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU;
    // Let the signal do what it did before (end the process, or stop it).
    struct sigaction mine;
    sigaction(sig, &saved_actions[slot], &mine);
    // The signal is blocked while its handler runs: unblock it so that
    // raise() acts now, not after this handler has put itself back.
    sigset_t just_this;
    sigemptyset(&just_this);
    sigaddset(&just_this, sig);
    sigprocmask(SIG_UNBLOCK, &just_this, NULL);
    raise(sig);
    // Only a stop returns here (after SIGCONT), or a caught signal whose
    // previous handler returned: take the prompt up again.
    sigaction(sig, &mine, NULL);
    if (stops || active) tcsetattr(terminal_fd, TCSANOW, &silent_termios);
}

int simvault_echo_off(int fd) {
    struct termios current;
    if (tcgetattr(fd, &current) != 0) return -1;
    saved_termios = current;
    silent_termios = current;
    silent_termios.c_lflag &= ~(tcflag_t)ECHO;
    silent_termios.c_lflag |= ECHONL;
    terminal_fd = fd;
    active = 1;
    for (unsigned i = 0; i < GUARDED_COUNT; i++) {
        installed[i] = 0;
        struct sigaction previous;
        if (sigaction(guarded[i], NULL, &previous) != 0 || previous.sa_handler == SIG_IGN) continue;
        struct sigaction action;
        memset(&action, 0, sizeof action);
        action.sa_handler = on_signal;
        sigemptyset(&action.sa_mask);
        if (sigaction(guarded[i], &action, &saved_actions[i]) == 0) installed[i] = 1;
    }
    // Echo goes off before the prompt appears (TCSANOW: input typed ahead
    // is kept).
    tcsetattr(fd, TCSANOW, &silent_termios);
    return 0;
}

void simvault_echo_restore(void) {
    if (!active) return;
    active = 0;
    tcsetattr(terminal_fd, TCSANOW, &saved_termios);
    for (unsigned i = 0; i < GUARDED_COUNT; i++) {
        if (installed[i]) sigaction(guarded[i], &saved_actions[i], NULL);
        installed[i] = 0;
    }
    terminal_fd = -1;
}
