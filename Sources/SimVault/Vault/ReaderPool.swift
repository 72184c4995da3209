import Foundation

/// A bounded pool of read-only connections, opened on demand.
///
/// Readers are forced read-only in code (`SQLITE_OPEN_READONLY` plus
/// `PRAGMA query_only`), so a reader can never write. In WAL mode they read a
/// consistent snapshot while the writer works.
///
/// A caller waits for a free reader in ``slots``: a sync caller blocks its
/// thread, an async caller suspends and gets a thread only once it holds a
/// reader (``SuspendingSemaphore``).
///
/// @unchecked Sendable: `idle`, `isClosed` are touched only under `lock`; a
/// connection is used by one caller at a time (taken out of `idle`).
final class ReaderPool: @unchecked Sendable {
    private let lock = NSLock()
    let slots: SuspendingSemaphore
    private var idle: [Connection] = []
    private var isClosed = false
    private let open: @Sendable () throws -> Connection

    init(maximumCount: Int, open: @escaping @Sendable () throws -> Connection) {
        slots = SuspendingSemaphore(value: max(1, maximumCount))
        self.open = open
    }

    /// Runs `body` with a reader connection, blocking while none is free.
    func withReader<T>(_ body: (Connection) throws -> T) throws -> T {
        try slots.blockingWait()
        defer { slots.signal() }
        return try withHeldSlot(body)
    }

    /// Runs `body` with a reader connection on a background thread,
    /// suspending (not blocking) while none is free.
    func withReader<T: Sendable>(_ body: @escaping @Sendable (Connection) throws -> T) async throws -> T {
        try await slots.wait()
        defer { slots.signal() }
        return try await EncryptedDatabase.offload { try self.withHeldSlot(body) }
    }

    /// `body` with an idle reader, or a new one; the caller holds a slot.
    private func withHeldSlot<T>(_ body: (Connection) throws -> T) throws -> T {
        let reused: Connection?? = lock.withLock { isClosed ? nil : .some(idle.popLast()) }
        guard let reused else { throw VaultError.closed }
        let connection = try reused ?? open()
        do {
            let result = try body(connection)
            giveBack(connection)
            return result
        } catch let error as SQLiteError where error.isCorrupt || error.isNotADatabase || error.isUnreadablePage {
            // After a page fails its HMAC check a connection may stay in an
            // error state; drop it rather than reuse it.
            connection.close()
            throw error
        } catch {
            giveBack(connection)
            throw error
        }
    }

    private func giveBack(_ connection: Connection) {
        let keep = lock.withLock { () -> Bool in
            guard !isClosed else { return false }
            idle.append(connection)
            return true
        }
        if !keep { connection.close() }
    }

    /// Closes idle readers; readers in use close when given back. Callers
    /// waiting for a reader, and later ones, get `VaultError.closed`.
    func close() {
        slots.close()
        let toClose = lock.withLock { () -> [Connection] in
            isClosed = true
            defer { idle.removeAll() }
            return idle
        }
        toClose.forEach { $0.close() }
    }
}
