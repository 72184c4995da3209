import Foundation
import SimVault
import Testing
import VaultTestSupport

/// Users, agents, conversations, messages and attachments on a real vault.
@Suite("conversations and messages")
struct ConversationStoreTests {
    @Test("a conversation round-trips, lists pinned first then newest, and update keeps its messages")
    func conversationLifecycle() throws {
        let test = try TestVault()
        let vault = test.vault
        let agent = try vault.agents.create(Agent(name: "Helper", provider: "ollama", model: "llama3", config: #"{"temperature":0.2}"#))
        let first = try vault.conversations.create(Conversation(title: "First", agentID: agent.id, extra: #"{"color":"blue"}"#))
        let second = try vault.conversations.create(Conversation(title: "Second"))
        try vault.messages.append(to: first.id, role: .user, content: "hello")
        #expect(try vault.conversations.get(id: first.id)?.agentID == agent.id)

        var pinned = try #require(try vault.conversations.get(id: second.id))
        pinned.isPinned = true
        pinned.status = .running
        try vault.conversations.update(pinned)
        #expect(try vault.conversations.list().map(\.id) == [second.id, first.id])

        var archived = try #require(try vault.conversations.get(id: first.id))
        archived.isArchived = true
        archived.title = "First (archived)"
        try vault.conversations.update(archived)
        #expect(try vault.conversations.list().map(\.id) == [second.id])
        #expect(try vault.conversations.list(ConversationFilter(includesArchived: true)).count == 2)
        #expect(try vault.messages.count(in: first.id) == 1, "update must not delete and re-insert the row")
        #expect(try vault.conversations.get(id: first.id)?.status == .idle)
        #expect(try vault.conversations.get(id: second.id)?.status == .running)
    }

    @Test("invalid input is refused with a message, not a bare constraint error")
    func invalidInput() throws {
        let test = try TestVault()
        let vault = test.vault
        #expect(throws: VaultError.recordNotFound(kind: "agent", id: "nope")) {
            try vault.conversations.create(Conversation(agentID: "nope"))
        }
        #expect(throws: VaultError.recordNotFound(kind: "conversation", id: "missing")) {
            try vault.messages.append(to: "missing", role: .user, content: "x")
        }
        #expect(throws: VaultError.self) { try vault.conversations.create(Conversation(extra: "{not json")) }
        let chat = try vault.conversations.create(Conversation(title: "t"))
        #expect(throws: VaultError.self) { try vault.conversations.create(Conversation(id: chat.id)) }
        #expect(throws: VaultError.self) { try vault.messages.append(to: chat.id, role: .user, content: "x", tokens: -1) }
        #expect(throws: VaultError.recordNotFound(kind: "conversation", id: "ghost")) {
            try vault.conversations.update(Conversation(id: "ghost"))
        }
    }

    @Test("messages append in order and page forwards and backwards without gaps or repeats")
    func messagePaging() throws {
        let test = try TestVault()
        let vault = test.vault
        let chat = try vault.conversations.create(Conversation(title: "long"))
        for index in 0..<25 {
            try vault.messages.append(to: chat.id, role: index.isMultiple(of: 2) ? .user : .assistant, content: "message \(index)")
        }
        var seen: [String] = []
        var page = try vault.messages.page(in: chat.id, limit: 10)
        seen += page.messages.map(\.content)
        while let next = page.nextPosition {
            page = try vault.messages.page(in: chat.id, after: next, limit: 10)
            seen += page.messages.map(\.content)
        }
        #expect(seen == (0..<25).map { "message \($0)" })

        var newest = try vault.messages.latest(in: chat.id, limit: 10)
        #expect(newest.messages.map(\.position) == Array(15..<25))
        #expect(newest.nextPosition == nil)
        var backwards = newest.messages.map(\.content)
        while let previous = newest.previousPosition {
            newest = try vault.messages.latest(in: chat.id, before: previous, limit: 10)
            backwards = newest.messages.map(\.content) + backwards
        }
        #expect(backwards == seen)
        let conversation = try #require(try vault.conversations.get(id: chat.id))
        #expect(conversation.lastMessageAt != nil)
    }

    @Test("deleting a conversation deletes its messages, attachments and search index entries")
    func conversationCascade() throws {
        let test = try TestVault()
        let vault = test.vault
        let doomed = try vault.conversations.create(Conversation(title: "doomed"))
        let kept = try vault.conversations.create(Conversation(title: "kept"))
        let message = try vault.messages.append(to: doomed.id, role: .user, content: "zeppelin blueprint attached")
        try vault.messages.append(to: doomed.id, role: .assistant, content: "the zeppelin looks airworthy")
        try vault.messages.append(to: kept.id, role: .user, content: "unrelated harbour notes")
        let file = try vault.attachments.add(to: message.id, fileName: "plan.png", mediaType: "image/png", data: Data(repeating: 7, count: 4096))
        #expect(try vault.attachments.data(of: file.id) == Data(repeating: 7, count: 4096))
        try vault.messages.indexPendingMessages()   // the cascade must reach the index itself
        #expect(try vault.indexedDocids("messages_fts", matching: "zeppelin").count == 2)

        #expect(try vault.conversations.delete(id: doomed.id))

        #expect(try vault.rawScalar("SELECT count(*) FROM messages WHERE conversation_id = ?", [doomed.id], as: Int.self) == 0)
        #expect(try vault.count("attachments") == 0)
        #expect(try vault.indexedDocids("messages_fts", matching: "zeppelin").isEmpty, "the index still lists deleted messages")
        let indexed = try vault.count("messages_fts_docsize"), stored = try vault.count("messages")
        #expect(indexed == stored)
        #expect(try vault.search("zeppelin").isEmpty)
        #expect(try vault.search("harbour").count == 1)
        try vault.checkSearchIndexes()
        #expect(try vault.conversations.delete(id: doomed.id) == false)
    }

    @Test("deleting a user deletes their conversations; deleting an agent keeps its conversations, unlinked")
    func userAndAgentDeletion() throws {
        let test = try TestVault()
        let vault = test.vault
        let ada = try vault.users.create(username: "ada", displayName: "Ada")
        try vault.users.recordLogin(id: ada.id)
        #expect(try vault.users.get(id: ada.id)?.lastLoginAt != nil)
        #expect(throws: VaultError.self) { try vault.users.create(username: "ada") }
        let agent = try vault.agents.create(Agent(name: "Writer"))
        let owned = try vault.conversations.create(Conversation(title: "ada's", userID: ada.id))
        let withAgent = try vault.conversations.create(Conversation(title: "agent's", agentID: agent.id))
        try vault.messages.append(to: owned.id, role: .user, content: "private note")

        #expect(try vault.agents.delete(id: agent.id))
        #expect(try vault.conversations.get(id: withAgent.id)?.agentID == nil)
        #expect(try vault.users.delete(id: ada.id))
        #expect(try vault.conversations.get(id: owned.id) == nil)
        #expect(try vault.count("messages") == 0)
        try vault.checkSearchIndexes()
    }

    @Test("editing and deleting a message keeps the index in step; attachments are checked against their SHA-256")
    func messageEditAndAttachments() throws {
        let test = try TestVault()
        let vault = test.vault
        let chat = try vault.conversations.create(Conversation(title: "edits"))
        var message = try vault.messages.append(to: chat.id, role: .user, content: "draft about walruses", metadata: #"{"lang":"en"}"#)
        try vault.messages.indexPendingMessages()   // the edit must reach the index itself
        message.content = "final text about penguins"
        try vault.messages.update(message)
        #expect(try vault.messages.get(id: message.id)?.content == "final text about penguins")
        #expect(try vault.indexedDocids("messages_fts", matching: "walruses").isEmpty)
        #expect(try vault.indexedDocids("messages_fts", matching: "penguins").count == 1)

        let bytes = Data((0..<100_000).map { UInt8($0 % 251) })
        let file = try vault.attachments.add(to: message.id, fileName: "data.bin", data: bytes)
        #expect(file.byteCount == bytes.count)
        #expect(try vault.attachments.list(for: message.id).map(\.id) == [file.id])
        try vault.rawWrite("UPDATE attachments SET data = zeroblob(10) WHERE id = ?", [file.id])
        #expect(throws: VaultError.self) { try vault.attachments.data(of: file.id) }

        #expect(try vault.messages.delete(id: message.id))
        #expect(try vault.count("attachments") == 0)
        #expect(try vault.indexedDocids("messages_fts", matching: "penguins").isEmpty)
        try vault.checkSearchIndexes()
    }
}

extension ConversationStoreTests {
    @Test("append(contentsOf:) imports in one transaction: positions continue per conversation, times are kept, a missing conversation adds nothing")
    func bulkAppend() throws {
        let test = try TestVault()
        let vault = test.vault
        let first = try vault.conversations.create(Conversation(title: "first"))
        let second = try vault.conversations.create(Conversation(title: "second"))
        try vault.messages.append(to: first.id, role: .user, content: "already here")
        let before = try #require(try vault.conversations.get(id: second.id))

        let imported = [
            NewMessage(conversationID: first.id, role: .assistant, content: "one", createdAt: 1_000),
            NewMessage(conversationID: second.id, role: .user, content: "two", tokens: 5, createdAt: 2_000),
            NewMessage(conversationID: first.id, role: .user, content: "three imported heron", createdAt: 3_000),
        ]
        #expect(try vault.messages.append(contentsOf: imported) == 3)
        let firstPage = try vault.messages.page(in: first.id)
        #expect(firstPage.messages.map(\.content) == ["already here", "one", "three imported heron"])
        #expect(firstPage.messages.map(\.position) == [0, 1, 2])
        #expect(firstPage.messages.map(\.createdAt).suffix(2) == [1_000, 3_000])
        let secondPage = try vault.messages.page(in: second.id)
        #expect(secondPage.messages.map(\.position) == [0] && secondPage.messages.first?.tokens == 5)
        // Old imported times do not move a conversation back in the list.
        let after = try #require(try vault.conversations.get(id: second.id))
        #expect(after.updatedAt == before.updatedAt && after.lastMessageAt == 2_000)
        #expect(try vault.search("heron").count == 1)
        try vault.checkSearchIndexes()

        let count = try vault.count("messages")
        #expect(throws: VaultError.recordNotFound(kind: "conversation", id: "nope")) {
            try vault.messages.append(contentsOf: [
                NewMessage(conversationID: first.id, role: .user, content: "would be four"),
                NewMessage(conversationID: "nope", role: .user, content: "orphan"),
            ])
        }
        #expect(throws: VaultError.self) {
            try vault.messages.append(contentsOf: [NewMessage(conversationID: first.id, role: .user, content: "x", metadata: "not json")])
        }
        #expect(try vault.count("messages") == count, "nothing of a refused import is added")
    }

    @Test("append(contentsOf:) in statements of 64, 32, ... rows: every size keeps order, positions and the search index; a duplicate in a late statement adds nothing")
    func bulkAppendAcrossStatements() throws {
        let test = try TestVault()
        let vault = test.vault
        let chats = try (0..<2).map { try vault.conversations.create(Conversation(title: "chat \($0)")) }
        var expected: [[String]] = [[], []]
        for count in [1, 63, 64, 65, 150] {
            let batch = (0..<count).map { index in
                NewMessage(conversationID: chats[index % 3 == 0 ? 1 : 0].id, role: .user, content: "import \(count) row \(index) kestrel")
            }
            for message in batch { expected[message.conversationID == chats[0].id ? 0 : 1].append(message.content) }
            #expect(try vault.messages.append(contentsOf: batch) == count)
        }
        for (chat, contents) in zip(chats, expected) {
            let page = try vault.messages.page(in: chat.id, limit: 500)
            #expect(page.messages.map(\.content) == contents)
            #expect(page.messages.map(\.position) == Array(0..<contents.count))
        }
        #expect(try vault.search("kestrel", limit: 500).count == expected.joined().count)
        try vault.checkSearchIndexes()

        let count = try vault.count("messages")
        var duplicate = (0..<100).map { NewMessage(conversationID: chats[0].id, role: .user, content: "late \($0)", id: "late-\($0)") }
        duplicate[90].id = "late-3"
        #expect(throws: (any Error).self) { try vault.messages.append(contentsOf: duplicate) }
        #expect(try vault.count("messages") == count, "the rows of earlier statements are rolled back too")
    }
}
