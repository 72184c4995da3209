import Foundation
import Testing
import SimVault
import VaultTestSupport

/// Crash consistency of ordinary writes and of `migrate`: a process is
/// SIGKILLed at random moments, round after round, and every commit it
/// reported must be there afterwards, in a vault that opens and passes
/// `health`. (The key-change loops are in KillLoopTests.)
///
/// `SIMVAULT_CRASH_ROUNDS` scales the rounds (default: 100 for writes, 30 for
/// migrate). Each loop prints its tally for RELIABILITY.md.
@Suite("crash consistency")
struct CrashConsistencyTests {
    static let writeRounds = Int(ProcessInfo.processInfo.environment["SIMVAULT_CRASH_ROUNDS"] ?? "") ?? 100
    static var migrateRounds: Int { max(10, writeRounds * 3 / 10) }
    static var appMigrateRounds: Int { max(6, writeRounds / 10) }
    /// Messages of the pre-migration vault (about 5 MB, so copying the
    /// backup takes long enough to be interrupted).
    static let oldMessages = 2000

    @Test("a writer killed at random moments loses no reported commit; the vault always opens and passes health")
    func writerKillLoop() throws {
        let test = try TestVault(label: "crash-write")
        let conversation = try test.vault.conversations.create(Conversation(title: "crash target"))
        test.vault.close()

        var reported = 0, present = 0, extra = 0, failures = 0, killedMidRun = 0
        for round in 1...Self.writeRounds {
            let child = try Subprocess(
                ProjectPaths.tortureBinary,
                ["write", test.location.path, test.passwordFile, conversation.id, "r\(round)", "100000", round.isMultiple(of: 3) ? "3" : "1"],
                environment: ProcessRunner.baseEnvironment, withStdin: false)
            usleep(useconds_t.random(in: 20_000...400_000))
            child.send(SIGKILL)
            let (status, _) = child.wait(timeout: 30)
            let output = String(decoding: Subprocess.readAll(child.stdoutFD), as: UTF8.self)
            _ = Subprocess.readAll(child.stderrFD)
            if status == 128 + SIGKILL { killedMidRun += 1 }
            #expect(!output.contains("error "), "round \(round): the writer failed: \(output)")
            let committed = Set(output.split(separator: "\n").compactMap { line in
                line.hasPrefix("committed ") ? String(line.dropFirst("committed ".count)) : nil
            })

            // A fresh process's view: open, read, compare.
            let vault = try test.reopen()
            let stored = try vault.read { db in
                Set(try db.fetchAll("SELECT id FROM messages WHERE id LIKE ?", ["r\(round)-%"]).map { try $0.get(0, as: String.self) })
            }
            let found = try vault.search("r\(round)", in: [.messages], limit: 5)
            vault.close()
            let missing = committed.subtracting(stored)
            #expect(missing.isEmpty, "round \(round): \(missing.count) reported commits are missing: \(missing.sorted().prefix(5))")
            #expect(committed.isEmpty || !found.isEmpty, "round \(round): the search index lost the round's messages")
            reported += committed.count
            present += committed.count - missing.count
            // A commit that landed just before the kill, unreported: allowed.
            extra += stored.subtracting(committed).count
            if !missing.isEmpty { failures += 1 }

            if round.isMultiple(of: 10) || round == Self.writeRounds {
                let health = try ProcessRunner.run(ProjectPaths.simvaultBinary, ["health"] + test.cliArguments)
                #expect(health.status == 0, "round \(round): \(health)")
                if health.status != 0 { failures += 1 }
            }
        }
        print("""
            crash loop, message writer: \(Self.writeRounds) kills (\(killedMidRun) mid-run), \(reported) commits reported, \
            \(present) present after the kills, \(extra) unreported commits also present, \(failures) failures
            """)
        #expect(killedMidRun > Self.writeRounds / 2, "most kills must land while the writer is writing")
        #expect(reported > 0 && failures == 0)
    }

    @Test("migrate killed at random moments: the vault opens at some version with every row, health passes, a rerun finishes; backups left behind are complete")
    func migrateKillLoop() throws {
        // A vault as simvault 6 left it, with data in every table migrations
        // 7... touch; its pristine files are copied for each round.
        let template = try TestVault(schemaVersion: 6, label: "crash-migrate")
        try template.vault.rawWrite("INSERT INTO conversations (id, title, created_at, updated_at) VALUES ('c1', 'Before the upgrade', 1, 1)")
        try template.vault.write { db in
            for position in 0..<Self.oldMessages {
                try db.execute(
                    "INSERT INTO messages (id, conversation_id, position, role, content, created_at, updated_at) VALUES (?, 'c1', ?, 'user', ?, 1, 1)",
                    ["m\(position)", position, "pre-migration walrus note \(position) " + String(repeating: "w", count: 2000)])
            }
        }
        template.vault.close()
        let expectedMessages = Self.oldMessages
        let scratch = try TemporaryDirectory("crash-migrate-rounds")
        func freshCopy(_ name: String) throws -> VaultLocation { try copy(of: template, into: scratch, name) }
        func migrateArguments(_ location: VaultLocation) -> [String] {
            ["migrate", "--vault", location.path, "--no-keyring", "--password-file", template.passwordFile]
        }
        // The scale of the kill delays: the median of three uninterrupted runs.
        var runs: [Double] = []
        for run in 0..<3 {
            let location = try freshCopy("calibrate\(run)")
            let started = Date()
            let result = try ProcessRunner.run(ProjectPaths.simvaultBinary, migrateArguments(location))
            try #require(result.status == 0, "\(result)")
            runs.append(Date().timeIntervalSince(started))
        }
        let duration = runs.sorted()[1]

        var tally: [String: Int] = [:]
        var failures = 0
        for round in 1...Self.migrateRounds {
            let location = try freshCopy("r\(round)")
            let directory = location.directory
            let arguments = migrateArguments(location)
            let child = try Subprocess(ProjectPaths.simvaultBinary, arguments, environment: ProcessRunner.baseEnvironment, withStdin: false)
            // A run spends most of its time starting and copying the backup,
            // so two thirds of the kills are aimed: during the backup, or
            // within 4 ms of it being published (the migrations themselves).
            let deadline = Date().addingTimeInterval(30)
            switch round % 3 {
            case 0:
                while !FileManager.default.fileExists(atPath: location.path + ".backups"), child.poll() == nil, Date() < deadline { usleep(200) }
                usleep(useconds_t(Double.random(in: 0...(duration * 0.6)) * 1_000_000))
            case 1:
                while (try? backupsLeft(beside: location))?.isEmpty != false, child.poll() == nil, Date() < deadline { usleep(100) }
                usleep(useconds_t.random(in: 0...4_000))
            default:
                usleep(useconds_t(Double.random(in: 0...(duration * 1.1)) * 1_000_000))
            }
            child.send(SIGKILL)
            let (status, _) = child.wait(timeout: 60)
            _ = Subprocess.readAll(child.stdoutFD)
            _ = Subprocess.readAll(child.stderrFD)

            // Opens, at some version between 6 and the latest, with every row.
            let vault = try Vault.open(at: location, unlock: .password(template.password))
            let version = try vault.schemaVersion()
            let messages = try vault.read { db in try db.scalar("SELECT count(*) FROM messages", as: Int.self) ?? -1 }
            vault.close()
            #expect((6...Vault.supportedSchemaVersion).contains(version), "round \(round): version \(version)")
            #expect(messages == expectedMessages, "round \(round): \(messages) messages after the kill")

            let health = try ProcessRunner.run(ProjectPaths.simvaultBinary, ["health", "--vault", location.path, "--no-keyring", "--password-file", template.passwordFile])
            #expect(health.status <= 1, "round \(round): \(health)")

            // Every backup file left in <vault>.backups is a complete one.
            let backups = try backupsLeft(beside: location)
            for backup in backups {
                let check = try ProcessRunner.run(
                    ProjectPaths.simvaultBinary, ["health", "--vault", backup, "--no-keyring", "--password-file", template.passwordFile])
                #expect(check.stdout.contains("integrity_check ok"), "round \(round): a partial backup was left at \(backup): \(check)")
                if !check.stdout.contains("integrity_check ok") { failures += 1 }
            }

            // The rerun finishes the job, and removes a partial copy a killed
            // backup left hidden.
            func hiddenPartials() -> Bool {
                ((try? FileManager.default.contentsOfDirectory(atPath: location.path + ".backups")) ?? []).contains { $0.contains(".partial-") }
            }
            let staged = hiddenPartials()
            let rerun = try ProcessRunner.run(ProjectPaths.simvaultBinary, arguments)
            #expect(!hiddenPartials(), "round \(round): a partial backup copy survived the rerun")
            #expect(rerun.status == 0, "round \(round): \(rerun)")
            let final = try Vault.open(at: location, unlock: .password(template.password))
            let finalVersion = try final.schemaVersion()
            let found = try final.read { db in
                try db.scalar("SELECT count(*) FROM messages_fts WHERE messages_fts MATCH 'walrus'", as: Int.self) ?? -1
            }
            final.close()
            #expect(finalVersion == Vault.supportedSchemaVersion)
            #expect(found == expectedMessages, "round \(round): the search index has \(found) of \(expectedMessages) messages")

            if messages != expectedMessages || health.status > 1 || rerun.status != 0 || found != expectedMessages { failures += 1 }
            let outcome = status == 0 ? "migrate completed before the kill"
                : version == 6 ? (!backups.isEmpty ? "killed after the backup, before the first migration"
                    : staged ? "killed while copying the backup (the partial copy stayed hidden)" : "killed before anything changed")
                : version == Vault.supportedSchemaVersion ? "killed after the last migration committed" : "killed between migrations (at version \(version))"
            tally[outcome, default: 0] += 1
            try FileManager.default.removeItem(atPath: directory)
        }
        print("crash loop, migrate on a \(ByteCount.format(VaultLocation.size(of: template.location.path) ?? 0)) vault (an uninterrupted run takes \(Int(duration * 1000)) ms): \(Self.migrateRounds) kills, \(failures) failures; " + tally.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", "))
        #expect(failures == 0)
    }

    @Test("app migrations killed at random moments: the history is a prefix of the app's, each step all or nothing (a rebuilt parent keeps its children), health passes, a rerun finishes")
    func appMigrateKillLoop() throws {
        let template = try TestVault(label: "crash-app-migrate")
        template.vault.close()
        let identifiers = ["create_journal", "fill_journal", "rebuild_journal", "index_journal"]
        let scratch = try TemporaryDirectory("crash-app-migrate-rounds")
        func freshCopy(_ name: String) throws -> VaultLocation { try copy(of: template, into: scratch, name) }
        func migrateApp(_ location: VaultLocation) throws -> Subprocess {
            try Subprocess(ProjectPaths.tortureBinary, ["migrate-app", location.path, template.passwordFile], environment: ProcessRunner.baseEnvironment, withStdin: false)
        }
        /// The recorded app history and what the tables hold.
        func state(_ location: VaultLocation) throws -> (applied: [String], journal: Int, tags: Int, hasMood: Bool, indexed: Int) {
            let vault = try Vault.open(at: location, unlock: .password(template.password))
            defer { vault.close() }
            let applied = try vault.migrationStatus().apps.first { $0.namespace == "org.example.torture" }?.applied.map(\.identifier) ?? []
            return try vault.read { db in
                let has = { (name: String) in try db.scalar("SELECT count(*) FROM sqlite_master WHERE name = ?", [name], as: Int.self) == 1 }
                let journal = try has("journal") ? try db.scalar("SELECT count(*) FROM journal", as: Int.self) ?? -1 : 0
                let tags = try has("tags") ? try db.scalar("SELECT count(*) FROM tags WHERE journal_id IN (SELECT id FROM journal)", as: Int.self) ?? -1 : 0
                let hasMood = try has("journal") && (try db.fetchAll("PRAGMA table_info(journal)").contains { try $0.get("name", as: String.self) == "mood" })
                let indexed = try has("journal_fts") ? try db.scalar("SELECT count(*) FROM journal_fts WHERE journal_fts MATCH 'heron'", as: Int.self) ?? -1 : 0
                return (applied, journal, tags, hasMood, indexed)
            }
        }
        let calibration = try freshCopy("calibrate")
        let started = Date()
        let calibrated = try migrateApp(calibration)
        let (calibratedStatus, _) = calibrated.wait(timeout: 120)
        let duration = Date().timeIntervalSince(started)
        try #require(calibratedStatus == 0 && (try state(calibration)).applied == identifiers)

        var tally: [String: Int] = [:]
        var failures = 0
        for round in 1...Self.appMigrateRounds {
            let location = try freshCopy("r\(round)")
            let child = try migrateApp(location)
            // Aimed at the migrations: after the backup directory appears
            // (the verified backup comes first), within most of a run (the
            // 3000-row step is the longest; the last two are short).
            let deadline = Date().addingTimeInterval(30)
            while !FileManager.default.fileExists(atPath: location.path + ".backups"), child.poll() == nil, Date() < deadline { usleep(200) }
            usleep(useconds_t(Double.random(in: 0...(duration * 0.7)) * 1_000_000))
            child.send(SIGKILL)
            _ = child.wait(timeout: 60)
            _ = Subprocess.readAll(child.stdoutFD)
            _ = Subprocess.readAll(child.stderrFD)

            let after = try state(location)
            let prefix = Array(identifiers.prefix(after.applied.count)) == after.applied
            let filled = after.applied.count >= 2
            let consistent = prefix
                && after.journal == (filled ? 3000 : 0) && after.tags == (filled ? 3000 : 0)
                && after.hasMood == (after.applied.count >= 3) && after.indexed == (after.applied.count >= 4 ? 3000 : 0)
            #expect(consistent, "round \(round): \(after)")
            let health = try ProcessRunner.run(ProjectPaths.simvaultBinary, ["health", "--vault", location.path, "--no-keyring", "--password-file", template.passwordFile])
            #expect(health.status <= 1, "round \(round): \(health)")
            let rerun = try migrateApp(location)
            let (rerunStatus, _) = rerun.wait(timeout: 120)
            let final = try state(location)
            #expect(rerunStatus == 0 && final.applied == identifiers && final.tags == 3000 && final.indexed == 3000, "round \(round): \(final)")
            if !consistent || health.status > 1 || rerunStatus != 0 || final.applied != identifiers { failures += 1 }
            tally["killed with \(after.applied.count) of 4 applied", default: 0] += 1
            try FileManager.default.removeItem(atPath: location.directory)
        }
        print("crash loop, app migrations on a vault (an uninterrupted run takes \(Int(duration * 1000)) ms): \(Self.appMigrateRounds) kills, \(failures) failures; " + tally.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", "))
        #expect(failures == 0)
    }

    /// A copy of the template vault's files in a directory of its own.
    private func copy(of template: TestVault, into scratch: TemporaryDirectory, _ name: String) throws -> VaultLocation {
        let directory = scratch.file(name)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let location = VaultLocation(path: directory + "/vault.db")
        for (source, target) in zip(template.location.allFiles, location.allFiles) where FileManager.default.fileExists(atPath: source) {
            try FileManager.default.copyItem(atPath: source, toPath: target)
        }
        return location
    }

    private func backupsLeft(beside location: VaultLocation) throws -> [String] {
        let directory = location.path + ".backups"
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return [] }
        return names.filter { $0.hasSuffix(".db") }.sorted().map { directory + "/" + $0 }
    }
}
