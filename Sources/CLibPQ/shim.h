#ifndef SIMVAULT_CLIBPQ_SHIM_H
#define SIMVAULT_CLIBPQ_SHIM_H

// libpq, PostgreSQL's C client library (Debian: libpq-dev), for the one-time
// `simvault import sim-postgres` migration. Only
// Sources/SimVault/SimPostgres/PostgresConnection.swift calls it.

#include <libpq-fe.h>
#include <postgres_ext.h>

/// PG_DIAG_SQLSTATE is a character-literal macro, which Swift does not import
/// (PQresultErrorField, https://www.postgresql.org/docs/current/libpq-exec.html).
static inline int simvault_pq_diag_sqlstate(void) { return PG_DIAG_SQLSTATE; }

static inline void simvault_pq_ignore_notice(void *arg, const char *message) {
    (void)arg;
    (void)message;
}

/// > The default notice processor ... simply prints the message on stderr.
/// (libpq-notice-processing). simvault reports through its own output only.
static inline void simvault_pq_silence_notices(PGconn *connection) {
    PQsetNoticeProcessor(connection, simvault_pq_ignore_notice, NULL);
}

#endif
