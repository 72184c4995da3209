import Foundation

/// The outcome of one statement run by ``Vault/executeSQL(_:allowingWrites:)``.
public struct SQLResult: Sendable, Equatable, Encodable {
    /// Result column names, in order.
    public let columns: [String]
    /// The rows, each with one value per column.
    public let rows: [[DatabaseValue]]
    /// Rows changed, for a statement run with writes allowed; nil otherwise.
    public let changes: Int?

    enum CodingKeys: String, CodingKey { case columns, rows, changes }

    /// JSON: NULL as null, numbers as numbers, text as strings, BLOBs as
    /// `x'<hex>'` strings (SQL literal syntax).
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(columns, forKey: .columns)
        try container.encodeIfPresent(changes, forKey: .changes)
        var rowsContainer = container.nestedUnkeyedContainer(forKey: .rows)
        for row in rows {
            var values = rowsContainer.nestedUnkeyedContainer()
            for value in row {
                switch value {
                case .null: try values.encodeNil()
                case .integer(let v): try values.encode(v)
                case .real(let v): try values.encode(v)
                case .text(let v): try values.encode(v)
                case .blob: try values.encode(Self.literal(value))
                }
            }
        }
    }

    /// A value as text: SQL literal syntax for BLOBs (`x'0a1b'`), `NULL`,
    /// numbers and text as they are.
    public static func literal(_ value: DatabaseValue) -> String {
        switch value {
        case .null: return "NULL"
        case .integer(let v): return String(v)
        case .real(let v): return String(v)
        case .text(let v): return v
        case .blob(let v): return "x'" + v.map { String(format: "%02x", $0) }.joined() + "'"
        }
    }
}

extension EncryptedDatabase {
    /// Runs one SQL statement typed by a person (`simvault sql`).
    ///
    /// Read-only unless `allowingWrites`: the statement then runs on a reader
    /// connection, which SQLite itself keeps from writing
    /// (`SQLITE_OPEN_READONLY` and `PRAGMA query_only`). With writes allowed
    /// it runs on the writer in one transaction, and an `sql.write` event
    /// (without the SQL, which may hold private text) goes to `access_log`.
    /// Either way ``ConsolePolicy`` refuses `PRAGMA key`/`rekey`,
    /// `ATTACH`/`DETACH`, PRAGMA assignments, `fts3_tokenizer()`, changes to
    /// the vault's own tables (`access_log`, `secrets`, `secret_keys`,
    /// `schema_migrations`, `vault_meta`) and triggers.
    /// Secrets come out sealed: a `SELECT * FROM secrets` shows ciphertext.
    ///
    /// ```swift
    /// let result = try vault.executeSQL("SELECT count(*) FROM messages")
    /// print(result.rows[0][0])        // .integer(1234)
    /// ```
    ///
    /// - Throws: ``VaultError/invalidArgument(detail:)`` for a write without
    ///   `allowingWrites`, a refused statement, or more than one statement;
    ///   ``SQLiteError`` for SQL errors.
    public func executeSQL(_ sql: String, allowingWrites: Bool = false) throws -> SQLResult {
        let policy = ConsolePolicy()
        do {
            if allowingWrites {
                return try write { db in
                    var result = try Self.run(sql, on: db, policy: policy)
                    result = SQLResult(columns: result.columns, rows: result.rows, changes: db.changes)
                    // An app database's tables are the app's: it has no access log.
                    if kind == .vault {
                        try AccessLog.record(
                            AccessEvent(action: "sql.write", resource: databaseID, detail: ["changes": String(db.changes)]),
                            actor: configuration.actor, in: db)
                    }
                    return result
                }
            }
            return try read { db in try Self.run(sql, on: db, policy: policy) }
        } catch let error as SQLiteError {
            throw Self.consoleError(error, allowingWrites: allowingWrites, refusal: policy.refusal) ?? error
        }
    }

    private static func run(_ sql: String, on db: Connection, policy: ConsolePolicy) throws -> SQLResult {
        try db.withAuthorizer(policy.allows) {
            let statement = try db.prepare(sql)
            var rows: [[DatabaseValue]] = []
            while try statement.step() { rows.append(statement.row().values) }
            return SQLResult(columns: (0..<statement.columnCount).map(statement.columnName), rows: rows, changes: nil)
        }
    }

    private static func consoleError(_ error: SQLiteError, allowingWrites: Bool, refusal: String?) -> VaultError? {
        // A denied action fails the statement with SQLITE_AUTH (or, for a
        // function, SQLITE_ERROR "not authorized to use function").
        if let refusal {
            return .invalidArgument(detail: "`sql` refuses \(refusal), with or without --write. Use `simvault rekey`, `simvault key ...`, `simvault secret ...` or `simvault backup` for what they cover")
        }
        if error.isReadOnly, !allowingWrites {
            return .invalidArgument(detail: "the statement would change the vault, and `sql` is read-only by default; pass --write to change data")
        }
        if error.isAuthorizationDenied {
            return .invalidArgument(detail: "`sql` does not run PRAGMA key/rekey, ATTACH/DETACH, sqlcipher_export() or PRAGMA assignments: use `simvault rekey`, `simvault key ...` or `simvault backup` instead")
        }
        if error.isMisuse {
            return .invalidArgument(detail: "`sql` runs one statement at a time")
        }
        return nil
    }
}

extension Vault {
    /// `simvault sql` on the vault: see ``EncryptedDatabase/executeSQL(_:allowingWrites:)``.
    public func executeSQL(_ sql: String, allowingWrites: Bool = false) throws -> SQLResult {
        try database.executeSQL(sql, allowingWrites: allowingWrites)
    }
}
