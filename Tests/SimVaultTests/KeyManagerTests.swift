import Foundation
import Testing
@testable import SimVault
import VaultKeys
import VaultTestSupport

/// `VaultKeyManager` through the library, on password-only vaults (no
/// keyring), including the states an interrupted rekey leaves.
@Suite("key manager (library)")
struct KeyManagerTests {
    private static func manager(_ fixture: TestVault) -> VaultKeyManager {
        VaultKeyManager(location: fixture.location, keyring: SecretServiceKeyring(timeout: 2))
    }

    private static func headerBytes(_ fixture: TestVault) throws -> Data {
        try Data(contentsOf: URL(fileURLWithPath: fixture.location.headerPath))
    }

    @Test("rekey: a new key, the same rows, the password re-wrapped, the old key refused, key.rekey logged")
    func rekey() throws {
        let fixture = try TestVault()
        try VaultContents.addFiller(to: fixture.vault, megabytes: 1)
        let before = try VaultContents.fingerprint(fixture.vault)
        let oldKey = fixture.vault.masterKey
        fixture.vault.close()

        let recorder = StageRecorder()
        let report = try Self.manager(fixture).rekey(
            unlock: .password(fixture.password),
            options: RekeyOptions(passwords: [fixture.password], progress: { recorder.add($0) }))
        let stages = recorder.stages
        #expect(report.previousKeyID != report.keyID)
        #expect(report.slots.map(\.type) == [.password, .recovery])
        #expect(report.pageCount > 200)
        #expect(stages.first == .wrappingSlots && stages.last == .finishing)
        #expect(stages.contains(.reencrypting(pages: report.pageCount, pageCount: report.pageCount)))

        let reopened = try fixture.reopen()
        defer { reopened.close() }
        #expect(reopened.header.keyID == report.keyID && reopened.header.rotation == nil)
        let after = try VaultContents.fingerprint(reopened)
        #expect(after.filter { $0.key != "access_log" } == before.filter { $0.key != "access_log" })
        // The database records the new header (DatabaseHeaderRecord).
        let record = try reopened.read { db in try DatabaseHeaderRecord.read(in: db) }
        #expect(record?.keyID == report.keyID && record?.slots.map(\.id) == reopened.header.slots.map(\.id))
        let log = try reopened.read { db in try AccessLog.recent(limit: 1, action: "key.rekey", in: db) }
        #expect(log.first?.detail?.contains(report.keyID) == true)
        #expect(throws: VaultError.self) { _ = try Vault.open(at: fixture.location, unlock: UnlockRequest(masterKey: oldKey)) }
    }

    @Test("rekey refuses while the vault is open (here, in this very process) and changes nothing")
    func rekeyNeedsTheVaultToItself() throws {
        let fixture = try TestVault()
        let header = try Self.headerBytes(fixture)
        #expect {
            _ = try Self.manager(fixture).rekey(unlock: .password(fixture.password), options: RekeyOptions(passwords: [fixture.password]))
        } throws: { error in
            guard case VaultError.busy(let detail) = error else { return false }
            return detail.contains("another process has it open")
        }
        #expect(try Self.headerBytes(fixture) == header)
        #expect(try fixture.vault.read { db in try db.scalar("SELECT count(*) FROM vault_meta", as: Int.self) } ?? 0 > 0)
    }

    @Test("an interrupted rotation, database still on the old key: opening finds it, the repair rolls back")
    func interruptedBeforeReencryption() throws {
        let fixture = try TestVault()
        let (oldKey, _) = try Self.recordRotation(fixture)
        let opened = try fixture.reopen()
        #expect(opened.masterKey.isSameKey(as: oldKey))
        #expect(opened.unlockResult.keys.map(\.generation) == [.current, .pending])
        opened.close()

        let repair = try Self.manager(fixture).repairInterruptedKeyChange(unlock: .password(fixture.password))
        guard case .rolledBack(let keyID, _)? = repair.rotation?.outcome else {
            Issue.record("expected a rollback, got \(String(describing: repair.rotation))")
            return
        }
        let header = try KeyHeaderFile(path: fixture.location.headerPath).load()
        #expect(header.rotation == nil && header.keyID == keyID && header.accepts(oldKey))
        #expect(try fixture.reopen().masterKey.isSameKey(as: oldKey))
    }

    @Test("an interrupted rotation, database already on the new key: opening finds the new key, the repair finishes")
    func interruptedAfterReencryption() throws {
        let fixture = try TestVault()
        try VaultContents.addFiller(to: fixture.vault, megabytes: 1)
        let before = try VaultContents.fingerprint(fixture.vault)
        let (oldKey, newKey) = try Self.recordRotation(fixture)
        // What rekey had done when it was killed: the database re-encrypted.
        var options = Connection.Options()
        options.locksExclusively = true
        let connection = try Connection(path: fixture.location.path, key: oldKey, options: options)
        try connection.rekeyUnverified(to: newKey)
        connection.close()

        let opened = try fixture.reopen()
        #expect(opened.masterKey.isSameKey(as: newKey))
        #expect(opened.unlockResult.keys.first?.generation == .pending)
        // A source holding only the old key: not "corrupt", but "the other key is needed".
        #expect {
            _ = try Vault.open(at: fixture.location, unlock: UnlockRequest(masterKey: oldKey))
        } throws: { error in
            guard case VaultError.noKeySource(let reasons) = error else { return false }
            return reasons.joined().contains("uses its new (pending) key")
        }
        #expect(try VaultContents.fingerprint(opened) == before)
        opened.close()

        let repair = try Self.manager(fixture).repairInterruptedKeyChange(unlock: .password(fixture.password))
        guard case .finished(_, let keyID)? = repair.rotation?.outcome else {
            Issue.record("expected the rotation to be finished, got \(String(describing: repair.rotation))")
            return
        }
        let header = try KeyHeaderFile(path: fixture.location.headerPath).load()
        #expect(header.rotation == nil && header.keyID == keyID && header.accepts(newKey) && !header.accepts(oldKey))
        let reopened = try fixture.reopen()
        defer { reopened.close() }
        #expect(try reopened.read { db in try AccessLog.recent(limit: 1, action: "key.rekey.finish", in: db) }.count == 1)
        // Nothing more to repair.
        reopened.close()
        #expect(try Self.manager(fixture).repairInterruptedKeyChange(unlock: .password(fixture.password)).repairedAnything == false)
    }

    @Test("slots: add a password, refuse to remove the last one, change a password (a wrong old one changes nothing)")
    func slots() throws {
        let fixture = try TestVault()
        fixture.vault.close()
        let manager = Self.manager(fixture)
        let unlock = UnlockRequest.password(fixture.password)
        let second = SecretBytes(count: 6) { $0.copyBytes(from: Array("second".utf8)) }
        let minimum = PasswordKDF.minimum()

        let added = try manager.addPasswordSlot(password: second, kdf: minimum, unlock: unlock)
        #expect(added.slot.id == 3 && added.slot.type == .password)
        #expect(try Vault.open(at: fixture.location, unlock: .password(second)).unlockResult.source == .password(slotID: 3))

        _ = try manager.removeSlot(id: 2, unlock: unlock)   // the recovery slot
        _ = try manager.removeSlot(id: 1, unlock: .password(second))
        let header = try Self.headerBytes(fixture)
        #expect {
            _ = try manager.removeSlot(id: 3, unlock: .password(second))
        } throws: { error in
            guard case VaultError.keyManagement(let detail) = error else { return false }
            return detail.contains("last slot that can open the vault")
        }
        #expect(try Self.headerBytes(fixture) == header)

        let wrong = SecretBytes(count: 5) { $0.copyBytes(from: Array("wrong".utf8)) }
        #expect {
            _ = try manager.changePassword(slotID: 3, oldPassword: wrong, newPassword: fixture.password)
        } throws: { error in
            guard case VaultError.wrongKey = error else { return false }
            return true
        }
        #expect(try Self.headerBytes(fixture) == header, "a wrong old password changed the header")
        _ = try manager.changePassword(slotID: 3, oldPassword: second, newPassword: fixture.password, kdf: minimum)
        #expect(throws: VaultError.self) { _ = try Vault.open(at: fixture.location, unlock: .password(second)) }
        let reopened = try fixture.reopen()
        defer { reopened.close() }
        let actions = try reopened.read { db in try AccessLog.recent(in: db).map(\.action) }
        #expect(Array(actions.prefix(4)) == ["key.slot.change_password", "key.slot.remove", "key.slot.remove", "key.slot.add"])
    }

    @Test("last use is written at most once an hour per slot, and a reused slot id does not inherit it")
    func lastUse() throws {
        let fixture = try TestVault()
        let slot = try #require(fixture.vault.header.slot(id: 1))
        let start: Int64 = 1_700_000_000_000
        func stored() throws -> Int64? {
            try fixture.vault.read { db in try KeySlotUsage.lastUse(of: [slot], in: db)[slot.id] }
        }
        try fixture.vault.writeWithoutTransaction { db in try KeySlotUsage.record(slot, in: db, now: start) }
        #expect(try stored() == start)
        try fixture.vault.writeWithoutTransaction { db in try KeySlotUsage.record(slot, in: db, now: start + 60_000) }
        #expect(try stored() == start)
        try fixture.vault.writeWithoutTransaction { db in try KeySlotUsage.record(slot, in: db, now: start + 2 * 3_600_000) }
        #expect(try stored() == start + 2 * 3_600_000)
        var reused = slot
        reused.createdAt += 1
        #expect(try fixture.vault.read { db in try KeySlotUsage.lastUse(of: [reused], in: db) }.isEmpty)
    }

    // MARK: - Helpers

    /// Writes what rekey writes before touching the database: a rotation to
    /// a new key with the slots re-wrapped. Returns (old key, new key).
    private static func recordRotation(_ fixture: TestVault) throws -> (MasterKey, MasterKey) {
        let oldKey = fixture.vault.masterKey
        var header = fixture.vault.header
        fixture.vault.close()
        let newKey = MasterKey.generate()
        let slots = try header.slots.map { slot -> KeySlot in
            var rewrapped = slot
            switch slot.material {
            case .password:
                rewrapped.material = .password(try PasswordSlot.wrap(
                    newKey, password: fixture.password, vaultID: header.vaultID, slotID: slot.id, kdf: PasswordKDF.minimum()))
            case .recovery(let material):
                rewrapped.material = .recovery(try material.resealed(newKey))
            case .keyring:
                Issue.record("library fixtures have no keyring slot")
            }
            return rewrapped
        }
        header.rotation = KeyRotation(newKey: newKey, vaultID: header.vaultID, slots: slots)
        try KeyHeaderFile(path: fixture.location.headerPath).replace(with: header, authenticatedWith: HeaderKeys(current: oldKey, pending: newKey))
        return (oldKey, newKey)
    }
}

/// Collects progress stages from any thread.
private final class StageRecorder: @unchecked Sendable {
    // @unchecked Sendable: `list` is only touched under `lock`.
    private let lock = NSLock()
    private var list: [RekeyProgress] = []
    func add(_ stage: RekeyProgress) { lock.withLock { list.append(stage) } }
    var stages: [RekeyProgress] { lock.withLock { list } }
}
