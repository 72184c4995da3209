import Foundation
import VaultKeys

/// A connection that has the vault's database to itself, for `rekey`
/// (SQLite's `locking_mode = EXCLUSIVE`). Compare ``DeadManSwitchLock``, a
/// file lock without a connection, for swapping the files themselves.
///
/// Re-encrypting must not happen while another connection has the file
/// open: that connection still holds the old key and would fail on every
/// page afterwards (an app with the vault open would break mid-session).
/// SQLite already knows who has the file open: in WAL mode every open
/// connection keeps a SHARED lock on the database file from its first read
/// until it closes. A connection in `locking_mode = EXCLUSIVE` asks for an
/// EXCLUSIVE lock as it opens, which is granted only when no other
/// connection holds any lock, and then keeps every other connection out
/// (their opens fail with SQLITE_BUSY) until it closes. So "the open
/// succeeded" is exactly "nobody else has the vault open", with no window
/// between the check and the work, and the kernel drops the lock if the
/// process dies.
enum ExclusiveConnection {
    /// Page cache of the re-encrypting connection, in KiB. Small on purpose:
    /// dirty pages spill into the WAL as they are re-encrypted, which keeps
    /// memory bounded and makes progress visible as the WAL grows.
    static let cacheSizeKiB = 2048

    /// Opens the database exclusively with `key`, waiting until `deadline`
    /// for other connections to close.
    ///
    /// - Parameter onWait: called once, before waiting, when the vault is
    ///   open elsewhere and the deadline is in the future.
    /// - Throws: ``VaultError/busy(detail:)`` when the vault stays open
    ///   elsewhere; the open errors of ``Vault``.
    static func open(
        location: VaultLocation, key: MasterKey, cipher: CipherSettings, deadline: Date, onWait: () -> Void
    ) throws -> Connection {
        var options = Connection.Options()
        options.cipher = cipher
        options.locksExclusively = true
        // Each commit (the whole re-encryption is one) is fsynced before
        // the header may refer to its result.
        options.synchronous = "FULL"
        options.cacheSizeKiB = cacheSizeKiB
        options.busyTimeoutMilliseconds = 0
        do {
            return try EncryptedDatabase.openConnection(location: location, key: key, options: options)
        } catch VaultError.busy {
            let remaining = deadline.timeIntervalSinceNow
            guard remaining > 0 else { throw busy(waited: nil) }
            onWait()
            options.busyTimeoutMilliseconds = Int32(min(remaining * 1000, Double(Int32.max)))
            do {
                return try EncryptedDatabase.openConnection(location: location, key: key, options: options)
            } catch VaultError.busy {
                throw busy(waited: remaining)
            }
        }
    }

    private static func busy(waited: Double?) -> VaultError {
        let waitedText = waited.map { " (waited \(String(format: "%.0f", $0)) s)" } ?? ""
        return .busy(detail: "another process has it open\(waitedText), and re-keying needs the vault to itself; nothing was changed. Close the app or command using it, or let `simvault rekey --wait SECONDS` wait for it")
    }
}
