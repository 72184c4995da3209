import Foundation
import SimVault
import Testing
import VaultTestSupport

/// Files planted in a backup directory with this vault's backup names. On
/// the old code, rotation trusted names: seven empty files made the next
/// `backup --auto` delete every real backup, the one it had just taken
/// included, and exit 0; one empty file dated today made it skip the
/// day's backup.
@Suite("backup rotation against planted files")
struct BackupRotationAttackTests {
    /// A closed vault with `count` real backups in `daily/` (taken with
    /// `--auto --force`), newest first.
    private static func vaultWithBackups(_ count: Int, label: String) throws -> (TestVault, String, [String]) {
        let test = try TestVault(label: label)
        try test.vault.conversations.create(Conversation(title: "mine"))
        test.vault.close()
        let directory = test.directory.file("daily")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        var real: [String] = []
        for _ in 0..<count {
            let report = try ExternalTools.json(try test.cliOK(["backup", "--auto", directory, "--keep", "30", "--force", "--json"]))
            real.insert(try #require((report["created"] as? [String: Any])?["path"] as? String), at: 0)
        }
        return (test, directory, real)
    }

    /// A backup name of this vault dated `date`.
    private static func name(_ test: TestVault, _ date: Date) -> String {
        VaultBackupName(vault: test.location, vaultID: test.vault.vaultID).fileName(at: date)
    }

    /// The backup opens with the vault's password and holds its row.
    private static func expectIntact(_ backup: String, _ test: TestVault, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let result = try ProcessRunner.run(ProjectPaths.simvaultBinary, ["sql", "SELECT title FROM conversations", "--vault", backup, "--no-keyring", "--password-file", test.passwordFile])
        #expect(result.status == 0 && result.stdout.contains("mine"), "\(backup): \(result)", sourceLocation: sourceLocation)
    }

    @Test("seven planted empty files with newer backup names (three dated in the future) delete nothing real; the backup just taken stays")
    func plantedEmptyBackupsIgnored() throws {
        let (test, directory, real) = try Self.vaultWithBackups(2, label: "rotation-planted")
        let now = Date()
        let dates = (1...3).map { now.addingTimeInterval(Double($0) * 86_400 * 365) } + (1...4).map { now.addingTimeInterval(-Double($0) / 10) }
        var planted: [String] = []
        for date in dates {
            let path = directory + "/" + Self.name(test, date)
            for file in [path, path + ".keys"] { try #require(FileManager.default.createFile(atPath: file, contents: Data())) }
            planted.append(path)
        }
        let report = try ExternalTools.json(try test.cliOK(["backup", "--auto", directory, "--keep", "2", "--force", "--json"]))
        let created = try #require((report["created"] as? [String: Any])?["path"] as? String)
        #expect(report["removed"] as? [String] == [real[1]], "only the oldest real backup goes: \(report)")
        #expect(report["kept"] as? [String] == [created, real[0]], "\(report)")
        for backup in [created, real[0]] { try Self.expectIntact(backup, test) }
        for path in planted {
            #expect(FileManager.default.fileExists(atPath: path) && FileManager.default.fileExists(atPath: path + ".keys"), "rotation deleted a file it does not trust: \(path)")
        }
    }

    @Test("an empty file named as today's backup does not stop the day's backup")
    func plantedTodayDoesNotSkip() throws {
        let test = try TestVault(label: "rotation-today")
        test.vault.close()
        let directory = test.directory.file("daily")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let planted = directory + "/" + Self.name(test, Date().addingTimeInterval(-1))
        try #require(FileManager.default.createFile(atPath: planted, contents: Data()))
        try #require(FileManager.default.createFile(atPath: planted + ".keys", contents: Data()))
        let report = try ExternalTools.json(try test.cliOK(["backup", "--auto", directory, "--json"]))
        #expect(report["created"] != nil && report["existing_today"] == nil, "\(report)")
    }

    @Test("another user's copies and links named as newer backups are neither counted nor deleted; restore DIR takes the newest real backup")
    func foreignFilesAndLinksIgnored() throws {
        let (test, directory, real) = try Self.vaultWithBackups(2, label: "rotation-foreign")
        var decoys = try Decoys(in: test.directory)
        let later = Date().addingTimeInterval(-0.5)
        // A real backup's files, copied under a newer name and handed to
        // another user (uid 65534).
        let foreign = directory + "/" + Self.name(test, later)
        for suffix in ["", ".keys"] {
            try FileManager.default.copyItem(atPath: real[0] + suffix, toPath: foreign + suffix)
            try #require(chown(foreign + suffix, 65534, 65534) == 0, "the tests run as root to hand a file to another user")
        }
        // Links named as an even newer backup, to files outside.
        let linked = directory + "/" + Self.name(test, later.addingTimeInterval(0.2))
        try #require(symlink(try decoys.make("photos.db"), linked) == 0)
        try #require(symlink(try decoys.make("photos.db.keys"), linked + ".keys") == 0)

        let restored = try ExternalTools.json(try test.cliOK(["restore", directory, "--json"]))
        #expect(restored["restored_from"] as? String == real[0], "\(restored)")

        let report = try ExternalTools.json(try test.cliOK(["backup", "--auto", directory, "--keep", "1", "--force", "--json"]))
        let created = try #require((report["created"] as? [String: Any])?["path"] as? String)
        #expect(Set(report["removed"] as? [String] ?? []) == Set(real), "\(report)")
        #expect(report["kept"] as? [String] == [created])
        try Self.expectIntact(created, test)
        for file in [foreign, foreign + ".keys"] { #expect(FileManager.default.fileExists(atPath: file), "deleted another user's \(file)") }
        for file in [linked, linked + ".keys"] { #expect((try? FileStatus.of(file))?.kind == .symbolicLink, "deleted the planted link \(file)") }
        decoys.expectUnchanged("rotation")
    }

    @Test("in a directory others can write to, the backup is taken and nothing is deleted, with a warning naming the chmod")
    func exposedDirectoryRotatesNothing() throws {
        let (test, directory, real) = try Self.vaultWithBackups(2, label: "rotation-exposed")
        try #require(chmod(directory, 0o777) == 0)
        let result = try test.cliOK(["backup", "--auto", directory, "--keep", "1", "--force", "--json"])
        let report = try ExternalTools.json(result)
        #expect(report["created"] != nil && (report["removed"] as? [String])?.isEmpty == true, "\(report)")
        #expect(result.stderr.contains("is writable by group or others") && result.stderr.contains("chmod go-w \(directory)"), "\(result.stderr)")
        #expect((report["warnings"] as? [String])?.count == 1)
        for backup in real { try Self.expectIntact(backup, test) }
    }
}
