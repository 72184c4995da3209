import Foundation
public import VaultKeys
import VaultSchema

/// An open, unlocked simvault: the chat-app schema (conversations,
/// messages, workflows, runs, secrets, settings) on an ``EncryptedDatabase``
/// (the encrypted file, its key header, one writer and a pool of readers).
///
/// ```swift
/// let vault = try Vault.open(at: VaultLocation.defaultLocation(), unlock: UnlockRequest())
/// let count = try vault.read { db in try db.scalar("SELECT count(*) FROM vault_meta", as: Int.self) }
/// try vault.write { db in try db.execute("INSERT INTO ...", [...]) }
/// ```
///
/// `read` runs on a reader in a deferred transaction (a consistent snapshot);
/// `write` runs on the single writer in an immediate transaction, committed
/// when the closure returns and rolled back when it throws. Both have async
/// variants that do not block the caller's thread.
///
/// Sendable: the database is Sendable, everything else is immutable after
/// open or locked.
public final class Vault: Sendable {
    /// The encrypted database under the chat schema: keys, files,
    /// connections (one code path for every simvault file).
    public let database: EncryptedDatabase
    /// In-memory indexes of the messages not yet in `messages_fts`, for
    /// search (one per concurrent search).
    let pendingMessageIndexes = PendingMessageIndexPool()
    /// Admits ``perform(_:)`` bodies: one per connection, so that the
    /// bodies' own sync calls wait briefly and the rest of the callers
    /// wait suspended, holding no thread.
    let performSlots: SuspendingSemaphore
    /// Replies released without an end, being settled on another thread
    /// (``MessageReply``'s deinit): ``close()`` waits for them, so a reply
    /// the app dropped just before closing is not left `streaming`.
    let settlingReplies = DispatchGroup()

    /// The vault's files.
    public var location: VaultLocation { database.location }
    /// The key header as it was when the vault was opened.
    public var header: KeyHeader { database.header }
    /// Which key source opened the vault, and which were skipped and why.
    public var unlockResult: UnlockResult { database.unlockResult }
    /// The configuration the vault was opened with.
    public var configuration: VaultConfiguration { database.configuration }
    /// The cipher settings of the database as opened: the header's, or
    /// those of a pending rotation's key when an interrupted
    /// `rekey --cipher-compat` already replaced the database.
    public var cipher: CipherSettings { database.cipher }

    var masterKey: MasterKey { database.masterKey }
    var writer: SerializedConnection { database.writer }
    var readers: ReaderPool { database.readers }

    /// Database path.
    public var path: String { location.path }
    /// The vault's UUID.
    public var vaultID: String { header.vaultID }

    init(database: EncryptedDatabase) {
        self.database = database
        performSlots = SuspendingSemaphore(value: max(1, database.configuration.maximumReaderCount) + 1)
    }

    /// The chat schema on an open database: for a caller that opened the
    /// file without knowing what it holds (the CLI). Checks what
    /// ``open(at:unlock:configuration:)`` checks; the vault owns the
    /// database from then on (closing it closes the database).
    ///
    /// - Throws: `.notAVault` for an app database; `.schemaNewer` or
    ///   `.corrupt` for a history this simvault must not touch.
    public static func open(_ database: EncryptedDatabase) throws -> Vault {
        guard database.kind == .vault else { throw VaultError.notAVault(path: database.path) }
        let vault = Vault(database: database)
        vault.settleInterruptedReplies()
        return vault
    }

    // MARK: - Opening

    /// Opens and unlocks the vault at `location`.
    ///
    /// The key comes from `unlock` (explicit key, keyring, password, recovery
    /// code, in that order) and is verified against the header's key check
    /// value before the database is touched, so every failure is named
    /// precisely.
    ///
    /// The header is authenticated with the key before anything else
    /// happens (``KeyUnlocker``): a header changed by someone without the
    /// key is refused with `.corrupt`, nothing written. An old-format header
    /// (1 or 2) is upgraded to the authenticated format 3 with the session's
    /// first write (see ``HeaderUpgrade``); opening itself never writes.
    ///
    /// After an interrupted `rekey` the header records two keys and the
    /// database uses one of them; both are looked up and the one the
    /// database accepts is used (`simvault health` then finishes or rolls
    /// back the rotation). If a `rekey` in another process replaced the
    /// header and re-encrypted the database while this call waited, the
    /// header is read again and the unlock repeated once. A `restore` that
    /// was killed half-way is settled first (``RestoreJournal``), and replies
    /// whose process died while they streamed are marked interrupted and
    /// indexed afterwards (``MessageReply``): the only writes an open makes.
    ///
    /// Before anything is opened, every file under the vault's names must be
    /// a regular file of this user (``VaultFiles``): a symbolic link planted
    /// at `vault.db-wal` is refused, not written through.
    ///
    /// The keys and files are ``EncryptedDatabase``'s; a file with an app's
    /// own schema (made by `simvault encrypt`) is refused here with
    /// `.notAVault`: open it as an ``EncryptedDatabase``.
    ///
    /// - Throws: ``VaultError`` — `.notFound`, `.headerMissing`, `.wrongKey`,
    ///   `.noKeySource`, `.corrupt`, `.busy`, `.schemaNewer`, `.headerNewer`,
    ///   `.untrustedFile`, `.notAVault`.
    public static func open(
        at location: VaultLocation, unlock: UnlockRequest, configuration: VaultConfiguration = VaultConfiguration()
    ) throws -> Vault {
        let vault = try open(at: location, unlock: unlock, configuration: configuration, settlingInterruptedRestore: true)
        vault.settleInterruptedReplies()
        return vault
    }

    /// `open`; `settlingInterruptedRestore` is false only for the restore
    /// itself, which holds the key lock and its journal while it opens.
    static func open(
        at location: VaultLocation, unlock: UnlockRequest, configuration: VaultConfiguration, settlingInterruptedRestore: Bool
    ) throws -> Vault {
        Vault(database: try EncryptedDatabase.open(
            at: location, unlock: unlock, configuration: configuration, settlingInterruptedRestore: settlingInterruptedRestore,
            verify: verifyVault))
    }

    /// A vault's file must hold the chat schema (its history was checked
    /// by ``EncryptedDatabase``, as for every vault opened).
    static func verifyVault(_ connection: Connection, kind: EncryptedDatabaseKind) throws {
        guard kind == .vault else { throw VaultError.notAVault(path: connection.path) }
    }

    // MARK: - Access

    /// Runs `body` on a reader connection inside a deferred transaction: all
    /// its queries see one consistent snapshot.
    public func read<T>(_ body: (Connection) throws -> T) throws -> T { try database.read(body) }

    /// Runs `body` on the writer inside an immediate transaction: committed
    /// when it returns, rolled back when it throws.
    public func write<T>(_ body: (Connection) throws -> T) throws -> T { try database.write(body) }

    /// Runs `body` on the writer with no transaction around it (for PRAGMAs
    /// and statements that cannot run inside one, such as VACUUM).
    public func writeWithoutTransaction<T>(_ body: (Connection) throws -> T) throws -> T {
        try database.writeWithoutTransaction(body)
    }

    /// Async `read`: runs on a background thread, never blocking the caller.
    /// While every reader is busy the caller suspends, holding no thread.
    ///
    /// - Throws: what `body` throws; `CancellationError` if the task is
    ///   cancelled before a reader was free (once `body` runs it completes).
    public func read<T: Sendable>(_ body: @escaping @Sendable (Connection) throws -> T) async throws -> T {
        try await database.read(body)
    }

    /// Async `write`: like `read`, the caller suspends while the writer is
    /// busy.
    public func write<T: Sendable>(_ body: @escaping @Sendable (Connection) throws -> T) async throws -> T {
        try await database.write(body)
    }

    /// Closes the writer and all readers. Later calls throw `.closed`, and
    /// so do async callers still waiting for a connection.
    ///
    /// Replies dropped without `finish`/`fail`/`cancel` are settled as
    /// interrupted first; do not call it inside a `write` of this vault.
    public func close() {
        settlingReplies.wait()
        performSlots.close()
        database.close()
        pendingMessageIndexes.close()
    }

    deinit { close() }

    // MARK: - Schema

    /// The vault's schema version (`PRAGMA user_version`).
    public func schemaVersion() throws -> Int {
        try read { db in try db.scalar("PRAGMA user_version") ?? 0 }
    }

    /// The schema version this simvault creates and understands.
    public static var supportedSchemaVersion: Int { Migrator.simvault.latestVersion }
}
