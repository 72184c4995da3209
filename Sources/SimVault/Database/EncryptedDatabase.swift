import Foundation
public import VaultKeys
import VaultSchema

/// An open, unlocked SQLCipher database with a simvault key header
/// (`<file>.keys`): one writer connection and a pool of readers.
///
/// Any such file opens: a chat vault, a file made by `simvault encrypt`
/// from an app's own plaintext database, or one made empty for an app's own
/// schema by ``create(at:options:)``. The app's tables are its own; it
/// versions them with ``AppMigrations`` and reads them with `Decodable`
/// records (``Connection/fetchAll(_:_:_:)``):
///
/// ```swift
/// let db = try EncryptedDatabase.open(at: VaultLocation(path: path), unlock: UnlockRequest(password: password))
/// try db.migrate(notesMigrations)
/// let notes = try db.read { try $0.fetchAll(Note.self, "SELECT * FROM notes") }
/// ```
///
/// Keys, files and checks are simvault's, the same code ``Vault`` (the chat
/// schema, built on this type) uses: the unlock sources, the key check and
/// header authentication, the engine check, wrong key versus damage,
/// settling an interrupted restore, backups (``backup(to:progress:)``),
/// `simvault rekey`, `key *`, `health` and `restore`.
///
/// `read` runs on a reader in a deferred transaction (a consistent snapshot);
/// `write` runs on the single writer in an immediate transaction, committed
/// when the closure returns and rolled back when it throws.
///
/// Sendable: the writer is serialized by its lock, readers by the pool, and
/// everything else is immutable after open.
public final class EncryptedDatabase: Sendable {
    /// The database's files.
    public let location: VaultLocation
    /// The key header as it was when the database was opened.
    public let header: KeyHeader
    /// Which key source opened it, and which were skipped and why.
    public let unlockResult: UnlockResult
    /// The configuration it was opened with.
    public let configuration: VaultConfiguration
    /// The cipher settings of the database as opened: the header's, or
    /// those of a pending rotation's key when an interrupted
    /// `rekey --cipher-compat` already replaced the database.
    public let cipher: CipherSettings
    /// What the file holds: simvault's chat schema or an app's own.
    public let kind: EncryptedDatabaseKind

    let masterKey: MasterKey
    let writer: SerializedConnection
    let readers: ReaderPool

    /// Database path.
    public var path: String { location.path }
    /// The UUID of the key header (and, for a vault, of the vault).
    public var databaseID: String { header.vaultID }

    // MARK: - Opening

    /// Opens and unlocks the database at `location`, whatever schema it
    /// holds. The key comes from `unlock` and is checked as
    /// ``Vault/open(at:unlock:configuration:)`` checks it (that page lists
    /// every step; they are the same code).
    ///
    /// - Throws: ``VaultError`` — `.notFound`, `.headerMissing`, `.wrongKey`,
    ///   `.noKeySource`, `.corrupt`, `.busy`, `.headerNewer`, `.untrustedFile`.
    public static func open(
        at location: VaultLocation, unlock: UnlockRequest, configuration: VaultConfiguration = VaultConfiguration()
    ) throws -> EncryptedDatabase {
        try open(at: location, unlock: unlock, configuration: configuration, settlingInterruptedRestore: true) { _, _ in }
    }

    /// `open`, with `verify` run on the writer connection before the
    /// database is handed out (``Vault`` checks its schema history there);
    /// `settlingInterruptedRestore` is false only for the restore itself,
    /// which holds the key lock and its journal while it opens.
    static func open(
        at location: VaultLocation, unlock: UnlockRequest, configuration: VaultConfiguration, settlingInterruptedRestore: Bool,
        verify: (Connection, EncryptedDatabaseKind) throws -> Void
    ) throws -> EncryptedDatabase {
        if settlingInterruptedRestore { _ = try RestoreJournal.recover(location) }
        let request = unlock.cachingSecrets()
        var header = try loadHeader(location)
        var isRetry = false
        while true {
            let unlocked: UnlockResult
            do {
                unlocked = try KeyUnlocker(header: header, location: location, configuration: configuration).unlock(request)
            } catch {
                throw VaultError(error)
            }
            do {
                let database = try EncryptedDatabase(
                    location: location, header: header, unlockResult: unlocked, configuration: configuration, verify: verify)
                database.noteSlotUse()
                database.completeHeaderProtectionWithFirstWrite()
                return database
            } catch let error as VaultError {
                // A `rekey` in another process replaced the header and
                // re-encrypted the database while this call waited: read
                // the header again and unlock once more.
                guard case .corrupt = error, !isRetry else { throw error }
                let fresh = try loadHeader(location)
                guard fresh != header else { throw error }
                header = fresh
                isRetry = true
            }
        }
    }

    /// Reads the header of the database at `location`, checking that the
    /// database exists first, and (unless `verifyingFiles` is false, for a
    /// backup that is only read) that every file under its names is a
    /// regular file of this user (``VaultFiles``).
    static func loadHeader(_ location: VaultLocation, verifyingFiles: Bool = true) throws -> KeyHeader {
        if verifyingFiles { try VaultFiles.verify(location) }
        guard location.databaseExists else {
            let headerExists = FileManager.default.fileExists(atPath: location.headerPath)
            var detail = headerExists ? "a key header exists at \(location.headerPath) but the database does not; if an init was interrupted, remove the header and run init again" : nil
            if FileManager.default.fileExists(atPath: RestoreJournal.path(for: location)) {
                detail = "a restore was interrupted: \(RestoreJournal.path(for: location)) says where the files are and how to put them back"
            }
            throw VaultError.notFound(path: location.path, detail: detail)
        }
        do {
            return try KeyHeaderFile(path: location.headerPath).load()
        } catch {
            throw VaultError(error)
        }
    }

    /// Opens the writer with the first key the database accepts, names what
    /// the file holds, runs `verify`, and prepares the reader pool.
    init(
        location: VaultLocation, header: KeyHeader, unlockResult: UnlockResult, configuration: VaultConfiguration,
        verify: (Connection, EncryptedDatabaseKind) throws -> Void = { _, _ in }
    ) throws {
        self.location = location
        self.header = header
        self.configuration = configuration

        let (writerConnection, chosen) = try Self.openConnection(
            location: location, firstAcceptedOf: unlockResult.keys, header: header,
            options: configuration.connectionOptions(readOnly: false, cipher: header.cipher))
        self.unlockResult = unlockResult.selecting(chosen)
        masterKey = chosen.masterKey
        cipher = header.cipher(for: chosen.generation)
        do {
            kind = try Self.identify(writerConnection, header: header, location: location)
            // Whoever opens a vault, as a Vault or not, may not touch one
            // whose simvault history is newer or altered.
            if kind == .vault { try Self.verifySchemaHistory(of: writerConnection) }
            try verify(writerConnection, kind)
        } catch {
            writerConnection.close()
            throw error
        }
        writer = SerializedConnection(writerConnection)

        let key = chosen.masterKey
        let readerOptions = configuration.connectionOptions(readOnly: true, cipher: cipher)
        readers = ReaderPool(maximumCount: configuration.maximumReaderCount) {
            try Self.openConnection(location: location, key: key, options: readerOptions)
        }
    }

    /// What the file holds. A vault's database must carry the header's
    /// vault id: a header copied from another vault is caught here, even if
    /// its key happened to decrypt. A file without simvault's `vault_meta`
    /// id is an app's own (made by `simvault encrypt` or ``create(at:options:)``).
    static func identify(_ connection: Connection, header: KeyHeader, location: VaultLocation) throws -> EncryptedDatabaseKind {
        let storedID: String?
        do {
            let hasMeta: Bool = try connection.scalar("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'vault_meta'") ?? false
            storedID = hasMeta ? try VaultMeta.read(VaultMeta.vaultID, in: connection) : nil
        } catch let error as SQLiteError {
            throw VaultError.classify(error, path: location.path) ?? error
        }
        guard let storedID else { return .appDatabase }
        guard storedID == header.vaultID else {
            throw VaultError.corrupt(detail: "the key header belongs to vault \(header.vaultID) but the database is vault \(storedID)")
        }
        return .vault
    }

    /// Refuses a vault this binary must not touch: schema newer than the
    /// binary (exit 14), or a migration history that was altered (exit 12).
    /// Pending migrations are allowed; `migrate` applies them.
    static func verifySchemaHistory(of connection: Connection) throws {
        let status: Migrator.Status
        do {
            status = try Migrator.simvault.status(of: ConnectionSchemaDatabase(connection: connection))
        } catch let error as SQLiteError {
            throw VaultError.classify(error, path: connection.path) ?? error
        }
        if let problem = status.problem { throw VaultError(problem) }
    }

    /// Opens one connection with a key that has already passed the key check,
    /// so "not a database" here means damage, not a wrong key.
    static func openConnection(location: VaultLocation, key: MasterKey, options: Connection.Options) throws -> Connection {
        do {
            return try Connection(path: location.path, key: key, options: options)
        } catch let error as SQLiteError {
            if error.isNotADatabase {
                throw VaultError.corrupt(detail: "the key is right (it matches the key header) but \(location.path) does not decrypt: its first page is damaged, or the file is not this vault's database")
            }
            if let mapped = VaultError.classify(error, path: location.path) { throw mapped }
            // SQLite refuses a link at a side file's name (SideFileLinks)
            // with "unable to open": name the file.
            if let untrusted = VaultFiles.untrustedFileError(in: location) { throw untrusted }
            throw VaultError.io(detail: "cannot open \(location.path): \(error.message)")
        }
    }

    /// Opens one connection with the first of `keys` the database accepts,
    /// each with the cipher settings the header records for it (`options`'
    /// own are replaced). There is more than one key only while a rotation
    /// is pending; a key the database rejects then means "the other key".
    /// When every key is rejected it is damage (reported by
    /// ``openConnection(location:key:options:)``), unless a rotation is
    /// pending and only one of its two keys was found: then the database
    /// simply uses the other one, and the error says which key source is
    /// needed. A key whose settings this engine cannot read (a pending
    /// `rekey --cipher-compat 4` seen on SQLCipher 3) is skipped while
    /// another key remains.
    static func openConnection(
        location: VaultLocation, firstAcceptedOf keys: [UnlockedKey], header: KeyHeader, options: Connection.Options
    ) throws -> (Connection, UnlockedKey) {
        func keyedOptions(_ key: UnlockedKey) -> Connection.Options {
            var keyed = options
            keyed.cipher = header.cipher(for: key.generation)
            return keyed
        }
        if header.rotation != nil, keys.count == 1 {
            do {
                return (try Connection(path: location.path, key: keys[0].masterKey, options: keyedOptions(keys[0])), keys[0])
            } catch let error as SQLiteError where error.isNotADatabase {
                let other = keys[0].generation == .current ? "new (pending)" : "old (current)"
                throw VaultError.noKeySource(reasons: [
                    "an interrupted key rotation is pending and the database uses its \(other) key, which \(keys[0].source) does not hold; give --password-file or --recovery-code-file (then run `simvault health` to finish the rotation)",
                ])
            } catch let error as SQLiteError {
                throw VaultError.classify(error, path: location.path) ?? VaultError.io(detail: "cannot open \(location.path): \(error.message)")
            }
        }
        var unreadable: VaultError?
        for key in keys.dropLast() {
            switch try attempt(key, location: location, options: keyedOptions(key)) {
            case .opened(let connection): return (connection, key)
            case .rejected: continue
            case .unreadableSettings(let error): unreadable = error
            }
        }
        let last = keys[keys.count - 1]
        do {
            return (try openConnection(location: location, key: last.masterKey, options: keyedOptions(last)), last)
        } catch let error as VaultError {
            // The other key's settings could not be tried here: that, not
            // damage, is why the database did not open.
            if let unreadable, case .corrupt = error { throw unreadable }
            throw error
        }
    }

    /// What trying one key of a pending rotation gave.
    enum KeyAttempt {
        case opened(Connection)
        /// The database does not use this key (the other one, then).
        case rejected
        /// This engine cannot apply the settings the header records for
        /// the key (a pending `rekey --cipher-compat 4` seen on SQLCipher 3).
        case unreadableSettings(VaultError)
    }

    /// Opens a connection with `key` (its settings already in `options`).
    ///
    /// - Throws: damage, lock contention or a full disk as ``VaultError``.
    static func attempt(_ key: UnlockedKey, location: VaultLocation, options: Connection.Options) throws -> KeyAttempt {
        do {
            return .opened(try Connection(path: location.path, key: key.masterKey, options: options))
        } catch let error as SQLiteError where error.isNotADatabase {
            return .rejected
        } catch let error as VaultError where error.isCipherNewerThanEngine {
            return .unreadableSettings(error)
        } catch let error as SQLiteError {
            throw VaultError.classify(error, path: location.path) ?? VaultError.io(detail: "cannot open \(location.path): \(error.message)")
        }
    }

    // MARK: - Access

    /// Runs `body` on a reader connection inside a deferred transaction: all
    /// its queries see one consistent snapshot.
    public func read<T>(_ body: (Connection) throws -> T) throws -> T {
        try mappingEngineErrors {
            try readers.withReader { db in try db.inTransaction(.deferred) { try body(db) } }
        }
    }

    /// Runs `body` on the writer inside an immediate transaction: committed
    /// when it returns, rolled back when it throws.
    public func write<T>(_ body: (Connection) throws -> T) throws -> T {
        try mappingEngineErrors {
            try writer.transaction(body)
        }
    }

    /// Runs `body` on the writer with no transaction around it (for PRAGMAs
    /// and statements that cannot run inside one, such as VACUUM).
    public func writeWithoutTransaction<T>(_ body: (Connection) throws -> T) throws -> T {
        try mappingEngineErrors { try writer.sync(body) }
    }

    /// Async `read`: runs on a background thread, never blocking the caller.
    /// While every reader is busy the caller suspends, holding no thread.
    ///
    /// - Throws: what `body` throws; `CancellationError` if the task is
    ///   cancelled before a reader was free (once `body` runs it completes).
    public func read<T: Sendable>(_ body: @escaping @Sendable (Connection) throws -> T) async throws -> T {
        try await mappingEngineErrors {
            try await readers.withReader { db in try db.inTransaction(.deferred) { try body(db) } }
        }
    }

    /// Async `write`: like `read`, the caller suspends while the writer is
    /// busy.
    public func write<T: Sendable>(_ body: @escaping @Sendable (Connection) throws -> T) async throws -> T {
        try await writer.withAsyncTurn { try self.write(body) }
    }

    /// Closes the writer and all readers. Later calls throw `.closed`, and
    /// so do async callers still waiting for a connection.
    public func close() {
        readers.close()
        writer.close()
    }

    deinit { close() }

    private func mappingEngineErrors<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as SQLiteError {
            throw VaultError.classify(error, path: location.path) ?? error
        }
    }

    private func mappingEngineErrors<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as SQLiteError {
            throw VaultError.classify(error, path: location.path) ?? error
        }
    }

    /// Runs blocking `work` on a global queue. Callers hold a slot of a
    /// ``SuspendingSemaphore`` first, so the threads this takes are bounded
    /// by the database's connections, not by its callers.
    static func offload<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global(qos: .userInitiated).async {
                continuation.resume(with: Result { try work() })
            }
        }
    }
}

/// What an ``EncryptedDatabase`` holds.
public enum EncryptedDatabaseKind: String, Sendable, Codable, Equatable {
    /// simvault's chat schema (`vault_meta` names the header's vault id):
    /// open it as a ``Vault``.
    case vault
    /// An app's own schema: made by `simvault encrypt` or created empty by
    /// ``EncryptedDatabase/create(at:options:)``.
    case appDatabase = "app-database"

    /// How the CLI names it.
    public var description: String {
        switch self {
        case .vault: return "simvault vault"
        case .appDatabase: return "app database (its own schema, simvault's keys)"
        }
    }
}
