import Foundation
public import VaultKeys

/// What finishing or rolling back an interrupted key rotation did.
public struct RotationRepair: Sendable, Equatable {
    /// The decision, taken from the key the database actually uses.
    public enum Outcome: Sendable, Equatable {
        /// The database was already re-encrypted with the pending key: the
        /// pending key and its slots became the current ones and the old
        /// key's keyring item was removed.
        case finished(previousKeyID: String, keyID: String)
        /// The database still uses the current key: the pending key, its
        /// slots and its keyring item were discarded. Run `rekey` again.
        case rolledBack(keyID: String, discardedKeyID: String)
    }

    /// Finished or rolled back, and the key ids concerned.
    public let outcome: Outcome
    /// When the interrupted rotation had started, unix milliseconds.
    public let startedAt: Int64
    /// Steps that did not complete (e.g. a keyring item that could not be
    /// removed); the header is consistent regardless.
    public let warnings: [String]

    /// One sentence for people.
    public var summary: String {
        switch outcome {
        case .finished(let previous, let key):
            return "an interrupted key rotation was finished: the database already used the new key \(key), which replaced key \(previous) in every slot"
        case .rolledBack(let key, let discarded):
            return "an interrupted key rotation was rolled back: the database still used key \(key); the pending key \(discarded) was discarded (run `simvault rekey` again to rotate)"
        }
    }
}

/// What `simvault health` repaired after an interrupted key change.
public struct KeyRepairReport: Sendable, Equatable {
    /// The interrupted rotation that was finished or rolled back, if any.
    public let rotation: RotationRepair?
    /// Keyring items of keys the header no longer refers to, removed.
    public let removedKeyringItems: Int
    /// Superseded key header copies and temporary files, overwritten and
    /// removed.
    public let scrubbedFiles: Int

    /// Whether anything was repaired.
    public var repairedAnything: Bool { rotation != nil || removedKeyringItems > 0 || scrubbedFiles > 0 }
}

extension VaultKeyManager {
    /// Finishes or rolls back a key rotation left by an interrupted `rekey`,
    /// and removes the keyring items and header copies an interrupted key
    /// change left behind. `simvault health` runs this; every key change
    /// runs it first too.
    ///
    /// The decision is taken from the database itself: whichever key opens
    /// it wins. So it needs a key source that gives that key (the keyring
    /// normally holds both keys during a rotation; a password or the
    /// recovery code works too).
    ///
    /// - Throws: ``VaultError`` — `.busy` when another process is changing
    ///   the keys right now (a rotation in progress is never touched), the
    ///   unlock errors, `.corrupt` when neither key opens the database.
    @discardableResult
    public func repairInterruptedKeyChange(unlock: UnlockRequest) throws -> KeyRepairReport {
        var change = try beginKeyChange(deadline: Date().addingTimeInterval(wait))
        try repairPendingRotation(in: &change, unlock: unlock)
        return KeyRepairReport(
            rotation: change.repaired, removedKeyringItems: change.removedKeyringItems, scrubbedFiles: change.scrubbedFiles)
    }

    /// The part of every key change that runs right after the lock is taken:
    /// a pending rotation is resolved, and keyring items of keys no slot
    /// refers to any more are removed.
    func repairPendingRotation(in change: inout KeyChange, unlock: UnlockRequest) throws {
        if change.header.rotation != nil {
            change.repaired = try resolveRotation(in: &change, unlock: unlock)
        }
        removeAbandonedEncryptedCopies()
        // Orphans only come from keyring slots; a vault without one never
        // makes the keyring wait.
        if unlock.usesKeyring, !change.header.slots(ofKind: .keyring).isEmpty {
            change.removedKeyringItems = removeOrphanKeyringItems(header: change.header)
        }
    }

    private func resolveRotation(in change: inout KeyChange, unlock: UnlockRequest) throws -> RotationRepair {
        let header = change.header
        guard let rotation = header.rotation else { preconditionFailure("resolveRotation needs a pending rotation") }
        let unlocked: UnlockResult
        do {
            unlocked = try KeyUnlocker(header: header, headerPath: location.headerPath).unlock(unlock)
        } catch {
            throw VaultError(error)
        }
        guard let inUse = try keyInUse(of: unlocked, header: header) else {
            let generations = unlocked.keys.map(\.generation)
            if generations.count == 1 {
                let missing = generations[0] == .current ? "new (pending)" : "old (current)"
                throw VaultError.noKeySource(reasons: [
                    "an interrupted key rotation is pending and the database does not open with the key that was found; it needs the \(missing) key, which no available source gave (try --password-file or --recovery-code-file)",
                ])
            }
            throw VaultError.corrupt(detail: "an interrupted key rotation is pending but neither the old nor the new key opens \(location.path)")
        }
        var warnings: [String] = []
        let outcome: RotationRepair.Outcome
        switch inUse.generation {
        case .pending:
            try replaceHeader(header.promotingRotation(), in: &change)
            if !header.slots(ofKind: .keyring).isEmpty {
                if let problem = removeKeyringItem(vaultID: header.vaultID, keyID: header.keyID) { warnings.append(problem) }
            }
            outcome = .finished(previousKeyID: header.keyID, keyID: rotation.keyID)
        case .current:
            try replaceHeader(header.droppingRotation(), in: &change)
            if !rotation.slots(ofKind: .keyring).isEmpty {
                if let problem = removeKeyringItem(vaultID: header.vaultID, keyID: rotation.keyID) { warnings.append(problem) }
            }
            outcome = .rolledBack(keyID: header.keyID, discardedKeyID: rotation.keyID)
        }
        let action = inUse.generation == .pending ? "key.rekey.finish" : "key.rekey.rollback"
        let event = AccessEvent(action: action, resource: header.vaultID, detail: [
            "from_key_id": header.keyID, "to_key_id": rotation.keyID,
            "started_at": String(rotation.startedAt), "key_in_use": inUse.generation == .pending ? rotation.keyID : header.keyID,
        ])
        // The secrets key keeps only the wrap for the key the database uses.
        if let problem = recordEvent(event, key: inUse.masterKey, header: change.header, extra: { db in
            try SecretKeyRotation.finish(keeping: inUse.masterKey, in: db)
        }) { warnings.append(problem) }
        return RotationRepair(outcome: outcome, startedAt: rotation.startedAt, warnings: warnings)
    }

    /// Which of the unlocked keys opens the database (read-only probes), or
    /// nil when none does.
    func keyInUse(of unlocked: UnlockResult, header: KeyHeader) throws -> UnlockedKey? {
        var unreadable: VaultError?
        for key in unlocked.keys {
            let options = configuration.connectionOptions(readOnly: true, cipher: header.cipher(for: key.generation))
            do {
                let connection = try Connection(path: location.path, key: key.masterKey, options: options)
                connection.close()
                return key
            } catch let error as SQLiteError where error.isNotADatabase {
                continue
            } catch let error as VaultError where error.isCipherNewerThanEngine {
                // This engine cannot try that key's settings; another key
                // may decide. If none opens, that, not damage, is the cause.
                unreadable = error
                continue
            } catch let error as SQLiteError {
                throw VaultError.classify(error, path: location.path) ?? VaultError.io(detail: "cannot open \(location.path): \(error.message)")
            }
        }
        if let unreadable { throw unreadable }
        return nil
    }

    /// Removes the keyring item of `keyID`; returns a warning on failure.
    func removeKeyringItem(vaultID: String, keyID: String) -> String? {
        do {
            try keyring.remove(vaultID: vaultID, keyID: keyID)
            return nil
        } catch {
            return "the keyring item of key \(keyID) could not be removed (\(error.reason)); `simvault health` removes it once the keyring is reachable"
        }
    }

    /// Removes keyring items tagged with a key id the header no longer knows:
    /// what an interrupted `rekey` leaves (the new key's item stored before
    /// the header recorded it, or the old key's item after the header
    /// dropped it). Items without a key-id attribute (stored by hand) and
    /// items that hold a key of this header are kept. Best effort: an
    /// unreachable keyring is left alone.
    @discardableResult
    func removeOrphanKeyringItems(header: KeyHeader) -> Int {
        guard let items = try? keyring.items(forVault: header.vaultID) else { return 0 }
        let known = Set([header.keyID] + (header.rotation.map { [$0.keyID] } ?? []))
        var removed = 0
        for item in items where !item.isLocked {
            guard let keyID = item.keyID, !known.contains(keyID) else { continue }
            if let key = item.key, header.generation(of: key) != nil { continue }
            if (try? keyring.remove(vaultID: header.vaultID, keyID: keyID)) == true { removed += 1 }
        }
        return removed
    }
}
