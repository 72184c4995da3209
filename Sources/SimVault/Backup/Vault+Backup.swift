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
    /// vault in `directory` beyond the newest `keep`. Only files named as
    /// this vault's backups (``VaultBackupName``) are ever deleted.
    ///
    /// - Throws: ``VaultError/invalidArgument(detail:)`` for `keep` < 1; as
    ///   ``backup(to:progress:)``.
    public func automaticBackup(in directory: String, keep: Int, force: Bool = false, now: Date = Date(), progress: ProgressHandler? = nil) throws -> AutomaticBackupReport {
        guard keep >= 1 else { throw VaultError.invalidArgument(detail: "--keep must be at least 1") }
        let naming = VaultBackupName(vault: location, vaultID: vaultID)
        let today = naming.day(of: now)
        let existing = naming.backups(in: directory)
        var created: VaultSnapshot?
        var existingToday: String?
        if !force, let found = existing.first(where: { naming.day(of: $0.date) == today }) {
            existingToday = found.path
        } else {
            created = try backup(to: VaultLocation(path: (directory as NSString).appendingPathComponent(naming.fileName(at: now))), progress: progress)
        }
        let all = naming.backups(in: directory)
        let removed = Array(all.dropFirst(keep))
        for backup in removed {
            for file in VaultLocation(path: backup.path).allFiles { unlink(file) }
        }
        if !removed.isEmpty {
            try? PrivateFile.syncDirectory(directory)
            try recordAccess(AccessEvent(action: "backup.prune", resource: directory, detail: ["removed": String(removed.count), "kept": String(keep)]))
        }
        return AutomaticBackupReport(
            directory: directory, created: created, existingToday: existingToday,
            kept: all.prefix(keep).map(\.path), removed: removed.map(\.path))
    }
}

/// How backups of one vault are named in a directory:
/// `<vault name>-<first 8 characters of the vault id>-<UTC time>.db` (and
/// `.db.keys`), e.g. `vault-a25d33f3-20251123T101500123Z.db`. The names sort
/// by time, and rotation deletes only files that match this vault's pattern.
public struct VaultBackupName: Sendable {
    public let prefix: String

    public init(vault: VaultLocation, vaultID: String) {
        let name = ((vault.path as NSString).lastPathComponent as NSString).deletingPathExtension
        prefix = "\(name)-\(vaultID.prefix(8))-"
    }

    /// The file name of a backup taken at `date`.
    public func fileName(at date: Date) -> String {
        "\(prefix)\(UTCFormat.string(date)).db"
    }

    func day(of date: Date) -> String { UTCFormat.string(date, UTCFormat.day) }

    /// This vault's backups in `directory` (database file present), newest first.
    public func backups(in directory: String) -> [(path: String, date: Date)] {
        let parser = UTCFormat.formatter(UTCFormat.fileStamp)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.compactMap { name -> (String, Date)? in
            guard name.hasPrefix(prefix), name.hasSuffix(".db") else { return nil }
            let stamp = String(name.dropFirst(prefix.count).dropLast(3))
            guard stamp.count == 19, let date = parser.date(from: stamp) else { return nil }
            return ((directory as NSString).appendingPathComponent(name), date)
        }.sorted { $0.1 > $1.1 }
    }
}
