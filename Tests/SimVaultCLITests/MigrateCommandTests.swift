import Foundation
import SimVault
import Testing
import VaultTestSupport

/// `simvault migrate`, and how every command treats a vault that is behind,
/// ahead of, or inconsistent with this simvault.
@Suite("migrate")
struct MigrateCommandTests {
    private static let latest = Vault.supportedSchemaVersion

    @Test("a fresh vault is at the latest version")
    func freshVault() throws {
        let session = try KeyringSession(.unlocked)
        let fixture = try CLIFixture(session: session)
        let status = try ExternalTools.json(try fixture.run(session, ["migrate", "--status", "--json"]))
        #expect(status["current_version"] as? Int == Self.latest)
        #expect(status["latest_version"] as? Int == Self.latest)
        #expect((status["pending"] as? [Any])?.isEmpty == true)
        #expect((status["applied"] as? [Any])?.count == Self.latest)
        let info = try ExternalTools.json(try fixture.run(session, ["info", "--json"]))
        #expect(info["schema_version"] as? Int == Self.latest)
        let run = try fixture.run(session, ["migrate"])
        #expect(run.status == 0 && run.stdout.contains("Nothing to migrate"), "\(run)")
        #expect(!FileManager.default.fileExists(atPath: fixture.vaultPath + ".backups"))
    }

    @Test("an old vault: data commands ask for migrate (exit 1); dry run changes nothing; --to and migrate upgrade it with a backup")
    func oldVaultThroughTheCLI() throws {
        let test = try TestVault(schemaVersion: 6, label: "old-cli")
        try test.vault.rawWrite("INSERT INTO conversations (id, title, created_at, updated_at) VALUES ('c1', 'Old chat', 1, 1)")
        for position in 0..<30 {
            try test.vault.rawWrite(
                "INSERT INTO messages (id, conversation_id, position, role, content, created_at, updated_at) VALUES (?, 'c1', ?, 'user', ?, 1, 1)",
                ["m\(position)", position, "old narwhal note \(position)"])
        }
        test.vault.close()
        let simvault = { (arguments: [String]) in
            try ProcessRunner.run(ProjectPaths.simvaultBinary, arguments + test.cliArguments)
        }

        for command in [["search", "narwhal"], ["secret", "list"], ["settings", "list"]] {
            let refused = try simvault(command)
            #expect(refused.status == 1, "\(refused)")
            #expect(refused.stderr.contains("version 6") && refused.stderr.contains("simvault migrate"), "\(refused)")
        }
        let status = try ExternalTools.json(try simvault(["migrate", "--status", "--json"]))
        #expect(status["current_version"] as? Int == 6)
        #expect((status["pending"] as? [[String: Any]])?.compactMap { $0["version"] as? Int } == Array(7...Self.latest))

        let before = test.bytes(of: test.location.path)
        let dry = try simvault(["migrate", "--dry-run"])
        #expect(dry.status == 0 && dry.stdout.contains("Dry run"), "\(dry)")
        #expect(test.bytes(of: test.location.path) == before, "a dry run changed the database file")
        #expect(!FileManager.default.fileExists(atPath: test.location.path + ".backups"))

        let partial = try ExternalTools.json(try simvault(["migrate", "--to", "8", "--json"]))
        #expect(partial["to_version"] as? Int == 8)
        let firstBackup = try #require((partial["backup"] as? [String: Any])?["path"] as? String)
        let full = try simvault(["migrate"])
        #expect(full.status == 0 && full.stdout.contains("Backed up to") && full.stdout.contains("to \(Self.latest)"), "\(full)")

        let found = try ExternalTools.json(try simvault(["search", "narwhal", "--limit", "100", "--json"]))
        #expect((found["hits"] as? [Any])?.count == 30, "the old messages are searchable after the upgrade")
        let count = try simvault(["sql", "SELECT count(*) FROM messages"])
        #expect(count.stdout == "count(*)\n30\n")

        // The first backup is a vault at version 6 that opens with the same password.
        let backupArguments = ["--vault", firstBackup, "--no-keyring", "--password-file", test.passwordFile]
        let backupStatus = try ExternalTools.json(try ProcessRunner.run(ProjectPaths.simvaultBinary, ["migrate", "--status", "--json"] + backupArguments))
        #expect(backupStatus["current_version"] as? Int == 6)
        let backupHealth = try ProcessRunner.run(ProjectPaths.simvaultBinary, ["health"] + backupArguments)
        #expect(backupHealth.stdout.contains("integrity_check ok"), "\(backupHealth)")
    }

    @Test("a vault whose schema is newer than this simvault: exit 14 naming both versions, and not one byte changes")
    func newerVaultUntouched() throws {
        let session = try KeyringSession(.unlocked)
        let fixture = try CLIFixture(session: session)
        let bump = try fixture.shell(session, "PRAGMA user_version = \(Self.latest + 1);")
        try #require(bump.status == 0, "\(bump)")
        let before = fixture.fileBytes()

        for command in [["migrate"], ["migrate", "--status"], ["migrate", "--dry-run"], ["search", "x"], ["sql", "SELECT 1"],
                        ["secret", "list"], ["settings", "get", "theme"], ["key", "check"]] {
            let result = try fixture.run(session, command)
            #expect(result.status == 14, "\(result)")
            #expect(result.stderr.contains("version \(Self.latest + 1)") && result.stderr.contains("(\(Self.latest))"), "\(result)")
        }
        #expect(fixture.fileBytes() == before, "a refused vault was modified")
        #expect(!FileManager.default.fileExists(atPath: fixture.vaultPath + ".backups"))
    }

    @Test("a tampered checksum in schema_migrations is refused (exit 12) by every command, naming the migration")
    func tamperedChecksum() throws {
        let session = try KeyringSession(.unlocked)
        let fixture = try CLIFixture(session: session)
        let tamper = try fixture.shell(session, "UPDATE schema_migrations SET checksum = 'blake2b-256:' || hex(zeroblob(32)) WHERE version = 8;")
        try #require(tamper.status == 0, "\(tamper)")
        for command in [["migrate", "--status"], ["migrate"], ["search", "x"]] {
            let result = try fixture.run(session, command)
            #expect(result.status == 12, "\(result)")
            #expect(result.stderr.contains("migration 8 (create_workflows)") && result.stderr.contains("checksum mismatch"), "\(result)")
        }
        let health = try fixture.run(session, ["health"])
        #expect(health.status == 2 && health.stdout.contains("checksum mismatch"), "\(health)")
    }
}
