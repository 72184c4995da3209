import Foundation
import SimVault
import Testing
import VaultTestSupport

/// `import sim-postgres` killed with SIGKILL at random moments (see
/// ``KillLoopTests`` for the kill moments): every time the vault holds all
/// of the Sim database's workflows and runs or none of them, every earlier
/// row kept, and passes `health`; the next import then completes.
///
/// `SIMVAULT_PG_KILL_ROUNDS` sets the rounds (default 12).
@Suite("kill -9 loop: import sim-postgres", .serialized, .enabled(if: PostgresCluster.shouldRun, Comment(rawValue: PostgresCluster.skipReason)))
struct SimPostgresKillLoopTests {
    static let rounds = Int(ProcessInfo.processInfo.environment["SIMVAULT_PG_KILL_ROUNDS"] ?? "") ?? 12
    static let workflows = 150

    @Test("import sim-postgres killed at a random moment: all of the Sim database or none of it, every earlier row kept")
    func importKillLoop() throws {
        let cluster = try PostgresCluster.shared()
        let test = try TestVault(label: "kill-pg")
        test.vault.close()
        let database = "kill_\(String(UUID().uuidString.prefix(8)).lowercased())"
        try SimPostgresFixtures.load(kind: "bench", as: database, into: cluster, directory: test.directory.path, count: Self.workflows)
        try TransferKillLoopTests.addConversation(test, title: "already here")
        var environment = ProcessRunner.baseEnvironment.merging(cluster.environment) { $1 }
        environment["PGDATABASE"] = database
        let arguments = ["import", "sim-postgres"] + test.cliArguments

        let before = try Self.data(test)
        let baseline = try TransferKillLoopTests.saveBaseline(test)
        var times: [Double] = []
        for _ in 0..<3 {
            try TransferKillLoopTests.resetToBaseline(test, baseline)
            let started = Date()
            let result = try ProcessRunner.run(ProjectPaths.simvaultBinary, arguments, environment: environment, timeout: 300)
            try #require(result.status == 0, "the uninterrupted import failed: \(result)")
            times.append(Date().timeIntervalSince(started))
        }
        let duration = times.sorted()[1]
        let after = try Self.data(test)
        #expect(after["workflows"]?.rows == Self.workflows && (after["runs"]?.rows ?? 0) > 0)
        #expect(before["conversations"] == after["conversations"] && before["messages"] == after["messages"])

        let (tally, failures) = try TransferKillLoopTests.importKillRounds(
            Self.rounds, test, baseline, arguments, environment: environment, duration: duration, before: before, after: after) { try Self.data(test) }
        // The next import after a kill completes: the same vault as an uninterrupted one.
        let final = try ProcessRunner.run(ProjectPaths.simvaultBinary, arguments, environment: environment, timeout: 300)
        #expect(final.status == 0, "\(final)")
        #expect(try Self.data(test) == after)
        KillLoopTests.report("import sim-postgres (\(Self.workflows) workflows)", rounds: Self.rounds, duration: duration, tally: tally, failures: failures, vaultMegabytes: 0)
        #expect(failures == 0)
    }

    /// Fingerprints of the tables an import writes or must keep.
    static func data(_ test: TestVault) throws -> [String: VaultContents.TableFingerprint] {
        try VaultContents.fingerprint(vaultPath: test.location.path, password: TestVault.passwordText)
            .filter { ["workflows", "workflow_versions", "runs", "conversations", "messages", "secrets"].contains($0.key) }
    }
}
