/// How a transaction takes its locks.
///
/// SQLite: https://www.sqlite.org/lang_transaction.html
public enum TransactionKind: String, Sendable {
    /// Locks are taken at the first read/write. For read transactions.
    case deferred = "DEFERRED"
    /// The write lock is taken at BEGIN, so a busy database is found before
    /// any work is done and a later write cannot fail with SQLITE_BUSY.
    case immediate = "IMMEDIATE"
    /// As immediate; in WAL mode readers still proceed.
    case exclusive = "EXCLUSIVE"
}

extension Connection {
    /// Runs `body` in a transaction: committed when it returns, rolled back
    /// when it throws.
    ///
    /// ```swift
    /// try db.inTransaction(.immediate) {
    ///     try db.execute("INSERT INTO vault_meta(key, value) VALUES (?, ?)", ["k", "v"])
    /// }
    /// ```
    public func inTransaction<T>(_ kind: TransactionKind = .deferred, _ body: () throws -> T) throws -> T {
        try execute("BEGIN \(kind.rawValue) TRANSACTION")
        let result: T
        do {
            result = try body()
        } catch {
            rollbackIfNeeded()
            throw error
        }
        do {
            try execute("COMMIT TRANSACTION")
        } catch {
            rollbackIfNeeded()
            throw error
        }
        return result
    }

    /// Runs `body` in a savepoint (nestable, also inside a transaction).
    /// On error only the work since the savepoint is undone.
    public func inSavepoint<T>(_ body: () throws -> T) throws -> T {
        let name = "simvault_sp"
        try execute("SAVEPOINT \(name)")
        do {
            let result = try body()
            try execute("RELEASE SAVEPOINT \(name)")
            return result
        } catch {
            // ROLLBACK TO keeps the savepoint on the stack; RELEASE pops it.
            try? execute("ROLLBACK TRANSACTION TO SAVEPOINT \(name)")
            try? execute("RELEASE SAVEPOINT \(name)")
            throw error
        }
    }

    /// Rolls back an open transaction. Some errors (SQLITE_FULL, IOERR,
    /// BUSY, NOMEM) make SQLite roll back by itself; then there is nothing
    /// to do.
    func rollbackIfNeeded() {
        if isInTransaction { try? execute("ROLLBACK TRANSACTION") }
    }
}
