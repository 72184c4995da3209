import Foundation

/// A `Decodable` type whose values are read from rows by column name (GRDB's
/// `FetchableRecord` is the model).
///
/// ```swift
/// struct Note: FetchableRecord, PersistableRecord {
///     static let databaseTableName = "notes"
///     var id: Int64?
///     var title: String
///     var createdAt: Date     // column created_at, unix milliseconds
/// }
/// let notes = try db.fetchAll(Note.self, "SELECT * FROM notes WHERE title LIKE ?", ["%train%"])
/// ```
///
/// Property names map to columns in snake_case (`createdAt` reads
/// `created_at`); a column that is absent or NULL decodes as nil for an
/// optional property. `Date` is stored as unix milliseconds (as simvault's
/// own `*_at` columns), `Data` as a BLOB, `Bool` as 0/1, and any other
/// nested `Codable` value as JSON text.
public protocol FetchableRecord: Decodable {}

/// An `Encodable` type that is written to a table of the app's (GRDB's
/// `PersistableRecord` is the model): ``Connection/insert(_:)``, or bound to
/// named parameters with ``Connection/execute(_:record:)``.
public protocol PersistableRecord: Encodable {
    /// The table ``Connection/insert(_:)`` writes to.
    static var databaseTableName: String { get }
}

extension Row {
    /// The row as `T`, its properties read by column name.
    ///
    /// - Throws: ``RowDecodingError`` naming the column that does not fit.
    public func decode<T: Decodable>(_ type: T.Type = T.self) throws -> T {
        try T(from: RowDecoder(row: self))
    }
}

extension Connection {
    /// Every row of a query as `T`.
    public func fetchAll<T: FetchableRecord>(_ type: T.Type, _ sql: String, _ arguments: [any DatabaseValueConvertible] = []) throws -> [T] {
        try fetchAll(sql, arguments).map { try $0.decode(T.self) }
    }

    /// The first row of a query as `T`, or nil.
    public func fetchOne<T: FetchableRecord>(_ type: T.Type, _ sql: String, _ arguments: [any DatabaseValueConvertible] = []) throws -> T? {
        try fetchOne(sql, arguments).map { try $0.decode(T.self) }
    }

    /// Runs one statement whose named parameters (`:title`) take the
    /// values of `record`'s properties (`:created_at` for `createdAt`).
    ///
    /// ```swift
    /// try db.execute("UPDATE notes SET title = :title WHERE id = :id", record: note)
    /// ```
    public func execute(_ sql: String, record: some Encodable) throws {
        let values = try RecordEncoder.values(of: record)
        try withStatement(sql) { statement in
            try statement.bind(named: values)
            while try statement.step() {}
        }
    }

    /// Inserts `record` into its table, one column per property (nil
    /// optionals are left to the column's default), and returns the new
    /// row's rowid.
    @discardableResult
    public func insert<T: PersistableRecord>(_ record: T) throws -> Int64 {
        let values = try RecordEncoder.values(of: record).filter { !$0.value.isNull }
        let columns = values.keys.sorted()
        let quoted = columns.map(SQLIdentifier.quoted)
        let table = SQLIdentifier.quoted(T.databaseTableName)
        let sql = columns.isEmpty ? "INSERT INTO \(table) DEFAULT VALUES"
            : "INSERT INTO \(table) (\(quoted.joined(separator: ", "))) VALUES (\(columns.map { ":" + $0 }.joined(separator: ", ")))"
        try withStatement(sql) { statement in
            try statement.bind(named: values)
            while try statement.step() {}
        }
        return lastInsertRowID
    }
}

/// `createdAt` -> `created_at`, the convention of simvault's own columns.
enum RecordColumnName {
    static func column(for key: String) -> String {
        var result = ""
        for character in key {
            if character.isUppercase, !result.isEmpty { result += "_" }
            result += character.lowercased()
        }
        return result
    }
}
