/// One result row, copied out of the statement so it can outlive it.
///
/// ```swift
/// let rows = try db.fetchAll("SELECT id, title FROM conversations")
/// let title: String = try rows[0].get("title")
/// ```
public struct Row: Sendable, Equatable {
    /// Column names, in result order.
    public let columnNames: [String]
    /// Values, in result order.
    public let values: [DatabaseValue]

    public init(columnNames: [String], values: [DatabaseValue]) {
        self.columnNames = columnNames
        self.values = values
    }

    /// The value at `index` converted to `T`.
    ///
    /// - Throws: ``RowDecodingError`` when the value is NULL for a
    ///   non-optional `T` or of an incompatible type.
    public func get<T: DatabaseValueConvertible>(_ index: Int, as type: T.Type = T.self) throws -> T {
        guard values.indices.contains(index) else {
            throw RowDecodingError(column: "#\(index)", detail: "no such column index")
        }
        guard let converted = T(databaseValue: values[index]) else {
            throw RowDecodingError(column: columnNames[index], detail: "cannot read \(values[index]) as \(T.self)")
        }
        return converted
    }

    /// The value of column `name` converted to `T`.
    public func get<T: DatabaseValueConvertible>(_ name: String, as type: T.Type = T.self) throws -> T {
        guard let index = columnNames.firstIndex(of: name) else {
            throw RowDecodingError(column: name, detail: "no such column")
        }
        return try get(index)
    }

    /// The raw value of column `name` (NULL when the column is absent).
    public subscript(name: String) -> DatabaseValue {
        columnNames.firstIndex(of: name).map { values[$0] } ?? .null
    }

    /// The raw value at `index`.
    public subscript(index: Int) -> DatabaseValue { values[index] }
}

/// A row value could not be converted to the requested Swift type.
public struct RowDecodingError: Error, Sendable, CustomStringConvertible {
    public let column: String
    public let detail: String
    public var description: String { "column \(column): \(detail)" }
}
