package import VaultSchema

/// Adapts a ``Connection`` to the migrator's ``SchemaDatabase`` protocol.
///
/// `package`: the schema tests run the migrator on real connections.
package struct ConnectionSchemaDatabase: SchemaDatabase {
    package let connection: Connection

    package init(connection: Connection) { self.connection = connection }

    package func executeBatch(_ sql: String) throws { try connection.execute(sql) }

    package func execute(_ sql: String, arguments: [SchemaValue]) throws {
        try connection.execute(sql, arguments.map(Self.convert))
    }

    package func query(_ sql: String) throws -> [[SchemaValue]] {
        try connection.fetchAll(sql).map { row in
            row.values.map { value in
                switch value {
                case .null: return .null
                case .integer(let v): return .integer(v)
                case .real(let v): return .integer(Int64(v))
                case .text(let v): return .text(v)
                case .blob(let v): return .text(String(decoding: v, as: UTF8.self))
                }
            }
        }
    }

    package func inTransaction(_ body: () throws -> Void) throws {
        try connection.inTransaction(.immediate, body)
    }

    package func inRolledBackTransaction(_ body: () throws -> Void) throws {
        try connection.execute("BEGIN IMMEDIATE TRANSACTION")
        defer { connection.rollbackIfNeeded() }
        // Each migration runs in a savepoint here, so a failure inside is
        // reported the same way as in a real run.
        try connection.inSavepoint(body)
    }

    private static func convert(_ value: SchemaValue) -> any DatabaseValueConvertible {
        switch value {
        case .null: return DatabaseValue.null
        case .integer(let v): return v
        case .text(let v): return v
        }
    }
}
