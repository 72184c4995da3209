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
/// How: the source is opened read-only and immutable (it is never
/// modified); the new file is built under a hidden name in one transaction
/// (plaintext pages exist only in memory: `temp_store = MEMORY`); then it is
/// opened afresh, every page is read (`integrity_check`) and every table's
/// row count, the schema and `user_version` are compared with the source.
/// Only then are the header and the file moved into place. With
/// `removingOriginal`, the source (and its empty `-wal`/`-shm`) is then
/// overwritten with zeros, fsynced and deleted — on SSDs and copy-on-write
/// file systems overwriting does not guarantee the old blocks are gone.
public enum PlaintextEncryption {
    /// - Throws: ``VaultError/alreadyExists(path:)`` (never overwrites),
    ///   ``VaultError/invalidArgument(detail:)`` for a source that is not a
    ///   plaintext database or uses a module SQLCipher 3.4.1 lacks (FTS5),
    ///   ``VaultError/noKeySource(reasons:)``, ``VaultError/corrupt(detail:)``
    ///   when verification fails (nothing is left behind).
    public static func encrypt(
        _ sourcePath: String, to destination: VaultLocation, options: VaultCreationOptions = VaultCreationOptions(),
        removingOriginal: Bool = false, progress: ProgressHandler? = nil
    ) throws -> PlaintextEncryptionResult {
        try VaultFiles.verifyAbsent(destination)
        let source = try PlaintextDatabase(path: sourcePath)
        let schema = try SourceSchema(source)
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
        try copy(schema, from: sourcePath, into: staging, key: slots.masterKey, pageSize: slots.header.cipher.pageSize, progress: progress)
        try verify(staging, against: schema, key: slots.masterKey, pageSize: slots.header.cipher.pageSize)
        for file in [staging.walPath, staging.shmPath] { unlink(file) }

        do { try KeyHeaderFile(path: destination.headerPath).write(slots.header, creating: true) } catch { throw VaultError(error) }
        wroteHeader = true
        try Vault.moveIntoPlace(staging.path, destination.path)
        finished = true

        if removingOriginal { try removePlaintext(sourcePath) }
        let report = EncryptionReport(
            source: sourcePath, path: destination.path, headerPath: destination.headerPath, vaultID: slots.header.vaultID,
            pageSize: slots.header.cipher.pageSize, userVersion: schema.userVersion,
            tables: schema.tables.map { EncryptionReport.Table(name: $0.name, rows: $0.rows) },
            slots: slots.header.slots.map { "\($0.id) \($0.kind.rawValue)" }, removedOriginal: removingOriginal)
        return PlaintextEncryptionResult(report: report, recoveryCode: slots.recoveryCode, keyringFailure: slots.keyringFailure)
    }

    // MARK: - Copy

    private static func copy(_ schema: SourceSchema, from sourcePath: String, into staging: VaultLocation, key: MasterKey, pageSize: Int, progress: ProgressHandler?) throws {
        var options = Connection.Options()
        options.pageSize = pageSize
        options.synchronous = "FULL"
        options.usesWAL = schema.usesWAL
        options.usesURIFilename = true
        let target: Connection
        do { target = try Connection(path: staging.path, key: key, options: options) } catch let error as SQLiteError {
            throw VaultFiles.untrustedFileError(in: staging) ?? VaultError.io(detail: "cannot create \(staging.path): \(error.message)")
        }
        defer { target.close() }
        func run(_ sql: String, _ what: String) throws {
            do { try target.execute(sql) } catch let error as SQLiteError {
                throw VaultError.invalidArgument(detail: "cannot copy \(what) of \(sourcePath): \(error.message)\(error.message.contains("no such module") ? " (this SQLCipher 3.4.1 lacks that module)" : ""); nothing was written")
            }
        }
        try target.execute("PRAGMA foreign_keys = OFF")
        try target.execute("ATTACH DATABASE ? AS plain KEY ''", [PlaintextDatabase.uri(for: sourcePath)])
        defer { try? target.execute("DETACH DATABASE plain") }
        let total = schema.tables.reduce(Int64(0)) { $0 + $1.rows }
        var copied: Int64 = 0
        // Deferred: IMMEDIATE would also try to write-lock the read-only
        // source; the first write locks the new file, which nobody else has.
        try target.inTransaction(.deferred) {
            for entry in schema.entries where entry.type == "table" && entry.isVirtual { try run(entry.sql, "table \(entry.name)") }
            for entry in schema.entries where entry.type == "table" && !entry.isVirtual {
                let exists: Bool = try target.scalar("SELECT count(*) FROM main.sqlite_master WHERE type = 'table' AND name = ?", [entry.name]) ?? false
                if !exists { try run(entry.sql, "table \(entry.name)") }
            }
            for table in schema.tables {
                let name = PlaintextDatabase.quoted(table.name)
                let columns = table.columns.map(PlaintextDatabase.quoted).joined(separator: ", ")
                if table.name == "sqlite_sequence" {
                    try run("DELETE FROM main.sqlite_sequence; INSERT INTO main.sqlite_sequence SELECT * FROM plain.sqlite_sequence", "sqlite_sequence")
                } else if table.hasRowID {
                    try run("INSERT INTO main.\(name) (rowid, \(columns)) SELECT rowid, \(columns) FROM plain.\(name)", "table \(table.name)")
                } else {
                    try run("INSERT INTO main.\(name) (\(columns)) SELECT \(columns) FROM plain.\(name)", "table \(table.name)")
                }
                copied += table.rows
                progress?(TransferProgress(phase: "copying \(table.name)", completed: copied, total: total, unit: .rows))
            }
            for entry in schema.entries where ["index", "view", "trigger"].contains(entry.type) { try run(entry.sql, "\(entry.type) \(entry.name)") }
            try target.execute("PRAGMA user_version = \(schema.userVersion)")
            try target.execute("PRAGMA application_id = \(schema.applicationID)")
        }
        if schema.usesWAL { try target.execute("PRAGMA wal_checkpoint(TRUNCATE)") }
    }

    // MARK: - Verify

    private static func verify(_ staging: VaultLocation, against schema: SourceSchema, key: MasterKey, pageSize: Int) throws {
        func failure(_ detail: String) -> VaultError { .corrupt(detail: "the encrypted copy failed verification (\(detail)); nothing was kept") }
        var options = Connection.Options()
        options.isReadOnly = true
        options.pageSize = pageSize
        let copy: Connection
        do { copy = try Connection(path: staging.path, key: key, options: options) } catch {
            throw failure("it does not open: \(error)")
        }
        defer { copy.close() }
        do {
            let problems = try copy.fetchAll("PRAGMA integrity_check").compactMap { try? $0.get(0, as: String.self) }
            guard problems == ["ok"] else { throw failure("integrity_check: \(problems.prefix(3).joined(separator: "; "))") }
            for table in schema.tables {
                let rows: Int64 = try copy.scalar("SELECT count(*) FROM \(PlaintextDatabase.quoted(table.name))") ?? -1
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
        let fd = open(path, O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { throw VaultError.io(detail: "the encrypted copy is complete, but \(path) could not be opened to overwrite it: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        let size = VaultLocation.size(of: path) ?? 0
        let zeros = [UInt8](repeating: 0, count: 1 << 20)
        var written: Int64 = 0
        while written < size {
            let count = Int(min(Int64(zeros.count), size - written))
            let result = zeros.withUnsafeBytes { pwrite(fd, $0.baseAddress, count, off_t(written)) }
            guard result > 0 else { throw VaultError.io(detail: "the encrypted copy is complete, but overwriting \(path) failed: \(String(cString: strerror(errno)))") }
            written += Int64(result)
        }
        guard fsync(fd) == 0 else { throw VaultError.io(detail: "fsync \(path): \(String(cString: strerror(errno)))") }
        for file in [path, path + "-wal", path + "-shm"] { unlink(file) }
        let directory = (path as NSString).deletingLastPathComponent
        try? PrivateFile.syncDirectory(directory.isEmpty ? "." : directory)
    }
}

/// What the source holds, read before copying and compared after.
private struct SourceSchema {
    struct Entry {
        let type: String
        let name: String
        let sql: String
        var isVirtual: Bool { sql.uppercased().hasPrefix("CREATE VIRTUAL TABLE") }
    }
    struct Table {
        let name: String
        let columns: [String]
        let hasRowID: Bool
        let rows: Int64
    }

    /// CREATE statements in their original order (SQLite's own objects and
    /// automatic indexes excluded).
    let entries: [Entry]
    /// Tables whose rows are copied (virtual tables' own data lives in their
    /// shadow tables, which are copied).
    let tables: [Table]
    let userVersion: Int
    let applicationID: Int
    let usesWAL: Bool

    init(_ source: PlaintextDatabase) throws {
        let db = source.connection
        entries = try db.fetchAll("SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%' ORDER BY rowid").map {
            Entry(type: try $0.get("type"), name: try $0.get("name"), sql: try $0.get("sql"))
        }
        var tables: [Table] = []
        let copied = entries.filter { $0.type == "table" && !$0.isVirtual }.map(\.name)
            + (try db.scalar("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_sequence'", as: Int.self) != nil ? ["sqlite_sequence"] : [])
        for name in copied {
            let quoted = PlaintextDatabase.quoted(name)
            let columns = try db.fetchAll("PRAGMA table_info(\(quoted))").map { try $0.get("name", as: String.self) }
            let hasRowID = (try? db.prepare("SELECT rowid FROM \(quoted) LIMIT 0")) != nil
            tables.append(Table(name: name, columns: columns, hasRowID: hasRowID, rows: try source.count(name)))
        }
        self.tables = tables
        userVersion = try db.scalar("PRAGMA user_version") ?? 0
        applicationID = try db.scalar("PRAGMA application_id") ?? 0
        // Bytes 18-19 of the file header are 2 in WAL mode.
        let handle = FileHandle(forReadingAtPath: source.path)
        let header = (try? handle?.read(upToCount: 20)) ?? nil
        try? handle?.close()
        usesWAL = header.map { $0.count == 20 && $0[18] == 2 } ?? false
    }
}
