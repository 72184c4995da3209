import Foundation
import SimVault
import Testing
import VaultTestSupport

/// A forged `<vault>.restore-journal`, as someone who can write to the
/// vault's directory would plant it. Every command that opens the vault
/// settles a journal, so each forgery is tried with `info`, `sql`, `health`
/// and `restore`: each must refuse (exit 12, `health` 2) saying the journal
/// was not written by simvault, and leave the vault, the journal and every
/// file outside the vault's directory byte for byte as they were.
///
/// On the old code (only `target` checked) the first forgery moved the
/// "SSH key" over the vault's header, and the second deleted a file
/// outside the vault.
@Suite("forged restore journals")
struct RestoreJournalForgeryTests {
    @Test("a forged journal is refused by info, sql, health and restore; nothing is moved", arguments: ForgedJournal.allCases)
    func forgedJournalRefused(_ forgery: ForgedJournal) throws {
        let test = try TestVault(label: "journal-forged")
        try test.vault.conversations.create(Conversation(title: "mine"))
        test.vault.close()
        let backup = test.directory.file("backup.db")
        try test.cliOK(["backup", backup])
        var decoys = try Decoys(in: test.directory)
        let scene = try JournalScene(test: test, decoys: &decoys)
        try forgery.plant(scene, decoys: &decoys)
        let journal = scene.journalPath
        let journalBefore = try Self.snapshot(journal)

        for command in [["info"], ["sql", "SELECT count(*) FROM conversations"], ["restore", backup]] {
            try test.expectRefused(command, status: 12, mentioning: forgery.message)
            decoys.expectUnchanged("\(forgery) / \(command[0])")
            #expect(try Self.snapshot(journal) == journalBefore, "\(command[0]) changed or removed the journal")
        }
        let before = test.fileBytes()
        let health = try test.cli(["health"])
        #expect(health.status == 2 && health.stdout.contains("failed  files") && health.stdout.contains(forgery.message), "\(health)")
        #expect(test.fileBytes() == before)
        decoys.expectUnchanged("\(forgery) / health")
        #expect(try Self.snapshot(journal) == journalBefore)

        // What the message says to do works: with the journal gone, the
        // vault opens with its own rows.
        unlink(journal)
        #expect(try test.sqlValue("SELECT title FROM conversations") == "mine")
    }

    /// The journal as it lies: a link's target, or the file's bytes.
    private static func snapshot(_ path: String) throws -> String {
        if let target = try? FileManager.default.destinationOfSymbolicLink(atPath: path) { return "link to \(target)" }
        return try #require(FileManager.default.contents(atPath: path)).base64EncodedString()
    }
}

/// The vault's directory and the names a real restore of it would use.
struct JournalScene {
    let test: TestVault
    let sshKey: String
    let notes: String
    var vault: String { test.location.path }
    var vaultDirectory: String { test.location.directory }
    var journalPath: String { vault + ".restore-journal" }
    /// A staging name exactly as a restore makes it (pid, 8 hex digits).
    var stagedName: String { vaultDirectory + "/.vault.db.restoring-4242-0123abcd" }
    var asideName: String { vault + ".backups/vault-replaced-20260101T000000000Z.db" }
    var savedHeaderName: String { vault + ".keys.before-restore" }

    init(test: TestVault, decoys: inout Decoys) throws {
        self.test = test
        sshKey = try decoys.make("id_ed25519", "-----BEGIN OPENSSH PRIVATE KEY-----\nstand-in for the user's key\n")
        notes = try decoys.make("notes.txt")
    }

    /// Writes a journal naming these files (JSON as simvault writes it).
    func writeJournal(target: String? = nil, staged: String? = nil, aside: String? = nil, savedHeader: String? = nil, to path: String? = nil) throws {
        let object: [String: Any] = [
            "target": target ?? vault, "staged": staged ?? stagedName, "saved_header": savedHeader ?? savedHeaderName,
            "aside": aside ?? NSNull(), "note": "A `simvault restore` of \(vault) is in progress or was interrupted.",
        ]
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        try data.write(to: URL(fileURLWithPath: path ?? journalPath))
        chmod(path ?? journalPath, 0o600)
    }

    /// A regular file under the staging name, so the old code rolls back.
    func plantStagedFile() throws {
        try #require(FileManager.default.createFile(atPath: stagedName, contents: Data("staged".utf8), attributes: [.posixPermissions: 0o600]))
    }
}

/// Ways to forge a journal.
enum ForgedJournal: String, CaseIterable, CustomTestStringConvertible {
    /// `saved_header` is the user's SSH key: the old code renamed it over
    /// the vault's header.
    case savedHeaderIsOutside
    /// `staged` is a file outside: the old code deleted it.
    case stagedIsOutside
    /// `staged` climbs out with `..`.
    case stagedClimbsOut
    /// `aside` is outside the vault's `.backups` directory.
    case asideIsOutside
    /// `aside` climbs out of `.backups` with `..`.
    case asideClimbsOut
    /// `target` is another file.
    case targetIsAnotherFile
    /// Every name right, but the saved header's name is a link to the SSH
    /// key: the old code renamed the link over the vault's header.
    case savedHeaderIsALink
    /// The journal itself is a link to a forged journal elsewhere.
    case journalIsALink
    /// `.backups` is a link to a directory outside.
    case backupsDirectoryIsALink
    /// A journal with the right names, owned by another user.
    case journalOfAnotherUser
    /// Not JSON.
    case journalIsGarbage

    var testDescription: String { rawValue }

    var message: String {
        switch self {
        case .savedHeaderIsOutside, .stagedIsOutside, .stagedClimbsOut, .asideIsOutside, .asideClimbsOut, .targetIsAnotherFile:
            return "was not written by simvault"
        case .savedHeaderIsALink: return "would have moved it"
        case .journalIsALink, .journalOfAnotherUser, .journalIsGarbage: return "not a restore journal simvault wrote"
        case .backupsDirectoryIsALink: return ".backups: it is a symbolic link"
        }
    }

    func plant(_ scene: JournalScene, decoys: inout Decoys) throws {
        switch self {
        case .savedHeaderIsOutside:
            try scene.plantStagedFile()
            try scene.writeJournal(savedHeader: scene.sshKey)
        case .stagedIsOutside:
            try scene.writeJournal(staged: scene.notes, savedHeader: scene.sshKey)
        case .stagedClimbsOut:
            try scene.writeJournal(staged: scene.vaultDirectory + "/../outside/notes.txt")
        case .asideIsOutside:
            let outside = try decoys.make("vault-replaced-20260101T000000000Z.db")
            try scene.plantStagedFile()
            try scene.writeJournal(aside: outside)
        case .asideClimbsOut:
            try decoys.make("vault-replaced-20260101T000000000Z.db")
            try scene.plantStagedFile()
            try scene.writeJournal(aside: scene.vault + ".backups/../../outside/vault-replaced-20260101T000000000Z.db")
        case .targetIsAnotherFile:
            try scene.writeJournal(target: scene.sshKey)
        case .savedHeaderIsALink:
            try scene.plantStagedFile()
            try #require(symlink(scene.sshKey, scene.savedHeaderName) == 0)
            try scene.writeJournal()
        case .journalIsALink:
            let elsewhere = decoys.absent("journal.json")
            try scene.writeJournal(savedHeader: scene.sshKey, to: elsewhere)
            let bytes = try #require(FileManager.default.contents(atPath: elsewhere))
            unlink(elsewhere)
            try decoys.make("journal.json", String(decoding: bytes, as: UTF8.self))
            try scene.plantStagedFile()
            try #require(symlink(elsewhere, scene.journalPath) == 0)
        case .backupsDirectoryIsALink:
            try decoys.make("vault-replaced-20260101T000000000Z.db")
            try #require(symlink(decoys.directory, scene.vault + ".backups") == 0)
            try scene.plantStagedFile()
            try scene.writeJournal(aside: scene.asideName)
        case .journalOfAnotherUser:
            try scene.plantStagedFile()
            try scene.writeJournal()
            try #require(chown(scene.journalPath, 65534, 65534) == 0, "the tests run as root to hand a file to another user")
        case .journalIsGarbage:
            try #require(FileManager.default.createFile(atPath: scene.journalPath, contents: Data("{\"target\": ".utf8)))
        }
    }
}
