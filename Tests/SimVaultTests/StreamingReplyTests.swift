import Foundation
import SimVault
import Testing
import VaultTestSupport

/// Replies that stream in: `MessageStore.beginReply` and `MessageReply`.
/// (Killed processes: `StreamingKillLoopTests` in the CLI tests.)
@Suite("streaming replies")
struct StreamingReplyTests {
    @Test("a reply exists from the start; readers see the text so far; finish folds the chunks and indexes it once")
    func finishFoldsAndIndexes() throws {
        let test = try TestVault(label: "reply")
        let vault = test.vault
        let chat = try vault.conversations.create(Conversation(title: "Trains"))
        try vault.messages.append(to: chat.id, role: .user, content: "When does the night train leave?")
        let before = try #require(try vault.conversations.get(id: chat.id)).updatedAt
        let indexedBefore = try vault.count("messages_fts_docsize")

        let reply = try vault.messages.beginReply(in: chat.id, model: "gpt-4o")
        #expect(reply.position == 1 && reply.status == .streaming)
        let started = try #require(try vault.messages.get(id: reply.messageID))
        #expect(started.status == .streaming && started.content.isEmpty && started.model == "gpt-4o" && started.role == .assistant)
        #expect(try #require(try vault.conversations.get(id: chat.id)).updatedAt >= before)
        #expect(try vault.messages.append(to: chat.id, role: .user, content: "and the price?").position == 2, "the reply's position is taken")

        try reply.append("The Nightjet ")
        try reply.append("leaves at 19:40 from Zürich.")
        // Another instance (another app process would see the same) reads the text so far.
        let other = try test.reopen()
        defer { other.close() }
        #expect(try other.messages.get(id: reply.messageID)?.content == "The Nightjet leaves at 19:40 from Zürich.")
        #expect(try other.messages.latest(in: chat.id).messages.map(\.status) == [.complete, .streaming, .complete])
        #expect(try vault.count("message_chunks") == 2, "one row per chunk")
        #expect(try vault.search("nightjet").isEmpty, "search finds a reply once it ends")
        #expect(try vault.count("messages_fts_docsize") == indexedBefore, "nothing is indexed while streaming")
        #expect(reply.text == "The Nightjet leaves at 19:40 from Zürich.")

        let finished = try reply.finish(tokens: 9, metadata: #"{"finish_reason":"stop"}"#)
        #expect(finished.status == .complete && finished.tokens == 9 && finished.metadata == #"{"finish_reason":"stop"}"#)
        #expect(finished.content == "The Nightjet leaves at 19:40 from Zürich.")
        #expect(try vault.count("message_chunks") == 0)
        let hit = try #require(try vault.search("nightjet zurich").first)
        #expect(hit.id == reply.messageID && hit.snippet.contains("[Nightjet]"))
        #expect(throws: VaultError.self) { try reply.append("more") }
        #expect(throws: VaultError.self) { try reply.finish() }
        try vault.checkSearchIndexes()
        try vault.messages.indexPendingMessages()
        #expect(try vault.indexedDocids("messages_fts", matching: "nightjet").count == 1, "indexed exactly once")
        try vault.checkSearchIndexes()
    }

    @Test("fail and cancel keep the partial text, with their status and reason; both are searchable")
    func failAndCancel() throws {
        let test = try TestVault(label: "reply-fail")
        let vault = test.vault
        let chat = try vault.conversations.create(Conversation(title: "Errors"))
        let failing = try vault.messages.beginReply(in: chat.id)
        try failing.append("Half an answer about quasars")
        let failed = try failing.fail(error: "the provider closed the connection")
        #expect(failed.status == .failed && failed.errorMessage == "the provider closed the connection")
        #expect(failed.content == "Half an answer about quasars")

        let stopping = try vault.messages.beginReply(in: chat.id, durability: .coalesced(milliseconds: 60_000, bytes: 1 << 20))
        try stopping.append("A cancelled thought on pulsars")
        #expect(try vault.messages.get(id: stopping.messageID)?.content == "", "coalesced: nothing written yet")
        let cancelled = try stopping.cancel()
        #expect(cancelled.status == .cancelled && cancelled.errorMessage == nil && cancelled.content == "A cancelled thought on pulsars")
        #expect(try vault.search("quasars").map(\.id) == [failed.id])
        #expect(try vault.search("pulsars").map(\.id) == [cancelled.id])
        try vault.checkSearchIndexes()
    }

    @Test("coalesced durability writes once the bytes are reached, on flush, when its time is up, and at the end")
    func coalescing() throws {
        let test = try TestVault(label: "reply-coalesce")
        let vault = test.vault
        let chat = try vault.conversations.create(Conversation(title: "Coalesced"))
        let reply = try vault.messages.beginReply(in: chat.id, durability: .coalesced(milliseconds: 600_000, bytes: 10))
        try reply.append("abc")
        #expect(try vault.count("message_chunks") == 0 && reply.unwrittenByteCount == 3)
        try reply.append("defghij")
        #expect(try vault.count("message_chunks") == 1 && reply.unwrittenByteCount == 0, "10 bytes reached: written")
        try reply.append("k")
        try reply.flush()
        #expect(try vault.count("message_chunks") == 2)
        try reply.append("lm")
        #expect(try reply.finish().content == "abcdefghijklm", "the tail is written at the end")

        // The timer writes waiting chunks when no further chunk comes.
        let timed = try vault.messages.beginReply(in: chat.id, durability: .coalesced(milliseconds: 50, bytes: 1 << 20))
        try timed.append("tick")
        let other = try test.reopen()
        defer { other.close() }
        var seen = ""
        for _ in 0..<500 where seen.isEmpty {
            seen = try other.messages.get(id: timed.messageID)?.content ?? ""
            usleep(10_000)
        }
        #expect(seen == "tick", "the timed write never came")
        #expect(timed.unwrittenByteCount == 0)
        try timed.finish()

        #expect(throws: VaultError.self) { try vault.messages.beginReply(in: chat.id, durability: .coalesced(milliseconds: 0, bytes: 10)) }
        #expect(throws: VaultError.self) { try vault.messages.beginReply(in: "no-such-chat") }
    }

    @Test("a reply released without an end (even inside a write) is settled as interrupted, its text kept and searchable")
    func abandonedReply() throws {
        let test = try TestVault(label: "reply-abandoned")
        let vault = test.vault
        let chat = try vault.conversations.create(Conversation(title: "Abandoned"))
        var id = ""
        do {
            var reply: MessageReply? = try vault.messages.beginReply(in: chat.id, durability: .coalesced(milliseconds: 600_000, bytes: 1 << 20))
            try reply?.append("an abandoned walrus ")
            id = reply?.messageID ?? ""
            // The last reference goes inside a write on this thread.
            try vault.write { _ in reply = nil }
        }
        // Settled on a background thread, right after the release.
        var message = try #require(try vault.messages.get(id: id))
        for _ in 0..<500 where message.status == .streaming {
            usleep(10_000)
            message = try #require(try vault.messages.get(id: id))
        }
        #expect(message.status == .interrupted && message.content == "an abandoned walrus ")
        #expect(try vault.search("walrus").map(\.id) == [id])
        try vault.checkSearchIndexes()
    }

    @Test("replies released right before close are settled before the vault closes, not left streaming")
    func abandonedReplyThenClose() throws {
        let test = try TestVault(label: "reply-abandoned-close")
        let vault = test.vault
        let chat = try vault.conversations.create(Conversation(title: "Dropped"))
        var replies: [MessageReply] = []
        for round in 0..<20 {
            replies.append(try vault.messages.beginReply(in: chat.id))
            try replies[round].append("dropped reply \(round) ")
        }
        let ids = replies.map(\.messageID)
        // Another thread holds the writer, so the settling of the released
        // replies waits behind it, and close() comes while they wait.
        let writerTaken = DispatchSemaphore(value: 0)
        let writerDone = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            _ = try? vault.write { _ in
                writerTaken.signal()
                usleep(300_000)
            }
            writerDone.signal()
        }
        writerTaken.wait()
        replies.removeAll()
        vault.close()
        writerDone.wait()
        // This process is alive, so an open would not settle them.
        let reopened = try test.reopen()
        defer { reopened.close() }
        for id in ids {
            let message = try #require(try reopened.messages.get(id: id))
            #expect(message.status == .interrupted, "\(id) is \(message.status)")
        }
    }

    @Test("opening settles replies of processes that are gone and leaves live ones alone")
    func openSettlesOrphans() throws {
        let test = try TestVault(label: "reply-orphan")
        let vault = test.vault
        let chat = try vault.conversations.create(Conversation(title: "Orphans"))
        let live = try vault.messages.beginReply(in: chat.id)
        try live.append("still going ")
        let orphan = try vault.messages.beginReply(in: chat.id)
        try orphan.append("left behind by a dead ")
        try orphan.append("process with an ocelot")
        // As if its process had died: an owner in another boot.
        try vault.rawWrite("UPDATE messages SET reply_owner = 'no-such-boot 4242 1' WHERE id = ?", [orphan.messageID])
        let unowned = try vault.messages.beginReply(in: chat.id)
        try unowned.append("no owner at all")
        try vault.rawWrite("UPDATE messages SET reply_owner = NULL WHERE id = ?", [unowned.messageID])

        let reopened = try test.reopen()
        defer { reopened.close() }
        let statuses = try reopened.messages.page(in: chat.id).messages.map(\.status)
        #expect(statuses == [.streaming, .interrupted, .interrupted])
        let settled = try #require(try reopened.messages.get(id: orphan.messageID))
        #expect(settled.content == "left behind by a dead process with an ocelot")
        #expect(try reopened.search("ocelot").map(\.id) == [orphan.messageID])
        #expect(try reopened.rawScalar("SELECT count(*) FROM message_chunks WHERE message_doc_id = (SELECT doc_id FROM messages WHERE id = ?)", [orphan.messageID], as: Int.self) == 0)
        #expect(throws: VaultError.recordNotFound(kind: "streaming reply", id: orphan.messageID)) { try orphan.append("too late") }
        try live.append("and done")
        #expect(try live.finish().content == "still going and done")
        try reopened.checkSearchIndexes()
    }

    @Test("a streaming reply cannot be edited; deleting it or its conversation takes its chunks and ends the reply")
    func editsAndDeletes() throws {
        let test = try TestVault(label: "reply-delete")
        let vault = test.vault
        let chat = try vault.conversations.create(Conversation(title: "Doomed"))
        let reply = try vault.messages.beginReply(in: chat.id)
        try reply.append("some text")
        var message = try #require(try vault.messages.get(id: reply.messageID))
        message.content = "edited"
        #expect(throws: VaultError.self) { try vault.messages.update(message) }
        #expect(try vault.conversations.delete(id: chat.id))
        #expect(try vault.count("message_chunks") == 0)
        #expect(throws: VaultError.recordNotFound(kind: "streaming reply", id: reply.messageID)) { try reply.append("more") }
        #expect(throws: VaultError.self) { try reply.finish() }
        try vault.checkSearchIndexes()
    }

    @Test("one reply used from many tasks at once: every chunk is written once, each task's chunks in its order")
    func concurrentTasks() async throws {
        let test = try TestVault(label: "reply-tasks")
        let vault = test.vault
        let chat = try vault.conversations.create(Conversation(title: "Tasks"))
        let reply = try vault.messages.beginReply(in: chat.id, durability: .coalesced(milliseconds: 5, bytes: 64))
        try await withThrowingTaskGroup(of: Void.self) { group in
            for task in 0..<4 {
                group.addTask {
                    for index in 0..<50 { try reply.append("t\(task)-\(index) ") }
                }
            }
            group.addTask {
                for _ in 0..<20 { _ = try await vault.perform { try $0.messages.get(id: reply.messageID) } }
            }
            try await group.waitForAll()
        }
        let content = try reply.finish().content
        let words = content.split(separator: " ").map(String.init)
        #expect(words.count == 200 && Set(words).count == 200)
        for task in 0..<4 {
            #expect(words.filter { $0.hasPrefix("t\(task)-") } == (0..<50).map { "t\(task)-\($0)" })
        }
    }
}
