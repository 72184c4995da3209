import ArgumentParser
import SimVault

extension SimVaultCommand {
    /// `simvault sql "SQL"`: one statement against the opened vault.
    struct SQL: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "sql",
            abstract: "Run one SQL statement against the vault (read-only unless --write).",
            discussion: """
                Read-only runs use a connection SQLite itself keeps from writing. With --write the \
                statement runs in one transaction and an `sql.write` event is logged. Refused with or \
                without --write: PRAGMA key/rekey, ATTACH/DETACH, PRAGMA assignments, fts3_tokenizer(), \
                creating or dropping triggers, and changes to access_log, secrets, secret_keys, \
                schema_migrations and vault_meta. Secrets show as ciphertext; BLOBs print as x'<hex>'.
                """)

        @OptionGroup var global: GlobalOptions
        @OptionGroup var keys: KeyOptions

        @Argument(help: "The statement.")
        var statement: String

        @Flag(name: .long, help: "Allow the statement to change the vault.")
        var write = false

        func run() throws {
            try keys.withDatabase(global) { database in
                let result = try database.executeSQL(statement, allowingWrites: write)
                if global.json { return try Terminal.printJSON(result) }
                if !result.columns.isEmpty {
                    Terminal.say(result.columns.map { TerminalText.visible($0) }.joined(separator: "|"))
                    for row in result.rows { Terminal.say(row.map(SQLResult.literal).joined(separator: "|")) }
                }
                if let changes = result.changes { print("\(changes) row(s) changed.") }
            }
        }
    }
}
