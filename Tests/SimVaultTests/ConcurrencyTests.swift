import Foundation
import SimVault
import Testing
import VaultTestSupport

/// Readers and writers at the same time: no "database is locked" reaches the
/// caller, nothing is lost. (Two processes: see the CLI tests.)
@Suite("concurrency")
struct ConcurrencyTests {
    @Test("writers on several threads and two vault instances, with readers paging and searching, lose nothing")
    func threadsAndInstances() throws {
        let test = try TestVault()
        let first = test.vault
        let second = try test.reopen()
        defer { second.close() }
        let writers = 6, perWriter = 40
        let chats = try (0..<writers).map { try first.conversations.create(Conversation(title: "thread \($0)")).id }
        let recorder = ConcurrentRecorder()

        DispatchQueue.concurrentPerform(iterations: writers * 2) { worker in
            recorder.recording {
                if worker < writers {
                    // Writers alternate between the two instances (two writer
                    // connections competing for the same file lock).
                    let vault = worker.isMultiple(of: 2) ? first : second
                    for index in 0..<perWriter {
                        try vault.messages.append(to: chats[worker], role: .user, content: "worker \(worker) message \(index) albatross")
                    }
                } else {
                    let vault = worker.isMultiple(of: 2) ? second : first
                    for _ in 0..<perWriter {
                        let page = try vault.messages.latest(in: chats[worker - writers], limit: 10)
                        let positions = page.messages.map(\.position)
                        if positions != positions.sorted() { throw TestSupportError("page out of order: \(positions)") }
                        _ = try vault.search("albatross", limit: 5)
                    }
                }
            }
        }
        #expect(recorder.recordedErrors.isEmpty, "\(recorder.recordedErrors)")
        for (index, chat) in chats.enumerated() {
            let contents = try first.messages.page(in: chat, limit: 1000).messages.map(\.content)
            #expect(contents == (0..<perWriter).map { "worker \(index) message \($0) albatross" })
        }
        #expect(try first.search("albatross", limit: 500).count == writers * perWriter)
        try first.checkSearchIndexes()
    }

    @Test("the async API runs off the caller's thread and sees the same data")
    func asyncAPI() async throws {
        let test = try TestVault()
        let vault = test.vault
        let chat = try await vault.perform { try $0.conversations.create(Conversation(title: "async")) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<20 {
                group.addTask { _ = try await vault.perform { try $0.messages.append(to: chat.id, role: .user, content: "m\(index)") } }
            }
            try await group.waitForAll()
        }
        #expect(try await vault.perform { try $0.messages.count(in: chat.id) } == 20)
    }
}
