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

/// The CLI loop's outcome, handed from its thread. @unchecked Sendable:
/// under `lock`.
private final class ResultBox: @unchecked Sendable {
    private let lock = NSLock()
    private var result: Result<ProcessResult, any Error>?
    func set(_ value: Result<ProcessResult, any Error>) { lock.withLock { result = value } }
    func get() throws -> ProcessResult? { try lock.withLock { result }?.get() }
}
