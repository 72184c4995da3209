import Foundation
import SimVault
import Testing
import VaultTestSupport

/// Upgrading vaults made by an older simvault.
///
/// The old vaults are generated here, not committed as binary files: the
/// library builds a real vault (SQLCipher file, key header, password slot)
/// with migrations 1...k only, and the test fills it with raw SQL, as the
/// simvault that stopped at version k would have. Migrations 1...k are
/// byte-for-byte the released ones (their checksums are frozen in
/// `MigratorTests`), so the schema is exactly what that release left; a
/// committed file would add an opaque blob and a key to the repository, and
/// would freeze the key header format that the key-management work changes.
@Suite("migrating vaults")
struct MigrationTests {
    /// A vault at schema version 6 (users, agents, conversations, messages
    /// and their index) with data in every table.
    private func oldVault() throws -> TestVault {
        let test = try TestVault(schemaVersion: 6, label: "old")
        let vault = test.vault
        try vault.rawWrite("INSERT INTO users (id, username, display_name, created_at, updated_at) VALUES ('u1', 'ada', 'Ada', 1, 1)")
        try vault.rawWrite("INSERT INTO agents (id, name, model, is_active, created_at, updated_at) VALUES ('a1', 'Helper', 'llama3', 1, 1, 1)")
        try vault.rawWrite("""
            INSERT INTO conversations (id, user_id, agent_id, title, created_at, updated_at)
            VALUES ('c1', 'u1', 'a1', 'Old chat', 1, 2)
            """)
        for position in 0..<30 {
            try vault.rawWrite(
                "INSERT INTO messages (id, conversation_id, position, role, content, created_at, updated_at) VALUES (?, 'c1', ?, ?, ?, ?, ?)",
                ["m\(position)", position, position.isMultiple(of: 2) ? "user" : "assistant", "old message \(position) about narwhals", position, position])
        }
        return test
    }

    private static let oldTables = ["users", "agents", "conversations", "messages", "access_log", "vault_meta"]

    private func contents(_ vault: Vault) throws -> [String: [Row]] {
        var result: [String: [Row]] = [:]
        for table in Self.oldTables {
            result[table] = try vault.read { db in try db.fetchAll("SELECT * FROM \(table) ORDER BY 1") }
        }
        return result
    }

    @Test("a fresh vault is at the latest version, with nothing pending")
    func freshVaultIsLatest() throws {
        let test = try TestVault()
        let status = try test.vault.migrationStatus()
        #expect(status.currentVersion == Vault.supportedSchemaVersion && status.isCurrent)
        #expect(status.applied.map(\.version) == Array(1...Vault.supportedSchemaVersion))
        #expect(try test.vault.migrate().backup == nil, "nothing pending: no backup, no change")
    }

    @Test("an old vault opens but its stores refuse until migrated; opening never migrates")
    func pendingPolicy() throws {
        let test = try oldVault()
        #expect(throws: VaultError.schemaOutdated(vault: 6, binary: Vault.supportedSchemaVersion)) {
            try test.vault.conversations.list()
        }
        #expect(throws: VaultError.schemaOutdated(vault: 6, binary: Vault.supportedSchemaVersion)) {
            try test.vault.search("narwhals")
        }
        let again = try test.reopen()
        #expect(try again.schemaVersion() == 6)
        #expect(try again.migrationStatus().pending.map(\.version) == Array(7...Vault.supportedSchemaVersion))
        #expect(try again.executeSQL("SELECT count(*) FROM messages").rows == [[.integer(30)]], "raw SQL still works")
    }

    @Test("an old vault upgrades with every row intact, after a verified backup that still opens at the old version")
    func upgradeKeepsData() throws {
        let test = try oldVault()
        let vault = test.vault
        let before = try contents(vault)

        let report = try vault.migrate()
        #expect(report.fromVersion == 6 && report.toVersion == Vault.supportedSchemaVersion && !report.isDryRun)
        #expect(report.steps.map(\.version) == Array(7...Vault.supportedSchemaVersion))
        let backup = try #require(report.backup)
        #expect(backup.schemaVersion == 6)
        #expect(backup.path.hasPrefix(test.location.path + ".backups/"))

        // Every old row is unchanged (access_log gains the migration's row;
        // columns added since come after the old ones, with their defaults).
        let after = try contents(vault)
        for table in Self.oldTables where table != "access_log" {
            let columns = before[table]?.first?.columnNames.count ?? 0
            #expect(after[table]?.map { Row(columnNames: Array($0.columnNames.prefix(columns)), values: Array($0.values.prefix(columns))) } == before[table],
                    "\(table) changed during the migration")
        }
        #expect(try vault.messages.page(in: "c1", limit: 100).messages.allSatisfy { $0.status == .complete && $0.errorMessage == nil })
        #expect(Array(after["access_log"]!.prefix(before["access_log"]!.count)) == before["access_log"])
        let event = try #require(try vault.read { db in try AccessLog.recent(limit: 1, action: "schema.migrate", in: db).first })
        #expect(event.detail?.contains(backup.path) == true)

        // Old data works through the new API, the index included.
        #expect(try vault.schemaVersion() == Vault.supportedSchemaVersion)
        #expect(try vault.messages.page(in: "c1", limit: 100).messages.map(\.id) == (0..<30).map { "m\($0)" })
        #expect(try vault.search("narwhals", limit: 100).count == 30)
        let appended = try vault.messages.append(to: "c1", role: .user, content: "new message")
        #expect(appended.position == 30)
        try vault.attachments.add(to: "m0", fileName: "a.txt", data: Data("x".utf8))
        try vault.settings.set(.theme, "dark")
        #expect(try vault.read { db in try db.fetchAll("PRAGMA foreign_key_check") }.isEmpty)
        try vault.checkSearchIndexes()

        // The backup is a whole vault: it opens with the same password, at
        // version 6, with the old data, and passes an integrity check.
        for file in [backup.path, backup.headerPath] {
            #expect(ExternalTools.mode(of: file) == 0o600, "\(file)")
        }
        let restored = try Vault.open(at: VaultLocation(path: backup.path), unlock: .password(test.password))
        #expect(try restored.schemaVersion() == 6)
        #expect(try restored.executeSQL("SELECT count(*) FROM messages").rows == [[.integer(30)]])
        #expect(try restored.executeSQL("PRAGMA integrity_check").rows == [[.text("ok")]])
        restored.close()

        #expect(try vault.migrate().steps.isEmpty, "a second run has nothing to do")
    }

    @Test("a vault at version 12 (every message indexed by triggers) migrates to streaming replies with every row intact and nothing waiting")
    func fromTwelve() throws {
        let test = try TestVault(schemaVersion: 12, label: "twelve")
        let vault = test.vault
        try vault.rawWrite("INSERT INTO conversations (id, title, created_at, updated_at) VALUES ('c1', 'Version 12', 1, 2)")
        try vault.write { db in
            for position in 0..<50 {
                try db.execute(
                    "INSERT INTO messages (id, conversation_id, position, role, content, model, tokens, metadata, created_at, updated_at) VALUES (?, 'c1', ?, 'assistant', ?, 'm', 7, '{}', ?, ?)",
                    ["m\(position)", position, "version twelve message \(position) about lemurs", position, position])
            }
        }
        let before = try vault.read { db in try db.fetchAll("SELECT * FROM messages ORDER BY doc_id") }
        try vault.migrate()
        let after = try vault.read { db in try db.fetchAll("SELECT * FROM messages ORDER BY doc_id") }
        let columns = try #require(before.first).columnNames.count
        #expect(after.map { Array($0.values.prefix(columns)) } == before.map(\.values), "a message changed")
        #expect(after.allSatisfy { $0["status"] == .text("complete") && $0["error_message"] == .null && $0["reply_owner"] == .null })
        #expect(try vault.rawScalar("SELECT indexed_through FROM message_index_state", as: Int.self) == 50)
        #expect(try vault.search("lemurs", limit: 100).count == 50)
        #expect(try vault.indexedDocids("messages_fts", matching: "lemurs").count == 50, "every old message stays indexed")
        try vault.checkSearchIndexes()
        try vault.messages.delete(id: "m49")
        let appended = try vault.messages.append(to: "c1", role: .user, content: "after the upgrade, lemurs again")
        #expect(appended.position == 49 && appended.status == .complete)
        #expect(try vault.indexedDocids("messages_fts", matching: "lemurs").count == 50, "the reused rowid 49 is indexed at once")
        let reply = try vault.messages.beginReply(in: "c1")
        try reply.append("streamed lemurs")
        #expect(try reply.finish().position == 50)
        #expect(try vault.search("lemurs", limit: 100).count == 51)
        try vault.checkSearchIndexes()
    }

    @Test("--to migrates part of the way; the stores still wait for the rest")
    func partialMigration() throws {
        let test = try TestVault(schemaVersion: 4, label: "partial")
        let report = try test.vault.migrate(to: 7)
        #expect(report.steps.map(\.version) == [5, 6, 7])
        #expect(try test.vault.schemaVersion() == 7)
        #expect(throws: VaultError.schemaOutdated(vault: 7, binary: Vault.supportedSchemaVersion)) { try test.vault.agents.list() }
        #expect(throws: VaultError.self) { try test.vault.migrate(to: 5) }
        #expect(throws: VaultError.self) { try test.vault.migrate(to: Vault.supportedSchemaVersion + 1) }
        try test.vault.migrate()
        #expect(try test.vault.agents.list().isEmpty)
        let backups = try FileManager.default.contentsOfDirectory(atPath: test.location.path + ".backups").sorted()
        #expect(backups.count == 4, "one database and one header per migration run: \(backups)")
    }

    @Test("a dry run proves the migrations apply and changes nothing: same bytes, same version, no backup")
    func dryRun() throws {
        let test = try oldVault()
        let vault = test.vault
        try vault.writeWithoutTransaction { db in try db.execute("PRAGMA wal_checkpoint(TRUNCATE)") }
        let bytes = test.bytes(of: test.location.path)
        let walSize = VaultLocation.size(of: test.location.walPath)

        let report = try vault.checkMigration()
        #expect(report.isDryRun && report.backup == nil)
        #expect(report.steps.map(\.version) == Array(7...Vault.supportedSchemaVersion))
        #expect(try vault.schemaVersion() == 6)
        #expect(test.bytes(of: test.location.path) == bytes, "the database file changed")
        #expect(VaultLocation.size(of: test.location.walPath) == walSize, "the WAL changed")
        #expect(!FileManager.default.fileExists(atPath: test.location.path + ".backups"))
        #expect(try vault.read { db in try db.scalar("SELECT count(*) FROM sqlite_master WHERE name = 'secrets'", as: Int.self) } == 0)
    }

    @Test("a snapshot includes commits still in the WAL, refuses to overwrite, and opens as the same vault")
    func snapshot() throws {
        let test = try TestVault()
        let vault = test.vault
        let chat = try vault.conversations.create(Conversation(title: "in the WAL"))
        try vault.messages.append(to: chat.id, role: .user, content: "not yet checkpointed")
        #expect((VaultLocation.size(of: test.location.walPath) ?? 0) > 0, "the write should still be in the WAL")

        let target = VaultLocation(path: test.directory.file("copies/copy.db"))
        let snapshot = try vault.snapshot(to: target)
        #expect(snapshot.vaultID == vault.vaultID && snapshot.schemaVersion == Vault.supportedSchemaVersion)
        #expect(!FileManager.default.fileExists(atPath: target.walPath), "the copy is one self-contained file")
        #expect(throws: VaultError.alreadyExists(path: target.path)) { try vault.snapshot(to: target) }
        for file in [target.path, target.headerPath] {
            #expect(!ExternalTools.fileContains(file, "not yet checkpointed"), "plaintext in \(file)")
        }

        let copy = try Vault.open(at: target, unlock: .password(test.password))
        defer { copy.close() }
        #expect(copy.vaultID == vault.vaultID)
        #expect(try copy.messages.page(in: chat.id).messages.map(\.content) == ["not yet checkpointed"])
        // The original keeps working after the snapshot.
        try vault.messages.append(to: chat.id, role: .assistant, content: "after")
        #expect(try copy.messages.count(in: chat.id) == 1)
    }
}
