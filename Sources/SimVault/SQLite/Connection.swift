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
///    its version is parsed (``CipherEngine``);
/// 2. apply the key as a raw key, then the cipher settings the key header
///    records, explicitly for the engine in use (``applyCipherSettings(_:)``:
///    `cipher_compatibility` on SQLCipher 4, then the page size), and read
///    them back; an engine that cannot read those settings is refused here,
///    before any page is read;
/// 3. ``validateFormat()``: read `sqlite_master`, so that a wrong key or a
///    damaged first page fails at open, not at some later query;
/// 4. ``verifyFileStillInPlace()``: the file this connection waited for is
///    still the one at its path (a `rekey --cipher-compat` or a `restore`
///    may have replaced it meanwhile);
/// 5. ``applyPragmas()``: WAL, synchronous, foreign keys, secure delete,
///    temp store, cache size.
/// If any step fails the handle is closed before the error is thrown.
public final class Connection {
    /// How a connection is opened and configured.
    public struct Options: Sendable {
        /// Open read-only (readers of the pool).
        public var isReadOnly = false
        /// Create the file when missing.
        public var createsFile = false
        /// The cipher settings of the file (not stored in it): applied
        /// explicitly right after the key.
        public var cipher = CipherSettings()
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
    /// The SQLCipher this connection runs on.
    public private(set) var engine: CipherEngine?
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
    ///   first page), ``VaultError/engineNotSQLCipher(detail:)``, and with a
    ///   key ``VaultError/engineUnsupported(detail:)`` or
    ///   ``VaultError/cipherNewerThanEngine(compatibility:engine:)`` (the
    ///   engine cannot read these settings; nothing was read),
    ///   ``VaultError/busy(detail:)`` (the file was replaced while this
    ///   connection waited for it).
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
            engine = try verifyCipherEngine()
            if let key, !options.unsafeIgnoresKey {
                try applyKey(key)
                try applyCipherSettings(options.cipher)
            }
            // > If EXCLUSIVE locking mode is set prior to the first WAL-mode
            // > database access, then SQLite never attempts to call any of
            // > the shared-memory methods and hence no shared-memory
            // > wal-index is ever created. (sqlite.org/wal.html)
            if options.locksExclusively { try execute("PRAGMA locking_mode = EXCLUSIVE") }
            try validateFormat()
            try verifyFileStillInPlace()
            try applyPragmas(options)
        } catch {
            // The open steps leave prepared statements in the cache, and
            // sqlite3_close refuses (SQLITE_BUSY) to close a handle with
            // unfinalized statements: the handle, and on SQLite 3.51 the
            // SHARED lock a failed exclusive open had taken, would leak and
            // keep this process's own retry waiting for itself.
            close()
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

    /// Refuses to continue unless the linked library is SQLCipher, and
    /// returns its parsed version (nil when it has no number; such an
    /// engine is refused once a key is to be applied).
    func verifyCipherEngine() throws -> CipherEngine? {
        // Uncached: this runs before the key is applied.
        let statement = try prepare("PRAGMA cipher_version")
        let version = try statement.step() ? statement.string(0) : nil
        guard let version, !version.isEmpty else {
            throw VaultError.engineNotSQLCipher(
                detail: "PRAGMA cipher_version returned nothing: the process is using a SQLite library without SQLCipher, which would ignore the key and write plaintext")
        }
        let engine = CipherEngine(cipherVersion: version)
        if let engine, engine.major >= 4 {
            // SQLCipher 4 logs to stderr at level WARN by default: a key
            // that does not open the file ("hmac check failed", expected
            // while a rotation leaves two keys to try, and in rekey's own
            // check that the old key no longer opens it) would print ERROR
            // lines under a command that succeeds. Failures reach simvault
            // as result codes and are reported from those. (Process-wide.)
            try execute("PRAGMA cipher_log_level = NONE")
        }
        return engine
    }

    /// Applies `settings` for this engine right after the key, then reads
    /// them back: an engine that ignored one of them is named, never left to
    /// fail later as "corrupt".
    ///
    /// > SQLCipher 4: "PRAGMA cipher_compatibility = 3 ... will cause SQLCipher
    /// > to use the default settings from SQLCipher major version 3"
    /// > (zetetic.net/sqlcipher/sqlcipher-api/#cipher_compatibility)
    private func applyCipherSettings(_ settings: CipherSettings) throws {
        guard let engine else {
            throw VaultError.engineUnsupported(detail: "PRAGMA cipher_version says \"\(String(describing: try? cipherVersion()))\", which is not a version number")
        }
        guard engine.supports(settings) else { throw engine.refusal(for: settings) }
        for pragma in engine.pragmas(applying: settings) { try execute(pragma) }
        for reading in engine.expectedReadings(for: settings) {
            let value: String? = try scalar("PRAGMA \(reading.pragma)")
            guard value == reading.value else {
                throw VaultError.engineUnsupported(
                    detail: "\(engine) did not take the vault's cipher settings (\(settings.summary)): PRAGMA \(reading.pragma) is \(value ?? "nothing"), expected \(reading.value)")
            }
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

    /// Refuses a file that was renamed over or unlinked while this
    /// connection waited for its lock: SQLite opened the old file, which is
    /// no longer the vault, and its WAL and shared memory are found by name,
    /// so writing through it could put the old file's pages into the new
    /// file's WAL. Only a key change that copies the database
    /// (`rekey --cipher-compat`) and `restore` replace a vault's file.
    ///
    /// > SQLITE_FCNTL_HAS_MOVED: "interprets its argument as a pointer to an
    /// > integer and it writes a boolean into that integer depending on
    /// > whether or not the file has been renamed, moved, or deleted since
    /// > it was first opened." (sqlite.org/c3ref/c_fcntl_begin_atomic_write.html)
    private func verifyFileStillInPlace() throws {
        var moved: Int32 = 0
        guard sqlite3_file_control(handle, "main", SQLITE_FCNTL_HAS_MOVED, &moved) == SQLITE_OK, moved != 0 else { return }
        throw VaultError.busy(detail: "\(path) was replaced by another simvault process (a key change or a restore) while this one waited to open it; run the command again")
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
