import Foundation
import SimVault
import Testing
import VaultTestSupport

/// Crash safety of getting data in and out: `backup`, `restore` and
/// `import conversations` are started on real vaults and killed with SIGKILL
/// after a random delay, round after round (see ``KillLoopTests`` for the
/// kill moments). After every kill the vault must open with every committed
/// row, show either all or none of what the command was doing, and pass
/// `health`.
///
/// `SIMVAULT_TRANSFER_KILL_ROUNDS` sets the rounds per loop (default 30).
@Suite("kill -9 loops: backup, restore, import", .serialized)
struct TransferKillLoopTests {
    static let rounds = Int(ProcessInfo.processInfo.environment["SIMVAULT_TRANSFER_KILL_ROUNDS"] ?? "") ?? 30
    static let megabytes = 8
    /// The tables the commands below must keep or replace as a whole.
    static let dataTables = ["users", "agents", "conversations", "messages", "attachments", "filler"]

    @Test("backup killed at a random moment: the vault keeps every row; the backup is complete and opens, or is not there")
    func backupKillLoop() throws {
        let test = try TestVault(label: "kill-backup")
        try VaultContents.addFiller(to: test.vault, megabytes: Self.megabytes)
        test.vault.close()
        let expected = try Self.data(test)
        let out = test.directory.file("backups")
        let duration = try Self.calibrate { run in ["backup", out + "/calibration-\(run).db"] + test.cliArguments }

        var tally: [String: Int] = [:]
        var failures = 0
        for round in 1...Self.rounds {
            let destination = VaultLocation(path: out + "/round-\(round).db")
            let status = try KillLoopTests.runAndKill(
                environment: ProcessInfo.processInfo.environment, ["backup", destination.path] + test.cliArguments,
                round: round, wholeRun: duration, afterChange: duration,
                changed: { Self.hasStaging(in: out, marker: ".partial-") })

            let vaultIntact = try Self.data(test) == expected
            #expect(vaultIntact, "round \(round): the vault's rows changed")
            let health = try test.cli(["health", "--json"])
            #expect(health.status <= 1, "round \(round): \(health)")

            let outcome: String
            var backupSound = true
            if destination.databaseExists {
                // A database under a backup's name is complete and verified.
                backupSound = (try? Self.data(path: destination.path)) == expected
                    && FileManager.default.fileExists(atPath: destination.headerPath)
                #expect(backupSound, "round \(round): \(destination.path) is not a complete backup")
                outcome = status == 0 ? "backup completed before the kill" : "killed after the backup was published"
            } else if FileManager.default.fileExists(atPath: destination.headerPath) {
                outcome = "killed between publishing the header and the database: no backup under the name (its header alone)"
            } else {
                outcome = "killed before the backup was published: nothing under its name"
            }
            tally[outcome, default: 0] += 1
            if !vaultIntact || health.status > 1 || !backupSound { failures += 1 }
        }
        // The next backup removes what killed ones left under hidden names.
        try test.cliOK(["backup", out + "/after.db"])
        #expect(!Self.hasStaging(in: out, marker: ".partial-"), "staging files of killed backups were left behind")
        for file in ExternalTools.filesUnder(out) {
            #expect(ExternalTools.mode(of: file) == 0o600, "\(file) is not 0600")
        }
        KillLoopTests.report("backup", rounds: Self.rounds, duration: duration, tally: tally, failures: failures, vaultMegabytes: Self.megabytes)
        #expect(failures == 0)
    }

    @Test("restore killed at a random moment: the vault opens holding either its own rows or the backup's, never a mix, never missing")
    func restoreKillLoop() throws {
        let test = try TestVault(label: "kill-restore")
        try VaultContents.addFiller(to: test.vault, megabytes: Self.megabytes)
        test.vault.close()
        let backup = test.directory.file("backup.db")
        try test.cliOK(["backup", backup])
        let backupData = try Self.data(test)
        // The vault moves on after the backup: a conversation the backup lacks.
        try Self.addConversation(test, title: "after the backup")
        let vaultData = try Self.data(test)
        #expect(vaultData != backupData)
        let baseline = try Self.saveBaseline(test)
        let duration = try Self.calibrate { _ in
            try Self.resetToBaseline(test, baseline)
            return ["restore", backup] + test.cliArguments
        }

        var tally: [String: Int] = [:]
        var failures = 0
        for round in 1...Self.rounds {
            try Self.resetToBaseline(test, baseline)
            let journal = test.location.path + ".restore-journal"
            let status = try KillLoopTests.runAndKill(
                environment: ProcessInfo.processInfo.environment, ["restore", backup] + test.cliArguments,
                round: round, wholeRun: duration, afterChange: 0.01,
                changed: { FileManager.default.fileExists(atPath: journal) })

            // The next command settles an interrupted restore by itself.
            let health = try test.cli(["health", "--json"])
            #expect(health.status <= 1, "round \(round): \(health)")
            let files = try KillLoopTests.check(named: "files", in: health)
            let now = try? Self.data(test)
            let whole = now == vaultData || now == backupData
            #expect(whole, "round \(round): the vault holds neither its own rows nor the backup's")
            #expect(!FileManager.default.fileExists(atPath: journal), "round \(round): the restore journal is still there")
            let again = try test.cli(["health"])
            #expect(again.status <= 1, "round \(round): health after settling: \(again)")

            let which = now == backupData ? "the backup's rows" : "its own rows"
            let outcome: String
            if status == 0 {
                outcome = "restore completed before the kill"
            } else if files.contains("rolled back") {
                outcome = "killed while swapping files; the next command rolled it back (\(which))"
            } else if files.contains("completed") {
                outcome = "killed after the swap; the next command completed it (\(which))"
            } else if now == backupData {
                outcome = "killed after the restore was done (the backup's rows)"
            } else {
                outcome = "killed before the vault's files were touched (its own rows)"
            }
            tally[outcome, default: 0] += 1
            if !whole || health.status > 1 || again.status > 1 { failures += 1 }
        }
        try Self.resetToBaseline(test, baseline)
        try test.cliOK(["restore", backup])
        let leftovers = ((try? FileManager.default.contentsOfDirectory(atPath: test.location.directory)) ?? []).filter { $0.contains(".restoring-") }
        #expect(leftovers.isEmpty, "staging files of killed restores were left behind: \(leftovers)")
        KillLoopTests.report("restore", rounds: Self.rounds, duration: duration, tally: tally, failures: failures, vaultMegabytes: Self.megabytes)
        #expect(failures == 0)
    }

    @Test("import conversations killed at a random moment: all of the file or none of it, every earlier row kept")
    func importKillLoop() throws {
        // The file: an export of a vault with 300 conversations.
        let source = try TestVault(label: "kill-import-source")
        for index in 0..<300 {
            let chat = try source.vault.conversations.create(Conversation(title: "imported \(index)"))
            for turn in 0..<10 {
                try source.vault.messages.append(to: chat.id, role: turn % 2 == 0 ? .user : .assistant, content: String(repeating: "message \(index)-\(turn) ", count: 40))
            }
        }
        source.vault.close()
        let file = source.directory.file("export.json")
        try source.cliOK(["export", "all", "-o", file])

        let test = try TestVault(label: "kill-import")
        test.vault.close()
        try Self.addConversation(test, title: "already here")
        let before = try Self.data(test)
        let baseline = try Self.saveBaseline(test)
        let duration = try Self.calibrate { _ in
            try Self.resetToBaseline(test, baseline)
            return ["import", "conversations", file] + test.cliArguments
        }
        let after = try Self.data(test)
        #expect(after["conversations"]?.rows == 301)

        let (tally, failures) = try Self.importKillRounds(
            Self.rounds, test, baseline, ["import", "conversations", file] + test.cliArguments,
            environment: ProcessInfo.processInfo.environment, duration: duration, before: before, after: after) { try Self.data(test) }
        KillLoopTests.report("import conversations (300 conversations, 3,000 messages)", rounds: Self.rounds, duration: duration, tally: tally, failures: failures, vaultMegabytes: 0)
        #expect(failures == 0)
    }

    // MARK: - Helpers

    /// Rounds of an import killed at a random moment, each from `baseline`:
    /// the vault (as `data` sees it) must hold what it held `before` or
    /// everything it holds `after` an uninterrupted import, and pass
    /// `health`. Returns the tally of where the kills landed and the number
    /// of failed rounds.
    static func importKillRounds(
        _ rounds: Int, _ test: TestVault, _ baseline: (database: Data, header: Data), _ arguments: [String],
        environment: [String: String], duration: Double, before: [String: VaultContents.TableFingerprint],
        after: [String: VaultContents.TableFingerprint], data: () throws -> [String: VaultContents.TableFingerprint]
    ) throws -> (tally: [String: Int], failures: Int) {
        var tally: [String: Int] = [:]
        var failures = 0
        for round in 1...rounds {
            try resetToBaseline(test, baseline)
            let status = try KillLoopTests.runAndKill(
                environment: environment, arguments,
                // Even rounds reach past the commit too (a killed import that
                // finished must show all of it).
                round: round, wholeRun: duration, afterChange: duration * 1.6, changed: { true })
            let now = try? data()
            let whole = now == before || now == after
            #expect(whole, "round \(round): a part of the import is in the vault, or earlier rows are missing")
            let health = try test.cli(["health"])
            #expect(health.status <= 1, "round \(round): \(health)")
            let outcome = status == 0 ? "import completed before the kill"
                : now == after ? "killed after the import committed: all of it is there"
                : "killed before the import committed: none of it is there"
            tally[outcome, default: 0] += 1
            if !whole || health.status > 1 { failures += 1 }
        }
        return (tally, failures)
    }

    /// Fingerprints of the data tables, opening the vault with its password.
    static func data(_ test: TestVault) throws -> [String: VaultContents.TableFingerprint] {
        try data(path: test.location.path)
    }

    static func data(path: String) throws -> [String: VaultContents.TableFingerprint] {
        try VaultContents.fingerprint(vaultPath: path, password: TestVault.passwordText).filter { dataTables.contains($0.key) }
    }

    static func addConversation(_ test: TestVault, title: String) throws {
        let vault = try test.reopen()
        defer { vault.close() }
        let chat = try vault.conversations.create(Conversation(title: title))
        try vault.messages.append(to: chat.id, role: .user, content: "a message written after the backup")
    }

    /// Copies of the closed vault's database and header.
    static func saveBaseline(_ test: TestVault) throws -> (database: Data, header: Data) {
        (try Data(contentsOf: URL(fileURLWithPath: test.location.path)), try Data(contentsOf: URL(fileURLWithPath: test.location.headerPath)))
    }

    /// Puts the vault back to `baseline` and removes what earlier rounds
    /// made beside it (replaced vaults kept by restore, WAL, SHM).
    static func resetToBaseline(_ test: TestVault, _ baseline: (database: Data, header: Data)) throws {
        let location = test.location
        for file in [location.walPath, location.shmPath, location.path + ".restore-journal"] { unlink(file) }
        try? FileManager.default.removeItem(atPath: location.path + ".backups")
        for (data, path) in [(baseline.database, location.path), (baseline.header, location.headerPath)] {
            unlink(path)
            try data.write(to: URL(fileURLWithPath: path))
            chmod(path, 0o600)
        }
    }

    /// Median time of three uninterrupted runs of `arguments(run)`.
    static func calibrate(_ arguments: (Int) throws -> [String]) throws -> Double {
        var times: [Double] = []
        for run in 0..<3 {
            let command = try arguments(run)
            let started = Date()
            let result = try ProcessRunner.run(ProjectPaths.simvaultBinary, command)
            try #require(result.status == 0, "the uninterrupted run failed: \(result)")
            times.append(Date().timeIntervalSince(started))
        }
        return times.sorted()[1]
    }

    static func hasStaging(in directory: String, marker: String) -> Bool {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).contains { $0.contains(marker) }
    }
}
