import Foundation
import VaultKeys

/// The files a restore of one vault moves, derived from the vault's path,
/// never taken from the journal: the vault's database, WAL and header; the
/// staged database (`.<name>.restoring-<pid>-<hex>` beside it) with its
/// header and side files; the vault's header kept as
/// `<vault>.keys.before-restore`; the replaced vault in
/// `<vault>.backups/<name>-replaced-<UTC time>.db` with its WAL and header.
///
/// The journal only chooses which staging and aside names were used; each
/// must be exactly one that ``VaultRestore`` makes for this vault, or the
/// journal is refused. Every operation is made on a name inside the
/// vault's directory (or its `.backups` subdirectory, which must be a real
/// directory of this user), through ``DirectoryHandle``: nothing outside
/// those two directories is ever touched, and no link is followed.
struct RestoreFiles {
    /// A name inside one of the two directories.
    struct Entry {
        let directory: DirectoryHandle
        let name: String
        var path: String { directory.path + "/" + name }
        var exists: Bool { directory.exists(name) }
    }

    private let location: VaultLocation
    private let journalPath: String
    private let vaultDirectory: DirectoryHandle
    private let database, wal, header, savedHeader: Entry
    private let staged: [Entry]
    private let stagedDatabase, stagedHeader: Entry
    /// The replaced vault's database, WAL and header (none when the restore
    /// had no vault to replace, or the backups directory is gone).
    private let aside: (database: Entry, wal: Entry, header: Entry)?
    private let asidePath: String?
    /// Whether the restore had a vault to move aside (its files may still
    /// be gone from `.backups`).
    private let replacedAVault: Bool

    /// - Throws: ``VaultError/untrustedFile(path:detail:)`` when the
    ///   journal names a file no restore of `location` uses.
    init(_ journal: RestoreJournal, of location: VaultLocation) throws {
        self.location = location
        journalPath = RestoreJournal.path(for: location)
        func refuse(_ named: String, _ what: String) -> VaultError {
            .untrustedFile(
                path: RestoreJournal.path(for: location),
                detail: "was not written by simvault: it names \(named) as \(what), which is not a file a restore of \(location.path) uses")
        }
        guard journal.target == location.path else { throw refuse(journal.target, "the vault") }
        guard journal.savedHeaderPath == RestoreJournal.savedHeaderPath(for: location) else {
            throw refuse(journal.savedHeaderPath, "the vault's saved header")
        }
        guard StagingFiles.isLocation(journal.staged, beside: location, marker: RestoreJournal.stagingMarker) else {
            throw refuse(journal.staged, "the staged backup")
        }
        if let aside = journal.aside {
            guard Self.isReplacedLocation(aside, of: location) else { throw refuse(aside, "the place of the replaced vault") }
        }

        let directory: DirectoryHandle
        do {
            directory = try DirectoryHandle(path: location.directory)
        } catch {
            throw VaultError.io(detail: "cannot open the vault's directory to settle an interrupted restore: \(error.description)")
        }
        vaultDirectory = directory
        let vaultName = (location.path as NSString).lastPathComponent
        let entry = { (name: String) in Entry(directory: directory, name: name) }
        database = entry(vaultName)
        wal = entry(vaultName + "-wal")
        header = entry(vaultName + ".keys")
        savedHeader = entry(vaultName + ".keys.before-restore")
        let stagedName = (journal.staged as NSString).lastPathComponent
        staged = StagingFiles.fileSuffixes.map { entry(stagedName + $0) }
        stagedDatabase = entry(stagedName)
        stagedHeader = entry(stagedName + ".keys")

        asidePath = journal.aside
        replacedAVault = journal.aside != nil
        let backupsName = vaultName + ".backups"
        var backups: DirectoryHandle?
        if let asideName = journal.aside.map({ ($0 as NSString).lastPathComponent }) {
            do {
                backups = try DirectoryHandle(backupsName, in: directory)
            } catch {
                let problem = VaultFiles.problem(at: location.path + ".backups", isSideFile: false)
                throw VaultError.untrustedFile(path: location.path + ".backups", detail: problem?.detail ?? "cannot be opened as a directory (\(error.description))")
            }
            if let backups {
                aside = (Entry(directory: backups, name: asideName), Entry(directory: backups, name: asideName + "-wal"),
                         Entry(directory: backups, name: asideName + ".keys"))
            } else {
                aside = nil
            }
        } else {
            aside = nil
        }
        if let backups {
            let status = try? backups.status()
            guard let status, status.isOwnedByUser else {
                throw VaultError.untrustedFile(
                    path: backups.path, detail: "is owned by uid \(status.map { String($0.owner) } ?? "?"), not by this user (uid \(geteuid()))")
            }
        }
    }

    /// Whether `path` is exactly `<vault>.backups/<name>-replaced-<UTC time>.db`.
    private static func isReplacedLocation(_ path: String, of location: VaultLocation) -> Bool {
        let name = (path as NSString).lastPathComponent
        guard path == "\(location.path).backups/\(name)" else { return false }
        let stem = ((location.path as NSString).lastPathComponent as NSString).deletingPathExtension
        let prefix = "\(stem)-replaced-"
        guard name.hasPrefix(prefix), name.hasSuffix(".db") else { return false }
        let stamp = name.dropFirst(prefix.count).dropLast(3)
        return stamp.count == 19 && UTCFormat.formatter(UTCFormat.fileStamp).date(from: String(stamp)) != nil
    }

    /// Refuses when any file the settling may move or delete is there and
    /// is not a regular file of this user: nothing has been changed yet.
    ///
    /// - Throws: ``VaultError/untrustedFile(path:detail:)``.
    func verify() throws {
        var entries = [database, wal, header, savedHeader] + staged
        if let aside { entries += [aside.database, aside.wal, aside.header] }
        for entry in entries {
            let status: FileStatus?
            do { status = try entry.directory.status(of: entry.name) } catch {
                throw VaultError.untrustedFile(path: entry.path, detail: "cannot be inspected (\(error.description))")
            }
            if let status, let problem = status.problem(at: entry.path) {
                throw VaultError.untrustedFile(path: entry.path, detail: problem + "; the restore journal \(journalPath) would have moved it")
            }
        }
    }

    /// The restore moves, in order: the vault's database (then WAL) aside,
    /// links its header aside, renames the staged header over the vault's
    /// (keeping the old one as the saved header), then moves the staged
    /// database into place. Staged files leave their names only by being
    /// moved in, so "no staged database, a database in place" means the
    /// swap was complete; anything else is undone step by step.
    func settle() throws -> RestoreJournal.Outcome {
        if !stagedDatabase.exists, database.exists {
            savedHeader.directory.unlink(savedHeader.name)
            for file in staged { file.directory.unlink(file.name) }
            try sync()
            return .finished(keptReplacedAt: asidePath)
        }

        // Roll back.
        if let aside {
            try restoreName(database, from: aside.database)
            if aside.wal.exists { try restoreName(wal, from: aside.wal) }
        }
        if savedHeader.exists {
            guard savedHeader.directory.rename(savedHeader.name, to: header.name, in: header.directory) else {
                throw failure("put back \(header.path)")
            }
        } else if let aside, !header.exists, aside.header.exists {
            try restoreName(header, from: aside.header)
        } else if !replacedAVault, !database.exists, !stagedHeader.exists {
            // There was no vault: the header in place is the staged one.
            header.directory.unlink(header.name)
        }
        if let aside {
            // What is still under the aside names is now also under the
            // vault's names (hard links): drop the aside names.
            for (kept, original) in [(aside.database, database), (aside.wal, wal), (aside.header, header)] where isSameFile(kept, original) {
                kept.directory.unlink(kept.name)
            }
        }
        for file in staged { file.directory.unlink(file.name) }
        try sync()
        return .rolledBack
    }

    /// Gives `entry` back the file now named `kept` (link, then unlink),
    /// unless `entry` already exists.
    private func restoreName(_ entry: Entry, from kept: Entry) throws {
        guard !entry.exists, kept.exists else { return }
        guard kept.directory.link(kept.name, to: entry.name, in: entry.directory) else {
            throw failure("move \(kept.path) back to \(entry.path)")
        }
        kept.directory.unlink(kept.name)
    }

    private func isSameFile(_ first: Entry, _ second: Entry) -> Bool {
        guard let a = try? first.directory.status(of: first.name), let b = try? second.directory.status(of: second.name) else { return false }
        return a.isSameFile(as: b)
    }

    private func sync() throws {
        do {
            try vaultDirectory.sync()
            if let aside { try aside.database.directory.sync() }
        } catch {
            throw VaultError.io(detail: error.description)
        }
    }

    private func failure(_ what: String) -> VaultError {
        .io(detail: "cannot \(what) while settling an interrupted restore: \(String(cString: strerror(errno))); \(journalPath) describes the files")
    }
}
