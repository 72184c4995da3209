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
///
/// Anyone who can write to the vault's directory can also write a journal,
/// and every open settles it, so a journal is trusted for nothing but its
/// choice among the names a restore of this vault can use
/// (``RestoreFiles``): the files it moves are derived from the vault's path
/// and the fixed staging patterns, and a journal naming anything else is
/// refused before anything is moved.
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
        savedHeaderPath = Self.savedHeaderPath(for: target)
        var lines = ["A `simvault restore` of \(target.path) is in progress or was interrupted; the next simvault command that opens the vault settles it."]
        lines.append("The restored database and header were staged as \(staged.path) and \(staged.headerPath).")
        if let aside { lines.append("The vault being replaced is moved to \(aside.path) (with \(aside.headerPath) and any \(aside.walPath)).") }
        note = lines.joined(separator: " ")
    }

    static func path(for location: VaultLocation) -> String { location.path + ".restore-journal" }

    /// `<vault>.keys.before-restore`.
    static func savedHeaderPath(for location: VaultLocation) -> String { location.headerPath + ".before-restore" }

    /// The staging marker of a restore (``StagingFiles``).
    static let stagingMarker = ".restoring-"

    /// The largest journal simvault writes is well under 4 KiB.
    private static let maximumSize = 64 * 1024

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
    ///   ``VaultError/untrustedFile(path:detail:)`` when the journal was not
    ///   written by simvault (it is not a regular file of this user, does
    ///   not parse, or names a file no restore of this vault uses), or a
    ///   file it would move is a link or another user's (nothing is moved);
    ///   ``VaultError/io(detail:)`` when a file cannot be moved (the journal
    ///   then stays, explaining the state).
    static func recover(_ location: VaultLocation) throws -> Outcome? {
        guard VaultFiles.exists(path(for: location)) else { return nil }
        let lock = try VaultKeyManager.acquireLock(for: location)
        return try recover(location, holdingKeyLock: lock)
    }

    /// ``recover(_:)`` for a caller that already holds the key lock.
    static func recover(_ location: VaultLocation, holdingKeyLock lock: KeyLock) throws -> Outcome? {
        let journalPath = path(for: location)
        guard let journal = try read(journalPath) else { return nil }
        let files = try RestoreFiles(journal, of: location)
        try files.verify()
        return try withExtendedLifetime(lock) {
            let outcome = try files.settle()
            journal.remove()
            return outcome
        }
    }

    /// Reads the journal without following a link; nil when there is none.
    private static func read(_ path: String) throws -> RestoreJournal? {
        let refuse = { (detail: String) in
            VaultError.untrustedFile(path: path, detail: "\(detail), so it is not a restore journal simvault wrote")
        }
        let fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else {
            let code = errno
            if code == ENOENT { return nil }
            if let problem = VaultFiles.problem(at: path, isSideFile: true) { throw refuse(problem.detail) }
            throw VaultError.io(detail: "cannot read \(path) (left by an interrupted restore): \(String(cString: strerror(code)))")
        }
        let handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw VaultError.io(detail: "cannot read \(path): \(String(cString: strerror(errno)))") }
        if let problem = FileStatus(info).problem(at: path, asSideFile: true) { throw refuse(problem) }
        guard Int(info.st_size) <= maximumSize else { throw refuse("is \(info.st_size) bytes long") }
        let data: Data
        do { data = try handle.readToEnd() ?? Data() } catch {
            throw VaultError.io(detail: "cannot read \(path) (left by an interrupted restore): \(error.localizedDescription)")
        }
        do { return try JSONDecoder().decode(RestoreJournal.self, from: data) } catch {
            throw refuse("does not parse (\(error.localizedDescription))")
        }
    }
}
