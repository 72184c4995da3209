import Foundation
import Testing
import SimVault
import VaultTestSupport

/// Crash safety of key changes: the real CLI is started on a 20 MB vault and
/// killed with SIGKILL after a random delay, round after round, and the
/// vault must then open (old or new key, found automatically), keep every
/// committed row, and be brought back to a clean state by `health`.
///
/// `SIMVAULT_KILL_ROUNDS` sets the rounds per loop (default 50). Each loop
/// prints its tally, so the numbers can be reported. Kill moments are
/// random (see ``runAndKill(_:_:round:wholeRun:afterChange:changed:)``);
/// the tally shows which steps were hit.
@Suite("kill -9 loops", .serialized)
struct KillLoopTests {
    static let rounds = Int(ProcessInfo.processInfo.environment["SIMVAULT_KILL_ROUNDS"] ?? "") ?? 50
    static let megabytes = 20

    @Test("rekey killed at a random moment: the vault always opens with every row, and health finishes or rolls back the rotation")
    func rekeyKillLoop() throws {
        let session = try KeyringSession(.unlocked)
        let fixture = try CLIFixture(session: session, password: true)
        let passwordFile = try #require(fixture.passwordFile)
        try VaultContents.addFiller(vaultPath: fixture.vaultPath, password: CLIFixture.password, megabytes: Self.megabytes)
        #expect((VaultLocation.size(of: fixture.vaultPath) ?? 0) >= Int64(Self.megabytes) << 20)
        let expected = try VaultContents.fingerprint(vaultPath: fixture.vaultPath, password: CLIFixture.password)
        let fillerRows = try #require(expected["filler"]?.rows)
        let arguments = ["rekey", "--password-file", passwordFile] + fixture.vault
        let duration = try Self.calibrate(session) { _ in arguments }

        var tally: [String: Int] = [:]
        var failures = 0
        for round in 1...Self.rounds {
            // Even rounds: a random moment after rekey first replaces the
            // header (the rotation record), up to the end of its run.
            let headerInode = Self.inode(fixture.headerPath)
            let status = try Self.runAndKill(
                session, arguments, round: round, wholeRun: duration, afterChange: duration * 0.5,
                changed: { Self.inode(fixture.headerPath) != headerInode })
            let pendingAfterKill = try String(contentsOfFile: fixture.headerPath, encoding: .utf8).contains("\"rotation\"")

            // As the crash left it, with nothing but the password: the
            // library finds the right key and every row is there.
            let contents = try VaultContents.fingerprint(vaultPath: fixture.vaultPath, password: CLIFixture.password)
            let intact = Self.sameRows(contents, expected)
            #expect(intact, "round \(round): rows differ after the kill: \(contents) vs \(expected)")

            // health finishes or rolls back what was interrupted; afterwards
            // nothing is left to repair and nothing failed.
            let health = try session.simvault(["health", "--json"] + fixture.vault)
            let rotation = try Self.check(named: "key rotation", in: health)
            #expect(health.status <= 1, "round \(round): health failed: \(health)")
            let again = try session.simvault(["health"] + fixture.vault)
            #expect(again.status == 0, "round \(round): health is not clean after the repair: \(again)")

            // The keyring alone opens it; one item; its key works in the stock shell.
            let check = try session.simvault(["key", "check", "--json"] + fixture.vault)
            #expect(check.status == 0 && (try? ExternalTools.json(check))?["source"] as? String == "keyring", "round \(round): \(check)")
            let key = try fixture.keyringKey(in: session)
            let shell = try ExternalTools.sqlcipher(path: fixture.vaultPath, hexKey: key, sql: "SELECT count(*) FROM filler;")
            #expect(shell.stdout == "\(fillerRows)\n", "round \(round): sqlcipher with the keyring's key: \(shell)")
            let header = try String(contentsOfFile: fixture.headerPath, encoding: .utf8)
            #expect(!header.contains("\"rotation\""), "round \(round): a rotation is still pending after health")

            if !intact || health.status > 1 || again.status != 0 || check.status != 0 { failures += 1 }
            let outcome: String
            if status == 0 {
                outcome = "rekey completed before the kill"
            } else if rotation.contains("was finished") {
                outcome = "killed after the re-encryption committed; health finished the rotation"
            } else if rotation.contains("rolled back") {
                outcome = "killed before the re-encryption committed; health rolled it back"
            } else if rotation.contains("keyring item") {
                outcome = "killed between header and keyring steps; health removed the orphaned keyring item"
            } else {
                outcome = pendingAfterKill ? "rotation pending, resolved otherwise" : "killed before the rotation was recorded (nothing changed)"
            }
            tally[outcome, default: 0] += 1
        }
        Self.report("rekey", rounds: Self.rounds, duration: duration, tally: tally, failures: failures)
        #expect(failures == 0)
    }

    @Test("key change-password killed at a random moment: exactly one of the two passwords opens, every row is kept")
    func changePasswordKillLoop() throws {
        let session = try KeyringSession(.unlocked)
        let fixture = try CLIFixture(session: session, keyring: false, password: true)
        let passwords = [CLIFixture.password, "the second password 8"]
        let files = [try #require(fixture.passwordFile), try fixture.directory.write(passwords[1] + "\n", to: "second.txt")]
        try VaultContents.addFiller(vaultPath: fixture.vaultPath, password: passwords[0], megabytes: Self.megabytes)
        let expected = try VaultContents.fingerprint(vaultPath: fixture.vaultPath, password: passwords[0])
        var current = 0
        func arguments(from old: Int) -> [String] {
            ["key", "change-password", "1", "--password-file", files[old], "--new-password-file", files[1 - old]] + fixture.vault
        }
        let duration = try Self.calibrate(session) { run in arguments(from: run % 2) }
        current = Self.calibrationRuns % 2

        var tally: [String: Int] = [:]
        var failures = 0
        for round in 1...Self.rounds {
            // Even rounds: a random moment within 20 ms of the old header
            // being linked aside, around the rename and the scrub.
            let vaultDirectory = fixture.directory.file("vault")
            func leftovers() -> Bool {
                ((try? FileManager.default.contentsOfDirectory(atPath: vaultDirectory)) ?? []).contains { $0.contains(".retired-") || $0.contains(".tmp-") }
            }
            let status = try Self.runAndKill(
                session, arguments(from: current), round: round, wholeRun: duration, afterChange: 0.02, changed: leftovers)
            let leftBehind = leftovers()
            let opens = try files.map { file in
                try session.simvault(["key", "check", "--no-keyring", "--password-file", file] + fixture.vault).status
            }
            let exactlyOne = opens.sorted() == [0, 10]
            #expect(exactlyOne, "round \(round): key check exit codes for the old and new password: \(opens)")
            let now = opens[0] == 0 ? 0 : 1
            let contents = try VaultContents.fingerprint(vaultPath: fixture.vaultPath, password: passwords[now])
            let intact = Self.sameRows(contents, expected)
            #expect(intact, "round \(round): rows differ after the kill")
            let health = try session.simvault(["health", "--no-keyring", "--password-file", files[now]] + fixture.vault)
            #expect(health.status <= 1, "round \(round): \(health)")
            #expect(!leftovers(), "round \(round): health left a superseded header copy behind")
            if !exactlyOne || !intact || health.status > 1 || leftovers() { failures += 1 }
            var outcome = now == current
                ? "old password still in place\(status == 0 ? "" : " (killed before the header was replaced)")"
                : "new password in place\(status == 0 ? " (completed before the kill)" : " (killed after the header was replaced)")"
            if leftBehind { outcome += "; a superseded header copy was left and health scrubbed it" }
            tally[outcome, default: 0] += 1
            current = now
        }
        Self.report("key change-password", rounds: Self.rounds, duration: duration, tally: tally, failures: failures)
        #expect(failures == 0)
    }

    // MARK: - Helpers

    static let calibrationRuns = 3

    /// Runs the command to completion a few times (`arguments(run)` for run
    /// 0, 1, ...) and returns the median run time: the scale of the kill
    /// delays. The median, because one run slowed by the other tests running
    /// in parallel would stretch every delay past the end of the command.
    static func calibrate(_ session: KeyringSession, _ arguments: (Int) -> [String]) throws -> Double {
        var times: [Double] = []
        for run in 0..<calibrationRuns {
            let started = Date()
            let result = try session.simvault(arguments(run))
            try #require(result.status == 0, "the uninterrupted run failed: \(result)")
            times.append(Date().timeIntervalSince(started))
        }
        return times.sorted()[times.count / 2]
    }

    /// Starts the CLI and sends it SIGKILL, returning its exit status (0 when
    /// it finished first, 137 when killed).
    ///
    /// Odd rounds: after a delay drawn uniformly from 0 to 1.2 × `wholeRun`
    /// (one uninterrupted run). Even rounds: once `changed` first holds
    /// (polled every 0.5 ms), after a delay drawn uniformly from 0 to
    /// `afterChange` seconds. A command spends most of its run
    /// starting up and deriving keys, so the even rounds make sure the steps
    /// that change files are hit often; the tally shows where kills landed.
    static func runAndKill(
        _ session: KeyringSession, _ arguments: [String], round: Int, wholeRun: Double, afterChange: Double, changed: () -> Bool
    ) throws -> Int32 {
        try runAndKill(environment: session.environment, arguments, round: round, wholeRun: wholeRun, afterChange: afterChange, changed: changed)
    }

    /// ``runAndKill(_:_:round:wholeRun:afterChange:changed:)`` outside a keyring session, or
    /// with another `program` (simvault on an explicit engine).
    static func runAndKill(
        environment: [String: String], program: String = ProjectPaths.simvaultBinary, _ arguments: [String], round: Int,
        wholeRun: Double, afterChange: Double, changed: () -> Bool
    ) throws -> Int32 {
        let child = try Subprocess(program, arguments, environment: environment, withStdin: false)
        let delay: Double
        if round.isMultiple(of: 2) {
            let deadline = Date().addingTimeInterval(60)
            while !changed(), child.poll() == nil, Date() < deadline { usleep(500) }
            delay = Double.random(in: 0...afterChange)
        } else {
            delay = Double.random(in: 0...(wholeRun * 1.2))
        }
        usleep(useconds_t(delay * 1_000_000))
        child.send(SIGKILL)
        let (status, _) = child.wait(timeout: 60)
        _ = Subprocess.readAll(child.stdoutFD)
        _ = Subprocess.readAll(child.stderrFD)
        return status
    }

    /// The inode of `path` (0 when absent): a header write renames a new
    /// file into place, so the inode changes.
    static func inode(_ path: String) -> UInt64 {
        var info = stat()
        return stat(path, &info) == 0 ? UInt64(info.st_ino) : 0
    }

    /// Every table is unchanged, except that the access log may have grown
    /// (rekey and its repair add rows).
    static func sameRows(_ actual: [String: VaultContents.TableFingerprint], _ expected: [String: VaultContents.TableFingerprint]) -> Bool {
        guard Set(actual.keys) == Set(expected.keys) else { return false }
        return expected.allSatisfy { table, fingerprint in
            table == "access_log" ? (actual[table]?.rows ?? 0) >= fingerprint.rows : actual[table] == fingerprint
        }
    }

    /// The detail of one check of `health --json`.
    static func check(named name: String, in result: ProcessResult) throws -> String {
        let checks = try #require(try ExternalTools.json(result)["checks"] as? [[String: Any]], "\(result)")
        return checks.first { $0["name"] as? String == name }?["detail"] as? String ?? ""
    }

    static func report(_ command: String, rounds: Int, duration: Double, tally: [String: Int], failures: Int, vaultMegabytes: Int = megabytes) {
        var lines = ["kill -9 loop, \(command) on a \(vaultMegabytes) MB vault: \(rounds) rounds (the median of \(calibrationRuns) uninterrupted runs took \(String(format: "%.2f", duration)) s), \(failures) unopenable or changed vaults"]
        for (outcome, count) in tally.sorted(by: { $0.value > $1.value }) { lines.append("  \(count) × \(outcome)") }
        print(lines.joined(separator: "\n"))
    }
}
