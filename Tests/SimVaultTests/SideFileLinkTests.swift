import Foundation
@testable import SimVault
import Testing
import VaultKeys
import VaultTestSupport

/// SQLite itself refuses a symbolic link at a side file's name
/// (``SideFileLinks``): what closes the gap between simvault's `lstat`
/// check and SQLite's own `open`, for the vault and for the staging files
/// of backup, restore, init and encrypt. Here the check is bypassed on
/// purpose (a connection opened directly, as if the link appeared right
/// after the check) and the link's target must stay untouched.
@Suite("SQLite refuses linked side files")
struct SideFileLinkTests {
    /// A closed vault, its key, and two decoy files outside its directory.
    private static func scene(_ label: String) throws -> (TestVault, MasterKey, [String: Data]) {
        let test = try TestVault(label: label)
        try test.vault.conversations.create(Conversation(title: "mine"))
        let key = test.vault.masterKey
        test.vault.close()
        var decoys: [String: Data] = [:]
        for name in ["wal-target", "shm-target"] {
            let path = test.directory.file(name)
            let data = Data("decoy \(name): must never change\n".utf8)
            try data.write(to: URL(fileURLWithPath: path))
            decoys[path] = data
        }
        return (test, key, decoys)
    }

    private static func plantLinks(at location: VaultLocation, in test: TestVault) throws {
        try #require(symlink(test.directory.file("wal-target"), location.walPath) == 0)
        try #require(symlink(test.directory.file("shm-target"), location.shmPath) == 0)
    }

    private static func expectUntouched(_ decoys: [String: Data], sourceLocation: SourceLocation = #_sourceLocation) {
        for (path, data) in decoys {
            #expect(FileManager.default.contents(atPath: path) == data, "\(path) was written through a link", sourceLocation: sourceLocation)
        }
    }

    @Test("a connection opened past the lstat check fails on a linked -wal/-shm instead of writing through it")
    func connectionRefusesLinks() throws {
        let (test, key, decoys) = try Self.scene("nofollow")
        try Self.plantLinks(at: test.location, in: test)
        #expect(SideFileLinks.areRefused)
        for readOnly in [false, true] {
            var options = VaultConfiguration().connectionOptions(readOnly: readOnly, cipher: CipherSettings())
            options.busyTimeoutMilliseconds = 100
            #expect(throws: (any Error).self, "readOnly \(readOnly)") {
                let connection = try Connection(path: test.location.path, key: key, options: options)
                defer { connection.close() }
                _ = try connection.fetchAll("SELECT * FROM conversations")
            }
        }
        Self.expectUntouched(decoys)
        for path in [test.location.walPath, test.location.shmPath] {
            #expect((try FileStatus.of(path))?.kind == .symbolicLink, "\(path) is still the planted link")
        }
        // Through the library the same open names the file (exit 12 in the CLI).
        #expect(throws: VaultError.untrustedFile(path: test.location.walPath, detail: "is a symbolic link to \(test.directory.file("wal-target"))")) {
            _ = try Vault.open(at: test.location, unlock: .password(test.password))
        }
    }

    @Test("a restore's staged copy with linked side files fails verification without writing through them")
    func stagedRestoreCopyRefusesLinks() throws {
        let (test, key, decoys) = try Self.scene("nofollow-staged")
        let backup = VaultLocation(path: test.directory.file("backup.db"))
        let vault = try test.reopen()
        _ = try vault.snapshot(to: backup)
        vault.close()
        let staged = StagingFiles.location(beside: test.location, marker: RestoreJournal.stagingMarker)
        try FileManager.default.copyItem(atPath: backup.path, toPath: staged.path)
        try Self.plantLinks(at: staged, in: test)
        #expect(throws: VaultFileCheck.Failure.self) {
            _ = try VaultFileCheck.run(staged, key: key, cipher: CipherSettings(), configuration: VaultConfiguration())
        }
        Self.expectUntouched(decoys)
    }

    @Test("a vault reached through a linked directory still opens and writes: only links at file names are refused")
    func linkedDirectoryStillWorks() throws {
        let (test, _, _) = try Self.scene("nofollow-directory")
        let linkedDirectory = test.directory.file("linked")
        try #require(symlink(test.location.directory, linkedDirectory) == 0)
        let through = VaultLocation(path: linkedDirectory + "/vault.db")
        let vault = try Vault.open(at: through, unlock: .password(test.password))
        try vault.conversations.create(Conversation(title: "through the link"))
        #expect(try vault.conversations.list().count == 2)
        vault.close()
    }
}
