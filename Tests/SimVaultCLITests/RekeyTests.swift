import Foundation
import Testing
import SimVault
import VaultTestSupport

/// `simvault rekey`: checked from outside (stock sqlcipher shell,
/// secret-tool) and against other processes holding the vault.
@Suite("rekey")
struct RekeyTests {
    @Test("after rekey the old key fails in the sqlcipher shell, the keyring's new key works, every row is kept, and every slot still opens")
    func rekeyIsVerifiedFromOutside() throws {
        let session = try KeyringSession(.unlocked)
        let fixture = try CLIFixture(session: session, password: true)
        let passwordFile = try #require(fixture.passwordFile)
        try VaultContents.addFiller(vaultPath: fixture.vaultPath, password: CLIFixture.password, megabytes: 2)
        let before = try VaultContents.fingerprint(vaultPath: fixture.vaultPath, password: CLIFixture.password)
        let oldKey = try fixture.keyringKey(in: session)
        let oldHeader = try String(contentsOfFile: fixture.headerPath, encoding: .utf8)

        let result = try session.simvault(["rekey", "--json", "--password-file", passwordFile] + fixture.vault)
        #expect(result.status == 0, "\(result)")
        let report = try ExternalTools.json(result)
        let newKeyID = try #require(report["key_id"] as? String)
        #expect(report["previous_key_id"] as? String != newKeyID)
        #expect((report["slots"] as? [[String: Any]])?.count == 3)

        // Outside view: the old key no longer opens the file, the keyring's key does.
        let newKey = try fixture.keyringKey(in: session)
        #expect(newKey != oldKey)
        let old = try ExternalTools.sqlcipher(path: fixture.vaultPath, hexKey: oldKey, sql: "SELECT count(*) FROM filler;")
        #expect(old.status != 0, "the old key still opens the vault: \(old)")
        #expect(old.stderr.contains("not a database"))
        let new = try ExternalTools.sqlcipher(path: fixture.vaultPath, hexKey: newKey, sql: "SELECT count(*) FROM filler; PRAGMA integrity_check;")
        #expect(new.status == 0, "\(new)")
        #expect(new.stdout.hasSuffix("ok\n"))
        let items = try fixture.keyringItems(in: session)
        #expect(items.count == 1, "exactly one keyring item must remain: \(items.listing)")
        #expect(items.listing.contains("attribute.key-id = \(newKeyID)"), "\(items.listing)")

        // Every row is the same; the access log gained the key.rekey entry.
        let after = try VaultContents.fingerprint(vaultPath: fixture.vaultPath, password: CLIFixture.password)
        for (table, fingerprint) in before where table != "access_log" {
            #expect(after[table] == fingerprint, "table \(table) changed: \(fingerprint) -> \(String(describing: after[table]))")
        }
        #expect(after["access_log"]?.rows == (before["access_log"]?.rows ?? 0) + 1)
        let log = try ExternalTools.sqlcipher(path: fixture.vaultPath, hexKey: newKey, sql: "SELECT action, detail FROM access_log ORDER BY id DESC LIMIT 1;")
        #expect(log.stdout.contains("key.rekey|"))
        #expect(log.stdout.contains("\"to_key_id\":\"\(newKeyID)\""))
        #expect(!log.stdout.contains(newKey) && !log.stdout.contains(oldKey))

        // The password and the recovery code from before still open it.
        let password = try session.simvault(["key", "check", "--no-keyring", "--password-file", passwordFile] + fixture.vault)
        #expect(password.status == 0, "\(password)")
        let recovery = try session.simvault(["key", "check", "--no-keyring", "--recovery-code-file", fixture.recoveryCodeFile] + fixture.vault)
        #expect(recovery.status == 0, "\(recovery)")

        // The header has no rotation record any more, holds the new key
        // (its MAC verifies under it), and nothing of the old header (its
        // wrapped keys) is left in the directory.
        let header = try String(contentsOfFile: fixture.headerPath, encoding: .utf8)
        #expect(header.contains("\"version\" : 3") && !header.contains("rotation") && !header.contains("\"pending\""))
        let newMasterKey = try Array(newKey.utf8).withUnsafeBytes { try MasterKey(hexCharacters: $0) }
        #expect(try KeyHeaderFile(path: fixture.headerPath).load().macVerifies(under: newMasterKey, as: .current))
        let oldWrapped = try #require(CLIFixture.field("wrapped_key", in: oldHeader))
        for file in try FileManager.default.contentsOfDirectory(atPath: fixture.directory.file("vault")) {
            #expect(!ExternalTools.fileContains(fixture.directory.file("vault/" + file), oldWrapped), "\(file) still holds the old wrapped key")
        }
        let health = try session.simvault(["health"] + fixture.vault)
        #expect(health.status == 0, "\(health)")
    }

    @Test("secrets stored before rekey read back after it, and the vault keeps only the new key's wrap of the secrets key")
    func secretsSurviveRekey() throws {
        let session = try KeyringSession(.unlocked)
        let fixture = try CLIFixture(session: session)
        let value = "sk-rekey-survivor-\(UUID().uuidString)"
        let set = try session.simvault(["secret", "set", "openai", "--value-file", "-"] + fixture.vault, stdin: Data(value.utf8))
        try #require(set.status == 0, "\(set)")

        let rekey = try session.simvault(["rekey"] + fixture.vault)
        #expect(rekey.status == 0, "\(rekey)")
        let get = try session.simvault(["secret", "get", "openai"] + fixture.vault)
        #expect(get.status == 0, "\(get)")
        #expect(get.stdout.trimmingCharacters(in: .newlines) == value)

        // A second rotation works from the state the first one left.
        let again = try session.simvault(["rekey"] + fixture.vault)
        #expect(again.status == 0, "\(again)")
        #expect(try session.simvault(["secret", "get", "openai"] + fixture.vault).stdout.trimmingCharacters(in: .newlines) == value)
        let key = try fixture.keyringKey(in: session)
        let wraps = try ExternalTools.sqlcipher(path: fixture.vaultPath, hexKey: key, sql: "SELECT count(*) FROM secret_keys;")
        #expect(wraps.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "1", "\(wraps)")
    }

    @Test("rekey while another process holds a write transaction exits 13 and changes nothing; with --wait it proceeds once that process is done")
    func busyVault() throws {
        let session = try KeyringSession(.unlocked)
        let fixture = try CLIFixture(session: session)
        let key = try fixture.keyringKey(in: session)
        let header = try fixture.headerBytes()
        let shell = try SQLCipherSession(path: fixture.vaultPath, hexKey: key)
        try shell.run("CREATE TABLE notes (n INTEGER); BEGIN IMMEDIATE; INSERT INTO notes VALUES (42);")

        let busy = try session.simvault(["rekey"] + fixture.vault)
        #expect(busy.status == 13, "\(busy)")
        #expect(busy.stderr.contains("busy") && busy.stderr.contains("--wait"))
        #expect(try fixture.headerBytes() == header, "the header changed")
        #expect(try fixture.keyringKey(in: session) == key, "the keyring item changed")
        #expect(try fixture.keyringItems(in: session).count == 1)

        // With --wait: rekey announces that it waits; the other process then
        // commits and exits, and rekey goes ahead with the committed row.
        let waiting = try Subprocess(
            ProjectPaths.simvaultBinary, ["rekey", "--wait", "120"] + fixture.vault,
            environment: session.environment, withStdin: false)
        let announcement = try Self.readStderr(of: waiting, until: "Waiting for other processes")
        #expect(announcement.contains("Waiting for other processes"), "\(announcement)")
        try shell.run("COMMIT;")
        shell.finish()
        let (status, _) = waiting.wait(timeout: 120)
        let output = String(decoding: Subprocess.readAll(waiting.stdoutFD), as: UTF8.self)
        _ = Subprocess.readAll(waiting.stderrFD)
        #expect(status == 0, "rekey --wait exited \(status): \(output)")
        let newKey = try fixture.keyringKey(in: session)
        #expect(newKey != key)
        let row = try ExternalTools.sqlcipher(path: fixture.vaultPath, hexKey: newKey, sql: "SELECT n FROM notes;")
        #expect(row.stdout == "42\n", "\(row)")
    }

    @Test("a writer killed with committed rows still in the WAL: rekey keeps them")
    func crashedWriterWAL() throws {
        let session = try KeyringSession(.unlocked)
        let fixture = try CLIFixture(session: session)
        let key = try fixture.keyringKey(in: session)
        let shell = try SQLCipherSession(path: fixture.vaultPath, hexKey: key)
        try shell.run("CREATE TABLE notes (n INTEGER); INSERT INTO notes VALUES (1), (2), (3);")
        shell.kill()
        #expect((VaultLocation.size(of: fixture.vaultPath + "-wal") ?? 0) > 0, "the killed writer should leave its commits in the WAL")

        let result = try session.simvault(["rekey"] + fixture.vault)
        #expect(result.status == 0, "\(result)")
        let rows = try ExternalTools.sqlcipher(path: fixture.vaultPath, hexKey: try fixture.keyringKey(in: session), sql: "SELECT group_concat(n) FROM notes;")
        #expect(rows.stdout == "1,2,3\n", "\(rows)")
    }

    @Test("password slots need their password: refused without it, dropped only with --drop-password-slots (and a warning), a wrong one exits 10")
    func passwordSlotsNeedTheirPassword() throws {
        let session = try KeyringSession(.unlocked)
        let fixture = try CLIFixture(session: session, password: true)
        let passwordFile = try #require(fixture.passwordFile)
        let header = try fixture.headerBytes()

        let missing = try session.simvault(["rekey"] + fixture.vault)
        #expect(missing.status == 1, "\(missing)")
        #expect(missing.stderr.contains("no password was given for password slot(s) 2"))
        #expect(missing.stderr.contains("--drop-password-slots"))
        let wrong = try session.simvault(["rekey", "--password-file", try fixture.directory.write("nope\n", to: "wrong")] + fixture.vault)
        #expect(wrong.status == 10, "\(wrong)")
        #expect(try fixture.headerBytes() == header, "a refused rekey changed the header")

        let dropped = try session.simvault(["rekey", "--drop-password-slots"] + fixture.vault)
        #expect(dropped.status == 0, "\(dropped)")
        #expect(dropped.stderr.contains("password slot 2 was dropped"))
        let list = try ExternalTools.json(try session.simvault(["key", "list", "--json"] + fixture.vault))
        #expect((list["slots"] as? [[String: Any]])?.compactMap { $0["type"] as? String } == ["keyring", "recovery"])
        let old = try session.simvault(["key", "check", "--no-keyring", "--password-file", passwordFile] + fixture.vault)
        #expect(old.status == 11, "a dropped password slot must not open the vault: \(old)")
    }

    @Test("a keyring slot that cannot be updated (no session bus) stops rekey before anything changes")
    func keyringUnreachable() throws {
        let unlocked = try KeyringSession(.unlocked)
        let fixture = try CLIFixture(session: unlocked, password: true)
        let passwordFile = try #require(fixture.passwordFile)
        let header = try fixture.headerBytes()
        let noBus = try KeyringSession(.noBus)
        let result = try noBus.simvault(["rekey", "--password-file", passwordFile] + fixture.vault)
        #expect(result.status == 1, "\(result)")
        #expect(result.stderr.contains("cannot store the key in the keyring"))
        #expect(result.stderr.contains("Nothing was changed"))
        #expect(try fixture.headerBytes() == header)
        #expect(try unlocked.simvault(["key", "check"] + fixture.vault).status == 0)
    }

    @Test("on a terminal, rekey of a 20 MB vault shows its progress")
    func progressOnATerminal() throws {
        let session = try KeyringSession(.unlocked)
        let fixture = try CLIFixture(session: session, password: true)
        try VaultContents.addFiller(vaultPath: fixture.vaultPath, password: CLIFixture.password, megabytes: 20)
        let run = try PseudoTerminal.run(
            ProjectPaths.simvaultBinary, ["rekey"] + fixture.vault, environment: session.environment,
            answers: [("Password of key slot 2", CLIFixture.password)])
        #expect(run.status == 0, "\(run.screen)")
        #expect(run.screen.contains("Re-encrypting ["), "\(run.screen)")
        #expect(run.screen.contains("100%"))
        #expect(!run.screen.contains(CLIFixture.password), "the password was echoed")
        #expect(run.screen.contains("Rekeyed vault"))
    }

    @Test("on a terminal, a vault without a keyring asks for its password once: it unlocks the vault and re-wraps its slot")
    func promptsOnce() throws {
        let session = try KeyringSession(.unlocked)
        let fixture = try CLIFixture(session: session, keyring: false, password: true)
        let passwordFile = try #require(fixture.passwordFile)
        let run = try PseudoTerminal.run(
            ProjectPaths.simvaultBinary, ["rekey"] + fixture.vault, environment: session.environment,
            answers: [("Password for ", CLIFixture.password)], timeout: 30)
        #expect(run.status == 0, "\(run.screen)")
        #expect(!run.screen.contains("Password of key slot"), "asked twice: \(run.screen)")
        #expect(try session.simvault(["key", "check", "--password-file", passwordFile] + fixture.vault).status == 0)
    }

    /// Reads a child's stderr until `text` appears (or it exits / 60 s pass).
    static func readStderr(of child: Subprocess, until text: String) throws -> String {
        var seen = Data()
        let deadline = Date().addingTimeInterval(60)
        var buffer = [UInt8](repeating: 0, count: 1024)
        while Date() < deadline, !String(decoding: seen, as: UTF8.self).contains(text) {
            var entry = pollfd(fd: child.stderrFD, events: Int16(POLLIN), revents: 0)
            guard poll(&entry, 1, 200) > 0 else {
                if child.poll() != nil { break }
                continue
            }
            let count = read(child.stderrFD, &buffer, buffer.count)
            if count <= 0 { break }
            seen.append(contentsOf: buffer[0..<count])
        }
        return String(decoding: seen, as: UTF8.self)
    }
}
