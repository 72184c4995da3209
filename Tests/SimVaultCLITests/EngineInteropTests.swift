import Foundation
import Testing
import VaultTestSupport

/// The same vault on every SQLCipher a Linux user has: made with the real
/// CLI on one engine (SQLCipher 3.4.1, Debian 12's, linked; SQLCipher 4.12,
/// preloaded by scripts/with-sqlcipher4) and used on the other, both ways,
/// with every file-level feature; and the interop contract checked from
/// outside with the stock `sqlcipher` 3.4.1 shell and a SQLCipher 4 client
/// (Python's `sqlcipher3`).
@Suite("SQLCipher 3.4 and 4.x: one vault", .enabled(if: TestEngine.isSQLCipher4Available, "SQLCipher 4 is provided by scripts/with-sqlcipher4 (make test)"))
struct EngineInteropTests {
    /// A vault made on `maker` and used on `user`.
    struct Pair: Sendable, CustomTestStringConvertible {
        let maker: TestEngine
        let user: TestEngine
        var testDescription: String { "made on \(maker), used on \(user)" }
    }
    static let pairs = [Pair(maker: .sqlcipher3, user: .sqlcipher4), Pair(maker: .sqlcipher4, user: .sqlcipher3)]

    @Test("init on one engine: the other opens it with the keyring, a password and the recovery code, health is clean and names its engine, sql reads and writes; both outside clients open it with the documented pragmas", arguments: pairs)
    func initAndOpen(pair: Pair) throws {
        let session = try KeyringSession(.unlocked)
        let fixture = try CLIFixture(session: session, password: true, engine: pair.maker)
        let passwordFile = try #require(fixture.passwordFile)
        for sources in [[], ["--no-keyring", "--password-file", passwordFile], ["--no-keyring", "--recovery-code-file", fixture.recoveryCodeFile]] {
            let check = try session.simvault(["key", "check"] + sources + fixture.vault, on: pair.user)
            #expect(check.status == 0, "key check \(sources) on \(pair.user): \(check)")
        }
        let health = try session.simvault(["health", "--json"] + fixture.vault, on: pair.user)
        #expect(health.status == 0, "\(health)")
        let engine = try Self.check("engine", in: health), cipher = try Self.check("cipher", in: health)
        #expect(engine.hasPrefix("SQLCipher \(pair.user == .sqlcipher3 ? "3.4.1" : "4.")"), "\(engine)")
        #expect(cipher.contains("compatibility 3") && cipher.contains("applied at every open"), "\(cipher)")
        if pair.user == .sqlcipher4 { #expect(cipher.contains("defaults differ (compatibility 4)"), "\(cipher)") }

        let written = try session.simvault(["sql", "--write", "INSERT INTO settings (key, value, value_type, updated_at) VALUES ('interop', '\(pair.user.rawValue)', 'string', 1)"] + fixture.vault, on: pair.user)
        #expect(written.status == 0, "\(written)")
        let read = try session.simvault(["sql", "SELECT value FROM settings WHERE key = 'interop'"] + fixture.vault, on: pair.maker)
        #expect(read.stdout.contains(pair.user.rawValue), "\(read)")
        try Self.expectOutsideClientsOpen(fixture, session, compatibility: 3, expecting: pair.user.rawValue)
    }

    @Test("messages waiting for the search index are healthy on SQLCipher 4, whose integrity_check also checks FTS4 indexes against their content")
    func waitingMessagesOnSQLCipher4() throws {
        let session = try KeyringSession(.unlocked)
        let fixture = try CLIFixture(session: session, engine: .sqlcipher3)
        let statements = [
            "INSERT INTO conversations (id, title, created_at, updated_at) VALUES ('waiting', 'waiting', 1, 1)",
            "INSERT INTO messages (id, conversation_id, position, role, content, created_at, updated_at) VALUES ('m1', 'waiting', 0, 'user', 'a waiting avocet', 1, 1)",
            "INSERT INTO messages (id, conversation_id, position, role, content, created_at, updated_at) VALUES ('m2', 'waiting', 1, 'assistant', 'another avocet', 1, 1)",
        ]
        for statement in statements {
            let written = try session.simvault(["sql", "--write", statement] + fixture.vault, on: .sqlcipher3)
            #expect(written.status == 0, "\(written)")
        }
        let waiting = try session.simvault(["sql", "SELECT count(*) FROM messages WHERE doc_id > (SELECT indexed_through FROM message_index_state)"] + fixture.vault, on: .sqlcipher3)
        #expect(waiting.stdout.contains("2"), "\(waiting)")
        for engine in [TestEngine.sqlcipher3, .sqlcipher4] {
            let health = try session.simvault(["health", "--json"] + fixture.vault, on: engine)
            #expect(health.status == 0, "\(engine): \(health)")
            let search = try session.simvault(["search", "avocet", "--json"] + fixture.vault, on: engine)
            #expect(search.stdout.components(separatedBy: "\"id\"").count - 1 == 2, "\(engine): \(search)")
        }
        // The check is live on SQLCipher 4: an index entry without its row fails there.
        let ghost = try session.simvault(["sql", "--write", "INSERT INTO messages_fts (docid, content) VALUES (999999, 'ghost')"] + fixture.vault, on: .sqlcipher3)
        #expect(ghost.status == 0, "\(ghost)")
        let damaged = try session.simvault(["health"] + fixture.vault, on: .sqlcipher4)
        #expect(damaged.status == 2 && damaged.stdout.contains("messages_fts"), "\(damaged)")
    }

    @Test("key slot changes and rekey on one engine, then the other opens the vault with every source", arguments: pairs)
    func slotsAndRekey(pair: Pair) throws {
        let session = try KeyringSession(.unlocked)
        let fixture = try CLIFixture(session: session, password: true, engine: pair.maker)
        let passwordFile = try #require(fixture.passwordFile)
        let second = try fixture.directory.write("second password 9\n", to: "second.txt")
        let third = try fixture.directory.write("third password 10\n", to: "third.txt")
        let steps: [[String]] = [
            ["key", "add", "--type", "password", "--new-password-file", second],
            ["key", "change-password", "2", "--password-file", passwordFile, "--new-password-file", third],
            ["key", "remove", "4"],
            ["rekey", "--password-file", third],
        ]
        for step in steps {
            let result = try session.simvault(step + fixture.vault, on: pair.user)
            #expect(result.status == 0, "\(step) on \(pair.user): \(result)")
        }
        for sources in [[], ["--no-keyring", "--password-file", third], ["--no-keyring", "--recovery-code-file", fixture.recoveryCodeFile]] {
            let check = try session.simvault(["key", "check"] + sources + fixture.vault, on: pair.maker)
            #expect(check.status == 0, "key check \(sources) on \(pair.maker) after the changes on \(pair.user): \(check)")
        }
        let old = try session.simvault(["key", "check", "--no-keyring", "--password-file", passwordFile] + fixture.vault, on: pair.maker)
        #expect(old.status == 10, "the replaced password must not open: \(old)")
        #expect(try session.simvault(["health"] + fixture.vault, on: pair.maker).status == 0)
        try Self.expectOutsideClientsOpen(fixture, session, compatibility: 3, expecting: nil)
    }

    @Test("a backup made on one engine is restored on the other, and the restored vault works on both", arguments: pairs)
    func backupAndRestore(pair: Pair) throws {
        let session = try KeyringSession(.unlocked)
        let fixture = try CLIFixture(session: session, engine: pair.maker)
        let secret = try fixture.directory.write("sk-interop-backup-value\n", to: "secret.txt")
        #expect(try session.simvault(["secret", "set", "API_KEY", "--value-file", secret] + fixture.vault, on: pair.maker).status == 0)
        let backup = fixture.directory.file("backup.db")
        let made = try session.simvault(["backup", backup] + fixture.vault, on: pair.maker)
        #expect(made.status == 0, "\(made)")
        #expect(try session.simvault(["secret", "remove", "API_KEY"] + fixture.vault, on: pair.maker).status == 0)
        let restored = try session.simvault(["restore", backup] + fixture.vault, on: pair.user)
        #expect(restored.status == 0, "\(restored)")
        for engine in [pair.user, pair.maker] {
            let value = try session.simvault(["secret", "get", "API_KEY"] + fixture.vault, on: engine)
            #expect(value.status == 0 && value.stdout.hasPrefix("sk-interop-backup-value"), "secret get on \(engine): \(value)")
            #expect(try session.simvault(["health"] + fixture.vault, on: engine).status == 0)
        }
    }

    @Test("encrypt on one engine: the file opens on the other and in both outside clients; imports and exports cross engines", arguments: pairs)
    func encryptImportExport(pair: Pair) throws {
        let session = try KeyringSession(.unlocked)
        let fixture = try CLIFixture(session: session, engine: pair.maker)
        let directory = fixture.directory
        let plain = directory.file("notes.db")
        try ExternalTools.python("import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.execute('CREATE TABLE note (id INTEGER PRIMARY KEY, body TEXT)'); c.executemany('INSERT INTO note (body) VALUES (?)', [('n%d' % i,) for i in range(42)]); c.execute('PRAGMA user_version = 7'); c.commit()", [plain])
        let out = directory.file("notes.vault.db")
        let encrypted = try session.simvault(["encrypt", plain, "--out", out, "--recovery-code-file", directory.file("notes-recovery.txt"), "--json"], on: pair.maker)
        #expect(encrypted.status == 0, "\(encrypted)")
        let info = try ExternalTools.json(try session.simvault(["info", "--vault", out, "--json"], on: pair.user))
        let cipher = try #require(info["cipher"] as? [String: Any])
        #expect(cipher["compatibility"] as? Int == 3 && cipher["hmac_algorithm"] as? String == "HMAC_SHA1", "\(info)")
        let key = try CLIFixture.keyFromKeyring(session: session, vaultID: try #require(info["vault_id"] as? String))
        let shell = try ExternalTools.sqlcipher(path: out, hexKey: key, sql: "SELECT count(*) FROM note; PRAGMA user_version;")
        #expect(shell.stdout == "42\n7\n", "stock shell: \(shell)")
        let client = try ExternalTools.sqlcipher4Client(path: out, hexKey: key, pragmas: ExternalTools.sqlcipher4ContractPragmas(), queries: ["SELECT count(*) FROM note"])
        #expect(client.stdout == "42\n", "sqlcipher3: \(client)")

        // Other apps' data and a Sim workflow imported on the other engine,
        // exported back on the first.
        let aionui = try AppDatabaseFixture.aionUi(at: directory.file("aionui.db"))
        #expect(try session.simvault(["import", "aionui", aionui.path] + fixture.vault, on: pair.user).status == 0)
        try FileManager.default.createDirectory(atPath: directory.file("flows"), withIntermediateDirectories: true)
        let flows = try SimWorkflowCorpus.write(into: directory.file("flows"))
        #expect(try session.simvault(["import", "workflow", flows[0].path] + fixture.vault, on: pair.user).status == 0)
        let export = directory.file("all.json")
        let exported = try session.simvault(["export", "all", "-o", export] + fixture.vault, on: pair.maker)
        #expect(exported.status == 0, "\(exported)")
        let search = try session.simvault(["search", "ZEBRAFINCH"] + fixture.vault, on: pair.maker)
        #expect(search.status == 0 && !search.stdout.isEmpty, "\(search)")

        // That export imported into a vault made on the other engine.
        let other = try CLIFixture(session: session, engine: pair.user)
        let imported = try session.simvault(["import", "conversations", export, "--json"] + other.vault, on: pair.maker)
        #expect(imported.status == 0, "\(imported)")
        let counts = try session.simvault(["sql", "SELECT count(*) FROM messages"] + other.vault, on: pair.user)
        let original = try session.simvault(["sql", "SELECT count(*) FROM messages"] + fixture.vault, on: pair.user)
        #expect(counts.stdout == original.stdout && counts.status == 0, "\(counts) vs \(original)")
    }

    @Test("a compatibility-4 vault: made only on SQLCipher 4, read by a SQLCipher 4 client, refused on SQLCipher 3.4 with exit 14 naming both versions and the vault unchanged")
    func compatibilityFour() throws {
        let session = try KeyringSession(.unlocked)
        let fixture = try CLIFixture(session: session, password: true, engine: .sqlcipher4, extraArguments: ["--cipher-compat", "4"])
        let info = try ExternalTools.json(try session.simvault(["info", "--json"] + fixture.vault, on: .sqlcipher4))
        let cipher = try #require(info["cipher"] as? [String: Any])
        #expect(cipher["compatibility"] as? Int == 4 && cipher["hmac_algorithm"] as? String == "HMAC_SHA512" && cipher["reserved_bytes_per_page"] as? Int == 80, "\(info)")
        #expect(info["header_version"] as? Int == 3, "a compatibility-4 header is format 3: older simvaults say upgrade, not damaged")
        try Self.expectOutsideClientsOpen(fixture, session, compatibility: 4, expecting: nil)
        #expect(try session.simvault(["health"] + fixture.vault, on: .sqlcipher4).status == 0)

        // On SQLCipher 3.4.1: refused as too new for the engine, never as
        // corrupt or a wrong key, whatever the key source; nothing changes.
        let before = fixture.fileBytes()
        let passwordFile = try #require(fixture.passwordFile)
        for command in [["key", "check"], ["sql", "SELECT 1"], ["search", "x"], ["backup", fixture.directory.file("b.db")], ["rekey"], ["export", "all"]] {
            for sources in [[], ["--no-keyring", "--password-file", passwordFile]] {
                let result = try session.simvault(command + sources + fixture.vault, on: .sqlcipher3)
                #expect(result.status == 14, "\(command) \(sources) on 3.4.1: \(result)")
                #expect(result.stderr.contains("SQLCipher 4 settings") && result.stderr.contains("SQLCipher 3.4.1") && result.stderr.contains("--cipher-compat 3"), "\(result.stderr)")
            }
        }
        let health = try session.simvault(["health"] + fixture.vault, on: .sqlcipher3)
        #expect(health.status == 2 && health.stdout.contains("failed  cipher") && !health.stdout.contains("corrupt") && !health.stdout.contains("wrong"), "\(health)")
        let infoOld = try session.simvault(["info"] + fixture.vault, on: .sqlcipher3)
        #expect(infoOld.status == 14 && infoOld.stdout.contains("compatibility 4"), "\(infoOld)")
        #expect(fixture.fileBytes().filter { !$0.key.hasSuffix("-shm") } == before.filter { !$0.key.hasSuffix("-shm") }, "a refused command changed the vault")

        // init --cipher-compat 4 on SQLCipher 3.4.1: refused before anything
        // is made (no file, no keyring item).
        let directory = try TemporaryDirectory("compat4")
        let refused = try session.simvault(["init", "--vault", directory.file("v.db"), "--cipher-compat", "4"], on: .sqlcipher3)
        #expect(refused.status == 64 && refused.stderr.contains("SQLCipher 3.4.1"), "\(refused)")
        #expect(ExternalTools.filesUnder(directory.path).isEmpty)
        let items = try session.run("secret-tool", ["search", "--all", "application", "simvault"])
        #expect(!(items.stdout + items.stderr).contains(directory.path), "init on 3.4.1 left a keyring item")
        let bad = try session.simvault(["init", "--vault", directory.file("w.db"), "--cipher-compat", "5"], on: .sqlcipher4)
        #expect(bad.status == 64, "\(bad)")
    }

    @Test("rekey --cipher-compat 4 on SQLCipher 4 moves a vault made on 3.4 up and --cipher-compat 3 moves it back, keeping every row and slot; refused on 3.4")
    func rekeyBetweenCompatibilities() throws {
        let session = try KeyringSession(.unlocked)
        let fixture = try CLIFixture(session: session, password: true, engine: .sqlcipher3)
        let passwordFile = try #require(fixture.passwordFile)
        let secret = try fixture.directory.write("sk-interop-rekey-value\n", to: "secret.txt")
        #expect(try session.simvault(["secret", "set", "API_KEY", "--value-file", secret] + fixture.vault, on: .sqlcipher3).status == 0)
        let aionui = try AppDatabaseFixture.aionUi(at: fixture.directory.file("aionui.db"))
        #expect(try session.simvault(["import", "aionui", aionui.path] + fixture.vault, on: .sqlcipher3).status == 0)
        let counts = "SELECT (SELECT count(*) FROM messages) || '/' || (SELECT count(*) FROM conversations) || '/' || (SELECT count(*) FROM secrets)"
        let expected = try session.simvault(["sql", counts] + fixture.vault, on: .sqlcipher3).stdout

        let before = fixture.fileBytes()
        let tooOld = try session.simvault(["rekey", "--cipher-compat", "4", "--password-file", passwordFile] + fixture.vault, on: .sqlcipher3)
        #expect(tooOld.status == 64 && tooOld.stderr.contains("Nothing was changed"), "\(tooOld)")
        #expect(fixture.fileBytes().filter { !$0.key.hasSuffix("-shm") } == before.filter { !$0.key.hasSuffix("-shm") })

        for (compatibility, readers) in [(4, [TestEngine.sqlcipher4]), (3, [.sqlcipher3, .sqlcipher4])] {
            let rekey = try session.simvault(["rekey", "--cipher-compat", String(compatibility), "--password-file", passwordFile, "--json"] + fixture.vault, on: .sqlcipher4)
            #expect(rekey.status == 0, "\(rekey)")
            #expect(try ExternalTools.json(rekey)["cipher_compatibility"] as? Int == compatibility)
            for engine in readers {
                #expect(try session.simvault(["sql", counts] + fixture.vault, on: engine).stdout == expected, "rows on \(engine) after moving to \(compatibility)")
                let value = try session.simvault(["secret", "get", "API_KEY", "--no-keyring", "--password-file", passwordFile] + fixture.vault, on: engine)
                #expect(value.stdout.hasPrefix("sk-interop-rekey-value"), "\(value)")
                for sources in [[], ["--no-keyring", "--recovery-code-file", fixture.recoveryCodeFile]] {
                    #expect(try session.simvault(["key", "check"] + sources + fixture.vault, on: engine).status == 0)
                }
                #expect(try session.simvault(["health"] + fixture.vault, on: engine).status == 0)
            }
            let leftovers = ExternalTools.filesUnder(fixture.directory.file("vault")).filter { $0.contains(".rekeying-") }
            #expect(leftovers.isEmpty, "\(leftovers)")
            try Self.expectOutsideClientsOpen(fixture, session, compatibility: compatibility, expecting: nil)
            let log = try session.simvault(["sql", "SELECT detail FROM access_log WHERE action = 'key.rekey' ORDER BY id DESC LIMIT 1"] + fixture.vault, on: .sqlcipher4)
            #expect(log.stdout.contains("\"cipher_compatibility\":\"\(7 - compatibility)->\(compatibility)\""), "\(log)")
        }
    }

    // MARK: - Helpers

    /// The interop contract from outside: with the key `secret-tool lookup`
    /// prints, a SQLCipher 4 client (Python's `sqlcipher3`) opens the vault
    /// with `cipher_compatibility = N` and the page size, and the stock
    /// SQLCipher 3.4.1 shell with the page size alone when N is 3 (and not
    /// at all when N is 4). With `expecting`, the `interop` setting is
    /// read too.
    static func expectOutsideClientsOpen(_ fixture: CLIFixture, _ session: KeyringSession, compatibility: Int, expecting: String?) throws {
        let key = try fixture.keyringKey(in: session)
        let vaultID = "SELECT value FROM vault_meta WHERE key = 'vault_id'"
        let interop = "SELECT value FROM settings WHERE key = 'interop'"
        let queries = [vaultID] + (expecting == nil ? [] : [interop])
        let client = try ExternalTools.sqlcipher4Client(
            path: fixture.vaultPath, hexKey: key, pragmas: ExternalTools.sqlcipher4ContractPragmas(compatibility: compatibility), queries: queries)
        #expect(client.status == 0 && client.stdout == ([fixture.vaultID] + (expecting.map { [$0] } ?? [])).map { $0 + "\n" }.joined(), "sqlcipher3 client: \(client)")
        let shell = try ExternalTools.sqlcipher(path: fixture.vaultPath, hexKey: key, sql: queries.map { $0 + ";" }.joined(separator: "\n"))
        if compatibility == 3 {
            #expect(shell.status == 0 && shell.stdout.hasPrefix(fixture.vaultID), "stock sqlcipher 3.4.1 shell: \(shell)")
        } else {
            #expect(shell.status != 0, "SQLCipher 3.4.1 must not read a compatibility-4 vault: \(shell)")
        }
    }

    /// The detail of one check of `health --json`.
    static func check(_ name: String, in result: ProcessResult) throws -> String {
        let checks = try #require(try ExternalTools.json(result)["checks"] as? [[String: Any]], "\(result)")
        return checks.first { $0["name"] as? String == name }?["detail"] as? String ?? ""
    }
}

@Test("the SQLCipher 3.4 / 4.x interop tests ran when make test asked for them")
func engineInteropTestsWereEnabled() {
    // `make test` sets SIMVAULT_REQUIRE_SQLCIPHER4 and provides the engine
    // through scripts/with-sqlcipher4: skipping silently would hide a broken
    // setup.
    if TestEngine.isSQLCipher4Required {
        #expect(TestEngine.isSQLCipher4Available, "make test must run the tests through scripts/with-sqlcipher4 --env")
    }
}
