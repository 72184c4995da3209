import Foundation
import Testing
import VaultTestSupport

/// `simvault init`: what it creates, who can read it, and what it refuses.
@Suite("init")
struct InitTests {
    @Test("init under the keyring: plain SQLite cannot read the file, the sqlcipher shell can with the keyring's key")
    func initUnderKeyring() throws {
        let session = try KeyringSession(.unlocked)
        let fixture = try CLIFixture(session: session)

        let plain = try ExternalTools.pythonPlainSQLite(path: fixture.vaultPath)
        #expect(plain.stdout.hasPrefix("ERROR:"), "Python's sqlite3 read the vault: \(plain)")
        #expect(plain.stdout.contains("not a database"))

        for text in ["CREATE TABLE", "vault_meta", "schema_migrations", "access_log", fixture.vaultID, "SQLite format 3"] {
            #expect(!ExternalTools.fileContains(fixture.vaultPath, text), "plaintext \"\(text)\" found in the database file")
        }

        let key = try fixture.keyringKey(in: session)
        #expect(key.count == 64 && key.allSatisfy { "0123456789abcdef".contains($0) }, "keyring secret is not 64 lowercase hex")
        let shell = try ExternalTools.sqlcipher(path: fixture.vaultPath, hexKey: key, sql: "SELECT value FROM vault_meta WHERE key = 'vault_id';")
        #expect(shell.status == 0, "sqlcipher shell failed: \(shell)")
        #expect(shell.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == fixture.vaultID)

        // The documented pragmas matter: without the raw key the shell fails.
        let wrong = try ExternalTools.sqlcipher(path: fixture.vaultPath, hexKey: String(repeating: "ab", count: 32), sql: "SELECT count(*) FROM sqlite_master;")
        #expect(wrong.status != 0)
    }

    @Test("init prints the recovery code once and never writes it or the key into the header")
    func recoveryCodeAndHeaderSecrets() throws {
        let session = try KeyringSession(.unlocked)
        let directory = try TemporaryDirectory("init")
        let vault = directory.file("v.db")
        let result = try session.simvault(["init", "--vault", vault])
        #expect(result.status == 0, "\(result)")
        let code = try #require(result.stdout.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
            .first { $0.count == 65 && $0.split(separator: "-").count == 11 })
        let info = try ExternalTools.json(try session.simvault(["info", "--vault", vault, "--json"]))
        let key = try CLIFixture.keyFromKeyring(session: session, vaultID: try #require(info["vault_id"] as? String))
        for file in [vault, vault + ".keys"] {
            #expect(!ExternalTools.fileContains(file, key), "master key hex found in \(file)")
            #expect(!ExternalTools.fileContains(file, code), "recovery code found in \(file)")
        }
        // The code opens the vault on its own.
        let codeFile = try directory.write(code + "\n", to: "code.txt")
        let check = try session.simvault(["key", "check", "--vault", vault, "--no-keyring", "--recovery-code-file", codeFile])
        #expect(check.status == 0, "\(check)")
        #expect(check.stdout.contains("recovery code"))
    }

    @Test("init refuses to overwrite an existing vault or header")
    func refusesOverwrite() throws {
        let session = try KeyringSession(.unlocked)
        let fixture = try CLIFixture(session: session)
        let before = try Data(contentsOf: URL(fileURLWithPath: fixture.headerPath))
        let again = try session.simvault(["init"] + fixture.vault)
        #expect(again.status == 1)
        #expect(again.stderr.contains("already exists"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: fixture.headerPath)) == before)

        // A stray header alone also blocks init.
        let directory = try TemporaryDirectory("init")
        let lonely = directory.file("x.db")
        try directory.write("{}", to: "x.db.keys")
        let blocked = try session.simvault(["init", "--vault", lonely, "--no-keyring", "--password-file", try directory.write("pw\n", to: "pw")])
        #expect(blocked.status == 1)
        #expect(!FileManager.default.fileExists(atPath: lonely))
    }

    @Test("init with no possible key source fails with exit 11 and leaves nothing behind", arguments: [
        KeyringSession.Mode.noBus, .noProvider, .locked,
    ])
    func noKeySourceCreatesNothing(mode: KeyringSession.Mode) throws {
        let session = try KeyringSession(mode)
        let directory = try TemporaryDirectory("init")
        let vault = directory.file("sub/v.db")
        let result = try session.simvault(["init", "--vault", vault, "--keyring-timeout", "10"])
        #expect(result.status == 11, "\(result)")
        #expect(result.stderr.contains("no key source"))
        let leftovers = (try? FileManager.default.contentsOfDirectory(atPath: directory.file("sub"))) ?? []
        #expect(leftovers.isEmpty, "init left files behind: \(leftovers)")
        // --no-keyring without a password is the same situation.
        let explicit = try session.simvault(["init", "--vault", vault, "--no-keyring"])
        #expect(explicit.status == 11)
        #expect(!FileManager.default.fileExists(atPath: vault))
    }

    @Test("files are 0600 whatever the umask", arguments: ["000", "022"])
    func permissionsWhateverUmask(umask: String) throws {
        let session = try KeyringSession(.unlocked)
        let directory = try TemporaryDirectory("perm")
        let vault = directory.file("v.db")
        let binary = ProjectPaths.simvaultBinary
        let script = "umask \(umask); \"\(binary)\" init --vault \"\(vault)\" >/dev/null && \"\(binary)\" health --vault \"\(vault)\" >/dev/null; echo $?"
        let result = try session.run("/bin/sh", ["-c", script])
        #expect(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "0", "\(result)")
        for file in [vault, vault + ".keys", vault + "-wal", vault + "-shm"] {
            let mode = try #require(ExternalTools.mode(of: file), "\(file) does not exist")
            #expect(mode == 0o600, "\(file) has mode \(String(mode, radix: 8))")
        }
    }
}
