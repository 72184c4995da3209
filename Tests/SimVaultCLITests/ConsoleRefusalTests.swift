import Foundation
import SimVault
import Testing
import VaultTestSupport

/// The `sql` console cannot switch off the audit or touch the vault's own
/// records, with or without `--write`, and does not hand out code pointers.
@Suite("sql console refusals")
struct ConsoleRefusalTests {
    @Test("triggers, and changes to access_log, secrets, secret_keys, schema_migrations and vault_meta, are refused with and without --write; the vault is unchanged", arguments: [
        "CREATE TRIGGER hide AFTER INSERT ON access_log BEGIN DELETE FROM access_log WHERE id = new.id; END",
        "CREATE TRIGGER hide AFTER INSERT ON messages BEGIN DELETE FROM access_log; END",
        "CREATE TEMP TRIGGER hide AFTER INSERT ON main.messages BEGIN SELECT 1; END",
        "DROP TRIGGER messages_fts_after_insert",
        "DELETE FROM access_log",
        "UPDATE access_log SET action = 'nothing'",
        "INSERT INTO secrets (scope, name, kind, sealed_value, created_at, updated_at) VALUES ('s', 'n', 'env', x'00', 0, 0)",
        "DELETE FROM secret_keys",
        "UPDATE vault_meta SET value = 'x' WHERE key = 'vault_id'",
        "DELETE FROM schema_migrations WHERE version = 12",
        "DROP TABLE access_log",
        "ALTER TABLE secrets RENAME TO gone",
        "CREATE INDEX log_by_actor ON access_log (actor)",
    ])
    func protectedTables(_ statement: String) throws {
        let test = try TestVault(label: "console")
        test.vault.close()
        for write in [true, false] {
            try test.expectRefused(["sql", statement] + (write ? ["--write"] : []), status: 64, mentioning: "`sql` refuses")
        }
    }

    @Test("fts3_tokenizer() is refused (it returns a code pointer); ordinary reads and writes still work")
    func tokenizerAndOrdinaryStatements() throws {
        let test = try TestVault(label: "console-ok")
        try test.vault.conversations.create(Conversation(title: "before"))
        test.vault.close()
        try test.expectRefused(["sql", "SELECT fts3_tokenizer('simple')"], status: 64, mentioning: "`sql` refuses the function fts3_tokenizer()")
        let before = try test.sqlValue("SELECT count(*) FROM access_log")
        #expect(try test.cliOK(["sql", "--write", "UPDATE conversations SET title = 'after'"]).stdout.contains("1 row(s) changed."))
        #expect(try test.sqlValue("SELECT title FROM conversations") == "after")
        #expect(Int(try test.sqlValue("SELECT count(*) FROM access_log"))! > Int(before)!, "the write was audited")
        #expect(try test.sqlValue("SELECT count(*) FROM secrets") == "0", "reading the protected tables is fine")
        try test.cliOK(["sql", "PRAGMA table_info(access_log)"])
    }
}
