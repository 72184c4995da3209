public import Foundation
import Glibc
import VaultKeys

/// How backups of one vault are named in a directory, and which files there
/// really are its backups.
///
/// Names: `<vault name>-<first 8 characters of the vault id>-<UTC time>.db`
/// (and `.db.keys`), e.g. `vault-a25d33f3-20251123T101500123Z.db`. The
/// names sort by time.
///
/// A name proves nothing: anyone who can write to the directory can make
/// one (seven empty files with such names once made `backup --auto` delete
/// every real backup). ``backups(in:now:)`` counts a file as a backup of
/// this vault only when the database and its key header are regular files
/// of this user with one name each, the header parses and is this vault's,
/// the database is a whole number of its pages and has no write-ahead log,
/// and the name's time is not in the future.
public struct VaultBackupName: Sendable {
    public let prefix: String
    /// The vault whose backups these are.
    public let vaultID: String

    public init(vault: VaultLocation, vaultID: String) {
        let name = ((vault.path as NSString).lastPathComponent as NSString).deletingPathExtension
        prefix = "\(name)-\(vaultID.prefix(8))-"
        self.vaultID = vaultID
    }

    /// The file name of a backup taken at `date`.
    public func fileName(at date: Date) -> String {
        "\(prefix)\(UTCFormat.string(date)).db"
    }

    func day(of date: Date) -> String { UTCFormat.string(date, UTCFormat.day) }

    /// A name dated this far after `now` is not one this simvault made (or
    /// the clock went back): it is neither counted nor deleted.
    static let clockTolerance: TimeInterval = 600

    /// This vault's backups in `directory`, newest first (see the type's
    /// description for what counts as one).
    public func backups(in directory: String, now: Date = Date()) -> [(path: String, date: Date)] {
        let parser = UTCFormat.formatter(UTCFormat.fileStamp)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.compactMap { name -> (String, Date)? in
            guard name.hasPrefix(prefix), name.hasSuffix(".db") else { return nil }
            let stamp = String(name.dropFirst(prefix.count).dropLast(3))
            guard stamp.count == 19, let date = parser.date(from: stamp), date.timeIntervalSince(now) <= Self.clockTolerance else { return nil }
            let path = (directory as NSString).appendingPathComponent(name)
            return isBackup(VaultLocation(path: path)) ? (path, date) : nil
        }.sorted { $0.1 > $1.1 }
    }

    /// A key header is a few KiB; a larger file under a header's name is
    /// not read.
    static let maximumHeaderSize: Int64 = 1 << 20

    /// Whether the files at `location` are a backup of this vault.
    private func isBackup(_ location: VaultLocation) -> Bool {
        guard let database = Self.ownedFile(location.path), let header = Self.ownedFile(location.headerPath),
              header.size > 0, header.size <= Self.maximumHeaderSize,
              let loaded = try? KeyHeaderFile(path: location.headerPath).load(), loaded.vaultID == vaultID,
              database.size > 0, database.size % Int64(loaded.cipher.pageSize) == 0
        else { return false }
        let wal = try? FileStatus.of(location.walPath)
        return wal == nil || (wal?.size == 0 && wal?.kind == .regularFile)
    }

    /// The status of a regular file of this user with one name, else nil.
    private static func ownedFile(_ path: String) -> FileStatus? {
        guard let status = try? FileStatus.of(path), status.problem(at: path, asSideFile: true) == nil else { return nil }
        return status
    }

    /// Deletes the backup at `path`: its database and header, and any
    /// `-wal`/`-shm` beside it, each only while it is a regular file of
    /// this user (`unlink` never follows a link, but a link is not ours to
    /// remove either).
    static func remove(_ path: String) {
        for file in VaultLocation(path: path).allFiles {
            guard let status = try? FileStatus.of(file), status.kind == .regularFile, status.isOwnedByUser else { continue }
            unlink(file)
        }
    }
}
