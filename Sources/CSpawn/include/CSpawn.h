#ifndef SIMVAULT_CSPAWN_H
#define SIMVAULT_CSPAWN_H

#include <spawn.h>

/// pipe2(O_CLOEXEC): both ends are close-on-exec from the start, so a child
/// spawned by another thread at the same moment cannot inherit them.
int simvault_pipe_cloexec(int fds[2]);

/// posix_spawn_file_actions_addclosefrom_np (glibc >= 2.34): close every
/// descriptor >= lowfd in the child.
int simvault_spawn_addclosefrom(posix_spawn_file_actions_t *actions, int lowfd);

/// posix_spawn_file_actions_addchdir_np (glibc >= 2.29).
int simvault_spawn_addchdir(posix_spawn_file_actions_t *actions, const char *path);

#endif
