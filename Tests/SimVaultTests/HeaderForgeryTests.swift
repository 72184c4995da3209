import Foundation
import Testing
@testable import SimVault
import VaultKeys
import VaultTestSupport

/// Forged key headers against real vaults through the library: refused by
/// every path that unlocks before anything is written, and the upgrade of
/// old-format headers (header first, then the record inside the database).
@Suite("forged key headers (library)")
struct HeaderForgeryTests {
    private static func manager(_ fixture: TestVault) -> VaultKeyManager {
        VaultKeyManager(location: fixture.location, keyring: SecretServiceKeyring(timeout: 2))
    }

    private static func isForgery(_ error: any Error, naming difference: String? = nil) -> Bool {
        guard case VaultError.headerForged(let forgery) = error else { return false }
        return difference.map { forgery.differences.contains($0) } ?? true
    }

    /// Turns a fixture into a vault as an older simvault left it: a format
    /// 1 header (checksummed, no MAC) and no record in the database.
    private static func makeOldFormat(_ fixture: TestVault) throws {
        try fixture.vault.rawWrite("DELETE FROM vault_meta WHERE key = ?", [DatabaseHeaderRecord.metaKey])
        fixture.vault.close()
        try HeaderForger.downgrade(fixture.location.headerPath)
    }

    @Test("a planted recovery slot: open, rekey, slot changes and the repair refuse it, naming the slot; not a byte written")
    func plantedRecoverySlot() throws {
        let fixture = try TestVault()
        fixture.vault.close()
        let attacker = HeaderForger.attackerRecoverySlot(id: 3)
        try HeaderForger.forge(fixture.location.headerPath, extra: try HeaderForger.json(attacker.slot), "h['slots'].append(extra)")
        let before = fixture.fileBytes()
        let unlock = UnlockRequest.password(fixture.password)
        let manager = Self.manager(fixture)
        #expect { _ = try Vault.open(at: fixture.location, unlock: unlock) } throws: { Self.isForgery($0, naming: "slot 3 (recovery) added") }
        #expect { _ = try manager.rekey(unlock: unlock, options: RekeyOptions(passwords: [fixture.password])) } throws: { Self.isForgery($0) }
        #expect { _ = try manager.addRecoverySlot(unlock: unlock) } throws: { Self.isForgery($0) }
        #expect { _ = try manager.removeSlot(id: 3, unlock: unlock) } throws: { Self.isForgery($0) }
        #expect { _ = try manager.repairInterruptedKeyChange(unlock: unlock) } throws: { Self.isForgery($0) }
        #expect { _ = try VaultKeyManager(location: fixture.location).listSlots(unlock: unlock) } throws: { Self.isForgery($0) }
        #expect(fixture.fileBytes() == before)

        let report = VaultHealth.check(location: fixture.location, unlock: unlock)
        #expect(report.verdict == .failed)
        #expect(report.check(named: "authenticity")?.status == .failed)
        #expect(report.check(named: "key rotation")?.status == .skipped)
        #expect(fixture.fileBytes() == before)
    }

    @Test("a header replaced after the vault was opened is not copied into a backup")
    func backupOfAReplacedHeader() throws {
        let fixture = try TestVault()
        let attacker = HeaderForger.attackerRecoverySlot(id: 3)
        try HeaderForger.forge(fixture.location.headerPath, extra: try HeaderForger.json(attacker.slot), "h['slots'].append(extra)")
        let destination = VaultLocation(path: fixture.directory.file("backups/copy.db"))
        #expect { _ = try fixture.vault.backup(to: destination) } throws: { Self.isForgery($0, naming: "slot 3 (recovery) added") }
        #expect(!FileManager.default.fileExists(atPath: destination.path) && !FileManager.default.fileExists(atPath: destination.headerPath))
        #expect(try fixture.vault.lastBackup() == nil)
    }

    @Test("a password slot below the minimum KDF cost is refused when written and not used when read")
    func kdfFloor() throws {
        let fixture = try TestVault()
        fixture.vault.close()
        let before = fixture.fileBytes()
        let weak = PasswordKDF(opsLimit: 1, memLimit: 8 << 20)
        let password = SecretBytes(count: 4) { $0.copyBytes(from: Array("weak".utf8)) }
        #expect {
            _ = try Self.manager(fixture).addPasswordSlot(password: password, kdf: weak, unlock: .password(fixture.password))
        } throws: { error in
            guard case VaultError.invalidArgument(let detail) = error else { return false }
            return detail.contains("minimum is 2 passes over 64 MiB")
        }
        #expect(fixture.fileBytes() == before)
        #expect(throws: KeyError.passwordKDFBelowMinimum(opsLimit: 1, memLimit: 8 << 20)) {
            _ = try PasswordSlot.wrap(MasterKey.generate(), password: password, vaultID: "v", slotID: 1, kdf: weak)
        }
        // An edited cost is refused before any derivation, and named.
        try HeaderForger.forge(fixture.location.headerPath, "h['slots'][0]['kdf']['opslimit'] = 1\nh['slots'][0]['kdf']['memlimit'] = 8 << 20")
        #expect {
            _ = try Vault.open(at: fixture.location, unlock: .password(fixture.password))
        } throws: { error in
            guard case VaultError.corrupt(let detail) = error else { return false }
            return detail.contains("password slot 1 asks for Argon2id 1 pass over 8 MiB, below simvault's minimum")
        }
    }

    @Test("an old-format header opens unchanged by reading, is upgraded by the first write (header, then record), and is a downgrade afterwards")
    func upgradeThenDowngrade() throws {
        let fixture = try TestVault()
        try Self.makeOldFormat(fixture)
        let oldHeader = try #require(fixture.bytes(of: fixture.location.headerPath))
        let oldFiles = fixture.fileBytes()

        // Reading sessions write nothing, not even the upgrade.
        let reader = try fixture.reopen()
        #expect(reader.header.version == 1 && !reader.header.isAuthenticatedFormat)
        _ = try reader.schemaVersion()
        reader.close()
        #expect(fixture.fileBytes() == oldFiles)

        // The first write upgrades.
        let writer = try fixture.reopen()
        try writer.settings.set(.theme, "dark")
        let upgraded = try KeyHeaderFile(path: fixture.location.headerPath).load()
        #expect(upgraded.version == 3 && upgraded.macVerifies(under: writer.masterKey, as: .current))
        #expect(upgraded.slots == reader.header.slots)
        let record = try writer.read { db in try DatabaseHeaderRecord.read(in: db) }
        #expect(try record?.canonicalBody() == upgraded.canonicalBody())
        #expect(try writer.read { db in try AccessLog.recent(limit: 5, action: HeaderUpgrade.action, in: db) }.count == 1)
        writer.close()

        // The old header put back is refused by every unlock, naming it.
        try oldHeader.write(to: URL(fileURLWithPath: fixture.location.headerPath))
        let before = fixture.fileBytes()
        #expect { _ = try fixture.reopen() } throws: { Self.isForgery($0, naming: "format version 3 → 1") }
        #expect { _ = try Self.manager(fixture).repairInterruptedKeyChange(unlock: .password(fixture.password)) } throws: { Self.isForgery($0) }
        #expect(fixture.fileBytes() == before)
    }

    @Test("an upgrade interrupted between header and record: the vault opens, and the next write records the header")
    func interruptedUpgrade() throws {
        let fixture = try TestVault()
        // What a crash after the header and before the record leaves.
        try fixture.vault.rawWrite("DELETE FROM vault_meta WHERE key = ?", [DatabaseHeaderRecord.metaKey])
        fixture.vault.close()
        let vault = try fixture.reopen()
        #expect(try vault.read { db in try DatabaseHeaderRecord.read(in: db) } == nil)
        try vault.settings.set(.theme, "dark")
        #expect(try vault.read { db in try DatabaseHeaderRecord.read(in: db) }?.keyCheck == vault.header.keyCheck)
        vault.close()
        try HeaderForger.downgrade(fixture.location.headerPath)
        #expect { _ = try fixture.reopen() } throws: { Self.isForgery($0) }
    }

    @Test("health upgrades an old-format header and says which slots it now vouches for")
    func healthUpgrades() throws {
        let fixture = try TestVault()
        try Self.makeOldFormat(fixture)
        let report = VaultHealth.check(location: fixture.location, unlock: .password(fixture.password))
        let authenticity = try #require(report.check(named: "authenticity"))
        #expect(authenticity.status == .ok && authenticity.detail.contains("format 1 key header (no MAC) was upgraded to format 3"), "\(authenticity)")
        #expect(report.verdict == .healthy, "\(report.checks)")
        let header = try KeyHeaderFile(path: fixture.location.headerPath).load()
        #expect(header.version == 3)
        let vault = try fixture.reopen()
        defer { vault.close() }
        #expect(try vault.read { db in try DatabaseHeaderRecord.read(in: db) }?.keyCheck == header.keyCheck)
    }

    @Test("a forged rotation record cannot steer the repair: refused, nothing rolled back or removed")
    func forgedRotation() throws {
        let fixture = try TestVault()
        let header = fixture.vault.header
        fixture.vault.close()
        let attackerKey = MasterKey.generate()
        let check = KeyCheck(masterKey: attackerKey, vaultID: header.vaultID)
        let slot = KeySlot(id: 2, material: .recovery(RecoverySlot.seal(attackerKey, for: RecoveryCode.generate())))
        try HeaderForger.forge(fixture.location.headerPath, extra: try HeaderForger.json(slot), """
            h['rotation'] = {'key_id': '\(check.keyID)', 'key_check': '\(check.value)', 'started_at': 1, 'slots': [extra]}
            h['mac']['pending'] = h['mac']['current']
            """)
        let before = fixture.fileBytes()
        #expect {
            _ = try Self.manager(fixture).repairInterruptedKeyChange(unlock: .password(fixture.password))
        } throws: { Self.isForgery($0, naming: "key rotation record added") }
        #expect(fixture.fileBytes() == before)
    }
}
