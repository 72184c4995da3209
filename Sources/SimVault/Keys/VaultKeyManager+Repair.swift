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
    /// The format (1 or 2) of an old, unauthenticated header that was
    /// upgraded to format 3; nil when the header already was format 3.
    public let upgradedHeaderFromVersion: Int?

    /// Whether anything was repaired.
    public var repairedAnything: Bool { rotation != nil || removedKeyringItems > 0 || scrubbedFiles > 0 }
}

extension VaultKeyManager {
    /// Authenticates the key header, then finishes or rolls back a key
    /// rotation left by an interrupted `rekey`, upgrades an old-format
    /// header to the authenticated format, and removes the keyring items and
    /// header copies an interrupted key change left behind. `simvault
    /// health` runs this; every key change runs it first too.
    ///
    /// Nothing is repaired on a header the keys found do not authenticate:
    /// it is refused first (``VaultError/headerForged(_:)``), so a forged
    /// rotation record or key id cannot steer what is removed.
    ///
    /// The decision about a rotation is taken from the database itself:
    /// whichever key opens it wins. So it needs a key source that gives
    /// that key (the keyring normally holds both keys during a rotation; a
    /// password or the recovery code works too).
    ///
    /// - Throws: ``VaultError`` — `.busy` when another process is changing
    ///   the keys right now (a rotation in progress is never touched), the
    ///   unlock errors, `.headerForged`, `.corrupt` when neither key opens
    ///   the database.
    @discardableResult
    public func repairInterruptedKeyChange(unlock: UnlockRequest) throws -> KeyRepairReport {
        try repairInterruptedKeyChange(unlock: unlock, known: nil).report
    }

    /// ``repairInterruptedKeyChange(unlock:)``, reusing `known` (a header and
    /// the unlock that authenticated it) when the header read under the
    /// lock is still that one, so no password is derived twice. Also
    /// returns the header as the repair left it, with the keys that
    /// authenticate it.
    func repairInterruptedKeyChange(unlock: UnlockRequest, known: AuthenticatedHeader?) throws -> (report: KeyRepairReport, header: AuthenticatedHeader) {
        var change = try beginKeyChange(deadline: Date().addingTimeInterval(wait))
        try authenticateAndRepair(in: &change, unlock: unlock, known: known)
        guard let unlocked = change.unlocked else { preconditionFailure("authenticateAndRepair sets the unlock") }
        let report = KeyRepairReport(
            rotation: change.repaired, removedKeyringItems: change.removedKeyringItems, scrubbedFiles: change.scrubbedFiles,
            upgradedHeaderFromVersion: change.upgradedFromVersion)
        return (report, AuthenticatedHeader(header: change.header, unlocked: unlocked))
    }

    /// The part of every key change that runs right after the lock is taken.
    /// First the header read under the lock is authenticated with the keys
    /// `unlock` finds (``KeyUnlocker``); nothing is derived from it before.
    /// Then a pending rotation is resolved, an old-format header upgraded,
    /// and keyring items of keys no slot refers to any more (and that do not
    /// open the database) removed.
    func authenticateAndRepair(in change: inout KeyChange, unlock: UnlockRequest, known: AuthenticatedHeader? = nil) throws {
        if let known, known.header == change.header {
            change.unlocked = known.unlocked
        } else {
            do {
                change.unlocked = try KeyUnlocker(header: change.header, location: location, configuration: configuration).unlock(unlock)
            } catch {
                throw VaultError(error)
            }
        }
        if change.header.rotation != nil {
            change.repaired = try resolveRotation(in: &change)
        } else if !change.header.isAuthenticatedFormat {
            try upgradeHeader(in: &change)
        }
        removeAbandonedEncryptedCopies()
        // Orphans only come from keyring slots; a vault without one never
        // makes the keyring wait.
        if unlock.usesKeyring, !change.header.slots(ofKind: .keyring).isEmpty {
            change.removedKeyringItems = removeOrphanKeyringItems(header: change.header)
        }
    }

    /// The authenticated session's key of the current generation.
    func currentKey(of change: KeyChange) -> UnlockedKey? {
        change.unlocked?.key(for: .current)
    }

    private func resolveRotation(in change: inout KeyChange) throws -> RotationRepair {
        let header = change.header
        guard let rotation = header.rotation, let unlocked = change.unlocked else {
            preconditionFailure("resolveRotation needs a pending rotation and the keys that authenticated it")
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
            try replaceHeader(header.promotingRotation(), keys: HeaderKeys(current: inUse.masterKey), in: &change)
            if !header.slots(ofKind: .keyring).isEmpty {
                if let problem = removeKeyringItem(keyID: header.keyID, header: header) { warnings.append(problem) }
            }
            outcome = .finished(previousKeyID: header.keyID, keyID: rotation.keyID)
        case .current:
            try replaceHeader(header.droppingRotation(), keys: HeaderKeys(current: inUse.masterKey), in: &change)
            if !rotation.slots(ofKind: .keyring).isEmpty {
                if let problem = removeKeyringItem(keyID: rotation.keyID, header: header) { warnings.append(problem) }
            }
            outcome = .rolledBack(keyID: header.keyID, discardedKeyID: rotation.keyID)
        }
        // From here the session has one key: the one the database uses,
        // now the header's current key.
        change.unlocked = UnlockResult(
            keys: [UnlockedKey(masterKey: inUse.masterKey, source: inUse.source, generation: .current)], skipped: unlocked.skipped)
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

    /// Rewrites an old-format header (authenticated by the unlock, and
    /// checked against the database's record) as format 3, then records it
    /// inside the database: header first, record second (``HeaderUpgrade``).
    /// Only when the key opens the database and it is this vault (so the new
    /// MAC never vouches for a header whose key is not the database's, and
    /// the record can be written: a file made by `encrypt` has no
    /// `vault_meta`, and its header is left as it is).
    private func upgradeHeader(in change: inout KeyChange) throws {
        guard let key = currentKey(of: change)?.masterKey else { return }
        let old = change.header
        do {
            let connection = try EncryptedDatabase.openConnection(
                location: location, key: key, options: configuration.connectionOptions(readOnly: false, cipher: old.cipher))
            defer { connection.close() }
            guard try EncryptedDatabase.identify(connection, header: old, location: location) == .vault else { return }
        } catch {
            return
        }
        try replaceHeader(old, keys: HeaderKeys(current: key), in: &change)
        change.upgradedFromVersion = old.version
        _ = recordEvent(HeaderUpgrade.event(upgrading: old, to: change.header), key: key, header: change.header)
    }

    /// Which of the unlocked keys opens the database (read-only probes), or
    /// nil when none does.
    func keyInUse(of unlocked: UnlockResult, header: KeyHeader) throws -> UnlockedKey? {
        var unreadable: VaultError?
        for key in unlocked.keys {
            let options = configuration.connectionOptions(readOnly: true, cipher: header.cipher(for: key.generation))
            switch try EncryptedDatabase.attempt(key, location: location, options: options) {
            case .opened(let connection):
                connection.close()
                return key
            case .rejected:
                continue
            case .unreadableSettings(let error):
                // Another key may decide. If none opens, that, not damage,
                // is the cause.
                unreadable = error
            }
        }
        if let unreadable { throw unreadable }
        return nil
    }

    /// The database's record of the header (``DatabaseHeaderRecord``); also
    /// how a key is tried against the database without changing its files.
    private var record: DatabaseHeaderRecord { DatabaseHeaderRecord(location: location, configuration: configuration) }

    /// Whether `key` opens the database.
    private func opensDatabase(_ key: MasterKey, header: KeyHeader) -> Bool {
        if case .opened = record.lookUp(openingWith: key, cipher: header.cipher(for: header.generation(of: key) ?? .current)) { return true }
        return false
    }

    /// Removes the keyring item of `keyID` (a key `header` is leaving
    /// behind); returns a warning on failure. An item whose key opens the
    /// database is kept whatever its key id: deleting it could leave the
    /// vault openable only with the recovery code.
    func removeKeyringItem(keyID: String, header: KeyHeader) -> String? {
        do throws(KeyringFailure) {
            let items = try keyring.items(forVault: header.vaultID).filter { $0.keyID == keyID }
            if items.contains(where: { $0.key.map { opensDatabase($0, header: header) } ?? false }) {
                return "the keyring item of key \(keyID) was kept: its key opens the database"
            }
            try keyring.remove(vaultID: header.vaultID, keyID: keyID)
            return nil
        } catch {
            return "the keyring item of key \(keyID) could not be removed (\(error.reason)); `simvault health` removes it once the keyring is reachable"
        }
    }

    /// Removes keyring items tagged with a key id the authenticated header
    /// no longer knows: what an interrupted `rekey` leaves (the new key's
    /// item stored before the header recorded it, or the old key's item
    /// after the header dropped it). Kept: items without a key-id attribute
    /// (stored by hand), items that hold a key of this header, and items
    /// whose key opens the database. Best effort: an unreachable keyring is
    /// left alone.
    @discardableResult
    func removeOrphanKeyringItems(header: KeyHeader) -> Int {
        guard let items = try? keyring.items(forVault: header.vaultID) else { return 0 }
        let known = Set([header.keyID] + (header.rotation.map { [$0.keyID] } ?? []))
        var removed = 0
        for item in items where !item.isLocked {
            guard let keyID = item.keyID, !known.contains(keyID) else { continue }
            if let key = item.key, header.generation(of: key) != nil || opensDatabase(key, header: header) { continue }
            if (try? keyring.remove(vaultID: header.vaultID, keyID: keyID)) == true { removed += 1 }
        }
        return removed
    }
}

/// A key header and the unlock that authenticated it (``KeyUnlocker``).
struct AuthenticatedHeader {
    let header: KeyHeader
    let unlocked: UnlockResult
}
