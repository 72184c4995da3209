import Foundation

/// The vault's single writer connection behind a lock: one writer at a time,
/// from any thread.
///
/// @unchecked Sendable: `connection` is touched only while `lock` is held.
final class SerializedConnection: @unchecked Sendable {
    private let lock = NSRecursiveLock()
    private var connection: Connection?
    private var depth = 0

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

    /// Closes the connection; later calls throw `.closed`.
    func close() {
        lock.lock()
        defer { lock.unlock() }
        connection?.close()
        connection = nil
    }
}
