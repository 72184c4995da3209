import Foundation
public import VaultKeys

extension VaultKeyManager {
    /// Rotates the master key: a new random key, every page of the database
    /// re-encrypted with it, every slot re-wrapped for it (the keyring item
    /// and recovery slots without asking, password slots with their
    /// passwords), verified, and logged in the access log as `key.rekey`.
    ///
    /// ```swift
    /// let report = try VaultKeyManager(location: location).rekey(
    ///     unlock: UnlockRequest(), options: RekeyOptions(passwords: [password]))
    /// ```
    ///
    /// Crash safety (a SIGKILL or power loss at any point leaves a vault that
    /// opens, with the old or the new key, and loses nothing committed):
    ///
    /// 1. take the key lock, unlock, and wrap every slot for a new random
    ///    key (a missing or wrong password stops here, nothing changed);
    /// 2. open the database exclusively (nobody else may have it open;
    ///    nothing is changed when someone does);
    /// 3. store the new key's keyring item (a new `key-id`, beside the old
    ///    item) and write the header with a `rotation` record holding the
    ///    new key's slots, fsynced, before the database changes;
    /// 4. re-encrypt every page in one SQLCipher transaction (`sqlite3_rekey`
    ///    in WAL mode, `synchronous = FULL`): until its commit frame is on
    ///    disk the old key opens the database, afterwards the new one;
    /// 5. verify with fresh connections: the new key reads every page
    ///    (`quick_check`), the old key no longer opens the file; log it;
    /// 6. make the new key current in the header, then remove the old
    ///    key's keyring item.
    ///
    /// While the rotation record exists, opening tries both keys (see
    /// ``Vault/open(at:unlock:configuration:)``), and
    /// ``repairInterruptedKeyChange(unlock:)`` (run by `health` and by every
    /// key change) finishes or rolls it back from the key the database
    /// actually uses.
    ///
    /// SQLCipher: https://www.zetetic.net/sqlcipher/sqlcipher-api/#rekey
    ///
    /// - Throws: ``VaultError`` — `.busy` (another process has the vault
    ///   open or is changing keys; nothing changed), the unlock errors,
    ///   `.wrongKey` (a given slot password is wrong; nothing changed),
    ///   `.keyManagement` (a password slot's password is missing, the
    ///   keyring cannot store the new key, or the re-encryption did not take
    ///   effect and was rolled back), `.diskFull`, `.corrupt`.
    public func rekey(unlock: UnlockRequest, options: RekeyOptions = RekeyOptions()) throws -> RekeyReport {
        let deadline = Date().addingTimeInterval(wait)
        let progress = options.progress ?? { _ in }
        var (change, plan) = try planRekey(unlock: unlock, options: options, deadline: deadline, progress: progress)
        let (exclusive, pageCount) = try openExclusively(for: plan, deadline: deadline, progress: progress)
        // Closed explicitly after the re-encryption; closing is idempotent.
        defer { exclusive.close() }
        try recordPendingKey(plan, in: &change)
        let reencryption = reencrypt(exclusive, plan: plan, pageCount: pageCount, options: options)
        progress(.verifying)
        var warnings = change.repaired?.warnings ?? []
        warnings += try verifyNewKeyInUse(plan, pageCount: pageCount, reencryptionError: reencryption.error, in: &change)
        progress(.finishing)
        warnings += try makeNewKeyCurrent(plan, in: &change)
        let header = plan.header
        return RekeyReport(
            previousKeyID: header.keyID, keyID: plan.rotation.keyID, previousCipher: header.cipher, cipher: plan.targetCipher ?? header.cipher,
            slots: plan.slots.slots.map { KeySlotSummary($0) }, droppedSlots: plan.slots.dropped.map { KeySlotSummary($0) },
            pageCount: pageCount, databaseBytes: VaultLocation.size(of: location.path) ?? 0,
            reencryptionSeconds: reencryption.seconds, repairedRotation: change.repaired, warnings: warnings)
    }

    // MARK: - The steps

    /// Step 1's result: the keys and slots of the rotation.
    private struct PlannedRekey {
        /// The authenticated header the rotation starts from.
        let header: KeyHeader
        let oldKey: MasterKey
        let newKey: MasterKey
        /// The new cipher settings of `rekey --cipher-compat`, nil to keep them.
        let targetCipher: CipherSettings?
        let slots: SlotPlan
        let rotation: KeyRotation
        let hasKeyringSlot: Bool
    }

    /// Step 4's result. Its error is not final: step 5 finds out from the
    /// file which key it uses.
    private struct Reencryption {
        let error: (any Error)?
        let seconds: Double
    }

    /// Step 1: take the key lock, unlock, and wrap every slot for a new
    /// random key. A missing or wrong password stops here, nothing changed.
    private func planRekey(
        unlock: UnlockRequest, options: RekeyOptions, deadline: Date, progress: (RekeyProgress) -> Void
    ) throws -> (KeyChange, PlannedRekey) {
        let request = unlock.cachingSecrets()
        var change = try beginKeyChange(deadline: deadline, onWait: { progress(.waitingForOtherProcesses) })
        // The header every slot is re-wrapped from is authenticated first: a
        // recovery slot planted by someone without the key is never sealed
        // the new key.
        try authenticateAndRepair(in: &change, unlock: request)
        let header = change.header
        let targetCipher = try targetCipher(compatibility: options.cipherCompatibility, header: header)
        guard let unlocked = change.unlocked else { preconditionFailure("authenticateAndRepair sets the unlock") }
        let oldKey = unlocked.masterKey
        // A password that unlocked the vault re-wraps its slot too, without
        // being asked for again (the request caches it).
        var candidates = options.passwords
        if case .password = unlocked.source, let used = try? request.password?(""), !candidates.contains(where: { $0 === used }) {
            candidates.append(used)
        }

        progress(.wrappingSlots)
        let newKey = MasterKey.generate()
        let slots = try planSlots(header: header, oldKey: oldKey, newKey: newKey, candidates: candidates, options: options)
        let rotation = KeyRotation(newKey: newKey, vaultID: header.vaultID, slots: slots.slots, cipher: targetCipher)
        return (change, PlannedRekey(
            header: header, oldKey: oldKey, newKey: newKey, targetCipher: targetCipher, slots: slots, rotation: rotation,
            hasKeyringSlot: !header.slots(ofKind: .keyring).isEmpty))
    }

    /// Step 2: open the database exclusively (nobody else may have it open;
    /// nothing is changed when someone does), add the secrets key's wrap for
    /// the new key, fold the WAL into the file, and check the free space.
    private func openExclusively(
        for plan: PlannedRekey, deadline: Date, progress: (RekeyProgress) -> Void
    ) throws -> (Connection, pageCount: Int) {
        let header = plan.header
        let exclusive = try ExclusiveConnection.open(
            location: location, key: plan.oldKey, cipher: header.cipher, deadline: deadline,
            onWait: { progress(.waitingForOtherProcesses) })
        do {
            let pageCount: Int
            do {
                // A vault or an app database (made by `encrypt`): both rekey.
                _ = try EncryptedDatabase.identify(exclusive, header: header, location: location)
                pageCount = try exclusive.scalar("PRAGMA page_count") ?? 0
                // Stored secrets are sealed under a secrets key wrapped for the
                // master key: add its wrap for the new key first, so secrets open
                // with whichever key the database ends up using after a crash.
                try exclusive.inTransaction(.immediate) {
                    try SecretKeyRotation.prepare(from: plan.oldKey, to: plan.newKey, vaultID: header.vaultID, in: exclusive)
                }
                // Fold whatever committed frames the WAL holds into the file
                // first, so every page is read from one place with the old key.
                try exclusive.checkpointAndTruncateWAL()
            } catch let error as SQLiteError {
                throw VaultError.classify(error, path: location.path) ?? VaultError.io(detail: "cannot prepare \(location.path) for re-encryption: \(error.message)")
            }
            try checkFreeSpace(pageCount: pageCount, pageSize: header.cipher.pageSize)
            return (exclusive, pageCount)
        } catch {
            exclusive.close()
            throw error
        }
    }

    /// Step 3: store the new key's keyring item (a new `key-id`, beside the
    /// old item) and write the header with the `rotation` record, fsynced,
    /// before the database changes.
    private func recordPendingKey(_ plan: PlannedRekey, in change: inout KeyChange) throws {
        let header = plan.header
        if plan.hasKeyringSlot { try storeVerified(plan.newKey, vaultID: header.vaultID, keyID: plan.rotation.keyID) }
        var pending = header
        pending.rotation = plan.rotation
        do {
            try replaceHeader(pending, keys: HeaderKeys(current: plan.oldKey, pending: plan.newKey), in: &change)
        } catch {
            if plan.hasKeyringSlot { _ = removeKeyringItem(keyID: plan.rotation.keyID, header: header) }
            throw error
        }
    }

    /// Step 4: re-encrypt every page in one SQLCipher transaction (or, for
    /// a cipher change, into an encrypted copy that replaces the file), then
    /// close the exclusive connection.
    private func reencrypt(_ exclusive: Connection, plan: PlannedRekey, pageCount: Int, options: RekeyOptions) -> Reencryption {
        let header = plan.header
        let started = Date()
        let monitor = plan.targetCipher != nil ? nil : options.progress.map {
            WALProgressMonitor(walPath: location.walPath, pageSize: header.cipher.pageSize, pageCount: pageCount, report: $0)
        }
        var reencryptionError: (any Error)?
        var replacedFileLock: DeadManSwitchLock?
        do {
            if let targetCipher = plan.targetCipher {
                replacedFileLock = try replaceWithEncryptedCopy(
                    of: exclusive, newKey: plan.newKey, cipher: targetCipher, pageCount: pageCount, progress: options.progress)
            } else {
                try exclusive.rekeyUnverified(to: plan.newKey)
                try exclusive.checkpointAndTruncateWAL()
            }
        } catch {
            reencryptionError = error
        }
        monitor?.stop()
        exclusive.close()
        replacedFileLock?.release()
        return Reencryption(error: reencryptionError, seconds: Date().timeIntervalSince(started))
    }

    /// Step 5: verify with fresh connections that the new key reads every
    /// page and the old one no longer opens the file, and log `key.rekey`;
    /// when the old key is still in use, roll the header back and throw.
    /// Returns a warning when the log row could not be written.
    private func verifyNewKeyInUse(
        _ plan: PlannedRekey, pageCount: Int, reencryptionError: (any Error)?, in change: inout KeyChange
    ) throws -> [String] {
        let header = plan.header
        var event = AccessEvent(action: "key.rekey", resource: header.vaultID, detail: [
            "from_key_id": header.keyID, "to_key_id": plan.rotation.keyID, "pages": String(pageCount),
            "slots": plan.slots.slots.map { "\($0.id):\($0.kind.rawValue)" }.joined(separator: ","),
            "dropped_slots": plan.slots.dropped.map { "\($0.id):\($0.kind.rawValue)" }.joined(separator: ","),
        ])
        if let targetCipher = plan.targetCipher { event.detail["cipher_compatibility"] = "\(header.cipher.compatibility)->\(targetCipher.compatibility)" }
        switch try verifyReencryption(
            oldKey: plan.oldKey, oldCipher: header.cipher, newKey: plan.newKey, newCipher: plan.targetCipher ?? header.cipher,
            recording: change.header.promotingRotation(), event: event) {
        case .newKey(let logProblem):
            return logProblem.map { [$0] } ?? []
        case .oldKey:
            try replaceHeader(header, keys: HeaderKeys(current: plan.oldKey), in: &change)
            if plan.hasKeyringSlot { _ = removeKeyringItem(keyID: plan.rotation.keyID, header: header) }
            let cause = reencryptionError.map { " (\(Self.describe($0)))" } ?? ""
            throw VaultError.keyManagement(detail: "the database was not re-encrypted\(cause): SQLCipher reports success even when its rewrite fails, and the check afterwards found the old key still in use. The rotation was rolled back; the vault still uses its old key and nothing was lost. Check free disk space and retry.")
        }
    }

    /// Step 6: make the new key current in the header, then remove the old
    /// key's keyring item. Returns a warning when that removal failed.
    private func makeNewKeyCurrent(_ plan: PlannedRekey, in change: inout KeyChange) throws -> [String] {
        try replaceHeader(change.header.promotingRotation(), keys: HeaderKeys(current: plan.newKey), in: &change)
        if plan.hasKeyringSlot, let problem = removeKeyringItem(keyID: plan.header.keyID, header: change.header) {
            return [problem]
        }
        return []
    }

    // MARK: - Slots for the new key

    private struct SlotPlan {
        var slots: [KeySlot] = []
        var dropped: [KeySlot] = []
    }

    /// Every slot re-wrapped for `newKey`, with the same ids and creation
    /// times. Nothing is written here; a missing or wrong password fails
    /// before anything changes.
    private func planSlots(
        header: KeyHeader, oldKey: MasterKey, newKey: MasterKey, candidates: [SecretBytes], options: RekeyOptions
    ) throws -> SlotPlan {
        let newKeyID = KeyCheck(masterKey: newKey, vaultID: header.vaultID).keyID
        var plan = SlotPlan()
        var missing: [KeySlot] = []
        var used = Set<ObjectIdentifier>()
        for slot in header.slots {
            var rewrapped = slot
            do throws(KeyError) {
                switch slot.material {
                case .keyring:
                    rewrapped.material = .keyring(KeyringSlot(keyID: newKeyID))
                case .recovery(let material):
                    rewrapped.material = .recovery(try material.resealed(newKey))
                case .password(let material):
                    guard let password = try password(opening: material, of: slot, header: header, oldKey: oldKey, candidates: candidates, options: options) else {
                        if options.dropsPasswordSlotsWithoutPassword { plan.dropped.append(slot) } else { missing.append(slot) }
                        continue
                    }
                    used.insert(ObjectIdentifier(password))
                    let cost = PasswordKDF(opsLimit: material.kdf.opsLimit, memLimit: material.kdf.memLimit)
                    rewrapped.material = .password(try PasswordSlot.wrap(newKey, password: password, vaultID: header.vaultID, slotID: slot.id, kdf: cost))
                }
            } catch {
                throw VaultError(error)
            }
            plan.slots.append(rewrapped)
        }
        // A given password that opens no slot is a typo, not a reason to
        // drop or keep asking: say so before anything changes.
        if !header.slots(ofKind: .password).isEmpty, options.passwords.contains(where: { !used.contains(ObjectIdentifier($0)) }) {
            throw VaultError.wrongKey(reason: "wrong password: a password given opens none of this vault's password slots. Nothing was changed.")
        }
        guard missing.isEmpty else {
            let ids = missing.map { String($0.id) }.joined(separator: ", ")
            throw VaultError.keyManagement(detail: "no password was given for password slot(s) \(ids), so they cannot be re-wrapped for the new key. Give each slot's password (--password-file, --extra-password-file, or at the prompt), or pass --drop-password-slots to remove the slots whose password is not given. Nothing was changed.")
        }
        guard !plan.slots.isEmpty else {
            throw VaultError.keyManagement(detail: "every key slot would be dropped, leaving no way to open the vault. Nothing was changed.")
        }
        return plan
    }

    /// The password, among the candidates or asked for, that opens `slot`.
    private func password(
        opening material: PasswordSlot, of slot: KeySlot, header: KeyHeader, oldKey: MasterKey, candidates: [SecretBytes], options: RekeyOptions
    ) throws(KeyError) -> SecretBytes? {
        func opens(_ password: SecretBytes) throws(KeyError) -> Bool {
            do throws(KeyError) {
                let key = try material.unwrap(password: password, vaultID: header.vaultID, slotID: slot.id)
                guard key.isSameKey(as: oldKey) else { throw KeyError.keyCheckMismatch(path: location.headerPath) }
                return true
            } catch .wrongPassword {
                return false
            }
        }
        for password in candidates {
            if try opens(password) { return password }
        }
        guard let ask = options.passwordForSlot else { return nil }
        let asked: SecretBytes?
        do { asked = try ask(KeySlotSummary(slot)) } catch {
            throw .secretInputFailed(detail: "password for key slot \(slot.id): \(Self.describe(error))")
        }
        guard let asked else { return nil }
        guard try opens(asked) else { throw .wrongPassword }
        return asked
    }

    // MARK: - Checks

    /// Re-encrypting writes every page to the WAL once more before the
    /// checkpoint copies it back: about the database's size must be free.
    private func checkFreeSpace(pageCount: Int, pageSize: Int) throws {
        var info = statvfs()
        guard statvfs(location.directory, &info) == 0 else { return }
        let available = Int64(info.f_bavail) * Int64(info.f_frsize)
        let needed = Int64(pageCount) * Int64(pageSize + 24) + (1 << 20)
        guard available >= needed else {
            throw VaultError.diskFull(detail: "re-encrypting needs about \(ByteCount.format(needed)) free beside \(location.path) (the WAL holds a second copy of every page until the end), but \(ByteCount.format(available)) are free")
        }
    }

    private enum ReencryptionOutcome {
        /// The new key reads every page and the old one fails: done. Carries
        /// a warning when the access-log row could not be written.
        case newKey(logProblem: String?)
        /// The old key still opens the database: the rewrite did not happen.
        case oldKey
    }

    /// Finds out from the file itself which key it uses, with connections
    /// of its own (nothing cached from the re-encrypting connection), and
    /// records `event` (and `header`, the header as it is about to become)
    /// when the new key is in use.
    ///
    /// - Throws: ``VaultError/corrupt(detail:)`` when neither key gives a
    ///   sound database; the header then still records both keys.
    private func verifyReencryption(
        oldKey: MasterKey, oldCipher: CipherSettings, newKey: MasterKey, newCipher: CipherSettings,
        recording header: KeyHeader, event: AccessEvent
    ) throws -> ReencryptionOutcome {
        let stillRecorded = "The key header still records both keys; `simvault health` reports the state."
        let readOnly = configuration.connectionOptions(readOnly: true, cipher: newCipher)
        func opens(_ key: MasterKey, _ cipher: CipherSettings) throws -> Bool {
            var options = readOnly
            options.cipher = cipher
            do {
                try Connection(path: location.path, key: key, options: options).close()
                return true
            } catch let error as SQLiteError where error.isNotADatabase {
                return false
            } catch let error as SQLiteError {
                throw VaultError.classify(error, path: location.path) ?? VaultError.io(detail: "cannot verify \(location.path): \(error.message) \(stillRecorded)")
            }
        }
        guard try opens(newKey, newCipher) else {
            if try opens(oldKey, oldCipher) { return .oldKey }
            throw VaultError.corrupt(detail: "after re-encryption neither the old nor the new key opens \(location.path). \(stillRecorded)")
        }
        guard try !opens(oldKey, oldCipher) else {
            throw VaultError.corrupt(detail: "after re-encryption both keys open \(location.path). \(stillRecorded)")
        }
        let check: [String]
        do {
            let connection = try Connection(path: location.path, key: newKey, options: readOnly)
            defer { connection.close() }
            check = try connection.fetchAll("PRAGMA quick_check").compactMap { try? $0.get(0, as: String.self) }
        } catch let error as SQLiteError {
            throw VaultError.corrupt(detail: "the re-encrypted database does not read back with the new key (SQLite: \(error.message)). \(stillRecorded)")
        }
        guard check == ["ok"] else {
            throw VaultError.corrupt(detail: "the re-encrypted database fails quick_check: \(check.prefix(3).joined(separator: "; ")). \(stillRecorded)")
        }
        return .newKey(logProblem: recordEvent(event, key: newKey, header: header, cipher: newCipher) { db in
            try SecretKeyRotation.finish(keeping: newKey, in: db)
        })
    }
}

/// Reports re-encryption progress by watching the WAL grow: every page is
/// written to it once under the new key, so frames written / page count is
/// the fraction done.
///
/// @unchecked Sendable: `isStopped` is only touched under `lock`; the rest
/// is immutable.
private final class WALProgressMonitor: @unchecked Sendable {
    private let lock = NSLock()
    private var isStopped = false
    private let wake = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)

    init(walPath: String, pageSize: Int, pageCount: Int, report: @escaping @Sendable (RekeyProgress) -> Void) {
        // A WAL is a 32-byte header, then frames of a 24-byte header and a page.
        let frameBytes = Int64(pageSize + 24)
        report(.reencrypting(pages: 0, pageCount: pageCount))
        let thread = Thread { [self] in
            var last = 0
            while !stopped {
                let frames = Int(max(0, ((VaultLocation.size(of: walPath) ?? 0) - 32) / frameBytes))
                let pages = min(frames, pageCount)
                if pages > last {
                    last = pages
                    report(.reencrypting(pages: pages, pageCount: pageCount))
                }
                _ = wake.wait(timeout: .now() + 0.1)
            }
            report(.reencrypting(pages: pageCount, pageCount: pageCount))
            finished.signal()
        }
        thread.name = "simvault.rekey-progress"
        thread.start()
    }

    private var stopped: Bool { lock.withLock { isStopped } }

    /// Stops watching and waits for the last report.
    func stop() {
        lock.withLock { isStopped = true }
        wake.signal()
        finished.wait()
    }
}
