import Foundation
import Glibc
import VaultKeys

/// `<vault>.restore-journal`: written before a restore moves any file of
/// the vault and removed when it is done. It names every file the restore
/// moves, so a restore killed half-way (SIGKILL, power loss) is settled by
/// the next `simvault` command instead of leaving a vault that does not
/// open.
///
/// The journal is JSON for the program and carries a sentence for a person
/// who finds it.
struct RestoreJournal: Codable, Equatable {
    let target: String
    let staged: String
    let aside: String?
    /// Where the vault's own header is kept while the restored one takes its
    /// name (a hard link, removed when the restore is finished).
    let savedHeaderPath: String
    var note = ""

    enum CodingKeys: String, CodingKey {
        case target, staged, aside, note
        case savedHeaderPath = "saved_header"
    }

    init(target: VaultLocation, staged: VaultLocation, aside: VaultLocation?) {
        self.target = target.path
        self.staged = staged.path
        self.aside = aside?.path
        savedHeaderPath = target.headerPath + ".before-restore"
        var lines = ["A `simvault restore` of \(target.path) is in progress or was interrupted; the next simvault command that opens the vault settles it."]
        lines.append("The restored database and header were staged as \(staged.path) and \(staged.headerPath).")
        if let aside { lines.append("The vault being replaced is moved to \(aside.path) (with \(aside.headerPath) and any \(aside.walPath)).") }
        note = lines.joined(separator: " ")
    }

    static func path(for location: VaultLocation) -> String { location.path + ".restore-journal" }

    func write() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        do {
            try PrivateFile.write(try encoder.encode(self), to: Self.path(for: VaultLocation(path: target)))
        } catch let error as PrivateFile.Failure {
            throw VaultError.io(detail: "cannot write the restore journal: \(error.description)")
        }
    }

    func remove() {
        let location = VaultLocation(path: target)
        unlink(Self.path(for: location))
        try? PrivateFile.syncDirectory(location.directory)
    }

    // MARK: - Settling an interrupted restore

    /// What settling an interrupted restore did.
    enum Outcome: Equatable, Sendable {
        /// The restored database was already in place: the restore was
        /// completed (the replaced vault stays in `<vault>.backups/`).
        case finished(keptReplacedAt: String?)
        /// It was not: the vault was put back as it was before the restore.
        case rolledBack

        var description: String {
            switch self {
            case .finished(let kept):
                "an interrupted restore was completed (its database was already in place)" + (kept.map { "; the replaced vault is kept at \($0)" } ?? "")
            case .rolledBack: "an interrupted restore was rolled back: the vault is as it was before the restore"
            }
        }
    }

    /// Settles the restore of `location` that a killed process left, if
    /// any: nil when there is no journal.
    ///
    /// Takes the key lock without waiting (a running restore holds it), so
    /// a restore still in progress is never touched.
    ///
    /// - Throws: ``VaultError/busy(detail:)`` while a restore runs;
    ///   ``VaultError/io(detail:)`` when the journal is unreadable or a file
    ///   cannot be moved (the journal then stays, explaining the state).
    static func recover(_ location: VaultLocation) throws -> Outcome? {
        guard FileManager.default.fileExists(atPath: path(for: location)) else { return nil }
        let lock = try VaultKeyManager.acquireLock(for: location)
        return try recover(location, holdingKeyLock: lock)
    }

    /// ``recover(_:)`` for a caller that already holds the key lock.
    static func recover(_ location: VaultLocation, holdingKeyLock lock: KeyLock) throws -> Outcome? {
        let journalPath = path(for: location)
        guard let data = FileManager.default.contents(atPath: journalPath) else { return nil }
        let journal: RestoreJournal
        do { journal = try JSONDecoder().decode(RestoreJournal.self, from: data) } catch {
            throw VaultError.io(detail: "\(journalPath) (left by an interrupted restore) cannot be read: \(error.localizedDescription); move the files back by hand as it describes, then delete it")
        }
        guard journal.target == location.path else {
            throw VaultError.io(detail: "\(journalPath) describes a restore of \(journal.target), not \(location.path); check it and delete it")
        }
        return try withExtendedLifetime(lock) {
            let outcome = try journal.settle()
            journal.remove()
            return outcome
        }
    }

    /// The restore moves, in order: the vault's database (then WAL) aside,
    /// links its header aside, renames the staged header over the vault's
    /// (keeping the old one as `savedHeaderPath`), then moves the staged
    /// database into place. Staged files leave their names only by being
    /// moved in, so "no staged database, a database in place" means the
    /// swap was complete; anything else is undone step by step.
    private func settle() throws -> Outcome {
        let target = VaultLocation(path: self.target)
        let staged = VaultLocation(path: self.staged)
        let aside = self.aside.map { VaultLocation(path: $0) }
        let exists = { (path: String) in FileManager.default.fileExists(atPath: path) }

        if !exists(staged.path), target.databaseExists {
            unlink(savedHeaderPath)
            for file in [staged.walPath, staged.shmPath, staged.headerPath] { unlink(file) }
            try sync(target, aside)
            return .finished(keptReplacedAt: aside?.path)
        }

        // Roll back.
        if let aside {
            try restoreName(target.path, from: aside.path)
            if exists(aside.walPath) { try restoreName(target.walPath, from: aside.walPath) }
        }
        if exists(savedHeaderPath) {
            guard rename(savedHeaderPath, target.headerPath) == 0 else { throw failure("put back \(target.headerPath)") }
        } else if let aside, !exists(target.headerPath), exists(aside.headerPath) {
            try restoreName(target.headerPath, from: aside.headerPath)
        } else if aside == nil, !target.databaseExists, !exists(staged.headerPath) {
            // There was no vault: the header in place is the staged one.
            unlink(target.headerPath)
        }
        if let aside {
            // What is still under the aside names is now also under the
            // vault's names (hard links): drop the aside names.
            for (kept, original) in [(aside.path, target.path), (aside.walPath, target.walPath), (aside.headerPath, target.headerPath)]
            where Self.sameFile(kept, original) {
                unlink(kept)
            }
        }
        for file in staged.allFiles { unlink(file) }
        try sync(target, aside)
        return .rolledBack
    }

    /// Gives `path` back the file now named `kept` (link, then unlink), unless
    /// `path` already exists.
    private func restoreName(_ path: String, from kept: String) throws {
        guard !FileManager.default.fileExists(atPath: path) else { return }
        guard FileManager.default.fileExists(atPath: kept) else { return }
        guard link(kept, path) == 0 else { throw failure("move \(kept) back to \(path)") }
        unlink(kept)
    }

    private func sync(_ target: VaultLocation, _ aside: VaultLocation?) throws {
        do {
            try PrivateFile.syncDirectory(target.directory)
            // A restore killed between writing its journal and making
            // `<vault>.backups` moved nothing there: no directory to sync.
            if let aside, FileManager.default.fileExists(atPath: aside.directory) { try PrivateFile.syncDirectory(aside.directory) }
        } catch {
            throw VaultError.io(detail: error.description)
        }
    }

    private func failure(_ what: String) -> VaultError {
        .io(detail: "cannot \(what) while settling an interrupted restore: \(String(cString: strerror(errno))); \(Self.path(for: VaultLocation(path: target))) describes the files")
    }

    private static func sameFile(_ a: String, _ b: String) -> Bool {
        var first = stat(), second = stat()
        return stat(a, &first) == 0 && stat(b, &second) == 0 && first.st_dev == second.st_dev && first.st_ino == second.st_ino
    }
}
