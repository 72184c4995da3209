import Foundation

/// The vault's single writer connection behind a lock: one writer at a time,
/// from any thread.
///
/// Async callers first wait for their turn in ``asyncTurns`` by suspending,
/// so at most one thread of theirs ever blocks on `lock` (behind sync
/// callers), however many async callers wait.
///
/// @unchecked Sendable: `connection` is touched only while `lock` is held.
final class SerializedConnection: @unchecked Sendable {
    private let lock = NSRecursiveLock()
    let asyncTurns = SuspendingSemaphore(value: 1)
    private var connection: Connection?
    private var depth = 0
    /// Bookkeeping that must not change the file on its own (see
    /// ``deferToNextTransaction(_:)``); runs first in the next transaction.
    private var deferredWork: [@Sendable (Connection) throws -> Void] = []

    init(_ connection: Connection) { self.connection = connection }

    /// Runs `body` with exclusive use of the connection.
    func sync<T>(_ body: (Connection) throws -> T) throws -> T {
        lock.lock()
        defer { lock.unlock() }
        // Re-entering from inside `body` would nest transactions on one
        // connection; it is a programming error in the caller.
        precondition(depth == 0, "Vault.write was called from inside Vault.write; use the Connection you were given")
        guard let connection else { throw VaultError.closed }
        depth += 1
        defer { depth -= 1 }
        return try body(connection)
    }

    /// Runs `body` in an immediate transaction, preceded by the deferred
    /// work, which commits or rolls back with it. The deferred work is best
    /// effort: its failure never fails `body`'s transaction.
    func transaction<T>(_ body: (Connection) throws -> T) throws -> T {
        try sync { db in
            let work = deferredWork
            let result = try db.inTransaction(.immediate) { () throws -> T in
                for item in work { try? item(db) }
                return try body(db)
            }
            deferredWork = []
            return result
        }
    }

    /// `work` (which uses ``sync(_:)`` or ``transaction(_:)``) on a
    /// background thread once no other async caller is using the writer;
    /// waiting suspends the caller.
    func withAsyncTurn<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await asyncTurns.wait()
        defer { asyncTurns.signal() }
        return try await EncryptedDatabase.offload(work)
    }

    /// Keeps `work` for the next ``transaction(_:)``, after earlier deferred
    /// work: a session that only reads never writes to the file.
    func deferToNextTransaction(_ work: @escaping @Sendable (Connection) throws -> Void) {
        lock.lock()
        defer { lock.unlock() }
        deferredWork.append(work)
    }

    /// Closes the connection; later calls, and async callers waiting for
    /// their turn, throw `.closed`.
    func close() {
        asyncTurns.close()
        lock.lock()
        defer { lock.unlock() }
        connection?.close()
        connection = nil
    }
}
