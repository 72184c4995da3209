/// How a migration's foreign keys are enforced (GRDB's `foreignKeyChecks`
/// is the model).
///
/// A table is rebuilt the SQLite way (https://www.sqlite.org/lang_altertable.html,
/// "Making Other Kinds Of Table Schema Changes"): create the new table, copy
/// the rows, drop the old one, rename the new one. With `foreign_keys = ON`
/// the `DROP TABLE` deletes every row first, and `ON DELETE CASCADE` takes
/// the children with them: rebuilding `conversations` would delete every
/// message. SQLite ignores `PRAGMA foreign_keys` inside a transaction
/// (> This pragma is a no-op within a transaction), so it is switched off
/// before the migration's transaction begins, and the whole database is
/// checked with `PRAGMA foreign_key_check` before it commits.
public enum ForeignKeyChecks: Sendable, Equatable {
    /// Keys off while the migration runs; `PRAGMA foreign_key_check` before
    /// commit, and any violation refuses the migration (rolled back). The
    /// default: safe for table rebuilds.
    case deferred
    /// Keys on, as the app's own writes run (cascades fire during the
    /// migration). Only for a migration that relies on a cascade.
    case immediate
}

extension ForeignKeyChecks {
    /// Runs `body` (which opens and ends its own transactions) with
    /// `foreign_keys` off when `switchingOff`, and puts the connection's
    /// setting back afterwards, whatever `body` did.
    package static func withKeysOff(_ switchingOff: Bool, on database: any SchemaDatabase, _ body: () throws -> Void) throws {
        guard switchingOff else { return try body() }
        let wasOn = try database.query("PRAGMA foreign_keys").first?.first?.integer == 1
        try database.executeBatch("PRAGMA foreign_keys = OFF")
        defer { if wasOn { try? database.executeBatch("PRAGMA foreign_keys = ON") } }
        try body()
    }

    /// What `PRAGMA foreign_key_check` finds in the whole database, as one
    /// sentence naming the first few rows, or nil when every key holds.
    package static func violations(in database: any SchemaDatabase) throws -> String? {
        let rows = try database.query("PRAGMA foreign_key_check")
        guard !rows.isEmpty else { return nil }
        // (table, rowid, parent, fkid)
        let examples = rows.prefix(3).map { row in
            let table = row[0].text ?? "?", parent = row.count > 2 ? row[2].text ?? "?" : "?"
            let rowid = row.count > 1 ? row[1].integer.map(String.init) ?? "?" : "?"
            return "\(table) row \(rowid) -> \(parent)"
        }
        return "\(rows.count) row(s) would break a foreign key (\(examples.joined(separator: ", "))\(rows.count > 3 ? ", ..." : ""))"
    }
}
