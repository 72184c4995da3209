import Foundation
import Testing
import VaultTestSupport

/// `simvault key list|add|remove|change-password`: header-only changes.
@Suite("key slots (CLI)")
struct KeySlotTests {
    @Test("key list shows id, type, created and last used, and never a secret")
    func list() throws {
        let session = try KeyringSession(.unlocked)
        let fixture = try CLIFixture(session: session, password: true)
        let passwordFile = try #require(fixture.passwordFile)
        #expect(try session.simvault(["key", "check", "--no-keyring", "--password-file", passwordFile] + fixture.vault).status == 0)
        #expect(try session.simvault(["key", "check"] + fixture.vault).status == 0)

        // Listing only reads: the database file is left byte for byte as it was.
        let before = try Data(contentsOf: URL(fileURLWithPath: fixture.vaultPath))
        let result = try session.simvault(["key", "list", "--json"] + fixture.vault)
        #expect(result.status == 0, "\(result)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: fixture.vaultPath)) == before, "key list changed the database")
        let listing = try ExternalTools.json(result)
        let slots = try #require(listing["slots"] as? [[String: Any]])
        #expect(slots.compactMap { $0["id"] as? Int } == [1, 2, 3])
        #expect(slots.compactMap { $0["type"] as? String } == ["keyring", "password", "recovery"])
        #expect(slots.allSatisfy { ($0["created_at"] as? Int ?? 0) > 0 })
        // key check recorded slot 2 (password) and slot 1 (keyring); the recovery slot was never used.
        #expect(slots[0]["last_used_at"] as? Int != nil && slots[1]["last_used_at"] as? Int != nil, "\(slots)")
        #expect(slots[2]["last_used_at"] == nil)
        #expect(listing["keyring_item"] as? String == "present")

        let text = try session.simvault(["key", "list"] + fixture.vault)
        let header = try String(contentsOfFile: fixture.headerPath, encoding: .utf8)
        let secrets = ["wrapped_key", "sealed_key", "salt", "nonce"].compactMap { CLIFixture.field($0, in: header) }
        #expect(secrets.count == 4)
        for output in [result.stdout, text.stdout] {
            for secret in secrets + [try fixture.keyringKey(in: session), CLIFixture.password] {
                #expect(!output.contains(secret), "key list printed secret material")
            }
        }
        // Without any key source the slots are still listed; last use is unknown.
        let locked = try session.simvault(["key", "list", "--json", "--no-keyring"] + fixture.vault)
        #expect(locked.status == 0, "\(locked)")
        let lockedListing = try ExternalTools.json(locked)
        #expect(lockedListing["last_use_unavailable"] is String)
        #expect(lockedListing["keyring_item"] as? String == "not checked (keyring not used)")
    }

    @Test("key add: a password slot, a recovery code printed once, and the keyring item back after it was deleted")
    func add() throws {
        let session = try KeyringSession(.unlocked)
        let fixture = try CLIFixture(session: session)
        let second = try fixture.directory.write("second password 9\n", to: "second.txt")

        let password = try session.simvault(["key", "add", "--type", "password", "--new-password-file", second] + fixture.vault)
        #expect(password.status == 0, "\(password)")
        #expect(try session.simvault(["key", "check", "--no-keyring", "--password-file", second] + fixture.vault).status == 0)

        let recovery = try session.simvault(["key", "add", "--type", "recovery"] + fixture.vault)
        #expect(recovery.status == 0, "\(recovery)")
        let code = try #require(recovery.stdout.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
            .first { $0.count == 65 && $0.split(separator: "-").count == 11 })
        let codeFile = try fixture.directory.write(code + "\n", to: "new-code.txt")
        for file in [codeFile, fixture.recoveryCodeFile] {
            let check = try session.simvault(["key", "check", "--no-keyring", "--recovery-code-file", file] + fixture.vault)
            #expect(check.status == 0, "old and new recovery codes must both open: \(check)")
        }
        #expect(!ExternalTools.fileContains(fixture.headerPath, code))

        // The keyring item disappears (new machine, keyring reset): the
        // recovery code opens the vault and key add --type keyring stores it again.
        let cleared = try session.run("secret-tool", ["clear", "application", "simvault", "vault-id", fixture.vaultID])
        #expect(cleared.status == 0)
        #expect(try session.simvault(["key", "check"] + fixture.vault).status == 11)
        let restored = try session.simvault(["key", "add", "--type", "keyring", "--recovery-code-file", fixture.recoveryCodeFile] + fixture.vault)
        #expect(restored.status == 0, "\(restored)")
        let check = try ExternalTools.json(try session.simvault(["key", "check", "--json"] + fixture.vault))
        #expect(check["source"] as? String == "keyring")
        let slots = try ExternalTools.json(try session.simvault(["key", "list", "--json"] + fixture.vault))["slots"] as? [[String: Any]]
        #expect(slots?.filter { $0["type"] as? String == "keyring" }.count == 1, "no second keyring slot")

        let log = try ExternalTools.sqlcipher(path: fixture.vaultPath, hexKey: try fixture.keyringKey(in: session), sql: "SELECT count(*) FROM access_log WHERE action = 'key.slot.add';")
        #expect(log.stdout == "3\n", "\(log)")
    }

    @Test("key remove: a removed password no longer opens and its wrapped key is gone from disk; removing the last usable slot is refused")
    func remove() throws {
        let session = try KeyringSession(.unlocked)
        let fixture = try CLIFixture(session: session, password: true)
        let passwordFile = try #require(fixture.passwordFile)
        let header = try String(contentsOfFile: fixture.headerPath, encoding: .utf8)
        let wrapped = try #require(CLIFixture.field("wrapped_key", in: header))

        let removed = try session.simvault(["key", "remove", "2"] + fixture.vault)
        #expect(removed.status == 0, "\(removed)")
        let check = try session.simvault(["key", "check", "--no-keyring", "--password-file", passwordFile] + fixture.vault)
        #expect(check.status == 11, "the removed password slot still opens: \(check)")
        let directory = fixture.directory.file("vault")
        let files = try FileManager.default.contentsOfDirectory(atPath: directory)
        #expect(files.allSatisfy { !$0.contains(".retired-") && !$0.contains(".tmp-") }, "\(files)")
        for file in files {
            #expect(!ExternalTools.fileContains(directory + "/" + file, wrapped), "the removed slot's wrapped key is still in \(file)")
        }

        // Keyring + recovery left: the recovery slot can go, the keyring slot then cannot.
        #expect(try session.simvault(["key", "remove", "3"] + fixture.vault).status == 0)
        let before = try fixture.headerBytes()
        let last = try session.simvault(["key", "remove", "1"] + fixture.vault)
        #expect(last.status == 1, "\(last)")
        #expect(last.stderr.contains("last slot that can open the vault"))
        #expect(try fixture.headerBytes() == before)
        #expect(try session.simvault(["key", "check"] + fixture.vault).status == 0)
        #expect(try session.simvault(["key", "remove", "7"] + fixture.vault).status == 1)
    }

    @Test("removing a keyring slot deletes its item; a password slot is not 'usable' protection when only a dead keyring slot remains")
    func removeKeyring() throws {
        let session = try KeyringSession(.unlocked)
        let fixture = try CLIFixture(session: session, password: true)
        let passwordFile = try #require(fixture.passwordFile)
        #expect(try session.simvault(["key", "remove", "3"] + fixture.vault).status == 0)
        // With the keyring item gone, slot 1 cannot open the vault: removing
        // the password slot would lock the user out.
        _ = try session.run("secret-tool", ["clear", "application", "simvault", "vault-id", fixture.vaultID])
        let refused = try session.simvault(["key", "remove", "2", "--password-file", passwordFile] + fixture.vault)
        #expect(refused.status == 1, "\(refused)")
        #expect(refused.stderr.contains("keyring slot 1 cannot open it"))

        #expect(try session.simvault(["key", "add", "--type", "keyring", "--password-file", passwordFile] + fixture.vault).status == 0)
        let removed = try session.simvault(["key", "remove", "1"] + fixture.vault)
        #expect(removed.status == 0, "\(removed)")
        #expect(try session.secretToolLookup(vaultID: fixture.vaultID).status != 0, "the keyring item survived the removal of its slot")
        #expect(try session.simvault(["key", "check", "--password-file", passwordFile] + fixture.vault).status == 0)
    }

    @Test("key change-password: a wrong old password exits 10 and leaves the header byte-identical; the new one then replaces the old")
    func changePassword() throws {
        let session = try KeyringSession(.unlocked)
        let fixture = try CLIFixture(session: session, password: true)
        let passwordFile = try #require(fixture.passwordFile)
        let newFile = try fixture.directory.write("brand new password 10\n", to: "new.txt")
        let wrongFile = try fixture.directory.write("wrong\n", to: "wrong.txt")
        let before = try fixture.headerBytes()

        let wrong = try session.simvault(["key", "change-password", "2", "--password-file", wrongFile, "--new-password-file", newFile] + fixture.vault)
        #expect(wrong.status == 10, "\(wrong)")
        #expect(wrong.stderr.contains("wrong password"))
        #expect(try fixture.headerBytes() == before, "a refused change-password changed the header")
        let notPassword = try session.simvault(["key", "change-password", "1", "--password-file", passwordFile, "--new-password-file", newFile] + fixture.vault)
        #expect(notPassword.status == 1 && notPassword.stderr.contains("keyring slot"), "\(notPassword)")

        let changed = try session.simvault(["key", "change-password", "2", "--password-file", passwordFile, "--new-password-file", newFile] + fixture.vault)
        #expect(changed.status == 0, "\(changed)")
        #expect(try session.simvault(["key", "check", "--no-keyring", "--password-file", newFile] + fixture.vault).status == 0)
        #expect(try session.simvault(["key", "check", "--no-keyring", "--password-file", passwordFile] + fixture.vault).status == 10)
        // The master key did not change: the keyring item still opens it.
        #expect(try session.simvault(["key", "check"] + fixture.vault).status == 0)
        let oldWrapped = try #require(CLIFixture.field("wrapped_key", in: String(decoding: before, as: UTF8.self)))
        #expect(!ExternalTools.fileContains(fixture.headerPath, oldWrapped))
    }

    @Test("a key change while another process holds the key lock exits 13 and changes nothing")
    func keyLockHeld() throws {
        let session = try KeyringSession(.unlocked)
        let fixture = try CLIFixture(session: session, password: true)
        let before = try fixture.headerBytes()
        let holder = try Subprocess(
            try #require(ProcessRunner.which("flock")), [fixture.vaultPath + ".keys.lock", "-c", "echo locked; sleep 60"],
            environment: ProcessRunner.baseEnvironment, withStdin: false)
        defer {
            kill(-holder.pid, SIGKILL)
            _ = holder.wait(timeout: 10)
        }
        var seen = [UInt8](repeating: 0, count: 16)
        #expect(read(holder.stdoutFD, &seen, seen.count) > 0, "flock did not start")
        for command in [["key", "remove", "3"], ["rekey", "--password-file", try #require(fixture.passwordFile)], ["health"]] {
            let result = try session.simvault(command + fixture.vault)
            if command == ["health"] {
                #expect(result.status == 1 && result.stdout.contains("changing this vault's keys right now"), "\(result)")
            } else {
                #expect(result.status == 13, "\(command): \(result)")
                #expect(result.stderr.contains("another simvault process is changing this vault's keys"))
            }
        }
        #expect(try fixture.headerBytes() == before)
    }
}
