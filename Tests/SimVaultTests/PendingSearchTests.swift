import Foundation
import SimVault
import Testing
import VaultTestSupport

/// Messages indexed in batches: search sees the ones still waiting, with the
/// results (ids, order, scores, snippets) the full index gives once they
/// are in it.
@Suite("search of messages waiting for the index")
struct PendingSearchTests {
    /// A conversation of 400 indexed messages (the heron corpus of
    /// `SearchTests`), then `pending` more appended one by one, which wait.
    private func corpus(pending: Int, label: String) throws -> (TestVault, chatID: String) {
        let test = try TestVault(label: label)
        let vault = test.vault
        let chat = try vault.conversations.create(Conversation(title: "marsh"))
        var numbers = SeededNumbers(state: 7)
        func next(_ bound: Int) -> Int { numbers.next(bound) }
        let filler = ["water", "reed", "marsh", "wing", "feather", "river", "mud", "fish", "sky", "nest"]
        func text(_ extra: [String]) -> String {
            var words = (0..<(3 + next(60))).map { _ in filler[next(filler.count)] }
            for _ in 0..<next(4) { words.insert("heron", at: next(words.count + 1)) }
            if next(3) == 0 { words.insert(contentsOf: ["grey", "heron"], at: next(words.count + 1)) }
            for word in extra { words.insert(word, at: next(words.count + 1)) }
            return words.joined(separator: " ")
        }
        try vault.messages.append(contentsOf: (0..<400).map { index in
            NewMessage(conversationID: chat.id, role: .user, content: text(index % 5 == 0 ? ["stork"] : []))
        })
        #expect(try pendingCount(vault) == 0, "an import of 400 is indexed at once")
        // Words only the waiting messages have (pelican), words both have
        // (stork), and the two together in no single indexed message.
        for index in 0..<pending {
            let extra = [["pelican"], ["stork", "pelican"], ["Ibis"], [], ["stork"]][index % 5]
            try vault.messages.append(to: chat.id, role: .assistant, content: text(extra))
        }
        return (test, chat.id)
    }

    private func pendingCount(_ vault: Vault) throws -> Int {
        try vault.rawScalar("""
            SELECT count(*) FROM messages WHERE NOT EXISTS (SELECT 1 FROM messages_fts_docsize WHERE docid = messages.doc_id)
            """) ?? -1
    }

    static let queries = [
        "heron", "pelican", "stork", "heron stork", "pelican stork", "\"grey heron\"", "pel*", "her*", "ibis", "marsh",
        "heron pelican \"grey heron\"", "nothingmatches", "heron nothingmatches", "cats OR", "\"unbalanced",
    ]

    @Test("every query gives the same ids, order, scores and snippets before and after the waiting messages are indexed")
    func sameResultsAsIndexed() throws {
        let (test, _) = try corpus(pending: 25, label: "pending-exact")
        let vault = test.vault
        #expect(try pendingCount(vault) == 25)
        var waiting: [[SearchHit]] = []
        for query in Self.queries { waiting.append(try vault.search(query, in: [.messages], limit: 12)) }
        #expect(!(try vault.search("pelican", in: [.messages])).isEmpty, "words only waiting messages have are found")
        #expect(try vault.search("pelican stork", in: [.messages]).count > 0)

        #expect(try vault.messages.indexPendingMessages() == 25)
        #expect(try pendingCount(vault) == 0)
        for (query, before) in zip(Self.queries, waiting) {
            let after = try vault.search(query, in: [.messages], limit: 12)
            #expect(after.map(\.id) == before.map(\.id), "\(query)")
            #expect(after.map(\.score) == before.map(\.score), "\(query)")
            #expect(after.map(\.snippet) == before.map(\.snippet), "\(query)")
        }
        try vault.checkSearchIndexes()
    }

    @Test("appends wait until 64 are pending, then go into the index together, through every writer")
    func batches() throws {
        let test = try TestVault(label: "pending-batches")
        let vault = test.vault
        let chat = try vault.conversations.create(Conversation(title: "batches"))
        for index in 0..<63 { try vault.messages.append(to: chat.id, role: .user, content: "note \(index) about kestrels") }
        #expect(try pendingCount(vault) == 63 && vault.count("messages_fts_docsize") == 0)
        #expect(try vault.search("kestrels", limit: 100).count == 63)
        try vault.messages.append(to: chat.id, role: .user, content: "the 64th kestrel note")
        #expect(try pendingCount(vault) == 0 && vault.count("messages_fts_docsize") == 64)
        // A reply counts when it ends; an import is indexed with its batch.
        let reply = try vault.messages.beginReply(in: chat.id)
        try reply.append("a kestrels reply")
        try reply.finish()
        #expect(try pendingCount(vault) == 1)
        #expect(try vault.search("kestrels", limit: 100).count == 64, "63 notes and the reply (the 64th note says kestrel)")
        try vault.checkSearchIndexes()
    }

    @Test("edits and deletes of waiting and indexed messages, a reused rowid and an FTS4 rebuild keep index and search exact")
    func editsDeletesRebuild() throws {
        let (test, chatID) = try corpus(pending: 10, label: "pending-edits")
        let vault = test.vault
        let page = try vault.messages.latest(in: chatID, limit: 12).messages
        // A waiting message edited and one deleted; an indexed one edited.
        var waiting = page[page.count - 1]
        waiting.content = "now about an avocet"
        try vault.messages.update(waiting)
        try vault.messages.delete(id: page[page.count - 2].id)
        var indexed = page[0]
        indexed.content = "an indexed avocet"
        try vault.messages.update(indexed)
        #expect(Set(try vault.search("avocet").map(\.id)) == [waiting.id, indexed.id])
        try vault.checkSearchIndexes()

        // The last message deleted after indexing: its rowid is reused by
        // the next append, which is indexed at once.
        try vault.messages.indexPendingMessages()
        let last = try #require(try vault.messages.latest(in: chatID, limit: 1).messages.first)
        try vault.messages.delete(id: last.id)
        let reused = try vault.messages.append(to: chatID, role: .user, content: "a reused spoonbill")
        #expect(try vault.indexedDocids("messages_fts", matching: "spoonbill").count == 1)
        #expect(try vault.search("spoonbill").map(\.id) == [reused.id])
        try vault.checkSearchIndexes()

        // FTS4's own rebuild while messages wait: it indexes exactly the
        // rows of `messages_indexed`, so they keep waiting (and are found),
        // and are indexed once, with their batch.
        for index in 0..<5 { try vault.messages.append(to: chatID, role: .user, content: "rebuilt godwit \(index)") }
        let beforeRebuild = try pendingCount(vault)
        #expect(beforeRebuild > 0)
        _ = try vault.executeSQL("INSERT INTO messages_fts (messages_fts) VALUES ('rebuild')", allowingWrites: true)
        #expect(try pendingCount(vault) == beforeRebuild, "a rebuild indexes what must be indexed, no waiting message")
        try vault.checkSearchIndexes()
        #expect(try vault.search("godwit").count == 5)
        try vault.messages.indexPendingMessages()
        #expect(try vault.indexedDocids("messages_fts", matching: "godwit").count == 5)
        try vault.checkSearchIndexes()
    }
}
