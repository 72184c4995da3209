internal import CSQLCipher

/// An error reported by SQLCipher/SQLite: the extended result code, the
/// connection's message and the SQL that failed.
///
/// Bound values are never part of the error (they may be private data), and
/// the SQL of a key statement is never recorded (simvault applies keys with
/// `sqlite3_key`, not SQL).
///
/// SQLite: https://www.sqlite.org/rescode.html
public struct SQLiteError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The extended result code (e.g. 2067 for SQLITE_CONSTRAINT_UNIQUE).
    public let extendedCode: Int32
    /// The connection's error message (`sqlite3_errmsg`).
    public let message: String
    /// The statement that failed, if any.
    public let sql: String?

    /// The primary result code (e.g. 19 for SQLITE_CONSTRAINT).
    public var code: Int32 { extendedCode & 0xFF }

    init(code: Int32, message: String, sql: String? = nil) {
        extendedCode = code
        self.message = message
        self.sql = sql
    }

    /// The error of the last failed call on `handle`.
    init(code: Int32, handle: OpaquePointer?, sql: String? = nil) {
        let text = handle.flatMap { sqlite3_errmsg($0) }.map { String(cString: $0) } ?? String(cString: sqlite3_errstr(code))
        self.init(code: code, message: text, sql: sql)
    }

    /// SQLITE_BUSY or SQLITE_LOCKED: another connection holds a lock.
    public var isBusy: Bool { code == SQLITE_BUSY || code == SQLITE_LOCKED }
    /// SQLITE_NOTADB: wrong key, or page 1 is damaged.
    public var isNotADatabase: Bool { code == SQLITE_NOTADB }
    /// SQLITE_CORRUPT: a page failed its HMAC check or the b-tree is damaged.
    public var isCorrupt: Bool { code == SQLITE_CORRUPT }
    /// SQLITE_NOMEM on a read: SQLCipher's pager hook turns a page that fails
    /// its HMAC check into "out of memory" when SQLite reads the page outside
    /// a b-tree descent (measured: a damaged last page of a fresh vault, read
    /// while SQLite parses the schema, on SQLCipher 4.6; also
    /// sqlcipher/sqlcipher#345). A real allocation failure reads the same, so
    /// callers that know the key is right treat it as damage.
    public var isUnreadablePage: Bool { code == SQLITE_NOMEM }
    /// SQLITE_FULL: the disk (or quota) is full.
    public var isDiskFull: Bool { code == SQLITE_FULL }
    /// SQLITE_CONSTRAINT and its extended codes.
    public var isConstraintViolation: Bool { code == SQLITE_CONSTRAINT }
    /// SQLITE_READONLY: a write on a read-only connection.
    public var isReadOnly: Bool { code == SQLITE_READONLY }

    public var description: String {
        var text = "SQLite error \(extendedCode): \(message)"
        if let sql { text += " — while executing `\(sql)`" }
        return text
    }
}
