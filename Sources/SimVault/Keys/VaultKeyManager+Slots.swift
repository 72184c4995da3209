import Foundation
public import VaultKeys

extension VaultKeyManager {
    // MARK: - Adding slots

    /// Adds a password slot: the master key wrapped under `password`
    /// (Argon2id + XChaCha20-Poly1305). Instant apart from the KDF; the
    /// database is not re-encrypted.
    ///
    /// - Parameter unlock: any existing slot's key source.
    /// - Throws: ``VaultError`` — `.busy`, the unlock errors, `.keyManagement`.
    public func addPasswordSlot(password: SecretBytes, kdf: PasswordKDF = PasswordKDF(), unlock: UnlockRequest) throws -> KeySlotChange {
        try changeSlots(unlock: unlock, action: "key.slot.add") { header, key in
            let id = header.nextSlotID
            let material: PasswordSlot
            do throws(KeyError) {
                material = try PasswordSlot.wrap(key, password: password, vaultID: header.vaultID, slotID: id, kdf: kdf)
            } catch {
                throw VaultError(error)
            }
            let slot = KeySlot(id: id, material: .password(material))
            header.slots.append(slot)
            return slot
        }
    }

    /// Stores the master key in the Secret Service and adds a keyring slot:
    /// how a vault moves to a new machine or keyring backend (open it with
    /// its password or recovery code, then add a keyring slot there).
    ///
    /// When a keyring slot already exists, its item is stored again (for
    /// example after it was deleted) and no second slot is added.
    ///
    /// - Throws: ``VaultError`` — `.busy`, the unlock errors, `.keyManagement`
    ///   when the keyring cannot store the key (nothing is changed then).
    public func addKeyringSlot(unlock: UnlockRequest) throws -> KeySlotChange {
        try changeSlots(unlock: unlock, action: "key.slot.add") { header, key in
            try storeVerified(key, vaultID: header.vaultID, keyID: header.keyID)
            if let existing = header.slots(ofKind: .keyring).first { return existing }
            let slot = KeySlot(id: header.nextSlotID, material: .keyring(KeyringSlot(keyID: header.keyID)))
            header.slots.append(slot)
            return slot
        }
    }

    /// Adds a recovery slot with a new recovery code, returned once as text
    /// (`XXXXX-...`): show it to the user, never store it. Existing recovery
    /// codes keep working; remove their slots to retire them.
    ///
    /// - Throws: ``VaultError`` — `.busy`, the unlock errors, `.keyManagement`.
    public func addRecoverySlot(unlock: UnlockRequest) throws -> (change: KeySlotChange, recoveryCode: SecretBytes) {
        let code = RecoveryCode.generate()
        let change = try changeSlots(unlock: unlock, action: "key.slot.add") { header, key in
            let slot = KeySlot(id: header.nextSlotID, material: .recovery(RecoverySlot.seal(key, for: code)))
            header.slots.append(slot)
            return slot
        }
        return (change, code.formatted())
    }

    // MARK: - Removing slots

    /// Removes a slot. The vault must stay openable: removing the last slot
    /// that can open it is refused (a keyring slot counts only when its item
    /// is there and holds the key).
    ///
    /// A keyring slot's item is deleted from the keyring first, then the
    /// header is rewritten without the slot and the superseded header file
    /// is overwritten, so the removed slot's wrapped key does not stay on
    /// disk (see ``KeyHeaderFile/replace(with:authenticatedWith:)``).
    ///
    /// - Parameter allowsUnreachableKeyring: remove a keyring slot even when
    ///   the keyring cannot be reached to delete its item (which then stays
    ///   in that keyring).
    /// - Throws: ``VaultError`` — `.busy`, the unlock errors,
    ///   `.keyManagement` (no such slot, last usable slot, keyring
    ///   unreachable).
    public func removeSlot(id: Int, unlock: UnlockRequest, allowsUnreachableKeyring: Bool = false) throws -> KeySlotChange {
        try changeSlots(unlock: unlock, action: "key.slot.remove", forget: id) { header, key in
            guard let slot = header.slot(id: id) else { throw VaultError(KeyError.slotNotFound(id: id)) }
            let remaining = header.slots.filter { $0.id != id }
            var keyringProblem: String?
            let usable = remaining.filter { candidate in
                guard candidate.kind == .keyring else { return true }
                if case .failure(let problem) = currentKeyringItem(header: header) {
                    keyringProblem = "keyring slot \(candidate.id) cannot open it: \(problem.reason)"
                    return false
                }
                return true
            }
            guard !usable.isEmpty else {
                let why = keyringProblem.map { " (\($0))" } ?? ""
                throw VaultError.keyManagement(detail: "refusing to remove key slot \(id): it is the last slot that can open the vault\(why). Add another slot first, e.g. `simvault key add --type password`. Nothing was changed.")
            }
            if slot.kind == .keyring {
                do throws(KeyringFailure) {
                    try keyring.remove(vaultID: header.vaultID, keyID: header.keyID)
                } catch {
                    guard allowsUnreachableKeyring else {
                        throw VaultError.keyManagement(detail: "cannot delete the keyring item of slot \(id): \(error.description) Nothing was changed; to remove the slot anyway (the item then stays in that keyring), pass --force.")
                    }
                }
            }
            header.slots.removeAll { $0.id == id }
            return slot
        }
    }

    // MARK: - Changing a password

    /// Re-wraps one password slot under a new password. No re-encryption:
    /// the master key stays the same, so this is instant apart from the KDF.
    ///
    /// The old password must open that slot; otherwise nothing is written.
    /// The superseded header (holding the key wrapped under the old password)
    /// is overwritten on disk.
    ///
    /// - Parameter kdf: the new slot's KDF cost; by default the old slot's.
    /// - Throws: ``VaultError`` — `.wrongKey` (old password wrong; nothing
    ///   changed), `.busy`, `.keyManagement` (no such password slot),
    ///   `.corrupt`.
    public func changePassword(slotID: Int, oldPassword: SecretBytes, newPassword: SecretBytes, kdf: PasswordKDF? = nil) throws -> KeySlotChange {
        let unlock = UnlockRequest(usesKeyring: true, keyring: keyring, password: { _ in oldPassword })
        let wrongOldPassword = VaultError.wrongKey(reason: "wrong password: it does not open key slot \(slotID). Nothing was changed.")
        // The key comes from the slot being changed, opened with the old
        // password: a wrong one stops here, before anything is written.
        let keyFromSlot: (KeyHeader) throws -> MasterKey = { header in
            guard let slot = header.slot(id: slotID) else { throw VaultError(KeyError.slotNotFound(id: slotID)) }
            guard case .password(let material) = slot.material else {
                throw VaultError.keyManagement(detail: "key slot \(slotID) is a \(slot.kind.rawValue) slot; change-password applies to password slots (see `simvault key list`).")
            }
            let key: MasterKey
            do throws(KeyError) {
                key = try material.unwrap(password: oldPassword, vaultID: header.vaultID, slotID: slotID)
            } catch .wrongPassword {
                throw wrongOldPassword
            } catch {
                throw VaultError(error)
            }
            guard header.accepts(key) else { throw VaultError(KeyError.keyCheckMismatch(path: location.headerPath)) }
            return key
        }
        do {
            return try changeSlots(unlock: unlock, action: "key.slot.change_password", key: keyFromSlot) { header, key in
                guard let slot = header.slot(id: slotID), case .password(let material) = slot.material else {
                    preconditionFailure("keyFromSlot checked that slot \(slotID) is a password slot")
                }
                let cost = kdf ?? PasswordKDF(opsLimit: material.kdf.opsLimit, memLimit: material.kdf.memLimit)
                var changed = slot
                do throws(KeyError) {
                    changed.material = .password(try PasswordSlot.wrap(key, password: newPassword, vaultID: header.vaultID, slotID: slotID, kdf: cost))
                } catch {
                    throw VaultError(error)
                }
                header.slots = header.slots.map { $0.id == slotID ? changed : $0 }
                return changed
            }
        } catch VaultError.wrongKey {
            // Without a keyring item the old password is also what
            // authenticates the header: say which slot it failed to open.
            throw wrongOldPassword
        }
    }

    // MARK: - Shared steps

    /// Runs one slot change: lock, authentication of the header read under
    /// it (and repair of an interrupted rotation), the master key, the
    /// change itself on a copy of the header, the atomic header rewrite,
    /// and the access-log entry.
    ///
    /// - Parameters:
    ///   - key: gives the master key from the authenticated header. By
    ///     default it is the key that authenticated it, and the database is
    ///     opened with it, which proves the key opens the database.
    ///   - forget: a slot id whose last-use record is deleted with the log
    ///     entry.
    ///   - body: changes the header; returns the slot concerned.
    private func changeSlots(
        unlock: UnlockRequest, action: String, forget: Int? = nil,
        key obtainKey: ((KeyHeader) throws -> MasterKey)? = nil,
        _ body: (inout KeyHeader, MasterKey) throws -> KeySlot
    ) throws -> KeySlotChange {
        let request = unlock.cachingSecrets()
        var change = try beginKeyChange(deadline: Date().addingTimeInterval(wait))
        try authenticateAndRepair(in: &change, unlock: request)

        let key: MasterKey
        if let obtainKey {
            key = try obtainKey(change.header)
        } else {
            guard let unlocked = change.unlocked else { preconditionFailure("authenticateAndRepair sets the unlock") }
            // The header read under the lock, not a second read of the file.
            let database = try EncryptedDatabase(location: location, header: change.header, unlockResult: unlocked, configuration: configuration)
            key = database.masterKey
            database.close()
        }
        var header = change.header
        let slot = try body(&header, key)
        try replaceHeader(header, keys: HeaderKeys(current: key), in: &change)

        var warnings = change.repaired?.warnings ?? []
        let event = AccessEvent(action: action, resource: header.vaultID, detail: ["slot_id": String(slot.id), "slot_type": slot.kind.rawValue])
        if let problem = recordEvent(event, key: key, header: header, extra: { db in
            if let forget { try KeySlotUsage.forget(slotID: forget, in: db) }
        }) {
            warnings.append(problem)
        }
        return KeySlotChange(slot: KeySlotSummary(slot), repairedRotation: change.repaired, warnings: warnings)
    }

    /// Stores `key` in the keyring and reads it back, so a keyring that
    /// silently dropped the item is caught before anything depends on it.
    func storeVerified(_ key: MasterKey, vaultID: String, keyID: String) throws {
        do throws(KeyringFailure) {
            try keyring.store(key, vaultID: vaultID, keyID: keyID, label: location.keyringItemLabel(vaultID: vaultID))
            let stored = try keyring.items(forVault: vaultID).contains { item in
                item.keyID == keyID && (item.key.map { $0.isSameKey(as: key) } ?? false)
            }
            guard stored else { throw KeyringFailure.failed(detail: "the item was stored but cannot be read back") }
        } catch {
            throw VaultError.keyManagement(detail: "cannot store the key in the keyring: \(error.description) Nothing was changed.")
        }
    }
}

extension VaultLocation {
    /// The label of the vault's keyring items, as `init` writes it.
    func keyringItemLabel(vaultID: String) -> String { "simvault vault \(vaultID) (\(path))" }
}
