internal import CSQLCipher
public import Foundation

/// A prepared statement of one ``Connection``.
///
/// Bind values with ``bind(_:)``, then ``step()`` through the rows and read
/// columns in place (no copy) with the typed accessors, or use the
/// connection's `fetchAll` / `execute` helpers. Finalized on `deinit`.
///
/// SQLite: https://www.sqlite.org/c3ref/stmt.html
public final class Statement {
    let handle: OpaquePointer
    /// The SQL text the statement was prepared from.
    public let sql: String
    // Unowned in spirit: a statement never outlives its connection, which
    // finalizes its cached statements before closing.
    private let connectionHandle: OpaquePointer
    var isInUse = false

    init(connectionHandle: OpaquePointer, sql: String) throws {
        var statement: OpaquePointer?
        var tail: UnsafePointer<CChar>?
        let status = sql.withCString { sqlite3_prepare_v2(connectionHandle, $0, -1, &statement, &tail) }
        guard status == SQLITE_OK, let statement else {
            sqlite3_finalize(statement)
            throw SQLiteError(code: status, handle: connectionHandle, sql: sql)
        }
        // > If pzTail is not NULL then *pzTail is made to point to the first
        // > byte past the end of the first SQL statement in zSql.
        if let tail, !String(cString: tail).allSatisfy({ $0.isWhitespace || $0 == ";" }) {
            sqlite3_finalize(statement)
            throw SQLiteError(code: SQLITE_MISUSE, message: "more than one statement; use execute(batch:)", sql: sql)
        }
        handle = statement
        self.sql = sql
        self.connectionHandle = connectionHandle
    }

    deinit { sqlite3_finalize(handle) }

    // MARK: - Binding

    /// Resets the statement and binds `values` to its parameters, in order.
    public func bind(_ values: [any DatabaseValueConvertible]) throws {
        try resetBindings(expecting: values.count)
        for (offset, value) in values.enumerated() {
            try bind(value.databaseValue, at: Int32(offset + 1))
        }
    }

    /// Resets the statement and clears its bindings; `count` values must
    /// fill its positional parameters.
    func resetBindings(expecting count: Int) throws {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
        let expected = Int(sqlite3_bind_parameter_count(handle))
        guard count == expected else {
            throw SQLiteError(code: SQLITE_RANGE, message: "statement expects \(expected) arguments, got \(count)", sql: sql)
        }
    }

    /// Resets the statement and binds every named parameter (`:name`,
    /// `@name` or `$name`) to the value of that name in `values`.
    ///
    /// - Throws: `SQLITE_RANGE` when a parameter is positional (`?`) or has
    ///   no value (a typo must not silently bind NULL).
    package func bind(named values: [String: DatabaseValue]) throws {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
        let count = sqlite3_bind_parameter_count(handle)
        guard count > 0 else { return }
        for index in 1...count {
            guard let raw = sqlite3_bind_parameter_name(handle, index) else {
                throw SQLiteError(code: SQLITE_RANGE, message: "parameter \(index) is positional; a record binds only named parameters (:name)", sql: sql)
            }
            let name = String(String(cString: raw).dropFirst())
            guard let value = values[name] else {
                throw SQLiteError(code: SQLITE_RANGE, message: "the record has no value for parameter :\(name)", sql: sql)
            }
            try bind(value, at: index)
        }
    }

    /// Binds one value to parameter `index` (1-based), leaving the others
    /// as they are: for a statement run many times with one changing value,
    /// without building an argument array each time.
    public func bind(_ value: some DatabaseValueConvertible, at index: Int) throws {
        sqlite3_reset(handle)
        try bind(value.databaseValue, at: Int32(index))
    }

    private func bind(_ value: DatabaseValue, at index: Int32) throws {
        let status: Int32
        switch value {
        case .null:
            status = sqlite3_bind_null(handle, index)
        case .integer(let v):
            status = sqlite3_bind_int64(handle, index, v)
        case .real(let v):
            status = sqlite3_bind_double(handle, index, v)
        case .text(let v):
            var text = v
            status = text.withUTF8 { utf8 -> Int32 in
                guard let base = utf8.baseAddress else {
                    return sqlite3_bind_text(handle, index, "", 0, simvault_sqlite_transient())
                }
                return UnsafeRawPointer(base).withMemoryRebound(to: CChar.self, capacity: utf8.count) {
                    sqlite3_bind_text(handle, index, $0, Int32(utf8.count), simvault_sqlite_transient())
                }
            }
        case .blob(let v):
            status = v.withUnsafeBytes { bytes in
                // A zero-length blob must still bind as a blob, not NULL.
                sqlite3_bind_blob(handle, index, bytes.baseAddress ?? UnsafeRawPointer(bitPattern: 1), Int32(bytes.count), simvault_sqlite_transient())
            }
        }
        // A bind can fail only with SQLITE_RANGE/NOMEM/TOOBIG; report them.
        guard status == SQLITE_OK else { throw SQLiteError(code: status, handle: connectionHandle, sql: sql) }
    }

    // MARK: - Stepping

    /// Advances to the next row. Returns false when done.
    public func step() throws -> Bool {
        let status = sqlite3_step(handle)
        switch status {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default:
            let error = SQLiteError(code: status, handle: connectionHandle, sql: sql)
            sqlite3_reset(handle)
            throw error
        }
    }

    /// Resets the statement so it can run again (bindings are kept).
    public func reset() { sqlite3_reset(handle) }

    // MARK: - Reading the current row

    /// Number of result columns.
    public var columnCount: Int { Int(sqlite3_column_count(handle)) }

    /// Name of result column `index`.
    public func columnName(_ index: Int) -> String {
        String(cString: sqlite3_column_name(handle, Int32(index)))
    }

    /// Whether column `index` of the current row is NULL.
    public func isNull(_ index: Int) -> Bool { sqlite3_column_type(handle, Int32(index)) == SQLITE_NULL }

    /// Column `index` as an integer (NULL reads as 0).
    public func int64(_ index: Int) -> Int64 { sqlite3_column_int64(handle, Int32(index)) }

    /// Column `index` as an Int (NULL reads as 0).
    public func int(_ index: Int) -> Int { Int(sqlite3_column_int64(handle, Int32(index))) }

    /// Column `index` as a Double.
    public func double(_ index: Int) -> Double { sqlite3_column_double(handle, Int32(index)) }

    /// Column `index` as text, or nil when NULL.
    public func string(_ index: Int) -> String? {
        guard let text = sqlite3_column_text(handle, Int32(index)) else { return nil }
        let count = Int(sqlite3_column_bytes(handle, Int32(index)))
        return String(decoding: UnsafeBufferPointer(start: text, count: count), as: UTF8.self)
    }

    /// Column `index` as bytes, or nil when NULL.
    public func data(_ index: Int) -> Data? {
        if sqlite3_column_type(handle, Int32(index)) == SQLITE_NULL { return nil }
        let bytes = sqlite3_column_blob(handle, Int32(index))
        let count = Int(sqlite3_column_bytes(handle, Int32(index)))
        guard let bytes, count > 0 else { return Data() }
        return Data(bytes: bytes, count: count)
    }

    /// Gives `body` the bytes of column `index` without copying them (valid
    /// only inside `body`); nil when NULL.
    public func withUnsafeBytes<R>(_ index: Int, _ body: (UnsafeRawBufferPointer?) throws -> R) rethrows -> R {
        if sqlite3_column_type(handle, Int32(index)) == SQLITE_NULL { return try body(nil) }
        let bytes = sqlite3_column_blob(handle, Int32(index))
        let count = Int(sqlite3_column_bytes(handle, Int32(index)))
        return try body(UnsafeRawBufferPointer(start: bytes, count: bytes == nil ? 0 : count))
    }

    /// Column `index` as a ``DatabaseValue``.
    public func value(_ index: Int) -> DatabaseValue {
        switch sqlite3_column_type(handle, Int32(index)) {
        case SQLITE_INTEGER: return .integer(int64(index))
        case SQLITE_FLOAT: return .real(double(index))
        case SQLITE_TEXT: return .text(string(index) ?? "")
        case SQLITE_BLOB: return .blob(data(index) ?? Data())
        default: return .null
        }
    }

    /// The names of the result columns, in order.
    public var columnNames: [String] { (0..<columnCount).map(columnName) }

    /// The current row, copied.
    public func row() -> Row { row(columnNames: columnNames) }

    /// The current row, sharing `columnNames` (this statement's, read once
    /// for all the rows of a query) instead of building them again.
    func row(columnNames: [String]) -> Row {
        Row(columnNames: columnNames, values: (0..<columnNames.count).map(value))
    }
}

// A statement is tied to its connection's thread discipline.
@available(*, unavailable, message: "A Statement belongs to one Connection and must not cross threads")
extension Statement: Sendable {}
