import Foundation
import SimVault
import Testing
import VaultTestSupport

/// Issue 12's attacks on the key header, performed the way someone who can
/// write the vault's folder (a synced folder, a shared disk) but holds no
/// key would: the header edited with Python's `json` and its unkeyed
/// checksum recomputed with `hashlib` (``HeaderForger``). Each is refused
/// with exit 12 (`health`: 2) before anything is written: the vault's files
/// are compared byte for byte and the keyring items with `secret-tool`.
@Suite("forged key headers (CLI)")
struct HeaderForgeryCommandTests {
    /// A vault made by `simvault init` with keyring, password and recovery
    /// slots (1, 2, 3), in its keyring session.
    private struct Setup {
        let session: KeyringSession
        let fixture: CLIFixture
        let passwordFile: String

        init() throws {
            session = try KeyringSession(.unlocked)
            fixture = try CLIFixture(session: session, password: true)
            passwordFile = try #require(fixture.passwordFile)
        }

        func header() throws -> KeyHeader { try KeyHeaderFile(path: fixture.headerPath).load() }
    }

    /// Runs the commands that would act on the header (open, re-seal, add a
    /// slot, back up, repair) and expects each refused with `status`,
    /// naming `mentioning`, with the vault's files and keyring items as they
    /// were. Returns `health`'s output.
    ///
    /// - Parameter passwordFindsTheKey: false when the edit keeps the
    ///   password from unwrapping the key at all (a raised KDF cost): with
    ///   no key nothing can be proven, and the password is reported wrong
    ///   (exit 10), still with nothing written.
    @discardableResult
    private func expectRefusedEverywhere(
        _ setup: Setup, mentioning text: String, passwordFindsTheKey: Bool = true, sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> ProcessResult {
        let fixture = setup.fixture, session = setup.session
        let files = fixture.fileBytes()
        let items = try fixture.keyringItems(in: session)
        let backup = fixture.directory.file("forged-backup.db")
        let newCode = fixture.directory.file("new-code.txt")
        let commands: [[String]] = [
            ["key", "check"],
            ["key", "check", "--no-keyring", "--password-file", setup.passwordFile],
            ["rekey", "--password-file", setup.passwordFile],
            ["key", "add", "--type", "recovery", "--new-recovery-code-file", newCode],
            ["key", "remove", "3"],
            ["backup", backup],
            ["info"],
        ]
        for command in commands {
            let result = try fixture.run(session, command)
            if !passwordFindsTheKey, command.contains("--no-keyring") {
                #expect(result.status == 10, "\(command): \(result)", sourceLocation: sourceLocation)
                continue
            }
            #expect(result.status == 12, "\(command): \(result)", sourceLocation: sourceLocation)
            #expect(result.stderr.contains(text), "\(command): \(result.stderr)", sourceLocation: sourceLocation)
        }
        let health = try fixture.run(session, ["health"])
        #expect(health.status == 2, "\(health)", sourceLocation: sourceLocation)
        #expect(health.stdout.contains("failed  authenticity") || health.stdout.contains("failed  key check"), "\(health)", sourceLocation: sourceLocation)
        #expect(health.stdout.contains(text), "\(health)", sourceLocation: sourceLocation)
        #expect(fixture.fileBytes() == files, "a refused command changed the vault", sourceLocation: sourceLocation)
        let after = try fixture.keyringItems(in: session)
        #expect(after.count == items.count && after.listing == items.listing, "the keyring changed: \(after.listing)", sourceLocation: sourceLocation)
        #expect(!FileManager.default.fileExists(atPath: backup) && !FileManager.default.fileExists(atPath: newCode), sourceLocation: sourceLocation)
        return health
    }

    @Test("a planted recovery slot sealed to the attacker's key: refused, so rekey never seals the new master key to it")
    func plantedRecoverySlot() throws {
        let setup = try Setup()
        let attacker = HeaderForger.attackerRecoverySlot(id: 4)
        try HeaderForger.forge(setup.fixture.headerPath, extra: try HeaderForger.json(attacker.slot), "h['slots'].append(extra)")
        try expectRefusedEverywhere(setup, mentioning: "slot 4 (recovery) added")
        // The code the attacker kept opens nothing: the slot's sealed key is
        // still the random one, no master key was ever sealed to it.
        let header = try setup.header()
        let planted = try #require(header.slot(id: 4))
        guard case .recovery(let material) = planted.material else { Issue.record("slot 4 is not a recovery slot"); return }
        let opened = try material.open(with: attacker.code)
        let realKey = try setup.fixture.keyringKey(in: setup.session)
        #expect(opened.withHexCString { String(cString: $0) } != realKey)
    }

    @Test("a planted password slot wrapping a key of the attacker's choice: refused with the user's keys, and the attacker's password opens nothing")
    func plantedPasswordSlot() throws {
        let setup = try Setup()
        let header = try setup.header()
        let attackerKey = MasterKey.generate()
        let attackerPassword = SecretBytes(count: 8) { $0.copyBytes(from: Array("attacker".utf8)) }
        let slot = KeySlot(id: 4, material: .password(try PasswordSlot.wrap(attackerKey, password: attackerPassword, vaultID: header.vaultID, slotID: 4)))
        try HeaderForger.forge(setup.fixture.headerPath, extra: try HeaderForger.json(slot), "h['slots'].append(extra)")
        try expectRefusedEverywhere(setup, mentioning: "slot 4 (password) added")

        // With the attacker's password: the slot opens to a key that is not
        // the vault's (it fails the key check and does not open the database).
        let attackerFile = try setup.fixture.directory.write("attacker\n", to: "attacker.txt")
        let files = setup.fixture.fileBytes()
        let check = try setup.fixture.run(setup.session, ["key", "check", "--no-keyring", "--password-file", attackerFile])
        #expect(check.status == 12 && check.stderr.contains("fails the header's key check"), "\(check)")
        #expect(setup.fixture.fileBytes() == files)
        // The same slot with the key check replaced to match it: the vault's
        // own keyring key then exposes the replacement.
        let check2 = KeyCheck(masterKey: attackerKey, vaultID: header.vaultID)
        try HeaderForger.forge(setup.fixture.headerPath, "h['key_id'] = '\(check2.keyID)'\nh['key_check'] = '\(check2.value)'")
        let replaced = setup.fixture.fileBytes()
        let withKeyring = try setup.fixture.run(setup.session, ["key", "check"])
        #expect(withKeyring.status == 12 && withKeyring.stderr.contains("opens the database but fails the header's key check"), "\(withKeyring)")
        let withAttacker = try setup.fixture.run(setup.session, ["key", "check", "--no-keyring", "--password-file", attackerFile])
        #expect(withAttacker.status == 12, "\(withAttacker)")
        #expect(setup.fixture.fileBytes() == replaced)
    }

    @Test("an edited KDF cost: refused with the keyring (named), and a cost below the minimum is never derived from")
    func editedKDFCost() throws {
        let setup = try Setup()
        try HeaderForger.forge(setup.fixture.headerPath, "h['slots'][1]['kdf']['opslimit'] = 1\nh['slots'][1]['kdf']['memlimit'] = 8 << 20")
        let files = setup.fixture.fileBytes()
        let keyring = try setup.fixture.run(setup.session, ["key", "check"])
        #expect(keyring.status == 12 && keyring.stderr.contains("slot 2 (password) changed: kdf.memlimit, kdf.opslimit"), "\(keyring)")
        let password = try setup.fixture.run(setup.session, ["key", "check", "--no-keyring", "--password-file", setup.passwordFile])
        #expect(password.status == 12 && password.stderr.contains("below simvault's minimum"), "\(password)")
        #expect(setup.fixture.fileBytes() == files)
        // A raised cost: the keyring still exposes it.
        try HeaderForger.forge(setup.fixture.headerPath, "h['slots'][1]['kdf']['opslimit'] = 4\nh['slots'][1]['kdf']['memlimit'] = 64 << 20")
        try expectRefusedEverywhere(setup, mentioning: "slot 2 (password) changed: kdf.opslimit", passwordFindsTheKey: false)
    }

    @Test("a forged rotation record: health fails it and neither rolls back nor removes anything")
    func forgedRotation() throws {
        let setup = try Setup()
        let header = try setup.header()
        let attackerKey = MasterKey.generate()
        let check = KeyCheck(masterKey: attackerKey, vaultID: header.vaultID)
        let slots = [
            KeySlot(id: 1, material: .keyring(KeyringSlot(keyID: check.keyID))),
            KeySlot(id: 3, material: .recovery(RecoverySlot.seal(attackerKey, for: RecoveryCode.generate()))),
        ]
        let extra = "[" + (try slots.map(HeaderForger.json).joined(separator: ",")) + "]"
        try HeaderForger.forge(setup.fixture.headerPath, extra: extra, """
            h['rotation'] = {'key_id': '\(check.keyID)', 'key_check': '\(check.value)', 'started_at': h['created_at'], 'slots': extra}
            h['mac']['pending'] = h['mac']['current']
            """)
        let health = try expectRefusedEverywhere(setup, mentioning: "key rotation record added")
        #expect(health.stdout.contains("skipped key rotation"), "\(health)")
    }

    @Test("an old-format header put back after the upgrade is refused as a downgrade")
    func downgradeAfterUpgrade() throws {
        let setup = try Setup()
        #expect(try setup.header().version == 3)
        try HeaderForger.downgrade(setup.fixture.headerPath)
        try expectRefusedEverywhere(setup, mentioning: "unauthenticated format 1 header")
        // With a slot planted in it, the slot is named too.
        let attacker = HeaderForger.attackerRecoverySlot(id: 4)
        try HeaderForger.forge(setup.fixture.headerPath, extra: try HeaderForger.json(attacker.slot), "h['slots'].append(extra)")
        let check = try setup.fixture.run(setup.session, ["key", "check"])
        #expect(check.status == 12 && check.stderr.contains("slot 4 (recovery) added") && check.stderr.contains("format version 3 → 1"), "\(check)")
    }

    @Test("an edited key id and key check make health fail, and it deletes no keyring item (the vault still opens with it)")
    func editedKeyIDDoesNotDeleteKeyringItems() throws {
        let session = try KeyringSession(.unlocked)
        // The default init: keyring and recovery slots only.
        let fixture = try CLIFixture(session: session)
        let original = try fixture.headerBytes()
        let header = try KeyHeaderFile(path: fixture.headerPath).load()
        let other = KeyCheck(masterKey: MasterKey.generate(), vaultID: header.vaultID)
        try HeaderForger.forge(fixture.headerPath, "h['key_id'] = '\(other.keyID)'\nh['key_check'] = '\(other.value)'\nh['slots'][0]['key_id'] = '\(other.keyID)'")
        let items = try fixture.keyringItems(in: session)
        #expect(items.count == 1)
        let files = fixture.fileBytes()
        for _ in 0..<2 {
            let health = try fixture.run(session, ["health"])
            #expect(health.status == 2, "\(health)")
            #expect(!health.stdout.contains("removed"), "\(health)")
            #expect(health.stdout.contains("key_check") && health.stdout.contains("key_id"), "\(health)")
        }
        let check = try fixture.run(session, ["key", "check"])
        #expect(check.status == 12 && check.stderr.contains("opens the database but fails the header's key check"), "\(check)")
        #expect(try fixture.keyringItems(in: session).listing == items.listing, "a keyring item was deleted")
        #expect(fixture.fileBytes() == files)
        // The real header back: the keyring alone opens the vault again.
        try original.write(to: URL(fileURLWithPath: fixture.headerPath))
        #expect(try fixture.run(session, ["key", "check"]).status == 0)
    }

    @Test("an old-format vault: reading changes nothing, the first write upgrades it (header, then the record inside the database)")
    func upgradeByTheFirstWrite() throws {
        let setup = try Setup()
        let fixture = setup.fixture, session = setup.session
        // As an older simvault left it: no record inside, a format 1 header.
        let deleted = try fixture.shell(session, "DELETE FROM vault_meta WHERE key = 'key_header';")
        #expect(deleted.status == 0, "\(deleted)")
        try HeaderForger.downgrade(fixture.headerPath)
        let oldHeader = try fixture.headerBytes()
        let files = fixture.fileBytes()

        let info = try ExternalTools.json(try fixture.run(session, ["info", "--json"]))
        #expect(info["header_authentication"] as? String == "unauthenticated_format" && info["header_version"] as? Int == 1, "\(info)")
        #expect(try fixture.run(session, ["key", "list"]).status == 0)
        #expect(fixture.fileBytes() == files, "reading changed the vault")

        let value = try fixture.directory.write("sk-test", to: "value.txt")
        let set = try fixture.run(session, ["secret", "set", "OPENAI_API_KEY", "--value-file", value])
        #expect(set.status == 0, "\(set)")
        let upgraded = try setup.header()
        #expect(upgraded.version == 3 && upgraded.mac != nil)
        let record = try fixture.shell(session, "SELECT count(*) FROM vault_meta WHERE key = 'key_header'; SELECT count(*) FROM access_log WHERE action = 'key.header.upgrade';")
        #expect(record.stdout.split(separator: "\n").suffix(2).map(String.init) == ["1", "1"], "\(record)")
        let verified = try ExternalTools.json(try fixture.run(session, ["info", "--json"]))
        #expect(verified["header_authentication"] as? String == "verified", "\(verified)")

        try oldHeader.write(to: URL(fileURLWithPath: fixture.headerPath))
        let refused = try fixture.run(session, ["key", "check"])
        #expect(refused.status == 12 && refused.stderr.contains("unauthenticated format 1 header"), "\(refused)")
    }

    @Test("health upgrades an old-format header and reports it")
    func healthUpgrades() throws {
        let setup = try Setup()
        #expect(try setup.fixture.shell(setup.session, "DELETE FROM vault_meta WHERE key = 'key_header';").status == 0)
        try HeaderForger.downgrade(setup.fixture.headerPath)
        let health = try setup.fixture.run(setup.session, ["health"])
        #expect(health.status == 0 && health.stdout.contains("format 1 key header (no MAC) was upgraded to format 3"), "\(health)")
        #expect(try setup.header().version == 3)
        #expect(try setup.fixture.run(setup.session, ["health"]).stdout.contains("ok      authenticity the key header's MAC verifies"))
    }

    @Test("info without a key says the header is not verified; with the key, verified or refused")
    func infoWithoutAKey() throws {
        let setup = try Setup()
        let verified = try setup.fixture.run(setup.session, ["info"])
        #expect(verified.status == 0 && verified.stdout.contains("header auth    verified"), "\(verified)")
        let attacker = HeaderForger.attackerRecoverySlot(id: 4)
        try HeaderForger.forge(setup.fixture.headerPath, extra: try HeaderForger.json(attacker.slot), "h['slots'].append(extra)")
        let keyless = try setup.fixture.run(setup.session, ["info", "--no-keyring"])
        #expect(keyless.status == 0 && keyless.stdout.contains("header auth    not verified without the key"), "\(keyless)")
        let json = try ExternalTools.json(try setup.fixture.run(setup.session, ["info", "--json", "--no-keyring"]))
        #expect(json["header_authentication"] as? String == "not_verified")
        let withKey = try setup.fixture.run(setup.session, ["info", "--json"])
        let withKeyJSON = try ExternalTools.json(withKey)
        #expect(withKey.status == 12 && withKeyJSON["header_authentication"] as? String == "forged", "\(withKey)")
    }

    @Test("a backup whose header was forged is not restored: exit 12, the vault and the keyring unchanged")
    func forgedBackupIsNotRestored() throws {
        let setup = try Setup()
        let backup = setup.fixture.directory.file("backup.db")
        #expect(try setup.fixture.run(setup.session, ["backup", backup]).status == 0)
        let attacker = HeaderForger.attackerRecoverySlot(id: 4)
        try HeaderForger.forge(backup + ".keys", extra: try HeaderForger.json(attacker.slot), "h['slots'].append(extra)")
        let files = setup.fixture.fileBytes()
        let items = try setup.fixture.keyringItems(in: setup.session)
        let restore = try setup.fixture.run(setup.session, ["restore", backup])
        #expect(restore.status == 12 && restore.stderr.contains("slot 4 (recovery) added"), "\(restore)")
        #expect(setup.fixture.fileBytes() == files)
        #expect(try setup.fixture.keyringItems(in: setup.session).listing == items.listing)
        // The same backup with an old-format header put beside it.
        try HeaderForger.downgrade(backup + ".keys")
        let downgraded = try setup.fixture.run(setup.session, ["restore", backup])
        #expect(downgraded.status == 12 && downgraded.stderr.contains("unauthenticated format 1 header"), "\(downgraded)")
        #expect(setup.fixture.fileBytes() == files)
    }

    @Test("a file made by encrypt gets an authenticated header too, and a forged one is refused")
    func encryptedFileHeader() throws {
        let session = try KeyringSession(.unlocked)
        let directory = try TemporaryDirectory("encrypt-header")
        let plain = directory.file("app.db")
        try ExternalTools.python("import sqlite3, sys\nc = sqlite3.connect(sys.argv[1])\nc.execute('CREATE TABLE t (x)')\nc.execute('INSERT INTO t VALUES (1)')\nc.commit()", [plain])
        let out = directory.file("app-encrypted.db")
        let encrypt = try session.simvault(["encrypt", plain, "--out", out, "--recovery-code-file", directory.file("code.txt")])
        #expect(encrypt.status == 0, "\(encrypt)")
        let header = try KeyHeaderFile(path: out + ".keys").load()
        #expect(header.version == 3 && header.mac != nil)
        let info = try ExternalTools.json(try session.simvault(["info", "--json", "--vault", out]))
        #expect(info["header_authentication"] as? String == "verified", "\(info)")
        let attacker = HeaderForger.attackerRecoverySlot(id: 3)
        try HeaderForger.forge(out + ".keys", extra: try HeaderForger.json(attacker.slot), "h['slots'].append(extra)")
        let forged = try session.simvault(["info", "--vault", out])
        #expect(forged.status == 12 && forged.stderr.contains("was changed by someone without the key"), "\(forged)")
    }

    @Test("the MAC is what docs/SECURITY.md specifies: Python's hashlib recomputes it from the key secret-tool prints (given on stdin)")
    func macMatchesTheDocumentedFormat() throws {
        let setup = try Setup()
        let key = try setup.fixture.keyringKey(in: setup.session)
        // crypto_kdf_derive_from_key(32, 1, "simvhead", key) is BLAKE2b-256
        // keyed with the master key, salt LE64(1) || 0^8, personal
        // "simvhead" || 0^8, over nothing.
        let result = try ExternalTools.python("""
            import base64, hashlib, json, sys
            with open(sys.argv[1]) as f:
                h = json.load(f)
            key = bytes.fromhex(sys.stdin.read().strip())
            subkey = hashlib.blake2b(b"", digest_size=32, key=key, salt=(1).to_bytes(8, "little") + bytes(8), person=b"simvhead" + bytes(8)).digest()
            body = {k: v for k, v in h.items() if k != "mac"}
            body["checksum"] = ""
            message = b"simvault key header v3\\x00" + json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
            tag = "blake2b-256:" + base64.b64encode(hashlib.blake2b(message, digest_size=32, key=subkey).digest()).decode()
            print("match" if tag == h["mac"]["current"] else "differs: " + tag)
            """, [setup.fixture.headerPath], stdin: Data(key.utf8))
        #expect(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "match", "\(result)")
    }

    @Test("init --json prints the recovery code, which opens the vault")
    func initJSONRecoveryCode() throws {
        let session = try KeyringSession(.unlocked)
        let directory = try TemporaryDirectory("init-json")
        let vault = directory.file("v.db")
        let result = try session.simvault(["init", "--json", "--vault", vault])
        #expect(result.status == 0, "\(result)")
        let json = try ExternalTools.json(result)
        let code = try #require(json["recovery_code"] as? String)
        #expect(code.count == 65 && json["vault_id"] is String)
        let file = try directory.write(code + "\n", to: "code.txt")
        #expect(try session.simvault(["key", "check", "--no-keyring", "--recovery-code-file", file, "--vault", vault]).status == 0)
    }
}
