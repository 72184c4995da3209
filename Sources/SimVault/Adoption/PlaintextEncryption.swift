import Foundation
public import VaultKeys
import Glibc

/// What `encrypt` made.
public struct EncryptionReport: Sendable, Codable, Equatable {
    public struct Table: Sendable, Codable, Equatable {
        public let name: String
        public let rows: Int64
    }
    public let source: String
    public let path: String
    public let headerPath: String
    public let vaultID: String
    public let pageSize: Int
    /// The SQLCipher compatibility level the file was written with.
    public let cipherCompatibility: Int
    public let userVersion: Int
    /// Every table with its row count, the same in the source and the copy.
    public let tables: [Table]
    /// Key slots, e.g. `1 keyring`.
    public let slots: [String]
    /// Whether the plaintext original was overwritten and deleted.
    public let removedOriginal: Bool
}

/// The result of ``PlaintextEncryption/encrypt(_:to:options:removingOriginal:progress:)``.
public struct PlaintextEncryptionResult: Sendable {
    public let report: EncryptionReport
    /// Show once, never store.
    public let recoveryCode: SecretBytes?
    public let keyringFailure: KeyringFailure?
}

/// `simvault encrypt`: turns any plaintext SQLite database into an encrypted
/// file with simvault's key management: a random master key, SQLCipher with
/// simvault's cipher settings, and a key header `<file>.keys` with the same
/// slots `init` makes (keyring, password, recovery code).
///
/// The copy keeps the database as it is (its schema, every row with its
/// rowid, AUTOINCREMENT counters, indexes, views, triggers, full-text
/// tables, `user_version`, `application_id` and journal mode); it is not
/// turned into a simvault vault, so the app that owns the schema keeps
/// working on it with the key (see the interop contract: `secret-tool
/// lookup`, `PRAGMA key`, `PRAGMA cipher_page_size`).
///
/// How: the source is read by `simvault-sqlite-reader` in a process of its
/// own (read-only and immutable: it is never modified; see
/// ``ForeignDatabase``), so a crafted file can crash or hang only that
/// process. Its schema is replayed under ``SchemaReplay``'s rules (one
/// statement per entry, only CREATE of the entry's own object in `main`;
/// rehearsed in the reader first) and its rows are streamed into the new
/// file, rowids included; the new file is built under a hidden name in one
/// transaction (plaintext pages exist only in memory: `temp_store =
/// MEMORY`); then it is opened afresh, every page is read
/// (`integrity_check`) and every table's row count, the schema and
/// `user_version` are compared with the source.
/// Only then are the header and the file moved into place. With
/// `removingOriginal`, the source (and its empty `-wal`/`-shm`) is then
/// overwritten with zeros, fsynced and deleted — on SSDs and copy-on-write
/// file systems overwriting does not guarantee the old blocks are gone.
public enum PlaintextEncryption {
    /// - Throws: ``VaultError/alreadyExists(path:)`` (never overwrites),
    ///   ``VaultError/invalidArgument(detail:)`` for a source that is not a
    ///   plaintext database or uses a module this SQLCipher lacks (FTS5 on 3.4.1),
    ///   ``VaultError/malformedInput(path:detail:)`` for a file that crashes,
    ///   hangs or exhausts its reader, or whose schema holds what SQLite
    ///   never writes (several statements in an entry, ATTACH...),
    ///   ``VaultError/noKeySource(reasons:)``, ``VaultError/corrupt(detail:)``
    ///   when verification fails (nothing is left behind).
    public static func encrypt(
        _ sourcePath: String, to destination: VaultLocation, options: VaultCreationOptions = VaultCreationOptions(),
        removingOriginal: Bool = false, progress: ProgressHandler? = nil
    ) throws -> PlaintextEncryptionResult {
        try VaultFiles.verifyAbsent(destination)
        try EngineCheck.inspect().requireSupport(forCreating: options.cipher)
        let database = try ForeignDatabase(path: sourcePath, configuration: options.configuration.foreignReader)
        defer { database.close() }
        let schema = try EncryptionSource(database)
        try schema.rehearse()
        let slots = try NewKeySlots.make(for: destination, options: options)
        let staging = VaultLocation(path: destination.directory + "/.\((destination.path as NSString).lastPathComponent).encrypting-\(UUID().uuidString.prefix(8).lowercased())")
        var finished = false
        var wroteHeader = false
        defer {
            if !finished {
                for file in staging.allFiles { unlink(file) }
                if wroteHeader { unlink(destination.headerPath) }
                slots.removeKeyringItem()
            }
        }
        try Vault.createDirectory(destination.directory)
        do { Glibc.close(try PrivateFile.createExclusive(staging.path)) } catch {
            throw error.isDiskFull ? VaultError.diskFull(detail: error.description) : VaultError.io(detail: error.description)
        }
        try copy(schema, into: staging, key: slots.masterKey, cipher: slots.header.cipher, progress: progress)
        try verify(staging, against: schema, key: slots.masterKey, cipher: slots.header.cipher)
        for file in [staging.walPath, staging.shmPath] { unlink(file) }

        do {
            try KeyHeaderFile(path: destination.headerPath).write(slots.header, authenticatedWith: HeaderKeys(current: slots.masterKey), creating: true)
        } catch {
            throw VaultError(error)
        }
        wroteHeader = true
        try Vault.moveIntoPlace(staging.path, destination.path)
        finished = true

        if removingOriginal { try removePlaintext(sourcePath) }
        let report = EncryptionReport(
            source: sourcePath, path: destination.path, headerPath: destination.headerPath, vaultID: slots.header.vaultID,
            pageSize: slots.header.cipher.pageSize, cipherCompatibility: slots.header.cipher.compatibility, userVersion: schema.userVersion,
            tables: schema.tables.map { EncryptionReport.Table(name: $0.name, rows: $0.rows) },
            slots: slots.header.slots.map { "\($0.id) \($0.kind.rawValue)" }, removedOriginal: removingOriginal)
        return PlaintextEncryptionResult(report: report, recoveryCode: slots.recoveryCode, keyringFailure: slots.keyringFailure)
    }

    // MARK: - Copy

    private static func copy(_ source: EncryptionSource, into staging: VaultLocation, key: MasterKey, cipher: CipherSettings, progress: ProgressHandler?) throws {
        let sourcePath = source.database.path
        var options = Connection.Options()
        options.cipher = cipher
        options.synchronous = "FULL"
        options.usesWAL = source.usesWAL
        let target: Connection
        do { target = try Connection(path: staging.path, key: key, options: options) } catch let error as SQLiteError {
            throw VaultFiles.untrustedFileError(in: staging) ?? VaultError.io(detail: "cannot create \(staging.path): \(error.message)")
        }
        defer { target.close() }
        let replay = SchemaReplay()
        func replaying(_ entry: ForeignSchema.Entry) throws {
            do {
                try replay.replay(entry, on: target)
            } catch let refusal as SchemaReplayRefusal {
                throw VaultError.malformedInput(path: sourcePath, detail: refusal.description)
            } catch let error as SQLiteError {
                throw EncryptionSource.copyError(error.message, what: "\(entry.type) \(entry.name)", path: sourcePath)
            }
        }
        try target.execute("PRAGMA foreign_keys = OFF")
        let total = source.tables.reduce(Int64(0)) { $0 + $1.rows }
        var copied: Int64 = 0
        // Deferred: the first write locks the new file, which nobody else has.
        try target.inTransaction(.deferred) {
            for (entry, onlyIfAbsent) in source.tablesInReplayOrder {
                if onlyIfAbsent, try target.scalar("SELECT 1 FROM main.sqlite_master WHERE type = 'table' AND name = ? COLLATE NOCASE", [entry.name], as: Int.self) != nil { continue }
                try replaying(entry)
            }
            for table in source.tables {
                try copyRows(of: table, from: source.database, into: target, replay: replay)
                copied += table.rows
                progress?(TransferProgress(phase: "copying \(table.name)", completed: copied, total: total, unit: .rows))
            }
            for entry in source.objectsAfterRows { try replaying(entry) }
            try target.execute("PRAGMA user_version = \(source.userVersion)")
            try target.execute("PRAGMA application_id = \(source.applicationID)")
        }
        if source.usesWAL { try target.execute("PRAGMA wal_checkpoint(TRUNCATE)") }
    }

    /// Streams the rows of `table` from the reader into the same table of
    /// the copy, rowids included, under the copy policy (inserts and
    /// deletes in `main` only). `sqlite_sequence` replaces the counters the
    /// inserts left.
    private static func copyRows(of table: EncryptionSource.Table, from source: ForeignDatabase, into target: Connection, replay: SchemaReplay) throws {
        let name = SQLIdentifier.quoted(table.name)
        var columns = table.table.columns.map { SQLIdentifier.quoted($0.name) }
        if table.table.hasRowID { columns.insert("rowid", at: 0) }
        let insert = "INSERT INTO main.\(name) (\(columns.joined(separator: ", "))) VALUES (\(columns.map { _ in "?" }.joined(separator: ", ")))"
        do {
            try target.withAuthorizer(replay.allowsCopy) {
                if table.name.lowercased() == "sqlite_sequence" { try target.execute("DELETE FROM main.sqlite_sequence") }
                let statement = try target.prepare(insert)
                var failure: (any Error)?
                try source.rows(of: table.table) { row in
                    guard failure == nil else { return }
                    do {
                        try statement.bind(row.values)
                        while try statement.step() {}
                    } catch {
                        failure = error
                    }
                }
                if let failure { throw failure }
            }
        } catch let error as SQLiteError {
            throw EncryptionSource.copyError(error.message, what: "table \(table.name)", path: source.path)
        }
    }

    // MARK: - Verify

    private static func verify(_ staging: VaultLocation, against schema: EncryptionSource, key: MasterKey, cipher: CipherSettings) throws {
        func failure(_ detail: String) -> VaultError { .corrupt(detail: "the encrypted copy failed verification (\(detail)); nothing was kept") }
        var options = Connection.Options()
        options.isReadOnly = true
        options.cipher = cipher
        let copy: Connection
        do { copy = try Connection(path: staging.path, key: key, options: options) } catch {
            throw failure("it does not open: \(error)")
        }
        defer { copy.close() }
        do {
            let problems = try copy.fetchAll("PRAGMA integrity_check").compactMap { try? $0.get(0, as: String.self) }
            guard problems == ["ok"] else { throw failure("integrity_check: \(problems.prefix(3).joined(separator: "; "))") }
            for table in schema.tables {
                let rows: Int64 = try copy.scalar("SELECT count(*) FROM \(SQLIdentifier.quoted(table.name))") ?? -1
                guard rows == table.rows else { throw failure("table \(table.name) has \(rows) rows, the source \(table.rows)") }
            }
            let names = Set(try copy.fetchAll("SELECT type || ' ' || name FROM sqlite_master").map { try $0.get(0, as: String.self) })
            let expected = Set(schema.entries.map { "\($0.type) \($0.name)" })
            guard expected.isSubset(of: names) else { throw failure("missing \(expected.subtracting(names).sorted().joined(separator: ", "))") }
            guard try copy.scalar("PRAGMA user_version", as: Int.self) == schema.userVersion else { throw failure("user_version differs") }
        } catch let error as VaultError {
            throw error
        } catch {
            throw failure("\(error)")
        }
    }

    // MARK: - Removing the original

    /// Overwrites `path` with zeros, fsyncs, deletes it (and its empty
    /// `-wal`/`-shm`), and fsyncs the directory.
    private static func removePlaintext(_ path: String) throws {
        try PlaintextRemoval.overwriteAndDelete(path, context: "the encrypted copy is complete, but ")
        for file in [path + "-wal", path + "-shm"] { unlink(file) }
    }
}
