import Foundation
import SimVault
import Testing
import VaultTestSupport

/// `simvault backup` and `simvault restore`.
@Suite("backup and restore")
struct BackupRestoreTests {
    @Test("a backup taken while another process commits holds every row committed before it began; after restore all of them are there")
    func backupDuringConcurrentWrites() throws {
        let session = try KeyringSession(.unlocked)
        let fixture = try CLIFixture(session: session)
        let key = try fixture.keyringKey(in: session)
        let writer = try ShellWriter(session: session, path: fixture.vaultPath, hexKey: key)
        defer { writer.stop() }

        var backups: [(path: String, committedBefore: Int)] = []
        for index in 1...2 {
            let before = writer.waitForCommits(atLeast: index * 300)
            let path = fixture.directory.file("backup-\(index).db")
            let result = try fixture.run(session, ["backup", path])
            #expect(result.status == 0, "\(result)")
            backups.append((path, before))
        }
        // Restoring while the writer has the vault open is refused.
        let busy = try fixture.run(session, ["restore", backups[0].path])
        #expect(busy.status == 13 && busy.stderr.contains("another program has"), "\(busy)")
        let total = writer.finish()
        #expect(total > backups[1].committedBefore, "the writer kept committing during the backups")

        for backup in backups {
            // Consistent: the rows form an unbroken prefix 1...n, and n covers
            // every commit reported before the backup started.
            let rows = try ExternalTools.sqlcipher(path: backup.path, hexKey: key, sql: Self.writtenRowsQuery)
            let (count, highest) = try Self.parse(rows)
            #expect(count == highest && highest >= backup.committedBefore, "backup \(backup.path): \(count) rows up to \(highest), \(backup.committedBefore) committed before it")
            #expect(ExternalTools.mode(of: backup.path) == 0o600 && ExternalTools.mode(of: backup.path + ".keys") == 0o600)
            #expect(!FileManager.default.fileExists(atPath: backup.path + "-wal"), "a backup is one self-contained file")
        }
        let restore = try fixture.run(session, ["restore", backups[1].path])
        #expect(restore.status == 0, "\(restore)")
        let (count, highest) = try Self.parse(try fixture.shell(session, Self.writtenRowsQuery))
        #expect(count == highest && highest >= backups[1].committedBefore, "after restore: \(count) rows up to \(highest)")
        let health = try fixture.run(session, ["health"])
        #expect(health.status == 0 && health.stdout.contains("last backup"), "\(health)")
    }

    /// A closed vault with one conversation ("keep me") and a backup of it.
    static func vaultWithBackup(label: String) throws -> (TestVault, String) {
        let test = try TestVault(label: label)
        try test.vault.conversations.create(Conversation(title: "keep me"))
        test.vault.close()
        let backup = test.directory.file("backup.db")
        try test.cliOK(["backup", backup])
        return (test, backup)
    }

    private static let writtenRowsQuery = "SELECT count(*) || ' ' || coalesce(max(CAST(value AS INTEGER)), 0) FROM settings WHERE key LIKE 'writer.%';"

    private static func parse(_ result: ProcessResult) throws -> (Int, Int) {
        let parts = result.stdout.split(whereSeparator: \.isWhitespace).compactMap { Int($0) }
        try #require(result.status == 0 && parts.count == 2, "\(result)")
        return (parts[0], parts[1])
    }

    @Test("a damaged backup is refused before anything is touched: the vault stays byte for byte the same", arguments: BrokenBackup.allCases)
    func brokenBackupRefused(_ damage: BrokenBackup) throws {
        let (test, backup) = try Self.vaultWithBackup(label: "restore-bad")
        try test.cliOK(["sql", "--write", "INSERT INTO conversations (id, title, created_at, updated_at) VALUES ('after', 'after the backup', 1, 1)"])
        try damage.apply(to: backup, in: test.directory)
        let listing = try FileManager.default.contentsOfDirectory(atPath: test.location.directory)
        try test.expectRefused(["restore", backup], vaultArguments: damage.arguments(test), status: damage.exitCode, mentioning: damage.message)
        #expect(try FileManager.default.contentsOfDirectory(atPath: test.location.directory) == listing, "a refused restore left files behind")
        #expect(try test.sqlValue("SELECT count(*) FROM conversations") == "2")
    }

    @Test("restore keeps the replaced vault aside, refuses another vault's backup unless allowed, and recreates a lost vault")
    func restoreCases() throws {
        let (test, backup) = try Self.vaultWithBackup(label: "restore")
        try test.cliOK(["sql", "--write", "DELETE FROM conversations"])

        let restored = try ExternalTools.json(try test.cliOK(["restore", backup, "--json"]))
        #expect(try test.sqlValue("SELECT title FROM conversations") == "keep me")
        let kept = try #require(restored["replaced_vault_kept_at"] as? String)
        let keptVault = try ProcessRunner.run(ProjectPaths.simvaultBinary, ["sql", "SELECT count(*) FROM conversations", "--vault", kept, "--password-file", test.passwordFile, "--no-keyring"])
        #expect(keptVault.stdout == "count(*)\n0\n", "the replaced vault is kept, complete and openable: \(keptVault)")
        #expect(!FileManager.default.fileExists(atPath: test.location.path + ".restore-journal"))

        // Another vault's backup.
        let other = try TestVault(label: "restore-other")
        try other.vault.conversations.create(Conversation(title: "other"))
        other.vault.close()
        let otherBackup = other.directory.file("other.db")
        try other.cliOK(["backup", otherBackup])
        let before = test.fileBytes()
        let refused = try test.cli(["restore", otherBackup])
        #expect(refused.status == 64 && refused.stderr.contains("--allow-other-vault") && refused.stderr.contains(other.vault.vaultID), "\(refused)")
        #expect(test.fileBytes() == before)
        let replaced = try ExternalTools.json(try test.cliOK(["restore", otherBackup, "--allow-other-vault", "--json"]))
        #expect(replaced["replaced_vault_id"] as? String == test.vault.vaultID)
        #expect(try test.sqlValue("SELECT title FROM conversations") == "other")

        // A lost vault (database and header gone) comes back from its backup.
        for file in test.location.allFiles { unlink(file) }
        let lost = try ExternalTools.json(try test.cliOK(["restore", backup, "--json", "--allow-other-vault"]))
        #expect(lost["replaced_vault_kept_at"] == nil)
        #expect(try test.sqlValue("SELECT title FROM conversations") == "keep me")
    }

    @Test("restoring while an app has the vault open is refused (exit 13) and changes nothing")
    func busyVault() throws {
        let test = try TestVault(label: "restore-busy")
        try test.vault.conversations.create(Conversation(title: "open"))
        let backup = test.directory.file("b.db")
        try test.cliOK(["backup", backup])
        let before = [test.location.path, test.location.headerPath].map { test.bytes(of: $0) }
        let result = try test.cli(["restore", backup])
        #expect(result.status == 13, "\(result)")
        #expect([test.location.path, test.location.headerPath].map { test.bytes(of: $0) } == before)
        #expect(try test.vault.conversations.list().count == 1, "the app's connection still works")
        test.vault.close()
        try test.cliOK(["restore", backup])
    }

    @Test("backup --auto: one a day, --force for more, rotation keeps the newest N and touches nothing else; health reports the age")
    func automaticBackups() throws {
        let test = try TestVault(label: "auto")
        test.vault.close()
        let directory = test.directory.file("daily")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let unrelated = ["notes.txt", "vault-00000000-20200101T000000000Z.db"].map { directory + "/" + $0 }
        for file in unrelated { FileManager.default.createFile(atPath: file, contents: Data("x".utf8)) }

        let first = try ExternalTools.json(try test.cliOK(["backup", "--auto", directory, "--keep", "2", "--json"]))
        #expect(first["created"] != nil)
        let second = try ExternalTools.json(try test.cliOK(["backup", "--auto", directory, "--keep", "2", "--json"]))
        #expect(second["created"] == nil && second["existing_today"] as? String != nil, "one backup a day: \(second)")
        try test.cliOK(["backup", "--auto", directory, "--keep", "2", "--force"])
        let last = try ExternalTools.json(try test.cliOK(["backup", "--auto", directory, "--keep", "2", "--force", "--json"]))
        #expect((last["removed"] as? [String])?.count == 1 && (last["kept"] as? [String])?.count == 2, "\(last)")
        let files = try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
        #expect(files.filter { $0.hasSuffix(".db") }.count == 3 && files.filter { $0.hasSuffix(".db.keys") }.count == 2, "\(files)")
        for file in unrelated { #expect(FileManager.default.fileExists(atPath: file), "rotation deleted \(file)") }
        for file in files where file.hasSuffix(".keys") { #expect(ExternalTools.mode(of: directory + "/" + file) == 0o600) }

        // Restoring from the directory takes the newest backup of this vault.
        let restored = try ExternalTools.json(try test.cliOK(["restore", directory, "--json"]))
        #expect(restored["restored_from"] as? String == (last["created"] as? [String: Any])?["path"] as? String)

        let health = try test.cli(["health"])
        #expect(health.status == 0 && health.stdout.contains("ok      backup       last backup"), "\(health)")
        let old = Int64(Date().timeIntervalSince1970 * 1000) - 12 * 86_400_000
        let aged = try test.reopen()
        try aged.rawWrite("UPDATE vault_meta SET value = ? WHERE key = 'last_backup_at'", [String(old)])
        aged.close()
        let stale = try test.cli(["health"])
        #expect(stale.status == 1 && stale.stdout.contains("last backup 12 days ago") && stale.stdout.contains("simvault backup"), "\(stale)")
    }

    @Test("a backup restored on another machine (another keyring) opens with the recovery code, and restore puts its key into that keyring")
    func restoreIntoAnotherKeyring() throws {
        let first = try KeyringSession(.unlocked)
        let fixture = try CLIFixture(session: first)
        let backup = fixture.directory.file("portable.db")
        #expect(try fixture.run(first, ["backup", backup]).status == 0)

        let second = try KeyringSession(.unlocked)
        let target = fixture.directory.file("elsewhere/vault.db")
        let withoutCode = try second.simvault(["restore", backup, "--vault", target])
        #expect(withoutCode.status == 11, "no key source in the new keyring: \(withoutCode)")
        let restored = try second.simvault(["restore", backup, "--vault", target, "--recovery-code-file", fixture.recoveryCodeFile, "--json"])
        #expect(restored.status == 0, "\(restored)")
        #expect((try ExternalTools.json(restored)["keyring_note"] as? String)?.contains("stored") == true, "\(restored.stdout)")
        let check = try second.simvault(["key", "check", "--vault", target])
        #expect(check.status == 0 && check.stdout.contains("keyring"), "the restored vault opens from the new keyring: \(check)")
    }

    @Test("progress is drawn on a terminal")
    func progressOnTerminal() throws {
        let test = try TestVault(label: "progress")
        test.vault.close()
        let transcript = try PseudoTerminal.run(
            ProjectPaths.simvaultBinary, ["backup", test.directory.file("p.db")] + test.cliArguments,
            environment: ProcessRunner.baseEnvironment, answers: [])
        #expect(transcript.status == 0 && transcript.screen.contains("backup: copying") && transcript.screen.contains("%"), "\(transcript.screen)")
    }
}

/// Ways a backup can be unusable.
enum BrokenBackup: String, CaseIterable, CustomTestStringConvertible {
    case flippedByte, truncated, missingHeader, headerOfAnotherVault, wrongPassword, inUse, newerSchema

    var testDescription: String { rawValue }

    var exitCode: Int32 {
        switch self {
        case .flippedByte, .truncated, .headerOfAnotherVault: return 12
        case .missingHeader: return 15
        case .wrongPassword: return 10
        case .inUse: return 64
        case .newerSchema: return 14
        }
    }

    var message: String {
        switch self {
        case .flippedByte, .truncated: return "cannot be restored"
        case .headerOfAnotherVault: return "Nothing was changed"
        case .missingHeader: return "key header"
        case .wrongPassword: return "password"
        case .inUse: return "write-ahead log"
        case .newerSchema: return "newer than this simvault"
        }
    }

    /// The vault and key arguments of the restore.
    func arguments(_ test: TestVault) -> [String] {
        // With another vault's header the backup is of "another vault"; let
        // the restore go on to find that its database does not decrypt.
        if self == .headerOfAnotherVault { return test.cliArguments + ["--allow-other-vault"] }
        guard self == .wrongPassword else { return test.cliArguments }
        return ["--vault", test.location.path, "--no-keyring", "--password-file", test.directory.file("wrong-password.txt")]
    }

    func apply(to backup: String, in directory: TemporaryDirectory) throws {
        switch self {
        case .flippedByte:
            try ExternalTools.flipByte(in: backup, at: 4096 * 20 + 700)
        case .truncated:
            let handle = try #require(FileHandle(forWritingAtPath: backup))
            try handle.truncate(atOffset: UInt64((VaultLocation.size(of: backup) ?? 0) / 2 + 100))
            try handle.close()
        case .missingHeader:
            unlink(backup + ".keys")
        case .headerOfAnotherVault:
            let other = try TestVault(label: "other-header")
            other.vault.close()
            unlink(backup + ".keys")
            try FileManager.default.copyItem(atPath: other.location.headerPath, toPath: backup + ".keys")
        case .wrongPassword:
            try directory.write("not the password\n", to: "wrong-password.txt")
        case .inUse:
            FileManager.default.createFile(atPath: backup + "-wal", contents: Data(repeating: 1, count: 100))
        case .newerSchema:
            let vault = try Vault.open(at: VaultLocation(path: backup), unlock: .password(Self.password()))
            try vault.rawWrite("PRAGMA user_version = \(Vault.supportedSchemaVersion + 1)")
            vault.close()
        }
    }

    private static func password() -> SecretBytes {
        var bytes = Array(TestVault.passwordText.utf8)
        return SecretBytes(consuming: &bytes)
    }
}

/// A stock `sqlcipher` shell that inserts rows into the vault one
/// transaction at a time and prints `committed N` after each commit, fed a
/// statement every few milliseconds until stopped.
private final class ShellWriter: @unchecked Sendable {
    // @unchecked Sendable: `committed` and `stopped` are touched under `lock`.
    private let process: Subprocess
    private let lock = NSCondition()
    private var committed = 0
    private var stopped = false
    private var finished = false

    init(session: KeyringSession, path: String, hexKey: String) throws {
        let shell = try #require(ProcessRunner.which("sqlcipher"))
        process = try Subprocess(shell, ["-batch", path], environment: session.environment, withStdin: true)
        let stdinFD = try #require(process.stdinFD)
        let prelude = "PRAGMA key = \"x'\(hexKey)'\";\nPRAGMA cipher_page_size = 4096;\n.timeout 60000\n.bail on\n"
        Thread.detachNewThread { [self] in
            _ = prelude.withCString { write(stdinFD, $0, strlen($0)) }
            var row = 0
            while !self.isStopped {
                row += 1
                let statement = "INSERT INTO settings (key, value, value_type, updated_at) VALUES ('writer.\(row)', '\(row)', 'integer', 1); SELECT 'committed ' || \(row);\n"
                if statement.withCString({ write(stdinFD, $0, strlen($0)) }) < 0 { break }
                usleep(1500)
            }
            close(stdinFD)
        }
        let stdoutFD = process.stdoutFD
        Thread.detachNewThread { [self] in
            let handle = FileHandle(fileDescriptor: stdoutFD, closeOnDealloc: true)
            var pending = ""
            while let chunk = try? handle.read(upToCount: 4096), !chunk.isEmpty {
                pending += String(decoding: chunk, as: UTF8.self)
                while let newline = pending.firstIndex(of: "\n") {
                    let line = pending[..<newline]
                    pending = String(pending[pending.index(after: newline)...])
                    if line.hasPrefix("committed "), let number = Int(line.dropFirst(10)) {
                        lock.lock(); committed = max(committed, number); lock.broadcast(); lock.unlock()
                    }
                }
            }
            lock.lock(); finished = true; lock.broadcast(); lock.unlock()
        }
    }

    private var isStopped: Bool { lock.lock(); defer { lock.unlock() }; return stopped }

    /// Blocks until `count` commits were reported (or the writer ended);
    /// returns the number reported.
    func waitForCommits(atLeast count: Int) -> Int {
        lock.lock(); defer { lock.unlock() }
        while committed < count, !finished { lock.wait() }
        return committed
    }

    /// Stops feeding statements, waits for the shell to exit, and returns the
    /// number of commits it reported.
    func finish() -> Int {
        stop()
        _ = process.wait(timeout: 120)
        lock.lock(); defer { lock.unlock() }
        while !finished { lock.wait() }
        return committed
    }

    func stop() {
        lock.lock(); stopped = true; lock.unlock()
    }
}
