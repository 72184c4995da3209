#ifndef SIMVAULT_CSQLCIPHER_SHIM_H
#define SIMVAULT_CSQLCIPHER_SHIM_H

// SQLCipher's header only declares sqlite3_key/sqlite3_rekey when this is set.
#define SQLITE_HAS_CODEC 1
// The explicit sqlcipher/ path matters: Debian also ships the plain SQLite
// header as <sqlite3.h>, and the two must never be mixed.
#include <sqlcipher/sqlite3.h>

/// SQLITE_TRANSIENT is a macro casting -1 to a function pointer, which Swift
/// cannot import. It tells sqlite3_bind_* to copy the buffer before returning.
static inline sqlite3_destructor_type simvault_sqlite_transient(void) {
    return SQLITE_TRANSIENT;
}

/// SQLITE_STATIC: the buffer outlives the statement step (caller guarantees).
static inline sqlite3_destructor_type simvault_sqlite_static(void) {
    return SQLITE_STATIC;
}

#endif
