#ifndef SIMVAULT_CPROCESSHARDENING_H
#define SIMVAULT_CPROCESSHARDENING_H

/// prctl(PR_SET_DUMPABLE, 0) and setrlimit(RLIMIT_CORE, 0): no core dumps,
/// no ptrace or /proc/<pid>/mem|environ access by other processes of the
/// same user. prctl is variadic, which Swift cannot call. Returns 0 when
/// both succeeded.
int simvault_disable_core_dumps(void);

#endif
