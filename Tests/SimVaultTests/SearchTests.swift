import Foundation
import SimVault
import Testing
import VaultTestSupport

/// Full-text search over messages and workflows (FTS4, BM25 in Swift).
@Suite("full-text search")
struct SearchTests {
    @Test("finds words in messages and workflows, with snippets, ignoring case and accents")
    func findsWords() throws {
        let test = try TestVault()
        let vault = test.vault
        let chat = try vault.conversations.create(Conversation(title: "Trip planning"))
        let message = try vault.messages.append(to: chat.id, role: .user, content: "Find me a TRAIN to Lyon, near the Café des Arts")
        let flow = try vault.workflows.save(
            Workflow(name: "Morning digest", description: "Summarise news feeds", tags: ["email", "newsletter"], state: Data("{}".utf8)))

        let trains = try vault.search("train lyon")
        #expect(trains.map(\.id) == [message.id])
        let hit = try #require(trains.first)
        #expect(hit.scope == .messages && hit.title == "Trip planning" && hit.conversationID == chat.id && hit.position == 0 && hit.role == .user)
        #expect(hit.snippet.contains("[TRAIN]") && hit.snippet.contains("[Lyon]"))
        #expect(try vault.search("cafe").map(\.id) == [message.id], "accents are folded")

        #expect(try vault.search("newsletter").map(\.id) == [flow.id], "tags are indexed")
        #expect(try vault.search("summarise").first?.scope == .workflows, "descriptions are indexed")
        #expect(try vault.search("digest", in: [.messages]).isEmpty)
        #expect(try vault.search("dig*", in: [.workflows]).map(\.id) == [flow.id], "prefix")
        #expect(try vault.search("\"to lyon\"").map(\.id) == [message.id], "phrase")
        #expect(try vault.search("\"lyon to\"").isEmpty, "a phrase keeps word order")
        #expect(try vault.search("train paris").isEmpty, "every word must match")
    }

    @Test("operators and quotes in the text are words, never a syntax error; an empty query is refused")
    func hostileQueries() throws {
        let test = try TestVault()
        let vault = test.vault
        let chat = try vault.conversations.create(Conversation(title: "ops"))
        try vault.messages.append(to: chat.id, role: .user, content: "cats OR dogs NEAR fish")
        for text in ["cats OR", "NEAR fish", "\"unbalanced cats", "dogs -fish", "cats*", "(cats)", "cats:", "^cats"] {
            #expect(throws: Never.self, "\(text)") { try vault.search(text) }
        }
        #expect(try vault.search("cats OR").count == 1)
        #expect(throws: VaultError.self) { try vault.search("  \" * - ") }
    }

    @Test("updates and deletes keep both indexes in step")
    func indexFollowsChanges() throws {
        let test = try TestVault()
        let vault = test.vault
        let chat = try vault.conversations.create(Conversation(title: "edits"))
        var message = try vault.messages.append(to: chat.id, role: .assistant, content: "the quokka is smiling")
        try vault.messages.indexPendingMessages()
        var flow = Workflow(name: "Quokka counter", description: "counts marsupials", state: Data("{}".utf8))
        try vault.workflows.save(flow)
        #expect(try vault.search("quokka").count == 2)

        message.content = "the wombat is digging"
        try vault.messages.update(message)
        flow.name = "Wombat counter"
        try vault.workflows.save(flow)
        #expect(try vault.search("quokka").isEmpty, "old words must leave the index")
        #expect(try vault.search("wombat").count == 2)
        #expect(try vault.search("marsupials").count == 1, "unchanged columns stay indexed")
        try vault.checkSearchIndexes()

        try vault.messages.delete(id: message.id)
        try vault.workflows.delete(id: flow.id)
        #expect(try vault.search("wombat").isEmpty)
        #expect(try vault.indexedDocids("workflows_fts", matching: "marsupials").isEmpty)
        try vault.checkSearchIndexes()
    }

    @Test("ranking: more and denser matches first; a workflow's name outweighs its description")
    func ranking() throws {
        let test = try TestVault()
        let vault = test.vault
        let chat = try vault.conversations.create(Conversation(title: "rank"))
        let filler = (0..<40).map { "word\($0)" }.joined(separator: " ")
        let weak = try vault.messages.append(to: chat.id, role: .user, content: "one mention of pelican among \(filler)")
        let strong = try vault.messages.append(to: chat.id, role: .user, content: "pelican pelican pelican")
        let medium = try vault.messages.append(to: chat.id, role: .user, content: "a pelican and another pelican in \(filler)")
        for index in 0..<10 { try vault.messages.append(to: chat.id, role: .user, content: "unrelated \(index)") }
        let hits = try vault.search("pelican")
        #expect(hits.map(\.id) == [strong.id, medium.id, weak.id])
        #expect(hits.map(\.score) == hits.map(\.score).sorted(by: >))
        #expect(hits.allSatisfy { $0.score > 0 })

        let inDescription = try vault.workflows.save(Workflow(name: "Mailer", description: "sends the heron report", state: Data("{}".utf8)))
        let inName = try vault.workflows.save(Workflow(name: "Heron report", description: "sends mail", state: Data("{}".utf8)))
        #expect(try vault.search("heron", in: [.workflows]).map(\.id) == [inName.id, inDescription.id])
        #expect(try vault.search("pelican", limit: 2).map(\.id) == [strong.id, medium.id])
    }
}

extension SearchTests {
    @Test("an index out of step with its table is named as such, and the documented rebuild repairs it")
    func outOfStepIndex() throws {
        let test = try TestVault()
        let vault = test.vault
        let chat = try vault.conversations.create(Conversation(title: "drift"))
        try vault.messages.append(to: chat.id, role: .user, content: "the original words")
        try vault.messages.indexPendingMessages()
        // Change the text behind the index's back (as a broken tool would).
        try vault.rawWrite("DROP TRIGGER messages_fts_before_update")
        try vault.rawWrite("DROP TRIGGER messages_fts_after_update")
        try vault.rawWrite("UPDATE messages SET content = 'entirely different text'")
        #expect {
            try vault.checkSearchIndexes()
        } throws: { error in
            guard case VaultError.corrupt(let detail) = error else { return false }
            return detail.contains("full-text search index is out of step") && !detail.contains("HMAC")
        }
        _ = try vault.executeSQL("INSERT INTO messages_fts (messages_fts) VALUES ('rebuild')", allowingWrites: true)
        try vault.checkSearchIndexes()
        #expect(try vault.search("entirely").count == 1)
        #expect(try vault.search("original").isEmpty)
    }
}

extension SearchTests {
    @Test("ranking gives exactly the top of a full BM25 ranking, though it reads lengths only for rows that can reach it")
    func exactTopOfFullRanking() throws {
        let test = try TestVault()
        let vault = test.vault
        let chat = try vault.conversations.create(Conversation(title: "ranking"))
        var numbers = SeededNumbers(state: 42)
        func next(_ bound: Int) -> Int { numbers.next(bound) }
        let filler = ["water", "reed", "marsh", "wing", "feather", "river", "mud", "fish", "sky", "nest"]
        let messages = (0..<400).map { _ in
            var words = (0..<(3 + next(80))).map { _ in filler[next(filler.count)] }
            for _ in 0..<next(5) { words.insert("heron", at: next(words.count + 1)) }
            if next(3) == 0 { words.insert(contentsOf: ["grey", "heron"], at: next(words.count + 1)) }
            if next(4) == 0 { words.append("stork") }
            return NewMessage(conversationID: chat.id, role: .user, content: words.joined(separator: " "))
        }
        try vault.messages.append(contentsOf: messages)

        for text in ["heron", "heron stork", "\"grey heron\"", "marsh", "her*"] {
            let expected = try vault.referenceMessageRanking(text, limit: 15)
            let hits = try vault.search(text, in: [.messages], limit: 15)
            #expect(hits.map(\.id) == expected.map(\.id), "\(text)")
            #expect(hits.map(\.score) == expected.map(\.score), "\(text)")
        }
    }
}
