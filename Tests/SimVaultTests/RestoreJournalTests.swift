import Foundation
@testable import SimVault
import Testing
import VaultTestSupport

/// A restore killed between any two of its file moves is settled by the next
/// open: each state the restore passes through is made here by hand, exactly
/// as ``VaultRestore`` leaves it, and the vault must then open holding either
/// its own rows (rolled back) or the backup's (finished), with no journal,
/// staging file or stray link left.
@Suite("interrupted restore")
struct RestoreJournalTests {
    /// The restore's moves in order; a kill lands after `steps` of them.
    static let allSteps = ["database aside", "WAL aside", "header linked aside", "header replaced", "database in place"]

    /// -1: killed after the journal was written, before `<vault>.backups`
    /// was made (found by the SIGKILL loop on SQLCipher 4).
    @Test("killed after each step of the file swap: the next open rolls it back or finishes it", arguments: -1...5)
    func settlesAfterEachStep(steps: Int) throws {
        let test = try TestVault(label: "journal")
        let chat = try test.vault.conversations.create(Conversation(title: "in the backup"))
        let backup = VaultLocation(path: test.directory.file("backup.db"))
        _ = try test.vault.snapshot(to: backup)
        try test.vault.messages.append(to: chat.id, role: .user, content: "written after the backup")
        let ownMessages = try test.vault.messages.count(in: chat.id)
        try #require(ownMessages == 1)
        test.vault.close()
        let target = test.location
        // The names a restore makes (the journal is refused for any other).
        let staged = VaultLocation(path: target.directory + "/.vault.db.restoring-999999-0123abcd")
        let aside = UTCFormat.backupsDirectoryLocation(for: target, "replaced", at: Date())
        if steps >= 0 { try FileManager.default.createDirectory(atPath: aside.directory, withIntermediateDirectories: true) }
        try FileManager.default.copyItem(atPath: backup.path, toPath: staged.path)
        try FileManager.default.copyItem(atPath: backup.headerPath, toPath: staged.headerPath)

        let journal = RestoreJournal(target: target, staged: staged, aside: aside)
        try journal.write()
        func move(_ from: String, _ to: String) throws {
            try #require(link(from, to) == 0 && unlink(from) == 0, "move \(from)")
        }
        if steps >= 1 { try move(target.path, aside.path) }
        if steps >= 2, FileManager.default.fileExists(atPath: target.walPath) { try move(target.walPath, aside.walPath) }
        if steps >= 3 { try #require(link(target.headerPath, aside.headerPath) == 0) }
        if steps >= 4 {
            try #require(link(target.headerPath, journal.savedHeaderPath) == 0)
            try #require(rename(staged.headerPath, target.headerPath) == 0)
        }
        if steps >= 5 { try move(staged.path, target.path) }

        let vault = try Vault.open(at: target, unlock: .password(test.password))
        let messages = try vault.messages.count(in: chat.id)
        vault.close()
        if steps == 5 {
            #expect(messages == 0, "after the whole swap the backup's rows are expected")
            #expect(FileManager.default.fileExists(atPath: aside.path), "the replaced vault must be kept")
        } else {
            #expect(messages == ownMessages, "rolled back: the vault's own rows, its WAL included")
            for file in [aside.path, aside.walPath, aside.headerPath] {
                #expect(!FileManager.default.fileExists(atPath: file), "\(file) left after the roll back")
            }
        }
        for file in staged.allFiles + [RestoreJournal.path(for: target), journal.savedHeaderPath] {
            #expect(!FileManager.default.fileExists(atPath: file), "\(file) left behind")
        }
    }

    @Test("killed between the WAL's link and unlink (the WAL has two names): info and key list settle the restore before checking the files")
    func walWithTwoNamesIsSettledFirst() throws {
        let test = try TestVault(label: "journal-wal")
        try test.vault.conversations.create(Conversation(title: "own"))
        test.vault.close()
        let target = test.location
        let staged = StagingFiles.location(beside: target, marker: RestoreJournal.stagingMarker)
        let aside = UTCFormat.backupsDirectoryLocation(for: target, "replaced", at: Date())
        try FileManager.default.createDirectory(atPath: aside.directory, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: target.path, toPath: staged.path)
        try FileManager.default.copyItem(atPath: target.headerPath, toPath: staged.headerPath)
        if !FileManager.default.fileExists(atPath: target.walPath) {
            try #require(FileManager.default.createFile(atPath: target.walPath, contents: Data(), attributes: [.posixPermissions: 0o600]))
        }
        try RestoreJournal(target: target, staged: staged, aside: aside).write()
        try #require(link(target.path, aside.path) == 0 && unlink(target.path) == 0)
        try #require(link(target.walPath, aside.walPath) == 0, "killed before the unlink")
        #expect(VaultFiles.problem(in: target)?.detail == "has 2 names (hard links to one file)")

        let (info, keyError) = try VaultInfo.read(location: target, unlock: .password(test.password))
        #expect(keyError == nil && info.schemaVersion != nil)
        #expect(!FileManager.default.fileExists(atPath: RestoreJournal.path(for: target)))
        #expect(VaultFiles.problem(in: target) == nil)
        #expect(try VaultKeyManager(location: target).listSlots(unlock: nil).slots.count == 2)
        let vault = try Vault.open(at: target, unlock: .password(test.password))
        #expect(try vault.conversations.list().map(\.title) == ["own"])
        vault.close()
    }

    @Test("a journal while the key lock is held (a restore still running) is not touched: busy")
    func runningRestoreIsLeftAlone() throws {
        let test = try TestVault(label: "journal-busy")
        test.vault.close()
        let staged = StagingFiles.location(beside: test.location, marker: RestoreJournal.stagingMarker)
        let journal = RestoreJournal(target: test.location, staged: staged, aside: nil)
        try journal.write()
        let held = try VaultKeyManager.acquireLock(for: test.location)
        #expect {
            _ = try Vault.open(at: test.location, unlock: .password(test.password))
        } throws: { error in
            guard case VaultError.busy = error else { return false }
            return true
        }
        #expect(FileManager.default.fileExists(atPath: RestoreJournal.path(for: test.location)))
        withExtendedLifetime(held) {}
    }
}
