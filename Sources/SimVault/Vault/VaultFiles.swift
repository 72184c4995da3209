import Foundation
import Glibc
import VaultKeys

/// The rule for the files under a vault's names, checked with `lstat`
/// before simvault opens, moves or deletes any of them: each one that
/// exists must be a regular file owned by this user; SQLite's side files
/// (`-wal`, `-shm`, `-journal`) and the key lock must also have exactly
/// one name.
///
/// Why: SQLite 3.15.2 opens the side files with `O_CREAT` and follows
/// symbolic links, so a link planted at `vault.db-wal` made `info` and
/// `secret set` overwrite the link's target. simvault never makes a link,
/// a directory, a file of another user or a second name under these names,
/// so finding one means someone else put it there: refuse, name it, change
/// nothing. (``SideFileLinks`` also makes SQLite itself refuse a link
/// planted after this check.)
///
/// The database and header may have two names for a moment: a restore and
/// a header change link them aside before renaming, and the next command
/// settles that (``RestoreJournal``, the key repair).
enum VaultFiles {
    /// One file of the vault and what is wrong with it.
    struct Problem: Equatable {
        let path: String
        let detail: String
    }

    /// The files checked: database, header, WAL, SHM, rollback journal and
    /// the key lock.
    static func paths(of location: VaultLocation) -> [(path: String, isSideFile: Bool)] {
        [(location.path, false), (location.headerPath, false), (location.walPath, true), (location.shmPath, true),
         (location.rollbackJournalPath, true), (KeyLock.path(forVault: location.path), true)]
    }

    /// The first file of the vault that breaks the rule, if any.
    static func problem(in location: VaultLocation) -> Problem? {
        for (path, isSideFile) in paths(of: location) {
            if let problem = problem(at: path, isSideFile: isSideFile) { return problem }
        }
        return nil
    }

    /// What is wrong with the file at `path`, nil when it is absent or fine.
    static func problem(at path: String, isSideFile: Bool) -> Problem? {
        do {
            guard let status = try FileStatus.of(path) else { return nil }
            return status.problem(at: path, asSideFile: isSideFile).map { Problem(path: path, detail: $0) }
        } catch {
            return Problem(path: path, detail: "cannot be inspected (\(error.description))")
        }
    }

    /// Throws for the first file of the vault that breaks the rule.
    ///
    /// - Throws: ``VaultError/untrustedFile(path:detail:)``.
    static func verify(_ location: VaultLocation) throws {
        if let error = untrustedFileError(in: location) { throw error }
    }

    /// The error naming the first file that breaks the rule, if one does:
    /// also how an open that SQLite refused ("unable to open", because of
    /// a link planted after the check, see ``SideFileLinks``) is explained.
    static func untrustedFileError(in location: VaultLocation) -> VaultError? {
        problem(in: location).map { VaultError.untrustedFile(path: $0.path, detail: $0.detail) }
    }

    /// `<vault>.backups`, where `restore` moves the replaced vault and
    /// `migrate` keeps its backups: when it exists it must be a directory of
    /// this user, not a link (a restore killed while its files lie there is
    /// settled only inside a real `.backups`, see ``RestoreFiles``).
    ///
    /// - Throws: ``VaultError/untrustedFile(path:detail:)``.
    static func verifyBackupsDirectory(of location: VaultLocation) throws {
        let path = location.path + ".backups"
        let status: FileStatus?
        do { status = try FileStatus.of(path) } catch {
            throw VaultError.untrustedFile(path: path, detail: "cannot be inspected (\(error.description))")
        }
        guard let status else { return }
        if status.kind == .directory, status.isOwnedByUser { return }
        let detail = status.kind == .directory ? "is owned by uid \(status.owner), not by this user (uid \(geteuid()))"
            : status.problem(at: path) ?? "is not a directory"
        throw VaultError.untrustedFile(path: path, detail: detail)
    }

    /// For a vault about to be made (`init`, `encrypt`): nothing may be
    /// under its names yet. A dangling link counts: SQLite would create its
    /// target.
    ///
    /// - Throws: ``VaultError/untrustedFile(path:detail:)`` for a link or
    ///   another user's file, ``VaultError/alreadyExists(path:)`` for any
    ///   other file.
    static func verifyAbsent(_ location: VaultLocation) throws {
        try verify(location)
        for file in location.allFiles + [location.rollbackJournalPath] where exists(file) {
            throw VaultError.alreadyExists(path: file)
        }
    }

    /// Whether something (a file, a link, even a dangling one) is at `path`.
    /// A path that cannot be inspected counts as taken.
    static func exists(_ path: String) -> Bool {
        do { return try FileStatus.of(path) != nil } catch { return true }
    }
}
