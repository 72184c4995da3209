import Foundation
import Testing
import SimVault
import VaultTestSupport

/// Crash safety of `rekey --cipher-compat`, which copies the database into a
/// new file and renames it over the old one: the real CLI on SQLCipher 4 is
/// killed with SIGKILL at random moments while it moves an 8 MB vault
/// between compatibility 3 and 4, round after round. Each time the vault
/// must open as the crash left it with the password alone (the key and the
/// settings the header records for it), keep every row, be settled by
/// `health`, and then open from outside with exactly the settings its header
/// names: a SQLCipher 4 client with `cipher_compatibility = N`, and for N = 3
/// the stock SQLCipher 3.4.1 shell.
///
/// `SIMVAULT_CIPHER_KILL_ROUNDS` sets the rounds (default 12); the tally of
/// where kills landed is printed.
@Suite("kill -9 loop: rekey --cipher-compat", .serialized, .enabled(if: TestEngine.isSQLCipher4Available, "SQLCipher 4 is provided by scripts/with-sqlcipher4 (make test)"))
struct CipherChangeKillLoopTests {
    static let rounds = Int(ProcessInfo.processInfo.environment["SIMVAULT_CIPHER_KILL_ROUNDS"] ?? "") ?? 12
    static let megabytes = 8

    @Test("rekey --cipher-compat killed at a random moment: the vault opens with every row under the settings its header names, and health settles it")
    func cipherChangeKillLoop() throws {
        let session = try KeyringSession(.unlocked)
        let fixture = try CLIFixture(session: session, password: true, engine: .sqlcipher3)
        let passwordFile = try #require(fixture.passwordFile)
        try VaultContents.addFiller(vaultPath: fixture.vaultPath, password: CLIFixture.password, megabytes: Self.megabytes)
        let rowsQuery = "SELECT count(*) || '/' || sum(length(payload)) || '/' || sum(id) FROM filler"
        let password = ["--no-keyring", "--password-file", passwordFile]
        let expected = try session.simvault(["sql", rowsQuery] + password + fixture.vault, on: .sqlcipher3).stdout
        try #require(expected.contains("/"), "\(expected)")

        func rekey(to compatibility: Int) -> [String] {
            ["rekey", "--cipher-compat", String(compatibility), "--password-file", passwordFile] + fixture.vault
        }
        // Calibrate on the real command (3 runs, as the other kill loops).
        var times: [Double] = []
        for compatibility in [4, 3, 4] {
            let started = Date()
            let result = try session.simvault(rekey(to: compatibility), on: .sqlcipher4)
            try #require(result.status == 0, "\(result)")
            times.append(Date().timeIntervalSince(started))
        }
        let duration = times.sorted()[times.count / 2]

        var current = 4
        var tally: [String: Int] = [:]
        var failures = 0
        for round in 1...Self.rounds {
            let target = 7 - current
            // Even rounds: a random moment after the rotation is recorded
            // (the copy, its verification, the rename, the steps after it).
            let headerInode = KillLoopTests.inode(fixture.headerPath)
            let status = try KillLoopTests.runAndKill(
                environment: session.environment, program: ProjectPaths.simvault(on: .sqlcipher4), rekey(to: target), round: round,
                wholeRun: duration, afterChange: duration * 0.6, changed: { KillLoopTests.inode(fixture.headerPath) != headerInode })

            // As the crash left it, with the password alone.
            let rows = try session.simvault(["sql", rowsQuery] + password + fixture.vault, on: .sqlcipher4)
            #expect(rows.stdout == expected, "round \(round): rows after the kill: \(rows)")
            let health = try session.simvault(["health", "--json"] + fixture.vault, on: .sqlcipher4)
            let rotation = try KillLoopTests.check(named: "key rotation", in: health)
            #expect(health.status <= 1, "round \(round): \(health)")
            let again = try session.simvault(["health"] + fixture.vault, on: .sqlcipher4)
            #expect(again.status == 0, "round \(round): health is not clean after the repair: \(again)")

            // From outside, with exactly the settings the header names.
            let info = try ExternalTools.json(try session.simvault(["info", "--json"] + fixture.vault, on: .sqlcipher4))
            let compatibility = try #require((info["cipher"] as? [String: Any])?["compatibility"] as? Int)
            let key = try fixture.keyringKey(in: session)
            let client = try ExternalTools.sqlcipher4Client(
                path: fixture.vaultPath, hexKey: key, pragmas: ExternalTools.sqlcipher4ContractPragmas(compatibility: compatibility),
                queries: ["SELECT count(*) FROM filler"])
            // `sql` prints a header line, then the value.
            let fillerRows = expected.split(separator: "\n").last?.split(separator: "/").first.map(String.init) ?? ""
            #expect(client.stdout == fillerRows + "\n", "round \(round): sqlcipher3 with compatibility \(compatibility): \(client)")
            if compatibility == 3 {
                let shell = try ExternalTools.sqlcipher(path: fixture.vaultPath, hexKey: key, sql: "SELECT count(*) FROM filler;")
                #expect(shell.stdout == fillerRows + "\n", "round \(round): the stock 3.4.1 shell: \(shell)")
            }
            let leftovers = ExternalTools.filesUnder(fixture.directory.file("vault")).filter { $0.contains(".rekeying-") }
            #expect(leftovers.isEmpty, "round \(round): \(leftovers)")

            let ok = rows.stdout == expected && health.status <= 1 && again.status == 0 && client.stdout == fillerRows + "\n" && leftovers.isEmpty
            if !ok { failures += 1 }
            let outcome: String
            if status == 0 {
                outcome = "rekey completed before the kill"
            } else if rotation.contains("was finished") {
                outcome = "killed after the copy took the vault's name; health finished the rotation"
            } else if rotation.contains("rolled back") {
                outcome = "killed before the copy took the vault's name; health rolled it back"
            } else if rotation.contains("keyring item") {
                outcome = "killed before the rotation was recorded, after the new keyring item; health removed it"
            } else {
                outcome = compatibility == current ? "killed before anything changed" : "killed after the new settings were current"
            }
            tally[outcome, default: 0] += 1
            current = compatibility
        }
        KillLoopTests.report("rekey --cipher-compat (3 <-> 4, SQLCipher 4)", rounds: Self.rounds, duration: duration, tally: tally, failures: failures, vaultMegabytes: Self.megabytes)
        #expect(failures == 0)
    }
}
