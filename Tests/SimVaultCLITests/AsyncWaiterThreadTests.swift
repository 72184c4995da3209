import Foundation
import SimVault
import Testing
import VaultTestSupport

/// Async callers that wait for a connection suspend instead of holding a
/// thread. Measured in a process of its own (`vault-torture
/// async-waiters`), because this test process runs other tests in
/// parallel and their threads would blur the count.
@Suite("async waiters")
struct AsyncWaiterThreadTests {
    @Test("300 concurrent async reads, writes and performs on 2 readers all finish, and the process's thread count grows by no more than one thread per connection and perform slot (plus the task executor's)")
    func waitersSuspend() throws {
        let test = try TestVault(label: "async-waiters")
        let chat = try test.vault.conversations.create(Conversation(title: "waiters"))
        try test.vault.messages.append(to: chat.id, role: .user, content: "hello")
        // Each body holds its connection 150 ms, so the run lasts ~15 s: long
        // enough for libdispatch on Linux, which adds a thread for blocked
        // work about once a second, to show blocking waiters (measured on
        // the blocking implementation: +9 threads after 10 s, +13 after 15 s;
        // with suspending waiters: +5).
        let tasks = 300
        let result = try ProcessRunner.run(
            ProjectPaths.tortureBinary, ["async-waiters", test.location.path, test.passwordFile, chat.id, String(tasks), "150"],
            timeout: 600)
        #expect(result.status == 0 && !result.timedOut, "\(result)")
        let fields = result.stdout.split(whereSeparator: \.isWhitespace)
        let numbers = stride(from: 2, to: fields.count, by: 2).compactMap { Int(fields[$0]) }
        let summary = try #require(fields.first == "threads" && numbers.count == 3 ? numbers : nil, "\(result.stdout)")
        let (baseline, peak, completed) = (summary[0], summary[1], summary[2])
        #expect(completed == tasks)
        // Blocking waiters hold one thread each, as libdispatch adds them.
        // Suspending waiters hold none: only work that holds a slot runs on
        // a thread (2 readers, the writer's async turn, 3 `perform` bodies),
        // besides the task executor's threads (one per CPU at most).
        let slots = 2 + 1 + 3
        let allowed = slots + ProcessInfo.processInfo.activeProcessorCount
        #expect(peak - baseline <= allowed, "the thread count grew from \(baseline) to \(peak) (allowed: \(allowed))")
    }
}
