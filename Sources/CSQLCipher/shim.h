#ifndef SIMVAULT_CSQLCIPHER_SHIM_H
#define SIMVAULT_CSQLCIPHER_SHIM_H

// SQLCipher's header only declares sqlite3_key/sqlite3_rekey when this is set.
#define SQLITE_HAS_CODEC 1
// The explicit sqlcipher/ path matters: Debian also ships the plain SQLite
// header as <sqlite3.h>, and the two must never be mixed.
#include <sqlcipher/sqlite3.h>
#include <fcntl.h>
#include <string.h>

/// SQLITE_TRANSIENT is a macro casting -1 to a function pointer, which Swift
/// cannot import. It tells sqlite3_bind_* to copy the buffer before returning.
static inline sqlite3_destructor_type simvault_sqlite_transient(void) {
    return SQLITE_TRANSIENT;
}

/// SQLITE_STATIC: the buffer outlives the statement step (caller guarantees).
static inline sqlite3_destructor_type simvault_sqlite_static(void) {
    return SQLITE_STATIC;
}

/// The unix VFS's `open` with O_NOFOLLOW added for every file SQLite may
/// create (O_CREAT) and for every side file (`-wal`, `-shm`, `-journal`),
/// whatever the flags: SQLite 3.15.2 has no SQLITE_OPEN_NOFOLLOW and would
/// otherwise open (and write through) a symbolic link planted at a side
/// file's name. Directory opens (for fsync) keep following links.
static int simvault_open_nofollow(const char *path, int flags, int mode) {
    size_t length = strlen(path);
    static const char *const suffixes[] = {"-wal", "-shm", "-journal"};
    int nofollow = (flags & O_CREAT) != 0;
    for (size_t i = 0; !nofollow && i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
        size_t suffix = strlen(suffixes[i]);
        nofollow = length >= suffix && strcmp(path + length - suffix, suffixes[i]) == 0;
    }
    return open(path, nofollow ? flags | O_NOFOLLOW : flags, mode);
}

/// Installs simvault_open_nofollow as the unix VFS's "open" system call
/// (sqlite3_vfs.xSetSystemCall; shared by every unix VFS of the process).
/// Returns SQLITE_OK, or an error when the VFS does not allow it.
static inline int simvault_install_nofollow_open(void) {
    sqlite3_vfs *vfs = sqlite3_vfs_find("unix");
    if (vfs == 0 || vfs->iVersion < 3 || vfs->xSetSystemCall == 0) return SQLITE_ERROR;
    return vfs->xSetSystemCall(vfs, "open", (sqlite3_syscall_ptr)simvault_open_nofollow);
}

#endif
