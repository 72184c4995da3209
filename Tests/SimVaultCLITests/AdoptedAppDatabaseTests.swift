import Foundation
import SimVault
import Testing
import VaultTestSupport

// docs/library.md adopted example begin
import SimVault

/// An app that kept its data in a plaintext SQLite file, after the user ran
/// `simvault encrypt recipes.db` (the key went into the keyring): from this
/// release on the app opens the encrypted copy through simvault and
/// versions its own schema with migrations. Its tables existed before
/// simvault, so its first migration only records that schema.
struct Recipe: FetchableRecord, PersistableRecord {
    static let databaseTableName = "recipes"
    var id: Int64?
    var name: String
    var servings: Int
}

func openRecipes(at path: String) throws -> EncryptedDatabase {
    let recipes = try EncryptedDatabase.open(at: VaultLocation(path: path), unlock: UnlockRequest())   // the keyring
    var migrations = AppMigrations(namespace: "org.example.recipes")
    migrations.register("adopt_existing_schema") { _ in }   // the tables `encrypt` carried over
    migrations.register("add_servings", sql: "ALTER TABLE recipes ADD COLUMN servings INTEGER NOT NULL DEFAULT 2")
    try recipes.migrate(migrations)                          // verified backup first
    return recipes
}
// docs/library.md adopted example end

/// A plaintext app database adopted with `simvault encrypt`, then opened and
/// migrated through the library, and every key and file command of the CLI
/// on it, with the real keyring (the one `scripts/with-keyring` gives this
/// test process, which the CLI shares) and outcomes checked with
/// `secret-tool` and the stock `sqlcipher` shell.
@Suite("adopted app database")
struct AdoptedAppDatabaseTests {
    static let plainScript = """
        import sqlite3, sys
        db = sqlite3.connect(sys.argv[1])
        db.execute("CREATE TABLE recipes (id INTEGER PRIMARY KEY, name TEXT NOT NULL)")
        db.execute("CREATE TABLE steps (recipe_id INTEGER NOT NULL REFERENCES recipes (id) ON DELETE CASCADE, text TEXT)")
        for i in range(1, 51):
            db.execute("INSERT INTO recipes (name) VALUES (?)", (f"PELICANSOUP {i}",))
            db.execute("INSERT INTO steps VALUES (?, 'stir')", (i,))
        db.execute("PRAGMA user_version = 3")
        db.commit()
        """

    /// The test process's environment: its keyring session, shared with the CLI.
    static var environment: [String: String] {
        ProcessInfo.processInfo.environment.filter { key, _ in
            ["PATH", "HOME", "LANG", "TMPDIR", "DBUS_SESSION_BUS_ADDRESS"].contains(key) || key.hasPrefix("XDG_")
        }
    }

    static func simvault(_ arguments: [String]) throws -> ProcessResult {
        try ProcessRunner.run(ProjectPaths.simvaultBinary, arguments, environment: environment)
    }

    @Test("adopted with `simvault encrypt`, opened and migrated through the library; info, health, key, rekey, backup, restore, sql and migrate work on it")
    func adoptedEndToEnd() throws {
        let directory = try TemporaryDirectory("adopt")
        let plain = directory.file("recipes.db")
        try ExternalTools.python(Self.plainScript, [plain])
        let recovery = directory.file("recovery.txt")
        let encrypted = try Self.simvault(["encrypt", plain, "--recovery-code-file", recovery, "--json"])
        try #require(encrypted.status == 0, "\(encrypted)")
        let path = directory.file("recipes.vault.db")
        let databaseID = try #require(try ExternalTools.json(encrypted)["vault_id"] as? String)
        defer { _ = try? SecretServiceKeyring().remove(vaultID: databaseID) }
        let vault = ["--vault", path]

        // The library: the keyring opens it, the migrations apply.
        let recipes = try openRecipes(at: path)
        #expect(recipes.kind == .appDatabase && recipes.unlockResult.source.description.hasPrefix("keyring"))
        let all = try recipes.read { db in try db.fetchAll(Recipe.self, "SELECT * FROM recipes ORDER BY id") }
        #expect(all.count == 50 && all.allSatisfy { $0.servings == 2 } && all[0].name == "PELICANSOUP 1")
        try recipes.write { db in try db.insert(Recipe(id: nil, name: "PELICANSOUP 51", servings: 6)) }
        #expect(try recipes.read { db in try db.scalar("PRAGMA user_version", as: Int.self) } == 3, "the app's user_version is its own")
        recipes.close()
        #expect(try FileManager.default.contentsOfDirectory(atPath: path + ".backups").filter { $0.hasSuffix(".db") }.count == 1)

        // info and health say what they opened.
        let info = try ExternalTools.json(try Self.simvault(["info", "--json"] + vault))
        #expect(info["kind"] as? String == "app-database" && (info["key_source"] as? String)?.hasPrefix("keyring") == true, "\(info)")
        let infoText = try Self.simvault(["info"] + vault)
        #expect(infoText.status == 0 && infoText.stdout.contains("app database"), "\(infoText)")
        let health = try Self.simvault(["health"] + vault)
        #expect(health.status != 2 && !health.stdout.contains("failed") && health.stdout.contains("an app database"), "\(health)")

        // sql reads and writes the app's tables.
        let count = try Self.simvault(["sql", "SELECT count(*) FROM recipes"] + vault)
        #expect(count.status == 0 && count.stdout == "count(*)\n51\n", "\(count)")
        let update = try Self.simvault(["sql", "--write", "UPDATE recipes SET servings = 4 WHERE id = 1"] + vault)
        #expect(update.status == 0 && update.stdout.contains("1 row(s) changed"), "\(update)")
        let history = try Self.simvault(["sql", "--write", "DELETE FROM simvault_app_migrations"] + vault)
        #expect(history.status == 64 && history.stderr.contains("refuses"), "the app-migration history is simvault's: \(history)")

        // migrate lists the app's namespace; there is nothing for simvault to apply.
        let status = try Self.simvault(["migrate", "--status"] + vault)
        #expect(status.status == 0 && status.stdout.contains("org.example.recipes") && status.stdout.contains("add_servings"), "\(status)")
        let statusJSON = try ExternalTools.json(try Self.simvault(["migrate", "--status", "--json"] + vault))
        #expect(statusJSON["kind"] as? String == "app-database")
        #expect(((statusJSON["apps"] as? [[String: Any]])?.first?["applied"] as? [Any])?.count == 2, "\(statusJSON)")
        let migrate = try Self.simvault(["migrate"] + vault)
        #expect(migrate.status == 0 && migrate.stdout.contains("app database"), "\(migrate)")
        #expect(try Self.simvault(["migrate", "--to", "3"] + vault).status == 64)

        // key list and key check.
        let keys = try Self.simvault(["key", "list", "--json"] + vault)
        #expect(keys.status == 0 && keys.stdout.contains("recovery"), "\(keys)")
        #expect(try Self.simvault(["key", "check"] + vault).status == 0)

        // backup, then rekey: the keyring holds the new key, sqlcipher opens the file with it.
        let backup = directory.file("backups/recipes-before-rekey.db")
        try FileManager.default.createDirectory(atPath: directory.file("backups"), withIntermediateDirectories: true)
        let backedUp = try Self.simvault(["backup", backup] + vault)
        #expect(backedUp.status == 0, "\(backedUp)")
        let rekey = try Self.simvault(["rekey"] + vault)
        #expect(rekey.status == 0, "\(rekey)")
        let lookup = try ProcessRunner.run("/usr/bin/secret-tool", ["lookup", "application", "simvault", "vault-id", databaseID], environment: Self.environment)
        let key = lookup.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let shell = try ExternalTools.sqlcipher(path: path, hexKey: key, sql: "SELECT count(*), sum(servings) FROM recipes;")
        #expect(shell.stdout == "51|108\n", "\(shell)")
        try Self.simvault(["sql", "--write", "DELETE FROM recipes WHERE id > 10"] + vault)

        // restore the backup (taken under the old key, opened with its recovery code).
        let restored = try Self.simvault(["restore", backup, "--recovery-code-file", recovery] + vault)
        #expect(restored.status == 0, "\(restored)")
        let again = try openRecipes(at: path)
        defer { again.close() }
        #expect(try again.read { db in try db.scalar("SELECT count(*) FROM recipes", as: Int.self) } == 51)
        #expect(try again.read { db in try db.scalar("SELECT servings FROM recipes WHERE id = 1", as: Int.self) } == 4)
        #expect(try again.read { db in try db.scalar("SELECT count(*) FROM steps", as: Int.self) } == 50)
    }

    @Test("migrate --status on a vault lists simvault's history and every app namespace; sql cannot rewrite the app history")
    func vaultWithAppNamespace() throws {
        let test = try TestVault(label: "vault-app-status")
        var migrations = AppMigrations(namespace: "org.example.bookmarks")
        migrations.register("create_bookmarks", sql: "CREATE TABLE bookmarks (id INTEGER PRIMARY KEY, url TEXT NOT NULL)")
        try test.vault.migrate(migrations)
        test.vault.close()
        let status = try test.cliOK(["migrate", "--status"])
        #expect(status.stdout.contains("schema version \(Vault.supportedSchemaVersion)") && status.stdout.contains("app namespace org.example.bookmarks:")
            && status.stdout.contains("create_bookmarks"), "\(status)")
        let json = try ExternalTools.json(try test.cliOK(["migrate", "--status", "--json"]))
        #expect(json["kind"] as? String == "vault" && (json["apps"] as? [[String: Any]])?.first?["namespace"] as? String == "org.example.bookmarks")
        try test.expectRefused(["sql", "--write", "UPDATE simvault_app_migrations SET checksum = 'x'"], status: 64, mentioning: "refuses")
        let info = try test.cliOK(["info"])
        #expect(info.stdout.contains("simvault vault"), "\(info)")
    }

    @Test("docs/library.md shows exactly this example")
    func documented() throws {
        let source = try String(contentsOfFile: #filePath, encoding: .utf8)
        let start = try #require(source.range(of: "// docs/library.md adopted example begin\n"))
        let end = try #require(source.range(of: "// docs/library.md adopted example end"))
        let example = String(source[start.upperBound..<end.lowerBound])
        let document = try String(contentsOfFile: ProjectPaths.root + "/docs/library.md", encoding: .utf8)
        #expect(document.contains("```swift\n" + example + "```\n"), "docs/library.md's adopted example differs from \(#filePath)")
    }
}
