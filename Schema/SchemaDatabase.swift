/// What the migrator needs from a database connection. `SimVault` adapts its
/// `Connection` to it; keeping the protocol here keeps the schema target free
/// of the engine (dependencies point one way: SimVault -> VaultSchema).
public protocol SchemaDatabase {
    /// Runs one or more statements that return no rows.
    func executeBatch(_ sql: String) throws
    /// Runs one statement with arguments.
    func execute(_ sql: String, arguments: [SchemaValue]) throws
    /// All rows of a query.
    func query(_ sql: String) throws -> [[SchemaValue]]
    /// Runs `body` in one immediate transaction (rolled back if it throws).
    func inTransaction(_ body: () throws -> Void) throws
    /// Runs `body` in a transaction that is always rolled back (dry runs).
    func inRolledBackTransaction(_ body: () throws -> Void) throws
}

/// The few value types the migrator reads and writes.
public enum SchemaValue: Sendable, Equatable {
    case null
    case integer(Int64)
    case text(String)

    var integer: Int64? { if case .integer(let v) = self { return v } else { return nil } }
    var text: String? { if case .text(let v) = self { return v } else { return nil } }
}
