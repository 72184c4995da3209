import Foundation
import Testing
@testable import SimVault
import VaultSchema
import VaultTestSupport

/// Migrations run with foreign keys off and are checked before they commit
/// (``ForeignKeyChecks/deferred``), so a table rebuilt the SQLite way keeps
/// its children. Proven on a real vault with a rebuild of `conversations`,
/// the parent of messages (ON DELETE CASCADE) and runs (ON DELETE SET NULL).
@Suite("migration foreign-key mode")
struct ForeignKeyMigrationTests {
    /// The documented 12-step rebuild (https://www.sqlite.org/lang_altertable.html),
    /// as SQLite 3.15.2 allows it: a new CHECK value and a new column, which
    /// ALTER TABLE cannot add there.
    static let rebuildConversations = """
        CREATE TABLE conversations_new (
            id              TEXT    NOT NULL PRIMARY KEY,
            user_id         TEXT    REFERENCES users (id) ON DELETE CASCADE,
            agent_id        TEXT    REFERENCES agents (id) ON DELETE SET NULL,
            title           TEXT    NOT NULL DEFAULT '',
            kind            TEXT    NOT NULL DEFAULT 'chat',
            model           TEXT,
            status          TEXT    NOT NULL DEFAULT 'idle'
                                    CHECK (status IN ('idle', 'pending', 'running', 'finished', 'failed', 'paused')),
            is_pinned       INTEGER NOT NULL DEFAULT 0 CHECK (is_pinned IN (0, 1)),
            is_archived     INTEGER NOT NULL DEFAULT 0 CHECK (is_archived IN (0, 1)),
            extra           TEXT,
            created_at      INTEGER NOT NULL,
            updated_at      INTEGER NOT NULL,
            last_message_at INTEGER,
            color           TEXT
        );
        INSERT INTO conversations_new (id, user_id, agent_id, title, kind, model, status, is_pinned, is_archived, extra, created_at, updated_at, last_message_at)
            SELECT id, user_id, agent_id, title, kind, model, status, is_pinned, is_archived, extra, created_at, updated_at, last_message_at FROM conversations;
        DROP TABLE conversations;
        ALTER TABLE conversations_new RENAME TO conversations;
        CREATE INDEX conversations_listing ON conversations (is_archived, is_pinned, updated_at);
        CREATE INDEX conversations_user ON conversations (user_id);
        CREATE INDEX conversations_agent ON conversations (agent_id);
        """

    static func migrator(_ sql: String, _ checks: ForeignKeyChecks) -> Migrator {
        Migrator(migrations: Migrator.simvault.migrations + [
            Migration(version: Migrator.simvault.latestVersion + 1, name: "test_step", sql: sql, foreignKeyChecks: checks),
        ])
    }

    /// A vault with 5 conversations, 20 messages, 20 attachments and 5 runs
    /// that point at the conversations.
    static func populatedVault() throws -> TestVault {
        let test = try TestVault(label: "fk-rebuild")
        let vault = test.vault
        let agent = try vault.agents.create(Agent(name: "Helper", provider: "openai", model: "gpt-4o"))
        let flow = try vault.workflows.save(Workflow(name: "digest", state: Data(#"{"blocks":[]}"#.utf8)))
        for chatNumber in 0..<5 {
            let chat = try vault.conversations.create(Conversation(title: "chat \(chatNumber)", agentID: agent.id))
            for messageNumber in 0..<4 {
                let message = try vault.messages.append(to: chat.id, role: .user, content: "walrus \(chatNumber) note \(messageNumber)")
                try vault.attachments.add(to: message.id, fileName: "a\(messageNumber).txt", data: Data("x\(messageNumber)".utf8))
            }
            try vault.runs.start(workflowID: flow.id, trigger: .chat, conversationID: chat.id)
        }
        return test
    }

    private func migrate(_ vault: Vault, _ migrator: Migrator) throws {
        try vault.writeWithoutTransaction { db in
            try migrator.migrate(ConnectionSchemaDatabase(connection: db), now: { 1_700_000_000_000 })
        }
    }

    private func fingerprintOfChildren(_ vault: Vault) throws -> [String: VaultContents.TableFingerprint] {
        try VaultContents.fingerprint(vault).filter { $0.key != "conversations" && $0.key != "schema_migrations" }
    }

    @Test("a rebuild of conversations keeps every message, attachment, run and search entry")
    func rebuildKeepsChildren() throws {
        let test = try Self.populatedVault()
        let vault = test.vault
        let before = try fingerprintOfChildren(vault)
        let conversationIDs: [String] = try vault.read { db in try db.fetchAll("SELECT id FROM conversations ORDER BY id").map { try $0.get(0) } }
        #expect(before["messages"]?.rows == 20 && before["attachments"]?.rows == 20 && before["runs"]?.rows == 5)
        let search = "SELECT count(*) FROM messages_fts WHERE messages_fts MATCH 'walrus'"
        let indexedBefore = try vault.rawScalar(search, as: Int.self)

        try migrate(vault, Self.migrator(Self.rebuildConversations, .deferred))

        #expect(try fingerprintOfChildren(vault) == before, "every child row and FTS shadow table is unchanged")
        #expect(try vault.read { db in try db.fetchAll("SELECT id FROM conversations ORDER BY id").map { try $0.get(0) as String } } == conversationIDs)
        #expect(try vault.rawScalar("SELECT count(*) FROM conversations WHERE color IS NULL", as: Int.self) == 5, "the new column exists")
        #expect(try vault.rawScalar("SELECT count(*) FROM runs WHERE conversation_id IS NOT NULL", as: Int.self) == 5)
        #expect(try vault.rawScalar(search, as: Int.self) == indexedBefore, "the same entries are found")
        try vault.checkSearchIndexes()
        #expect(try vault.read { db in try db.fetchAll("PRAGMA foreign_key_check") }.isEmpty)
        #expect(try vault.writeWithoutTransaction { db in try db.scalar("PRAGMA foreign_keys", as: Int.self) } == 1, "keys are on again")
        // The children's REFERENCES still name the rebuilt table: a cascade works.
        try vault.rawWrite("DELETE FROM conversations WHERE id = ?", [conversationIDs[0]])
        #expect(try vault.rawScalar("SELECT count(*) FROM messages", as: Int.self) == 16)
        #expect(try vault.rawScalar("SELECT count(*) FROM attachments", as: Int.self) == 16)
        #expect(try vault.rawScalar("SELECT count(*) FROM runs WHERE conversation_id IS NULL", as: Int.self) == 1)
    }

    @Test("with keys on (the old behaviour, .immediate) the same rebuild cascade-deletes every message")
    func immediateModeCascades() throws {
        let test = try Self.populatedVault()
        try migrate(test.vault, Self.migrator(Self.rebuildConversations, .immediate))
        #expect(try test.vault.rawScalar("SELECT count(*) FROM messages", as: Int.self) == 0)
        #expect(try test.vault.rawScalar("SELECT count(*) FROM runs WHERE conversation_id IS NOT NULL", as: Int.self) == 0)
    }

    @Test("a migration that leaves dangling keys is refused and rolled back")
    func violationRefused() throws {
        let test = try Self.populatedVault()
        let vault = test.vault
        let before = try VaultContents.fingerprint(vault)
        let orphaning = Self.migrator("DELETE FROM conversations WHERE title = 'chat 1'", .deferred)
        #expect { try migrate(vault, orphaning) } throws: {
            guard case MigrationError.foreignKeyViolation(let version, _, let detail) = $0 else { return false }
            return version == Migrator.simvault.latestVersion + 1 && detail.contains("messages")
        }
        #expect(try VaultContents.fingerprint(vault) == before, "nothing changed")
        #expect(try vault.schemaVersion() == Migrator.simvault.latestVersion)
        #expect(try vault.writeWithoutTransaction { db in try db.scalar("PRAGMA foreign_keys", as: Int.self) } == 1)
        // A dry run refuses the same way.
        #expect { try vault.writeWithoutTransaction { db in
            try orphaning.migrate(ConnectionSchemaDatabase(connection: db), dryRun: true, now: { 0 })
        } } throws: { if case MigrationError.foreignKeyViolation = $0 { return true } else { return false } }
    }
}
