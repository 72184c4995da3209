#ifndef SIMVAULT_CTERMINAL_H
#define SIMVAULT_CTERMINAL_H

/// Turns echo off on the terminal `fd` for a password prompt (newlines still
/// echo), and installs handlers for SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGTSTP,
/// SIGTTIN and SIGTTOU that put the terminal back as it was before the signal
/// takes effect (as OpenBSD's readpassphrase does): Ctrl-C at the prompt
/// never leaves the shell without echo. A signal that was ignored stays
/// ignored. After a stop (Ctrl-Z) and `fg`, echo goes off again.
/// Returns 0, or -1 when `fd` is not a terminal (nothing changed).
int simvault_echo_off(int fd);

/// Puts the terminal and the signal handlers back as they were before
/// simvault_echo_off. Idempotent.
void simvault_echo_restore(void);

#endif
