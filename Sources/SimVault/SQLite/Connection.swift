internal import CSQLCipher
import Foundation
public import VaultKeys

/// One SQLCipher connection (`sqlite3*`).
///
/// Not thread-safe: a connection is used by one thread at a time, which the
/// ``Vault`` guarantees by handing it out only under its writer lock or from
/// its reader pool. Typed stores and the CLI reach it only through
/// `Vault.read { }` / `Vault.write { }`.
///
/// Opening runs named steps, each of which can refuse the file (as GRDB's
/// `Database.setUp`):
/// 1. ``verifyCipherEngine()``: `PRAGMA cipher_version` must answer, or the
///    process is running the plain SQLite library and a key would be ignored;
/// 2. apply the key as a raw key and set `cipher_page_size`;
/// 3. ``validateFormat()``: read `sqlite_master`, so that a wrong key or a
///    damaged first page fails at open, not at some later query;
/// 4. ``applyPragmas()``: WAL, synchronous, foreign keys, secure delete,
///    temp store, cache size.
/// If any step fails the handle is closed before the error is thrown.
public final class Connection {
    /// How a connection is opened and configured.
    public struct Options: Sendable {
        /// Open read-only (readers of the pool).
        public var isReadOnly = false
        /// Create the file when missing.
        public var createsFile = false
        /// `PRAGMA cipher_page_size` (not stored in the file).
        public var pageSize = 4096
        /// Page cache size in KiB (`PRAGMA cache_size = -N`). Cache size is
        /// the main performance lever of SQLCipher: every cache miss costs a
        /// page decryption and HMAC check.
        public var cacheSizeKiB = 65536
        /// How long to wait for another connection's lock.
        public var busyTimeoutMilliseconds: Int32 = 5000
        /// `PRAGMA synchronous`: NORMAL is durable in WAL mode except for the
        /// last transactions before a power loss; FULL syncs every commit.
        public var synchronous = "NORMAL"
        /// Switch the file to WAL (writers). Off for in-memory databases,
        /// which only support the "memory" journal.
        public var usesWAL = true
        /// `PRAGMA locking_mode = EXCLUSIVE`, set before the first read: the
        /// connection takes an exclusive lock on the database file as it
        /// opens (in WAL mode without shared memory), so the open fails
        /// with SQLITE_BUSY while any other connection has the file open,
        /// and no other connection can open it until this one closes.
        public var locksExclusively = false

        /// Read the path as a `file:` URI (`SQLITE_OPEN_URI`), so parameters
        /// such as `mode=ro&immutable=1` apply; also to ATTACHed files.
        public var usesURIFilename = false

        /// Ignore the key and read or write an **unencrypted** file: the
        /// plaintext baseline of `simvault-bench`, which runs the same
        /// library code with and without encryption. `package`: no app can
        /// set it, and no simvault command does.
        package var unsafeIgnoresKey = false

        public init() {}
    }

    let handle: OpaquePointer
    /// Path of the database file.
    public let path: String
    /// Whether the connection was opened read-only.
    public let isReadOnly: Bool
    private var statementCache: [String: Statement] = [:]
    private var isClosed = false

    /// Opens `path` with `key` (nil: an unencrypted database, used only by
    /// the benchmark's plaintext baseline and by `encrypt`'s source).
    ///
    /// - Throws: ``SQLiteError`` (`isNotADatabase` for a wrong key or damaged
    ///   first page), or ``VaultError/engineNotSQLCipher(detail:)``.
    public init(path: String, key: MasterKey?, options: Options = Options()) throws {
        // Before SQLite opens anything: no link at a side file's name is followed.
        _ = SideFileLinks.areRefused
        var flags = SQLITE_OPEN_NOMUTEX
        if options.usesURIFilename { flags |= SQLITE_OPEN_URI }
        if options.isReadOnly {
            flags |= SQLITE_OPEN_READONLY
        } else {
            flags |= SQLITE_OPEN_READWRITE
            if options.createsFile { flags |= SQLITE_OPEN_CREATE }
        }
        var opened: OpaquePointer?
        let status = sqlite3_open_v2(path, &opened, flags, nil)
        guard status == SQLITE_OK, let opened else {
            let error = SQLiteError(code: status, handle: opened)
            // > Whether or not an error occurs when it is opened, resources
            // > associated with the database connection handle should be
            // > released by passing it to sqlite3_close() when it is no longer
            // > required.
            sqlite3_close(opened)
            throw error
        }
        handle = opened
        self.path = path
        isReadOnly = options.isReadOnly
        do {
            sqlite3_extended_result_codes(handle, 1)
            sqlite3_busy_timeout(handle, options.busyTimeoutMilliseconds)
            try verifyCipherEngine()
            if let key, !options.unsafeIgnoresKey {
                try applyKey(key)
                try execute("PRAGMA cipher_page_size = \(options.pageSize)")
            }
            // > If EXCLUSIVE locking mode is set prior to the first WAL-mode
            // > database access, then SQLite never attempts to call any of
            // > the shared-memory methods and hence no shared-memory
            // > wal-index is ever created. (sqlite.org/wal.html)
            if options.locksExclusively { try execute("PRAGMA locking_mode = EXCLUSIVE") }
            try validateFormat()
            try applyPragmas(options)
        } catch {
            sqlite3_close(handle)
            isClosed = true
            throw error
        }
    }

    deinit { close() }

    /// Finalizes cached statements and closes the handle. Idempotent.
    public func close() {
        guard !isClosed else { return }
        statementCache.removeAll()
        // close_v2 defers the close until outstanding statements finish
        // instead of failing with SQLITE_BUSY.
        sqlite3_close_v2(handle)
        isClosed = true
    }

    // MARK: - Open steps

    /// Refuses to continue unless the linked library is SQLCipher.
    func verifyCipherEngine() throws {
        // Uncached: this runs before the key is applied.
        let statement = try prepare("PRAGMA cipher_version")
        let version = try statement.step() ? statement.string(0) : nil
        guard let version, !version.isEmpty else {
            throw VaultError.engineNotSQLCipher(
                detail: "PRAGMA cipher_version returned nothing: the process is using a SQLite library without SQLCipher, which would ignore the key and write plaintext")
        }
    }

    /// Applies the master key as a raw key.
    private func applyKey(_ key: MasterKey) throws {
        let status = key.withRawKeySpecifier { specifier in
            sqlite3_key_v2(handle, "main", specifier.baseAddress, Int32(specifier.count))
        }
        guard status == SQLITE_OK else { throw SQLiteError(code: status, handle: handle, sql: "sqlite3_key(<redacted>)") }
    }

    /// Reads the schema so that a wrong key fails now.
    private func validateFormat() throws {
        _ = try fetchOne("SELECT count(*) FROM sqlite_master")
    }

    private func applyPragmas(_ options: Options) throws {
        if !options.isReadOnly, options.usesWAL {
            let mode = try fetchOne("PRAGMA journal_mode = WAL")?.values.first.flatMap { String(databaseValue: $0) }
            guard mode?.lowercased() == "wal" else {
                throw SQLiteError(code: SQLITE_ERROR, message: "could not switch to WAL mode (got \(mode ?? "nothing"))", sql: "PRAGMA journal_mode = WAL")
            }
        }
        try execute("""
            PRAGMA synchronous = \(options.synchronous);
            PRAGMA foreign_keys = ON;
            PRAGMA secure_delete = ON;
            PRAGMA temp_store = MEMORY;
            PRAGMA cache_size = -\(options.cacheSizeKiB);
            """)
        if options.isReadOnly { try execute("PRAGMA query_only = 1") }
    }

    // MARK: - Executing

    /// Runs one or more statements that return no rows.
    public func execute(_ sql: String) throws {
        var message: UnsafeMutablePointer<CChar>?
        let status = sqlite3_exec(handle, sql, nil, nil, &message)
        guard status == SQLITE_OK else {
            let text = message.map { String(cString: $0) } ?? String(cString: sqlite3_errmsg(handle))
            sqlite3_free(message)
            throw SQLiteError(code: sqlite3_extended_errcode(handle) != 0 ? sqlite3_extended_errcode(handle) : status, message: text, sql: sql)
        }
    }

    /// Runs one statement with arguments (cached prepared statement).
    public func execute(_ sql: String, _ arguments: [any DatabaseValueConvertible]) throws {
        try withStatement(sql) { statement in
            try statement.bind(arguments)
            while try statement.step() {}
        }
    }

    /// All rows of a query, copied.
    public func fetchAll(_ sql: String, _ arguments: [any DatabaseValueConvertible] = []) throws -> [Row] {
        try withStatement(sql) { statement in
            try statement.bind(arguments)
            var rows: [Row] = []
            var names: [String]?
            while try statement.step() {
                let columnNames = names ?? statement.columnNames
                names = columnNames
                rows.append(statement.row(columnNames: columnNames))
            }
            return rows
        }
    }

    /// The first row of a query, or nil.
    public func fetchOne(_ sql: String, _ arguments: [any DatabaseValueConvertible] = []) throws -> Row? {
        try withStatement(sql) { statement in
            try statement.bind(arguments)
            let row = try statement.step() ? statement.row() : nil
            statement.reset()
            return row
        }
    }

    /// The first column of the first row converted to `T`, or nil when there
    /// is no row or the value is NULL.
    public func scalar<T: DatabaseValueConvertible>(_ sql: String, _ arguments: [any DatabaseValueConvertible] = [], as type: T.Type = T.self) throws -> T? {
        try withStatement(sql) { statement in
            try statement.bind(arguments)
            defer { statement.reset() }
            guard try statement.step() else { return nil }
            return T(databaseValue: statement.value(0))
        }
    }

    /// Runs `body` for every row, reading columns in place from the statement.
    public func forEachRow(_ sql: String, _ arguments: [any DatabaseValueConvertible] = [], _ body: (Statement) throws -> Void) throws {
        try withStatement(sql) { statement in
            try statement.bind(arguments)
            while try statement.step() { try body(statement) }
        }
    }

    /// Gives `body` a prepared statement for `sql`, from the cache when it is
    /// free (a nested use of the same SQL gets a fresh statement).
    public func withStatement<R>(_ sql: String, _ body: (Statement) throws -> R) throws -> R {
        let statement: Statement
        if let cached = statementCache[sql], !cached.isInUse {
            statement = cached
        } else {
            statement = try Statement(connectionHandle: handle, sql: sql)
            if statementCache[sql] == nil { statementCache[sql] = statement }
        }
        statement.isInUse = true
        defer {
            statement.reset()
            statement.isInUse = false
        }
        return try body(statement)
    }

    /// Prepares an uncached statement.
    public func prepare(_ sql: String) throws -> Statement {
        try Statement(connectionHandle: handle, sql: sql)
    }

    // MARK: - State

    /// Rows changed by the last INSERT/UPDATE/DELETE.
    public var changes: Int { Int(sqlite3_changes(handle)) }
    /// Rowid of the last inserted row.
    public var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }
    /// Whether a transaction is open.
    public var isInTransaction: Bool { sqlite3_get_autocommit(handle) == 0 }

    /// SQLCipher's version (`PRAGMA cipher_version`).
    public func cipherVersion() throws -> String { try scalar("PRAGMA cipher_version") ?? "" }
    /// The SQLite library version.
    public static var sqliteVersion: String { String(cString: sqlite3_libversion()) }
}

// A connection is used by one thread at a time; the Vault's writer lock and
// reader pool enforce that. Statements and the handle are not thread-safe
// (opened with SQLITE_OPEN_NOMUTEX).
@available(*, unavailable, message: "Use Vault.read/write to reach a Connection from several threads")
extension Connection: Sendable {}
