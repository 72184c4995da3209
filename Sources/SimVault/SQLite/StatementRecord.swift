internal import CSQLCipher

/// A record that stores read straight from the current row of a statement,
/// column by position, in the order its ``selection`` lists them.
///
/// ```swift
/// extension Message: StatementRecord {
///     static let selection = "id, conversation_id, ..."
///     init(statement: Statement) throws { id = try statement.get(0); ... }
/// }
/// let page = try db.fetchAll(Message.self, "SELECT \(Message.selection) FROM messages WHERE ...", [id])
/// ```
///
/// The lists and pages apps show most are read this way rather than through
/// ``Row``: building a `Row` per result row and finding each column by name
/// cost about a third of a 50-message page (docs/performance.md).
protocol StatementRecord {
    /// The result columns ``init(statement:)`` reads, in order, for
    /// `SELECT \(selection) FROM ...`. Columns after them are the caller's.
    static var selection: String { get }
    /// How many columns ``selection`` lists: the position of the first
    /// column a caller selects after them.
    static var columnCount: Int { get }
    init(statement: Statement) throws
}

extension Statement {
    /// Column `index` of the current row converted to `T`, as
    /// ``Row/get(_:as:)`` converts it.
    ///
    /// - Throws: ``RowDecodingError`` when the value is NULL for a
    ///   non-optional `T` or of an incompatible type.
    func get<T: DatabaseValueConvertible>(_ index: Int, as type: T.Type = T.self) throws -> T {
        // Text and integers, most of what stores read, straight from SQLite
        // (each branch is decided when `get` is specialized for `T`).
        switch T.self {
        case is String.Type where isText(index): return string(index)! as! T
        case is String?.Type where isText(index) || isNull(index): return string(index) as! T
        case is Int64.Type where isInteger(index): return int64(index) as! T
        case is Int.Type where isInteger(index): return int(index) as! T
        default: break
        }
        let value = value(index)
        guard let converted = T(databaseValue: value) else {
            throw RowDecodingError(column: columnName(index), detail: "cannot read \(value) as \(T.self)")
        }
        return converted
    }
}

extension Statement {
    fileprivate func isText(_ index: Int) -> Bool { sqlite3_column_type(handle, Int32(index)) == SQLITE_TEXT }
    fileprivate func isInteger(_ index: Int) -> Bool { sqlite3_column_type(handle, Int32(index)) == SQLITE_INTEGER }
}

extension Connection {
    /// Every row of a query as `T`.
    func fetchAll<T: StatementRecord>(_ type: T.Type, _ sql: String, _ arguments: [any DatabaseValueConvertible] = []) throws -> [T] {
        try withStatement(sql) { statement in
            try statement.bind(arguments)
            var records: [T] = []
            while try statement.step() { records.append(try T(statement: statement)) }
            return records
        }
    }

    /// The first row of a query as `T`, or nil.
    func fetchOne<T: StatementRecord>(_ type: T.Type, _ sql: String, _ arguments: [any DatabaseValueConvertible] = []) throws -> T? {
        try fetchOne(sql, arguments) { try T(statement: $0) }
    }

    /// `read` of the first row of a query, or nil: for records with columns
    /// of the caller's after their own.
    func fetchOne<R>(_ sql: String, _ arguments: [any DatabaseValueConvertible] = [], _ read: (Statement) throws -> R) throws -> R? {
        try withStatement(sql) { statement in
            try statement.bind(arguments)
            return try statement.step() ? try read(statement) : nil
        }
    }
}
