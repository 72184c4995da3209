import Foundation
import Testing
import VaultKeys

private func secret(_ text: String) -> SecretBytes {
    SecretBytes(count: text.utf8.count) { $0.copyBytes(from: Array(text.utf8)) }
}

/// The least cost simvault accepts: these tests check the wrapping, not
/// Argon2id's cost.
private func minimumKDF() -> PasswordKDF { PasswordKDF.minimum() }

@Suite("key slots")
struct SlotTests {
    @Test("a password slot opens with its password only")
    func passwordSlot() throws {
        let key = MasterKey.generate()
        let slot = try PasswordSlot.wrap(key, password: secret("hunter2"), vaultID: "v", slotID: 2, kdf: minimumKDF())
        #expect(try slot.unwrap(password: secret("hunter2"), vaultID: "v", slotID: 2).isSameKey(as: key))
        #expect(throws: KeyError.wrongPassword) { _ = try slot.unwrap(password: secret("hunter3"), vaultID: "v", slotID: 2) }
        #expect(throws: KeyError.wrongPassword) { _ = try slot.unwrap(password: secret(""), vaultID: "v", slotID: 2) }
        // Bound to its vault and slot id.
        #expect(throws: KeyError.wrongPassword) { _ = try slot.unwrap(password: secret("hunter2"), vaultID: "w", slotID: 2) }
        #expect(throws: KeyError.wrongPassword) { _ = try slot.unwrap(password: secret("hunter2"), vaultID: "v", slotID: 3) }
        // The wrapped key is not the key.
        let hex = key.withHexCString { String(cString: $0) }
        #expect(!slot.wrappedKey.contains(hex))
    }

    @Test("the default KDF cost is at least libsodium's INTERACTIVE limits")
    func defaultCost() {
        let kdf = PasswordKDF()
        #expect(kdf.opsLimit >= 2)
        #expect(kdf.memLimit >= 64 << 20)
    }

    @Test("recovery codes: format, forgiving parse, typo detection")
    func recoveryCode() throws {
        let code = RecoveryCode.generate()
        let text = code.formatted().withUnsafeBytes { String(decoding: $0, as: UTF8.self) }
        #expect(text.count == 65)
        let groups = text.split(separator: "-" as Character)
        #expect(groups.count == 11)
        #expect(groups.dropLast().allSatisfy { $0.count == 5 })

        let key = MasterKey.generate()
        let slot = RecoverySlot.seal(key, for: code)
        for variant in [text, text.lowercased(), text.replacingOccurrences(of: "-", with: ""), " " + text.replacingOccurrences(of: "-", with: " ") + "\n"] {
            #expect(try slot.open(with: RecoveryCode(text: secret(variant))).isSameKey(as: key), "variant \(variant)")
        }
        // One character changed anywhere: a typo, not a wrong code.
        let characters = Array(text)
        for index in stride(from: 0, to: characters.count, by: 7) where characters[index] != "-" {
            var changed = characters
            changed[index] = changed[index] == "2" ? "3" : "2"
            #expect(throws: KeyError.recoveryCodeMistyped) { _ = try RecoveryCode(text: secret(String(changed))) }
        }
        #expect(throws: KeyError.recoveryCodeMistyped) { _ = try RecoveryCode(text: secret(String(text.dropLast(2)))) }
        #expect(throws: KeyError.recoveryCodeMistyped) { _ = try RecoveryCode(text: secret(text + "A")) }
        #expect(throws: KeyError.recoveryCodeMistyped) { _ = try RecoveryCode(text: secret("U" + text.dropFirst())) }
        // Another valid code: wrong, not mistyped.
        let other = RecoveryCode.generate()
        #expect(throws: KeyError.wrongRecoveryCode) { _ = try slot.open(with: other) }
    }

    @Test("resealing a recovery slot keeps the same code working for a new key")
    func reseal() throws {
        let code = RecoveryCode.generate()
        let slot = RecoverySlot.seal(MasterKey.generate(), for: code)
        let newKey = MasterKey.generate()
        let resealed = try slot.resealed(newKey)
        #expect(resealed.publicKey == slot.publicKey)
        #expect(try resealed.open(with: code).isSameKey(as: newKey))
    }
}

@Suite("unlocking without a keyring")
struct UnlockerTests {
    private func header(key: MasterKey, password: String?, recovery: RecoveryCode?, keyringSlot: Bool = false) throws -> KeyHeader {
        var header = KeyHeader(vaultID: UUID().uuidString.lowercased(), masterKey: key)
        if keyringSlot { header.slots.append(KeySlot(id: header.nextSlotID, material: .keyring(KeyringSlot(keyID: header.keyID)))) }
        if let password {
            let id = header.nextSlotID
            header.slots.append(KeySlot(id: id, material: .password(try PasswordSlot.wrap(key, password: secret(password), vaultID: header.vaultID, slotID: id, kdf: minimumKDF()))))
        }
        if let recovery { header.slots.append(KeySlot(id: header.nextSlotID, material: .recovery(RecoverySlot.seal(key, for: recovery)))) }
        return try header.authenticated(with: HeaderKeys(current: key))
    }

    @Test("explicit key, password and recovery code each open; wrong ones are named")
    func sources() throws {
        let key = MasterKey.generate()
        let code = RecoveryCode.generate()
        let codeText = code.formatted()
        let unlocker = KeyUnlocker(header: try header(key: key, password: "pw", recovery: code), headerPath: "h")

        #expect(try unlocker.unlock(UnlockRequest(masterKey: key)).source == .explicitKey)
        #expect(throws: KeyError.wrongKey) { _ = try unlocker.unlock(UnlockRequest(masterKey: MasterKey.generate())) }

        let byPassword = try unlocker.unlock(.password(secret("pw")))
        #expect(byPassword.masterKey.isSameKey(as: key))
        #expect(byPassword.source == .password(slotID: 1))
        #expect(throws: KeyError.wrongPassword) { _ = try unlocker.unlock(.password(secret("nope"))) }

        let byCode = try unlocker.unlock(UnlockRequest(usesKeyring: false, recoveryCode: { _ in codeText }))
        #expect(byCode.source == .recoveryCode(slotID: 2))
        // A wrong password is reported even when a recovery code also failed.
        let both = UnlockRequest(usesKeyring: false, password: { _ in secret("nope") }, recoveryCode: { _ in RecoveryCode.generate().formatted() })
        #expect(throws: KeyError.wrongPassword) { _ = try unlocker.unlock(both) }
        #expect(throws: KeyError.noKeySource(reasons: ["password: no password given"])) {
            _ = try unlocker.unlock(UnlockRequest(usesKeyring: false))
        }
    }

    @Test("the password supplier is not called when no password slot exists, and is told why the keyring was skipped")
    func lazySupplier() throws {
        let key = MasterKey.generate()
        let noPasswordSlot = KeyUnlocker(header: try header(key: key, password: nil, recovery: RecoveryCode.generate()), headerPath: "h")
        #expect(throws: KeyError.self) {
            _ = try noPasswordSlot.unlock(UnlockRequest(usesKeyring: false, password: { _ in
                Issue.record("supplier called without a password slot")
                return nil
            }))
        }
        let withKeyringSlot = KeyUnlocker(header: try header(key: key, password: "pw", recovery: nil, keyringSlot: true), headerPath: "h")
        let result = try withKeyringSlot.unlock(UnlockRequest(usesKeyring: false, password: { reason in
            #expect(reason.contains("--no-keyring"))
            return secret("pw")
        }))
        #expect(result.usedFallback)
    }

    @Test("a slot that opens to a key failing the key check is header damage, not a wrong password")
    func keyCheckMismatch() throws {
        let key = MasterKey.generate()
        var header = try header(key: key, password: "pw", recovery: nil)
        // Swap in another key's check value: the slot still opens.
        header.keyCheck = KeyCheck(masterKey: MasterKey.generate(), vaultID: header.vaultID).value
        #expect(throws: KeyError.keyCheckMismatch(path: "h")) {
            _ = try KeyUnlocker(header: header, headerPath: "h").unlock(.password(secret("pw")))
        }
    }
}
