import Foundation
import Testing
@testable import SimVault
import VaultSchema
import VaultTestSupport

/// App migrations (``AppMigrations``) beside simvault's own, on real vaults
/// and app databases: the order, the history checks, the dry run, the
/// backup, the foreign-key mode, and the authorizer that keeps each side
/// off the other's tables.
@Suite("app migrations")
struct AppMigrationTests {
    static func tasks(_ count: Int = 2) -> AppMigrations {
        var migrations = AppMigrations(namespace: "org.example.tasks")
        migrations.register("create_lists", sql: "CREATE TABLE lists (id INTEGER PRIMARY KEY, name TEXT NOT NULL)")
        if count >= 2 {
            migrations.register("create_tasks", sql: """
                CREATE TABLE tasks (id INTEGER PRIMARY KEY, list_id INTEGER NOT NULL REFERENCES lists (id) ON DELETE CASCADE, title TEXT NOT NULL);
                CREATE INDEX tasks_list ON tasks (list_id);
                """)
        }
        if count >= 3 {
            migrations.register("seed") { db in
                try db.execute("INSERT INTO lists (id, name) VALUES (1, 'inbox')")
                for number in 1...5 { try db.execute("INSERT INTO tasks (list_id, title) VALUES (1, ?)", ["task \(number)"]) }
            }
        }
        return migrations
    }

    static func appDatabase(_ label: String) throws -> (TemporaryDirectory, EncryptedDatabase) {
        let directory = try TemporaryDirectory(label)
        var options = VaultCreationOptions()
        options.usesKeyring = false
        var bytes = Array("app database password".utf8)
        options.password = SecretBytes(consuming: &bytes)
        options.passwordKDF = PasswordKDF.minimum()
        let made = try EncryptedDatabase.create(at: VaultLocation(path: directory.file("app.db")), options: options)
        return (directory, made.database)
    }

    @Test("on an old vault simvault's migrations run first, then the app's, after one verified backup; status lists both namespaces")
    func orderAndStatus() throws {
        let test = try TestVault(schemaVersion: 6, label: "app-order")
        let vault = test.vault
        let report = try vault.migrate(Self.tasks(3))
        #expect(report.steps.map(\.version) == Array(7...Vault.supportedSchemaVersion))
        #expect(report.appSteps.map(\.identifier) == ["create_lists", "create_tasks", "seed"])
        #expect(report.appSteps.allSatisfy { $0.namespace == "org.example.tasks" })
        let backup = try #require(report.backup)
        #expect(backup.schemaVersion == 6)
        let status = try vault.migrationStatus(Self.tasks(3))
        #expect(status.isCurrent && status.currentVersion == Vault.supportedSchemaVersion)
        #expect(status.apps.count == 1 && status.apps[0].applied.map(\.checksum).last == "closure")
        #expect(try vault.rawScalar("SELECT count(*) FROM tasks", as: Int.self) == 5)
        // The backup holds the vault as it was: no app tables.
        let copy = try Vault.open(at: VaultLocation(path: backup.path), unlock: .password(test.password))
        defer { copy.close() }
        #expect(try copy.read { db in try db.tableExists("lists") } == false)
        // Both histories are in the file: a later migrate applies nothing, and
        // status without the app's migrations still lists the namespace.
        #expect(try vault.migrate(Self.tasks(3)).appSteps.isEmpty)
        #expect(try vault.migrationStatus().apps.map(\.namespace) == ["org.example.tasks"])
    }

    @Test("a history newer than the app is refused (appSchemaNewer, exit 14); one that differs is refused as altered; nothing changes")
    func refusals() throws {
        let (directory, database) = try Self.appDatabase("app-refuse")
        defer { withExtendedLifetime(directory) {} }
        try database.migrate(Self.tasks(3))
        let before = try database.read { db in try db.fetchAll("SELECT * FROM simvault_app_migrations ORDER BY position") }
        #expect { try database.migrate(Self.tasks(2)) } throws: {
            guard case VaultError.appSchemaNewer(let namespace, let unknown) = $0 else { return false }
            return namespace == "org.example.tasks" && unknown == ["seed"]
        }
        #expect(throws: VaultError.self) { try database.migrationStatus(Self.tasks(2)) }
        var changed = AppMigrations(namespace: "org.example.tasks")
        changed.register("create_lists", sql: "CREATE TABLE lists (id INTEGER PRIMARY KEY, name TEXT)")
        #expect { try database.migrate(changed) } throws: {
            guard case VaultError.corrupt(let detail) = $0 else { return false }
            return detail.contains("create_lists") && detail.contains("mismatch")
        }
        var renamed = Self.tasks(3)
        renamed = AppMigrations(namespace: "org.example.tasks")
        renamed.register("create_lists", sql: "CREATE TABLE lists (id INTEGER PRIMARY KEY, name TEXT NOT NULL)")
        renamed.register("make_tasks") { _ in }
        #expect(throws: VaultError.self) { try database.migrate(renamed) }
        #expect(try database.read { db in try db.fetchAll("SELECT * FROM simvault_app_migrations ORDER BY position") } == before)
        // Another namespace is independent of this one.
        var other = AppMigrations(namespace: "org.example.other")
        other.register("create_other", sql: "CREATE TABLE other (x)")
        #expect(try database.migrate(other).appSteps.count == 1)
    }

    @Test("a dry run proves the app's migrations apply and changes nothing; a failing one is reported and rolled back")
    func dryRunAndFailure() throws {
        let test = try TestVault(schemaVersion: 6, label: "app-dry")
        let vault = test.vault
        let before = try VaultContents.fingerprint(vault)
        let dry = try vault.checkMigration(Self.tasks(3))
        #expect(dry.isDryRun && dry.backup == nil && dry.appSteps.count == 3 && !dry.steps.isEmpty)
        #expect(try VaultContents.fingerprint(vault) == before)
        #expect(try vault.schemaVersion() == 6)

        var broken = Self.tasks(2)
        broken.register("broken", sql: "INSERT INTO lists (id, name) VALUES (1, 'x'); INSERT INTO nowhere VALUES (1)")
        #expect { try vault.migrate(broken) } throws: {
            guard case VaultError.migrationFailed(let detail, _, let backupPath) = $0 else { return false }
            return detail.contains("org.example.tasks/broken") && backupPath != nil
        }
        // simvault's and the first two committed; the broken one left nothing.
        #expect(try vault.schemaVersion() == Vault.supportedSchemaVersion)
        #expect(try vault.migrationStatus(broken).apps[0].pending.map(\.identifier) == ["broken"])
        #expect(try vault.rawScalar("SELECT count(*) FROM lists", as: Int.self) == 0)
    }

    @Test("an app migration may not touch simvault's tables, its history or the key and journal; simvault's may not touch the app's")
    func ownership() throws {
        let test = try TestVault(label: "app-owner")
        let vault = test.vault
        try vault.conversations.create(Conversation(title: "kept"))
        try vault.migrate(Self.tasks(2))
        let before = try VaultContents.fingerprint(vault)
        for sql in [
            "DELETE FROM conversations",
            "CREATE TABLE copy AS SELECT * FROM messages",
            "DROP TABLE settings",
            "CREATE INDEX mine ON conversations (title)",
            "CREATE TRIGGER spy AFTER INSERT ON secrets BEGIN SELECT 1; END",
            "UPDATE simvault_app_migrations SET checksum = 'x'",
            "PRAGMA user_version = 99",
            "PRAGMA foreign_keys = ON",
            "PRAGMA writable_schema = 1",
            "COMMIT",
        ] {
            var hostile = Self.tasks(2)
            hostile.register("hostile", sql: sql)
            #expect { try vault.migrate(hostile) } throws: {
                ($0 as? VaultError)?.errorDescription?.contains("not authorized") == true
            }
        }
        var closure = Self.tasks(2)
        closure.register("hostile_code") { db in try db.execute("DELETE FROM vault_meta") }
        #expect { try vault.migrate(closure) } throws: { ($0 as? VaultError)?.errorDescription?.contains("not authorized") == true }
        #expect(try VaultContents.fingerprint(vault) == before, "nothing changed")

        // The reverse: a simvault migration that names an app table is refused.
        try vault.writeWithoutTransaction { db in
            let runner = MigrationRunner(connection: db, ownership: try SchemaOwnership(kind: .vault, in: db), isVault: true, now: { 0 })
            #expect(throws: MigrationError.self) {
                try runner.apply(Migration(version: Vault.supportedSchemaVersion + 1, name: "touches_app", sql: "DELETE FROM tasks"))
            }
        }
        #expect(try VaultContents.fingerprint(vault) == before)
        #expect(SchemaOwnership.simvaultObjects.isSuperset(of: ["conversations", "messages_fts_docsize", "message_index_state", "schema_migrations"]))
    }

    @Test("an app migration rebuilding a parent table keeps its children; one leaving dangling keys is refused")
    func foreignKeys() throws {
        let (directory, database) = try Self.appDatabase("app-fk")
        defer { withExtendedLifetime(directory) {} }
        var migrations = Self.tasks(3)
        migrations.register("rebuild_lists", sql: """
            CREATE TABLE lists_new (id INTEGER PRIMARY KEY, name TEXT NOT NULL, color TEXT);
            INSERT INTO lists_new (id, name) SELECT id, name FROM lists;
            DROP TABLE lists;
            ALTER TABLE lists_new RENAME TO lists;
            """)
        try database.migrate(migrations)
        #expect(try database.read { db in try db.scalar("SELECT count(*) FROM tasks", as: Int.self) } == 5)
        var orphaning = migrations
        orphaning.register("orphan", sql: "DELETE FROM lists")
        #expect { try database.migrate(orphaning) } throws: {
            guard case VaultError.migrationFailed(let detail, _, _) = $0 else { return false }
            return detail.contains("foreign key")
        }
        #expect(try database.read { db in try db.scalar("SELECT count(*) FROM lists", as: Int.self) } == 1)
        // Cascades work again after the migration.
        try database.write { db in try db.execute("DELETE FROM lists") }
        #expect(try database.read { db in try db.scalar("SELECT count(*) FROM tasks", as: Int.self) } == 0)
    }

    @Test("an app database opens as an EncryptedDatabase, not as a Vault; records round-trip")
    func appDatabaseAndRecords() throws {
        let (directory, database) = try Self.appDatabase("app-records")
        defer { withExtendedLifetime(directory) {} }
        struct Item: FetchableRecord, PersistableRecord, Equatable {
            static let databaseTableName = "items"
            struct Tags: Codable, Equatable { var names: [String] }
            var id: Int64?
            var title: String
            var isDone: Bool
            var score: Double?
            var payload: Data
            var tags: Tags
            var dueAt: Date?
        }
        var migrations = AppMigrations(namespace: "org.example.items")
        migrations.register("create_items", sql: "CREATE TABLE items (id INTEGER PRIMARY KEY, title TEXT NOT NULL, is_done INTEGER NOT NULL, score REAL, payload BLOB NOT NULL, tags TEXT NOT NULL, due_at INTEGER)")
        try database.migrate(migrations)
        let item = Item(id: nil, title: "pelican", isDone: true, score: nil, payload: Data([0, 1, 2]), tags: .init(names: ["a", "b"]), dueAt: Date(timeIntervalSince1970: 1_700_000_000.5))
        let id = try database.write { db in try db.insert(item) }
        var stored = item
        stored.id = id
        #expect(try database.read { db in try db.fetchAll(Item.self, "SELECT * FROM items") } == [stored])
        try database.write { db in
            stored.title = "heron"
            try db.execute("UPDATE items SET title = :title, score = :score WHERE id = :id", record: stored)
        }
        #expect(try database.read { db in try db.fetchOne(Item.self, "SELECT * FROM items WHERE id = ?", [id]) } == stored)
        #expect(try database.read { db in try db.scalar("SELECT tags FROM items", as: String.self) } == #"{"names":["a","b"]}"#)
        #expect(throws: SQLiteError.self) { try database.write { db in try db.execute("UPDATE items SET title = :typo", record: stored) } }
        #expect { try database.read { db in try db.fetchOne(Item.self, "SELECT id, title FROM items") } } throws: {
            ($0 as? RowDecodingError)?.column == "is_done"
        }
        let path = database.path
        database.close()
        #expect { try Vault.open(at: VaultLocation(path: path), unlock: Self.password) } throws: {
            if case VaultError.notAVault = $0 { return true } else { return false }
        }
        let reopened = try EncryptedDatabase.open(at: VaultLocation(path: path), unlock: Self.password)
        defer { reopened.close() }
        #expect(reopened.kind == .appDatabase)
        #expect(try reopened.migrationStatus(migrations).apps[0].pending.isEmpty)
    }

    static var password: UnlockRequest {
        var bytes = Array("app database password".utf8)
        return .password(SecretBytes(consuming: &bytes))
    }
}
