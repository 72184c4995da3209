import Foundation
public import VaultKeys
import Glibc

/// How ``VaultRestore/restore(from:to:unlock:options:)`` may proceed.
public struct RestoreOptions: Sendable {
    /// Allow a backup of another vault (another vault id) to replace this
    /// one. Off by default: restoring the wrong file is an easy mistake.
    public var allowsOtherVault = false
    /// Store the restored key in the Secret Service when the backup has a
    /// keyring slot and no keyring item holds its key (a backup from another
    /// machine, or from before a key rotation).
    public var usesKeyring = true
    public var keyring = SecretServiceKeyring()
    public var configuration = VaultConfiguration()
    public init() {}
}

/// What a restore did.
public struct RestoreReport: Sendable, Codable {
    public let path: String
    public let restoredFrom: String
    public let vaultID: String
    public let schemaVersion: Int
    /// Where the replaced vault was kept (nil when there was none).
    public let replacedVaultKeptAt: String?
    /// The replaced vault's id, when there was one and it differs.
    public let replacedVaultID: String?
    /// What happened with the keyring item (nil: nothing to do).
    public let keyringNote: String?
}

/// Replaces a vault with a verified backup.
///
/// The order of work, and why it is safe:
/// 1. the backup's header is read and its key found (keyring, password or
///    recovery code, as for opening a vault);
/// 2. the backup is copied into a hidden staging file beside the vault
///    (same file system, so the final step is a rename) and **verified
///    there**: the staged header (the file that will be moved into place)
///    is authenticated with the key against the staged database
///    (``KeyUnlocker``: its MAC, or for an old-format header the database's
///    record of an upgrade), the database opens with the key, every page
///    authenticates (`integrity_check`), its vault id matches its header,
///    and its schema is not newer than this simvault. Any failure stops
///    here: the vault has not been touched;
/// 3. exclusive use of the vault is taken (``DeadManSwitchLock``): if
///    another program has it open, the restore stops with "busy";
/// 4. the current vault (database, WAL, header) is moved aside into
///    `<vault>.backups/<name>-replaced-<UTC time>.db` as a complete vault,
///    its WAL with it, so nothing it committed is lost; the staged header
///    and database are moved into place (a restore journal beside the vault
///    names every file while this happens);
/// 5. the restored vault is opened as any vault is (key check, vault id,
///    schema history); if that fails the moves are undone.
///
/// A restore killed during steps 4-5 leaves its journal; the next open
/// (or `health`, or `restore`) settles it (``RestoreJournal/recover(_:holdingKeyLock:)``):
/// rolled forward when the restored database is already in place, else
/// rolled back to the replaced vault. The key lock is held throughout, so
/// nobody settles a restore that is still running.
///
/// The replaced vault is kept, not deleted: a restore can itself be undone
/// by restoring that copy. Its keyring item is left alone too.
public enum VaultRestore {
    /// - Throws: ``VaultError``: `.notFound`/`.headerMissing` (no backup),
    ///   `.wrongKey`/`.noKeySource` (its key cannot be found),
    ///   `.backupUnusable` (it fails verification), `.schemaNewer`, `.invalidArgument` (a
    ///   backup of another vault without `allowsOtherVault`, or an in-use
    ///   source), `.busy` (the vault is open elsewhere), `.io`.
    public static func restore(
        from backup: VaultLocation, to target: VaultLocation, unlock: UnlockRequest, options: RestoreOptions = RestoreOptions(),
        progress: ProgressHandler? = nil
    ) throws -> RestoreReport {
        let source = try unlockBackup(backup, replacing: target, unlock: unlock, options: options)

        let staged = try prepareStaging(for: target)
        // Staged files that were moved into place no longer exist here.
        defer { for file in [staged.path, staged.walPath, staged.shmPath, staged.headerPath] { unlink(file) } }
        let verified = try stageAndVerify(backup, into: staged, key: source.key, cipher: source.cipher, options: options, progress: progress)

        let (keyLock, fileLock) = try takeExclusiveUse(of: target)
        defer { withExtendedLifetime(keyLock) {} }
        defer { fileLock?.release() }

        let swapped = try moveIntoPlace(staged, target: target)

        let restored = try openRestored(target, key: source.key, isVault: verified.check.vaultID != nil, options: options, undoing: swapped)
        defer { restored.close() }
        swapped.swap.finish()
        swapped.journal.remove()

        try recordRestore(in: restored, from: backup, verified: verified, aside: swapped.aside, options: options)
        return RestoreReport(
            path: target.path, restoredFrom: backup.path, vaultID: verified.header.vaultID, schemaVersion: verified.check.schemaVersion,
            replacedVaultKeptAt: swapped.aside?.path,
            replacedVaultID: source.replacedVaultID == verified.header.vaultID ? nil : source.replacedVaultID,
            keyringNote: ensureKeyringItem(header: verified.header, key: source.key, location: target, options: options))
    }

    // MARK: - The steps

    /// Step 1's result: the backup's key and the id of the vault it replaces.
    private struct UnlockedBackup {
        let header: KeyHeader
        let key: MasterKey
        let cipher: CipherSettings
        let replacedVaultID: String?
    }

    /// Step 2's result: the staged header and what the file check found.
    private struct VerifiedStaging {
        let header: KeyHeader
        let check: VaultFileCheck
    }

    /// Step 4's result: what to finish or undo.
    private struct SwappedFiles {
        let swap: FileSwap
        let journal: RestoreJournal
        /// Where the replaced vault went (nil when there was none).
        let aside: VaultLocation?
    }

    /// Step 1: the backup is a backup (not the vault, not a vault in use),
    /// its key is found and its header authenticated with it, and it is of
    /// this vault unless `allowsOtherVault`.
    private static func unlockBackup(
        _ backup: VaultLocation, replacing target: VaultLocation, unlock: UnlockRequest, options: RestoreOptions
    ) throws -> UnlockedBackup {
        guard backup.databaseExists else {
            throw VaultError.notFound(path: backup.path, detail: "no backup there")
        }
        guard (VaultLocation.size(of: backup.walPath) ?? 0) == 0 else {
            throw VaultError.invalidArgument(detail: "\(backup.path) has a write-ahead log (\(backup.walPath)): it is a vault in use, not a backup. Back it up with `simvault --vault \(backup.path) backup DEST` and restore that")
        }
        guard standardized(backup.path) != standardized(target.path) else {
            throw VaultError.invalidArgument(detail: "the backup and the vault are the same file")
        }
        // The key is found before anything is copied, and the backup's
        // header authenticated with it (its database is read in place only
        // to name what a forged header changed, or to check an old-format
        // one; on read-only media it cannot be, and the staged copy is
        // checked in step 2 anyway). What the restore trusts is the staged copy.
        let backupHeader = try EncryptedDatabase.loadHeader(backup, verifyingFiles: false)
        let key: MasterKey, cipher: CipherSettings
        do {
            let unlocked = try KeyUnlocker(header: backupHeader, location: backup, configuration: options.configuration).unlock(unlock)
            key = unlocked.masterKey
            cipher = backupHeader.cipher(for: unlocked.keys[0].generation)
        } catch {
            throw VaultError(error)
        }
        let current = (try? KeyHeaderFile(path: target.headerPath).load())?.vaultID
        if let current, current != backupHeader.vaultID, !options.allowsOtherVault {
            throw VaultError.invalidArgument(detail: "\(backup.path) is a backup of vault \(backupHeader.vaultID), but \(target.path) is vault \(current). Nothing was changed; pass --allow-other-vault to replace it anyway")
        }
        return UnlockedBackup(header: backupHeader, key: key, cipher: cipher, replacedVaultID: current)
    }

    /// Step 2, first half: the vault's directory is ready for staging (a
    /// restore a killed process left half-done is settled first, the files
    /// are the user's, abandoned staging files are gone); returns the
    /// staging location.
    private static func prepareStaging(for target: VaultLocation) throws -> VaultLocation {
        try createDirectory(target.directory)
        _ = try RestoreJournal.recover(target)
        try VaultFiles.verify(target)
        try VaultFiles.verifyBackupsDirectory(of: target)
        StagingFiles.removeAbandoned(in: target.directory, marker: RestoreJournal.stagingMarker)
        return StagingFiles.location(beside: target, marker: RestoreJournal.stagingMarker)
    }

    /// Step 2: the backup is copied to `staged` and verified there (header
    /// authenticated against the staged database, every page, vault id,
    /// schema not newer). The vault has not been touched when this throws.
    private static func stageAndVerify(
        _ backup: VaultLocation, into staged: VaultLocation, key: MasterKey, cipher: CipherSettings, options: RestoreOptions,
        progress: ProgressHandler?
    ) throws -> VerifiedStaging {
        try VaultSnapshot.copyFiles([(backup.headerPath, staged.headerPath), (backup.path, staged.path)], progress: progress)
        progress?(TransferProgress(phase: "verifying", completed: 0, total: 0, unit: .items))
        let header = try authenticatedStagedHeader(staged, of: backup, key: key, configuration: options.configuration)
        let check: VaultFileCheck
        do {
            check = try VaultFileCheck.run(staged, key: key, cipher: cipher, configuration: options.configuration)
        } catch {
            throw VaultError.backupUnusable(path: backup.path, detail: error.detail.replacingOccurrences(of: staged.path, with: backup.path))
        }
        if let problem = check.migrationProblem {
            if case .vaultNewer = problem { throw VaultError(problem) }
            throw VaultError.backupUnusable(path: backup.path, detail: problem.description)
        }
        // An app database's backup has no vault id inside (nil): its key
        // and its header's MAC, checked above, tie it to the header.
        guard check.vaultID == nil || check.vaultID == header.vaultID else {
            throw VaultError.backupUnusable(path: backup.path, detail: "its database is vault \(check.vaultID ?? "none") but its key header is for vault \(header.vaultID)")
        }
        for file in [staged.walPath, staged.shmPath] { unlink(file) }
        return VerifiedStaging(header: header, check: check)
    }

    /// Step 3: the key lock (no key change, and no other restore,
    /// meanwhile; whoever finds the journal without it settles it) and
    /// exclusive use of the vault's files. Hold both until the restore ends.
    private static func takeExclusiveUse(of target: VaultLocation) throws -> (KeyLock, DeadManSwitchLock?) {
        let keyLock = try VaultKeyManager.acquireLock(for: target)
        let fileLock = target.databaseExists ? try DeadManSwitchLock(target) : nil
        return (keyLock, fileLock)
    }

    /// Step 4: the current vault is moved aside (database, WAL, a link to
    /// its header) and the staged header and database are moved into place,
    /// under a journal; a failure undoes the moves and removes the journal.
    private static func moveIntoPlace(_ staged: VaultLocation, target: VaultLocation) throws -> SwappedFiles {
        let aside = target.databaseExists ? replacedLocation(for: target) : nil
        // Before the journal names it: a restore killed right after writing
        // the journal must not leave one that names a missing directory.
        if let aside { try createDirectory(aside.directory) }
        let journal = RestoreJournal(target: target, staged: staged, aside: aside)
        try journal.write()
        var swap = FileSwap()
        do {
            if let aside {
                try swap.move(target.path, to: aside.path)
                if FileManager.default.fileExists(atPath: target.walPath) { try swap.move(target.walPath, to: aside.walPath) }
                // The -shm file stays: its lock byte is what keeps other
                // programs out until the swap is done; the next opener
                // rebuilds its contents (it is first to take that byte).
                if FileManager.default.fileExists(atPath: target.headerPath) { try swap.link(target.headerPath, to: aside.headerPath) }
            }
            try swap.replace(target.headerPath, with: staged.headerPath, keepingOldAs: journal.savedHeaderPath)
            try swap.move(staged.path, to: target.path)
            try syncDirectory(target.directory)
            if let aside { try syncDirectory(aside.directory) }
        } catch {
            swap.undo()
            journal.remove()
            throw error
        }
        return SwappedFiles(swap: swap, journal: journal, aside: aside)
    }

    /// Step 5: the restored file opens as any file with a key header does
    /// (key check, vault id, schema history), as a vault when the backup was
    /// one (an app database's has no vault id inside); if it does not, step
    /// 4 is undone.
    private static func openRestored(
        _ target: VaultLocation, key: MasterKey, isVault: Bool, options: RestoreOptions, undoing swapped: SwappedFiles
    ) throws -> EncryptedDatabase {
        do {
            return try EncryptedDatabase.open(
                at: target, unlock: UnlockRequest(masterKey: key, usesKeyring: false), configuration: options.configuration,
                settlingInterruptedRestore: false, verify: isVault ? Vault.verifyVault : { _, _ in })
        } catch {
            unlink(target.walPath)
            swapped.swap.undo()
            swapped.journal.remove()
            throw error
        }
    }

    /// After the steps: the restored vault records where it came from.
    private static func recordRestore(
        in restored: EncryptedDatabase, from backup: VaultLocation, verified: VerifiedStaging, aside: VaultLocation?, options: RestoreOptions
    ) throws {
        let backupTime = (try? FileManager.default.attributesOfItem(atPath: backup.path)[.modificationDate] as? Date)?.map { Int64(($0.timeIntervalSince1970 * 1000).rounded()) }
        if restored.kind == .vault { try restored.write { db in
            try VaultMeta.write(VaultMeta.lastBackupAt, String(backupTime ?? Clock.nowMilliseconds()), in: db)
            try VaultMeta.write(VaultMeta.lastBackupPath, backup.path, in: db)
            var detail = ["from": backup.path, "schema_version": String(verified.check.schemaVersion)]
            detail["replaced_kept_at"] = aside?.path
            try AccessLog.record(AccessEvent(action: "backup.restore", resource: verified.header.vaultID, detail: detail), actor: options.configuration.actor, in: db)
        } }
    }

    /// The staged copy of the backup's header, authenticated with `key`
    /// against the staged database: a header changed by someone without the
    /// key (or an old-format one put beside an upgraded backup) is refused
    /// before anything of the vault is touched. Errors name the backup's
    /// files, not the staging names.
    private static func authenticatedStagedHeader(
        _ staged: VaultLocation, of backup: VaultLocation, key: MasterKey, configuration: VaultConfiguration
    ) throws -> KeyHeader {
        do throws(KeyError) {
            let header = try KeyHeaderFile(path: staged.headerPath).load()
            let record = DatabaseHeaderRecord(location: staged, configuration: configuration)
            _ = try KeyUnlocker(header: header, headerPath: backup.headerPath, record: record).unlock(UnlockRequest(masterKey: key, usesKeyring: false))
            return header
        } catch .headerForged(let forgery) {
            throw VaultError.headerForged(forgery)
        } catch .wrongKey {
            throw VaultError.backupUnusable(path: backup.path, detail: "its key header changed while it was copied and no longer accepts the key")
        } catch {
            throw VaultError.backupUnusable(path: backup.path, detail: error.description.replacingOccurrences(of: staged.headerPath, with: backup.headerPath))
        }
    }

    /// When the restored header has a keyring slot but no keyring item holds
    /// its key, stores it (under the header's key id) so the vault opens
    /// without a password again. Returns what was done, or nil.
    private static func ensureKeyringItem(header: KeyHeader, key: MasterKey, location: VaultLocation, options: RestoreOptions) -> String? {
        guard let slot = header.slots(ofKind: .keyring).first, case .keyring(let material) = slot.material else { return nil }
        guard options.usesKeyring else {
            return "the keyring was not used (--no-keyring); if its item does not hold this backup's key, the vault opens with its password or recovery code"
        }
        do {
            if try options.keyring.items(forVault: header.vaultID).contains(where: { $0.key.map(header.accepts) == true }) { return nil }
            try options.keyring.store(key, vaultID: header.vaultID, keyID: material.keyID, label: "simvault vault \(header.vaultID) (\(location.path))")
            return "stored the restored vault's key in the keyring (key id \(material.keyID))"
        } catch {
            return "could not store the key in the keyring (\(error.reason)); the vault opens with its password or recovery code"
        }
    }

    /// `<vault>.backups/<name>-replaced-<UTC time>.db`.
    private static func replacedLocation(for target: VaultLocation) -> VaultLocation {
        UTCFormat.backupsDirectoryLocation(for: target, "replaced", at: Date())
    }

    private static func standardized(_ path: String) -> String {
        URL(fileURLWithPath: path).resolvingSymlinksInPath().path
    }

    private static func createDirectory(_ path: String) throws {
        do { try PrivateFile.createDirectory(path) } catch { throw VaultError.io(detail: "cannot create directory: \(error.description)") }
    }

    private static func syncDirectory(_ path: String) throws {
        do { try PrivateFile.syncDirectory(path) } catch { throw VaultError.io(detail: error.description) }
    }
}

/// The renames and links of a restore, recorded so they can be undone in
/// reverse order.
private struct FileSwap {
    private enum Step {
        case moved(from: String, to: String)
        case linked(String)
        case replaced(path: String, savedAs: String?)
    }
    private var steps: [Step] = []

    mutating func move(_ source: String, to target: String) throws {
        guard Glibc.link(source, target) == 0 else { throw failure("move \(source) to \(target)") }
        guard unlink(source) == 0 else {
            unlink(target)
            throw failure("move \(source)")
        }
        steps.append(.moved(from: source, to: target))
    }

    mutating func link(_ source: String, to target: String) throws {
        guard Glibc.link(source, target) == 0 else { throw failure("link \(source) to \(target)") }
        steps.append(.linked(target))
    }

    /// Renames `replacement` over `path` (atomic), keeping the old `path`
    /// under a hidden name until the swap is finished or undone.
    mutating func replace(_ path: String, with replacement: String, keepingOldAs name: String) throws {
        var saved: String?
        if FileManager.default.fileExists(atPath: path) {
            unlink(name)
            guard Glibc.link(path, name) == 0 else { throw failure("keep \(path)") }
            saved = name
        }
        guard rename(replacement, path) == 0 else {
            if let saved { unlink(saved) }
            throw failure("move \(replacement) to \(path)")
        }
        steps.append(.replaced(path: path, savedAs: saved))
    }

    func undo() {
        for step in steps.reversed() {
            switch step {
            case .moved(let from, let to): if Glibc.link(to, from) == 0 { unlink(to) }
            case .linked(let path): unlink(path)
            case .replaced(let path, let saved):
                if let saved { rename(saved, path) } else { unlink(path) }
            }
        }
    }

    func finish() {
        for case .replaced(_, let saved?) in steps { unlink(saved) }
    }

    private func failure(_ what: String) -> VaultError {
        .io(detail: "cannot \(what): \(String(cString: strerror(errno))); the vault was left as it was")
    }
}
