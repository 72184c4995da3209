import Foundation
import SimVault
import Testing
import VaultTestSupport

/// Files planted under a vault's names by someone who can write to its
/// directory. SQLite 3.15.2 opens `-wal`/`-shm` with O_CREAT and follows
/// links: on the old code a link at `vault.db-wal` made `info` and
/// `secret set` overwrite the link's target, and `health` said
/// "owner-only". Every command must now refuse (exit 12, `health` 2),
/// naming the file, with the vault, the planted file and everything
/// outside the vault's directory unchanged.
@Suite("files planted beside a vault")
struct SideFileAttackTests {
    @Test("a planted link, another user's file or a second name under a vault's name is refused by info, secret set, backup and health", arguments: PlantedFile.allCases)
    func plantedFileRefused(_ planted: PlantedFile) throws {
        let test = try TestVault(label: "planted")
        try test.vault.conversations.create(Conversation(title: "mine"))
        test.vault.close()
        let value = try test.directory.write("sk-test-value", to: "value.txt")
        var decoys = try Decoys(in: test.directory)
        let plantedPath = try planted.plant(in: test, decoys: &decoys)
        let plantedBefore = try FileStatus.of(plantedPath)

        let backup = test.directory.file("refused-backup.db")
        for command in [["info"], ["secret", "set", "API_KEY", "--value-file", value], ["backup", backup]] {
            try test.expectRefused(command, status: 12, mentioning: "refusing to use \(plantedPath)")
            decoys.expectUnchanged("\(planted) / \(command[0])")
            #expect(try FileStatus.of(plantedPath) == plantedBefore, "\(command[0]) removed or changed what was planted")
        }
        #expect(!FileManager.default.fileExists(atPath: backup), "a refused backup left a file")
        let before = test.fileBytes()
        let health = try test.cli(["health"])
        #expect(health.status == 2 && health.stdout.contains("failed  files        refusing to use \(plantedPath)"), "\(health)")
        #expect(!health.stdout.contains("ok      permissions"), "health called a planted file owner-only: \(health)")
        #expect(test.fileBytes() == before)
        decoys.expectUnchanged("\(planted) / health")
    }

    @Test("init and encrypt refuse a dangling link at the new vault's -wal and create nothing, neither the vault nor the link's target")
    func newVaultRefusesDanglingLink() throws {
        let directory = try TemporaryDirectory("planted-init")
        var decoys = try Decoys(in: directory)
        try decoys.make("unrelated")
        let password = try directory.write("a password for the new vault\n", to: "password.txt")
        let vault = directory.file("new/vault.db")
        try FileManager.default.createDirectory(atPath: directory.file("new"), withIntermediateDirectories: true)
        let target = decoys.absent("created-through-the-link")
        try #require(symlink(target, vault + "-wal") == 0)

        let initResult = try ProcessRunner.run(ProjectPaths.simvaultBinary, ["init", "--vault", vault, "--no-keyring", "--password-file", password, "--recovery-code-file", directory.file("code.txt")])
        #expect(initResult.status == 12 && initResult.stderr.contains("refusing to use \(vault)-wal"), "\(initResult)")
        for file in [vault, vault + ".keys", directory.file("code.txt")] {
            #expect(!FileManager.default.fileExists(atPath: file), "init left \(file)")
        }

        let plain = directory.file("app.db")
        try ExternalTools.python("import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.execute('CREATE TABLE t (x)'); c.execute('INSERT INTO t VALUES (1)'); c.commit()", [plain])
        let encrypted = directory.file("new/vault.db")
        let encryptResult = try ProcessRunner.run(ProjectPaths.simvaultBinary, ["encrypt", plain, "--out", encrypted, "--no-keyring", "--password-file", password, "--recovery-code-file", directory.file("code2.txt")])
        #expect(encryptResult.status == 12 && encryptResult.stderr.contains("refusing to use \(vault)-wal"), "\(encryptResult)")
        #expect(!FileManager.default.fileExists(atPath: encrypted))
        decoys.expectUnchanged("init and encrypt")
        #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: vault + "-wal")) == target, "the planted link is left for the user to inspect")
    }

    @Test("health warns (exit 1) when others can write to the vault's directory or a directory above it, and says which chmod fixes it")
    func writableDirectoryWarned() throws {
        let test = try TestVault(label: "exposed")
        test.vault.close()
        let directory = URL(fileURLWithPath: test.location.directory).resolvingSymlinksInPath().path
        let healthy = try test.cli(["health"])
        #expect(healthy.status == 0 && healthy.stdout.contains("directory \(directory) (0700) writable only by its owner"), "\(healthy)")

        try #require(chmod(directory, 0o770) == 0)
        let group = try test.cli(["health"])
        #expect(group.status == 1 && group.stdout.contains("warning permissions") && group.stdout.contains("(mode 0770) is writable by group or others")
                && group.stdout.contains("chmod go-w \(directory)"), "\(group)")
        try #require(chmod(directory, 0o700) == 0)

        // A parent that others can write to (no sticky bit) lets them
        // rename the vault's directory away.
        let parent = (directory as NSString).deletingLastPathComponent
        let parentMode = try #require(try FileStatus.of(parent)).permissions
        try #require(chmod(parent, 0o777) == 0)
        defer { chmod(parent, parentMode) }
        let above = try test.cli(["health"])
        #expect(above.status == 1 && above.stdout.contains("\(parent) (mode 0777), above it") && above.stdout.contains("chmod go-w \(parent)"), "\(above)")
        try #require(chmod(parent, parentMode) == 0)

        try #require(chmod(test.location.path, 0o660) == 0)
        let file = try test.cli(["health"])
        #expect(file.status == 1 && file.stdout.contains("\(test.location.path) (0660)") && file.stdout.contains("chmod 600"), "\(file)")
    }
}

/// What is planted under one of the vault's names.
enum PlantedFile: String, CaseIterable, CustomTestStringConvertible {
    /// `vault.db-wal` -> a file outside (the reported attack).
    case walLink
    /// `vault.db-shm` -> a file outside (the reported attack).
    case shmLink
    /// `vault.db-wal` -> a path outside that does not exist yet.
    case danglingWALLink
    /// `vault.db-journal` -> a file outside (SQLite would play back a hot
    /// journal and then write to it).
    case rollbackJournalLink
    /// A WAL owned by another user.
    case walOfAnotherUser
    /// `vault.db-shm` as a second name of a file outside.
    case shmHardLink
    /// The key header as a link to a copy elsewhere.
    case headerLink
    /// The database as a link to the real file moved elsewhere.
    case databaseLink

    var testDescription: String { rawValue }

    /// Plants it and returns the vault's path that now holds it.
    func plant(in test: TestVault, decoys: inout Decoys) throws -> String {
        let location = test.location
        switch self {
        case .walLink:
            try #require(symlink(try decoys.make("id_ed25519"), location.walPath) == 0)
            return location.walPath
        case .shmLink:
            try #require(symlink(try decoys.make("bashrc"), location.shmPath) == 0)
            return location.shmPath
        case .danglingWALLink:
            try #require(symlink(decoys.absent("authorized_keys"), location.walPath) == 0)
            return location.walPath
        case .rollbackJournalLink:
            let path = location.path + "-journal"
            try #require(symlink(try decoys.make("profile"), path) == 0)
            return path
        case .walOfAnotherUser:
            try #require(FileManager.default.createFile(atPath: location.walPath, contents: Data(repeating: 7, count: 4096)))
            try #require(chown(location.walPath, 65534, 65534) == 0, "the tests run as root to hand a file to another user")
            return location.walPath
        case .shmHardLink:
            try #require(link(try decoys.make("credentials"), location.shmPath) == 0)
            return location.shmPath
        case .headerLink:
            let bytes = try #require(FileManager.default.contents(atPath: location.headerPath))
            let copy = try decoys.make("vault.db.keys", String(decoding: bytes, as: UTF8.self))
            unlink(location.headerPath)
            try #require(symlink(copy, location.headerPath) == 0)
            return location.headerPath
        case .databaseLink:
            // The decoy is the vault's own database moved away: nothing may
            // write to it, nor create a WAL beside it.
            let moved = try decoys.make("vault.db", data: try #require(FileManager.default.contents(atPath: location.path)))
            unlink(location.path)
            try #require(symlink(moved, location.path) == 0)
            return location.path
        }
    }
}
