internal import VaultKeys

/// One numbered, append-only schema change: SQL compiled into the binary.
///
/// A migration is history: once released it is never edited (its checksum
/// is recorded in the vault and compared at every open) and never depends on
/// application types.
public struct Migration: Sendable, Equatable {
    /// 1, 2, 3... without gaps.
    public let version: Int
    /// Short snake_case description, e.g. `create_conversations`.
    public let name: String
    /// The statements, run in one transaction.
    public let sql: String
    /// How foreign keys are enforced while it runs (not part of the
    /// checksum: it changes how the SQL runs, not what it is).
    public let foreignKeyChecks: ForeignKeyChecks

    public init(version: Int, name: String, sql: String, foreignKeyChecks: ForeignKeyChecks = .deferred) {
        self.version = version
        self.name = name
        self.sql = sql
        self.foreignKeyChecks = foreignKeyChecks
    }

    /// `blake2b-256:<hex>` over version, name and SQL text.
    public var checksum: String {
        "blake2b-256:" + ContentDigest.blake2b256Hex(Array("\(version)\n\(name)\n\(sql)".utf8))
    }
}
