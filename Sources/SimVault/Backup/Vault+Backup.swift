public import Foundation
import VaultKeys

/// The last verified backup of a vault, as recorded in its `vault_meta`.
public struct LastBackup: Sendable, Equatable, Codable {
    /// Unix milliseconds.
    public let at: Int64
    public let path: String
}

/// What `backup --auto` did.
public struct AutomaticBackupReport: Sendable, Codable {
    public let directory: String
    /// The backup taken, nil when one of today was already there.
    public let created: VaultSnapshot?
    /// The backup of today that made this run skip, if any.
    public let existingToday: String?
    /// Backups kept in the directory after rotation, newest first.
    public let kept: [String]
    /// Backups deleted by rotation.
    public let removed: [String]
    /// Why rotation deleted nothing, with what to do (a directory others
    /// can write to).
    public let warnings: [String]
}

/// Backups: verified, encrypted copies of the vault (database and key
/// header), taken while apps keep using it.
///
/// ```swift
/// let copy = try vault.backup(to: VaultLocation(path: "/media/usb/vault-2025-11-23.db"))
/// let daily = try vault.automaticBackup(in: "/media/usb/simvault", keep: 14)
/// ```
///
/// A backup is a complete vault: `simvault --vault <backup> health` checks it
/// and it opens with the same keyring item, passwords and recovery code as
/// the vault it was taken from (it carries a copy of the key header). The
/// time and path of the last backup are recorded in `vault_meta` (and
/// `access_log`), which is what `simvault health` reports.
extension Vault {
    /// Takes a verified backup into `destination` (see ``snapshot(to:progress:)``)
    /// and records it as the vault's last backup.
    ///
    /// - Throws: as ``snapshot(to:progress:)``.
    @discardableResult
    public func backup(to destination: VaultLocation, progress: ProgressHandler? = nil) throws -> VaultSnapshot {
        let copy = try snapshot(to: destination, progress: progress)
        try write { db in
            try VaultMeta.write(VaultMeta.lastBackupAt, String(copy.createdAt), in: db)
            try VaultMeta.write(VaultMeta.lastBackupPath, copy.path, in: db)
            try AccessLog.record(
                AccessEvent(action: "backup.create", resource: copy.path, detail: ["bytes": String(copy.databaseBytes), "schema_version": String(copy.schemaVersion)]),
                actor: configuration.actor, in: db)
        }
        return copy
    }

    /// The last recorded backup, or nil when none was ever taken.
    public func lastBackup() throws -> LastBackup? {
        try read { db in try Self.lastBackup(in: db) }
    }

    static func lastBackup(in db: Connection) throws -> LastBackup? {
        guard let at = try VaultMeta.read(VaultMeta.lastBackupAt, in: db).flatMap(Int64.init) else { return nil }
        return LastBackup(at: at, path: try VaultMeta.read(VaultMeta.lastBackupPath, in: db) ?? "")
    }

    /// A daily backup with rotation, for a timer or cron job: takes a backup
    /// into `directory` unless one taken today (UTC) is already there
    /// (`force` takes one anyway), then deletes the oldest backups of this
    /// vault in `directory` beyond the newest `keep`.
    ///
    /// File names are not trusted: only backups ``VaultBackupName/backups(in:now:)``
    /// accepts (regular files of this user with a key header of this vault
    /// beside them) count, for "one of today" as for rotation, and only
    /// those are ever deleted; the backup just taken never is. In a
    /// directory others can write to (or that another user owns), nothing
    /// is deleted: the report's `warnings` say why and what to run.
    ///
    /// - Throws: ``VaultError/invalidArgument(detail:)`` for `keep` < 1; as
    ///   ``backup(to:progress:)``.
    public func automaticBackup(in directory: String, keep: Int, force: Bool = false, now: Date = Date(), progress: ProgressHandler? = nil) throws -> AutomaticBackupReport {
        guard keep >= 1 else { throw VaultError.invalidArgument(detail: "--keep must be at least 1") }
        let naming = VaultBackupName(vault: location, vaultID: vaultID)
        let today = naming.day(of: now)
        var created: VaultSnapshot?
        var existingToday: String?
        if !force, let found = naming.backups(in: directory, now: now).first(where: { naming.day(of: $0.date) == today }) {
            existingToday = found.path
        } else {
            created = try backup(to: VaultLocation(path: (directory as NSString).appendingPathComponent(naming.fileName(at: now))), progress: progress)
        }
        let all = naming.backups(in: directory, now: now)
        var warnings: [String] = []
        var removed: [String] = []
        if let exposure = DirectoryExposure.of(directory) {
            warnings.append("\(exposure), so its file names cannot be trusted: rotation deleted nothing. Run `chmod go-w \(directory)` (or use a directory of your own).")
        } else {
            removed = all.dropFirst(keep).map(\.path).filter { $0 != created?.path }
            for backup in removed { VaultBackupName.remove(backup) }
        }
        if !removed.isEmpty {
            try? PrivateFile.syncDirectory(directory)
            try recordAccess(AccessEvent(action: "backup.prune", resource: directory, detail: ["removed": String(removed.count), "kept": String(keep)]))
        }
        return AutomaticBackupReport(
            directory: directory, created: created, existingToday: existingToday,
            kept: all.map(\.path).filter { !removed.contains($0) }, removed: removed, warnings: warnings)
    }
}
