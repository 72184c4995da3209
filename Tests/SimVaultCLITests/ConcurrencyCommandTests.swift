import Foundation
import SimVault
import Testing
import VaultTestSupport

/// Two processes on one vault: an app (this test process) and the CLI.
@Suite("two processes")
struct ConcurrencyCommandTests {
    @Test("the CLI writes while an app writes and reads on several threads: no lock errors, nothing lost")
    func cliAndAppTogether() throws {
        let session = try KeyringSession(.unlocked)
        let fixture = try CLIFixture(session: session)
        let app = try fixture.openInProcess(session)
        defer { app.close() }
        let chat = try app.conversations.create(Conversation(title: "shared"))
        let cliWrites = 25

        // The CLI side: one process per write, as a user's script would run.
        let script = """
            for i in $(seq 1 \(cliWrites)); do
              "$0" settings set "cli.key$i" "$i" --vault "$1" >/dev/null || exit 1
              "$0" sql "SELECT count(*) FROM messages" --vault "$1" >/dev/null || exit 1
            done
            """
        let cliResult = ResultBox()
        let cliDone = DispatchSemaphore(value: 0)
        let environment = session.environment, vaultPath = fixture.vaultPath
        Thread.detachNewThread {
            cliResult.set(Result {
                try ProcessRunner.run("/bin/sh", ["-c", script, ProjectPaths.simvaultBinary, vaultPath], environment: environment, timeout: 300)
            })
            cliDone.signal()
        }

        // The app side: three writer threads and a reader, busy until the CLI
        // loop ends (and at least 20 writes each).
        let recorder = ConcurrentRecorder()
        Thread.detachNewThread {
            cliDone.wait()
            recorder.stop()
        }
        DispatchQueue.concurrentPerform(iterations: 4) { worker in
            recorder.recording {
                var index = 0
                while !recorder.isStopped || index < 20 {
                    if worker < 3 {
                        try app.messages.append(to: chat.id, role: .user, content: "w\(worker) \(index)")
                        recorder.count("appended")
                    } else {
                        _ = try app.messages.latest(in: chat.id, limit: 20)
                    }
                    index += 1
                }
            }
        }
        let result = try #require(try cliResult.get())
        #expect(result.status == 0 && !result.timedOut, "CLI loop failed: \(result)")
        #expect(!result.stderr.contains("locked") && !result.stderr.contains("busy"), "\(result.stderr)")
        #expect(recorder.recordedErrors.isEmpty, "the app saw errors: \(recorder.recordedErrors)")
        #expect(try app.messages.count(in: chat.id) == recorder.total("appended"), "app writes were lost")
        let stored = try app.executeSQL("SELECT count(*) FROM settings WHERE key LIKE 'cli.key%'").rows
        #expect(stored == [[.integer(Int64(cliWrites))]], "CLI writes were lost")
    }
}

extension ConcurrencyCommandTests {
    @Test("three writer processes (two threads each), two reader processes, the CLI and app threads at once: no lock error reaches anyone, the final state is the sum of what each writer reported")
    func manyProcessesAndThreads() throws {
        let test = try TestVault(label: "many")
        let chat = try test.vault.conversations.create(Conversation(title: "contended"))
        let perWriter = 150
        let started = Date()

        let writers = try (0..<3).map { index in
            try Subprocess(
                ProjectPaths.tortureBinary,
                ["write", test.location.path, test.passwordFile, chat.id, "p\(index)", String(perWriter), "2"],
                environment: ProcessRunner.baseEnvironment, withStdin: false)
        }
        let readers = try (0..<2).map { _ in
            try Subprocess(
                ProjectPaths.tortureBinary, ["read", test.location.path, test.passwordFile, chat.id, "4"],
                environment: ProcessRunner.baseEnvironment, withStdin: false)
        }
        // The CLI: a user's script storing secrets and querying meanwhile.
        let cliSecrets = 15
        let script = """
            for i in $(seq 1 \(cliSecrets)); do
              printf 'value-%s' "$i" | "$0" secret set "token$i" --value-file - "$@" >/dev/null || exit 1
              "$0" search torture --limit 5 "$@" >/dev/null || exit 1
            done
            """
        let cliResult = ResultBox()
        let cliDone = DispatchSemaphore(value: 0)
        let arguments = test.cliArguments
        Thread.detachNewThread {
            cliResult.set(Result {
                try ProcessRunner.run("/bin/sh", ["-c", script, ProjectPaths.simvaultBinary] + arguments, timeout: 300)
            })
            cliDone.signal()
        }
        // This process: two writer threads and a reader until the CLI is done.
        let recorder = ConcurrentRecorder()
        Thread.detachNewThread {
            cliDone.wait()
            recorder.stop()
        }
        DispatchQueue.concurrentPerform(iterations: 3) { worker in
            recorder.recording {
                var index = 0
                while !recorder.isStopped || index < 20 {
                    if worker < 2 {
                        try test.vault.messages.append(to: chat.id, role: .assistant, content: "app \(worker) \(index)", id: "app\(worker)-\(index)")
                        recorder.count("appended")
                    } else {
                        _ = try test.vault.messages.page(in: chat.id, limit: 50)
                    }
                    index += 1
                }
            }
        }

        var reportedByProcesses = 0
        for writer in writers {
            let (status, timedOut) = writer.wait(timeout: 300)
            let output = String(decoding: Subprocess.readAll(writer.stdoutFD), as: UTF8.self)
            let errors = String(decoding: Subprocess.readAll(writer.stderrFD), as: UTF8.self)
            #expect(status == 0 && !timedOut, "a writer process failed: \(output.suffix(300)) \(errors)")
            #expect(!output.contains("locked") && !output.contains("busy"))
            reportedByProcesses += output.split(separator: "\n").filter { $0.hasPrefix("committed ") }.count
        }
        for reader in readers {
            let (status, _) = reader.wait(timeout: 120)
            let output = String(decoding: Subprocess.readAll(reader.stdoutFD), as: UTF8.self)
            _ = Subprocess.readAll(reader.stderrFD)
            #expect(status == 0 && output.hasPrefix("reads "), "a reader process failed: \(output)")
        }
        let cli = try #require(try cliResult.get())
        #expect(cli.status == 0, "the CLI loop failed: \(cli)")
        #expect(!cli.stderr.contains("locked") && !cli.stderr.contains("busy"), "\(cli.stderr)")
        #expect(recorder.recordedErrors.isEmpty, "the app saw errors: \(recorder.recordedErrors)")

        #expect(reportedByProcesses == 3 * perWriter)
        let total = try test.vault.messages.count(in: chat.id)
        #expect(total == reportedByProcesses + recorder.total("appended"), "the final count is not the sum of what the writers reported")
        #expect(try test.vault.secrets.list().count == cliSecrets)
        let health = try ProcessRunner.run(ProjectPaths.simvaultBinary, ["health"] + test.cliArguments)
        #expect(health.status == 0, "\(health)")
        print("concurrency: 3 writer processes x 2 threads, 2 reader processes, the CLI (\(cliSecrets) secrets + searches) and 3 app threads for \(String(format: "%.1f", Date().timeIntervalSince(started))) s: \(total) messages = \(reportedByProcesses) + \(recorder.total("appended")) reported, 0 lock errors")
    }
}

/// The CLI loop's outcome, handed from its thread. @unchecked Sendable:
/// under `lock`.
private final class ResultBox: @unchecked Sendable {
    private let lock = NSLock()
    private var result: Result<ProcessResult, any Error>?
    func set(_ value: Result<ProcessResult, any Error>) { lock.withLock { result = value } }
    func get() throws -> ProcessResult? { try lock.withLock { result }?.get() }
}
