import Foundation
import Testing
@testable import VaultKeys

private func secret(_ text: String) -> SecretBytes {
    SecretBytes(count: text.utf8.count) { $0.copyBytes(from: Array(text.utf8)) }
}

/// A database's answer about the header, given by the test: the real one
/// (`DatabaseHeaderRecord`, reading `vault_meta`) is tested with real vaults
/// in `HeaderForgeryTests` and through the CLI; here the unlocker's use of
/// the answer is.
private struct RecordAnswer: KeyHeaderRecord {
    let opensWith: MasterKey
    let recorded: KeyHeader?
    func lookUp(openingWith key: MasterKey, cipher: CipherSettings) -> KeyHeaderRecordLookup {
        key.isSameKey(as: opensWith) ? .opened(recorded: recorded) : .notOpened
    }
}

/// Format 3's MAC: what it covers, how the unlocker refuses a header without
/// it, and how an old-format header is refused once the database records an
/// upgrade. Every forged header here is made the way an attacker who can
/// write the file would: fields edited, the unkeyed checksum recomputed.
@Suite("key header authentication")
struct HeaderAuthenticationTests {
    /// `header` as an attacker re-saves it: the edit applied, the checksum
    /// recomputed (it needs no key), the MAC left as it was.
    static func forged(_ header: KeyHeader, _ edit: (inout KeyHeader) throws -> Void) throws -> KeyHeader {
        var edited = header
        try edit(&edited)
        return try KeyHeader.decode(try edited.encoded(), path: "h")
    }

    @Test("an authenticated header verifies under its key only, and any edit of any field breaks the MAC, the checksum being valid")
    func everyFieldIsCovered() throws {
        let key = MasterKey.generate()
        let header = try KeyHeaderTests.sampleHeader(key: key)
        #expect(header.version == KeyHeader.currentVersion && header.isAuthenticatedFormat)
        #expect(header.macVerifies(under: key, as: .current))
        #expect(!header.macVerifies(under: MasterKey.generate(), as: .current))
        #expect(!header.macVerifies(under: key, as: .pending))

        let edits: [(String, (inout KeyHeader) throws -> Void)] = [
            ("created_at", { $0.createdAt += 1 }),
            ("cipher.page_size", { $0.cipher.pageSize = 8192 }),
            ("cipher.compatibility", { $0.cipher.compatibility = 4 }),
            ("key_id", { $0.keyID = "0123456789abcdef" }),
            ("slot created_at", { $0.slots[0].createdAt += 1 }),
            ("slot order", { $0.slots.swapAt(0, 2) }),
            ("slot removed", { $0.slots.removeLast() }),
            ("recovery slot added", { $0.slots.append(KeySlot(id: 4, material: .recovery(RecoverySlot.seal(MasterKey.generate(), for: RecoveryCode.generate())))) }),
            ("kdf cost", {
                guard case .password(var slot) = $0.slots[1].material else { return }
                slot.kdf.opsLimit += 1
                $0.slots[1].material = .password(slot)
            }),
            ("rotation added", { $0.rotation = KeyRotation(newKey: MasterKey.generate(), vaultID: $0.vaultID, slots: [$0.slots[2]]) }),
        ]
        for (name, edit) in edits {
            var edited = header
            try edit(&edited)
            #expect(!edited.macVerifies(under: key, as: .current), "\(name) is not covered by the MAC")
        }
        // The MAC fields themselves are checksummed: damage to them is
        // "damaged" without a key.
        var data = try header.encoded()
        let text = String(decoding: data, as: UTF8.self)
        let tag = try #require(header.mac?.current)
        let otherTag = "blake2b-256:" + Data(repeating: 0, count: 32).base64EncodedString()
        #expect(tag != otherTag && text.contains(tag))
        data = Data(text.replacingOccurrences(of: tag, with: otherTag).utf8)
        #expect(throws: KeyError.self) { _ = try KeyHeader.decode(data, path: "h") }
    }

    @Test("a planted recovery slot with a recomputed checksum is refused by the unlock, whichever source gives the key")
    func plantedRecoverySlot() throws {
        let key = MasterKey.generate()
        let header = try KeyHeaderTests.sampleHeader(key: key, password: "pw")
        let attackerCode = RecoveryCode.generate()
        let planted = try Self.forged(header) {
            $0.slots.append(KeySlot(id: 4, material: .recovery(RecoverySlot.seal(MasterKey.generate(), for: attackerCode))))
        }
        #expect(try KeyUnlocker(header: header, headerPath: "h").unlock(.password(secret("pw"))).masterKey.isSameKey(as: key))
        for request in [UnlockRequest.password(secret("pw")), UnlockRequest(masterKey: key)] {
            #expect {
                _ = try KeyUnlocker(header: planted, headerPath: "h").unlock(request)
            } throws: { error in
                guard case KeyError.headerForged(let forgery) = error else { return false }
                return forgery.evidence == .macMismatch && forgery.differences.isEmpty
                    && forgery.description.contains("was changed by someone without the key")
            }
        }
        // With the database's record, the message names the planted slot.
        let named = KeyUnlocker(header: planted, headerPath: "h", record: RecordAnswer(opensWith: key, recorded: header))
        #expect {
            _ = try named.unlock(.password(secret("pw")))
        } throws: { error in
            guard case KeyError.headerForged(let forgery) = error else { return false }
            return forgery.differences == ["slot 4 (recovery) added"] && forgery.keySource == .password(slotID: 2)
        }
    }

    @Test("a forged rotation record (the attacker's key and slots) is refused with the current key; a real one verifies with either key")
    func forgedRotation() throws {
        let oldKey = MasterKey.generate(), newKey = MasterKey.generate()
        let genuine = try KeyRotationTests.rotatingHeader(oldKey: oldKey, newKey: newKey)
        for key in [oldKey, newKey] {
            let result = try KeyUnlocker(header: genuine, headerPath: "h").unlock(UnlockRequest(masterKey: key))
            #expect(result.masterKey.isSameKey(as: key))
        }

        let current = try KeyHeaderTests.sampleHeader(key: oldKey, password: "pw")
        let attackerKey = MasterKey.generate()
        let forged = try Self.forged(current) { header in
            let slots = try header.slots.map { slot -> KeySlot in
                var copy = slot
                switch slot.material {
                case .keyring: copy.material = .keyring(KeyringSlot(keyID: KeyCheck(masterKey: attackerKey, vaultID: header.vaultID).keyID))
                case .password:
                    copy.material = .password(try PasswordSlot.wrap(attackerKey, password: secret("attacker"), vaultID: header.vaultID, slotID: slot.id, kdf: .minimum()))
                case .recovery: copy.material = .recovery(RecoverySlot.seal(attackerKey, for: RecoveryCode.generate()))
                }
                return copy
            }
            header.version = 3
            header.rotation = KeyRotation(newKey: attackerKey, vaultID: header.vaultID, slots: slots)
            header.mac?.pending = current.mac?.current
        }
        #expect {
            _ = try KeyUnlocker(header: forged, headerPath: "h", record: RecordAnswer(opensWith: oldKey, recorded: current)).unlock(.password(secret("pw")))
        } throws: { error in
            guard case KeyError.headerForged(let forgery) = error else { return false }
            return forgery.evidence == .macMismatch && forgery.differences == ["key rotation record added"]
        }
        // The pending MAC alone does not make a header: removing it is damage.
        var withoutPending = genuine
        withoutPending.mac?.pending = nil
        #expect(throws: KeyError.self) { _ = try KeyHeader.decode(try withoutPending.encoded(), path: "h") }
    }

    @Test("an old-format header is accepted while the database records no upgrade, and refused as a downgrade once it does")
    func downgrade() throws {
        let key = MasterKey.generate()
        let authenticated = try KeyHeaderTests.sampleHeader(key: key, password: "pw")
        let legacy = try Self.forged(authenticated) {
            $0.version = 1
            $0.mac = nil
        }
        #expect(!legacy.isAuthenticatedFormat)
        // Before any upgrade (no record): it opens, as old vaults must.
        let before = KeyUnlocker(header: legacy, headerPath: "h", record: RecordAnswer(opensWith: key, recorded: nil))
        #expect(try before.unlock(.password(secret("pw"))).masterKey.isSameKey(as: key))
        // After the upgrade, the same bytes are a downgrade, and a planted
        // slot in them is named.
        let planted = try Self.forged(legacy) { $0.slots.append(KeySlot(id: 4, material: .recovery(RecoverySlot.seal(MasterKey.generate(), for: RecoveryCode.generate())))) }
        let after = KeyUnlocker(header: planted, headerPath: "h", record: RecordAnswer(opensWith: key, recorded: authenticated))
        #expect {
            _ = try after.unlock(.password(secret("pw")))
        } throws: { error in
            guard case KeyError.headerForged(let forgery) = error else { return false }
            return forgery.evidence == .downgrade(version: 1)
                && forgery.differences == ["slot 4 (recovery) added", "format version 3 → 1"]
                && forgery.description.contains("unauthenticated format 1 header")
        }
    }

    @Test("a replaced key check: a key that opens the database but fails it is a forgery; one that does not is a wrong key")
    func replacedKeyCheck() throws {
        let key = MasterKey.generate()
        let header = try KeyHeaderTests.sampleHeader(key: key, password: "pw")
        let other = MasterKey.generate()
        let replaced = try Self.forged(header) {
            let check = KeyCheck(masterKey: other, vaultID: $0.vaultID)
            $0.keyID = check.keyID
            $0.keyCheck = check.value
        }
        let withRecord = KeyUnlocker(header: replaced, headerPath: "h", record: RecordAnswer(opensWith: key, recorded: header))
        for request in [UnlockRequest(masterKey: key), UnlockRequest.password(secret("pw"))] {
            #expect {
                _ = try withRecord.unlock(request)
            } throws: { error in
                guard case KeyError.headerForged(let forgery) = error else { return false }
                return forgery.evidence == .keyCheckReplaced && !forgery.keyCheckPassed
                    && forgery.differences == ["key_check", "key_id"]
            }
        }
        // The key the forged check names (the attacker's) fails the MAC; a
        // key that does not open the database stays a wrong key.
        #expect {
            _ = try withRecord.unlock(UnlockRequest(masterKey: other))
        } throws: { error in
            guard case KeyError.headerForged(let forgery) = error else { return false }
            return forgery.evidence == .macMismatch
        }
        #expect(throws: KeyError.wrongKey) { _ = try withRecord.unlock(UnlockRequest(masterKey: MasterKey.generate())) }
    }

    @Test("the structure of the MAC fields is checked without a key: format 3 needs one, older formats have none")
    func macStructure() throws {
        let key = MasterKey.generate()
        let header = try KeyHeaderTests.sampleHeader(key: key)
        var missing = header
        missing.mac = nil
        #expect(throws: KeyError.self) { _ = try KeyHeader.decode(try missing.encoded(), path: "h") }
        var oldWithMAC = header
        oldWithMAC.version = 1
        #expect(throws: KeyError.self) { _ = try KeyHeader.decode(try oldWithMAC.encoded(), path: "h") }
        var strayPending = header
        strayPending.mac?.pending = header.mac?.current
        #expect(throws: KeyError.self) { _ = try KeyHeader.decode(try strayPending.encoded(), path: "h") }
        var notATag = header
        notATag.mac?.current = "blake2b-256:short"
        #expect(throws: KeyError.self) { _ = try KeyHeader.decode(try notATag.encoded(), path: "h") }
        // A header is never authenticated with a key it does not name.
        #expect(throws: KeyError.self) { _ = try header.authenticated(with: HeaderKeys(current: MasterKey.generate())) }
    }

    @Test("differences name slots and fields, never values")
    func differencesAreNamed() throws {
        let key = MasterKey.generate()
        let header = try KeyHeaderTests.sampleHeader(key: key, password: "pw")
        let changed = try Self.forged(header) {
            guard case .password(var slot) = $0.slots[1].material else { return }
            slot.kdf.opsLimit = 9
            slot.kdf.memLimit = 128 << 20
            $0.slots[1].material = .password(slot)
            $0.slots.remove(at: 2)
            $0.cipher.pageSize = 1024
        }
        let found = changed.differences(from: header)
        #expect(found == ["cipher.page_size", "slot 3 (recovery) removed", "slot 2 (password) changed: kdf.memlimit, kdf.opslimit"])
        #expect(!found.joined().contains("1024"))
        #expect(header.differences(from: header).isEmpty)
    }
}
