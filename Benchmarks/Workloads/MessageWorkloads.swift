import Foundation
import SimVault

extension BenchmarkRun {
    /// Conversations long enough for a full 50-message page and a scroll.
    var longConversations: [(id: String, count: Int)] {
        zip(dataset.conversations, dataset.messageCounts).filter { $0.1 >= 60 }.map { ($0.0.id, $0.1) }
    }

    /// Chat views. "Any chat" opens conversations in random order, each one
    /// once (its pages are read for the first time, so every page is
    /// decrypted and verified); "recent chats" cycles through 20
    /// conversations, as an app switching between recent chats does (their
    /// pages stay in the page cache).
    func measureMessageReads() throws {
        progress("conversation pages and lists")
        var random = SeededRandom(seed: 0xBE4C_0002)
        let long = longConversations.shuffled(using: &random)
        let picks = (0..<(scale.iterations.page + 3)).map { long[$0 % long.count] }
        let offsets = picks.map { Int.random(in: 0..<($0.count - 50), using: &random) }
        try measure(
            "Messages", "conversation page: latest 50, any chat (first read)", iterations: scale.iterations.page, target: 1
        ) { subject, round in
            try subject.latestMessages(in: picks[round].id, limit: 50)
        }
        try measure(
            "Messages", "conversation page: next 50, any chat (first read)", iterations: scale.iterations.page, target: 1
        ) { subject, round in
            try subject.messages(in: picks[round].id, after: offsets[round], limit: 50)
        }
        let recent = Array(long.suffix(20))
        try measure(
            "Messages", "conversation page: latest 50, recent chats (cached)", iterations: scale.iterations.page,
            warmup: recent.count, target: 1
        ) { subject, round in
            try subject.latestMessages(in: recent[round % recent.count].id, limit: 50)
        }
        try measure("Messages", "list recent conversations (50)", iterations: scale.iterations.list) { subject, _ in
            try subject.recentConversations(limit: 50)
        }
    }

    /// Query kinds by selectivity; each round searches a different query of
    /// the kind (words of about the same frequency), so nothing is answered
    /// from a warm cache of the same query.
    var searchKinds: [(name: String, query: (Int) -> String)] {
        let corpus = dataset.corpus
        return [
            ("rare word", { corpus.word(12_000 + $0 * 7) }),
            ("medium word", { corpus.word(800 + $0) }),
            ("common word", { corpus.word(30 + $0) }),
            ("two words (AND)", { "\(corpus.word(100 + $0)) \(corpus.word(700 + $0))" }),
            ("phrase", {
                let (a, b) = corpus.phrases[$0 % corpus.phrases.count]
                return "\"\(corpus.word(a)) \(corpus.word(b))\""
            }),
            // The first five letters of a medium word: the word itself and
            // the rare longer words that start with it.
            ("prefix", { String(corpus.word(1_000 + $0 * 25).prefix(5)) + "*" }),
        ]
    }

    func measureSearch() throws {
        progress("full-text search")
        for kind in searchKinds {
            try measure(
                "Search", "search, \(kind.name)", iterations: scale.iterations.searchPerQuery, warmup: 2, target: 10
            ) { subject, round in
                try subject.searchMessages(kind.query(round), limit: 20)
            }
        }
        // How many messages each kind matches, for docs/performance.md.
        for kind in searchKinds {
            let count: Int = try encrypted.vault.read { db in
                try db.scalar("SELECT count(*) FROM messages_fts WHERE messages_fts MATCH ?", [try SearchQuery(kind.query(2)).matchExpression]) ?? 0
            }
            results.add(Fact(group: "Search", name: "matches of a \(kind.name) query", value: Double(count), unit: "messages"))
        }
        try checkSearchAgainstFullRanking()
    }

    /// Ten queries of each kind: simvault's top 20 (ids and scores) must be
    /// the top 20 of a BM25 ranking of every match, computed here from
    /// FTS4's own `pcnalx` matchinfo (lengths included), as the search's
    /// ranking was before it read lengths lazily and before messages were
    /// indexed in batches.
    private func checkSearchAgainstFullRanking() throws {
        var differing = 0, checked = 0
        for kind in searchKinds {
            for round in 0..<10 {
                let text = kind.query(round)
                let hits = try encrypted.vault.search(text, in: [.messages], limit: 20)
                let expected = try encrypted.vault.referenceMessageRanking(text, limit: 20)
                if hits.map(\.id) != expected.map(\.id) || hits.map(\.score) != expected.map(\.score) { differing += 1 }
                checked += 1
            }
        }
        if differing > 0 { results.disagreements.append("search: \(differing) of \(checked) queries differ from a full BM25 ranking") }
        results.add(Fact(
            group: "Search", name: "queries whose top 20 differ from a full BM25 ranking of every match", value: Double(differing),
            unit: "queries", note: "\(checked) queries of the set; ids and scores compared; must be 0"))
    }

    func measureWrites() throws {
        progress("appends, workflow saves, runs")
        var random = SeededRandom(seed: 0xBE4C_0003)
        let conversations = dataset.conversations
        let appended = (0..<(scale.iterations.append + 3)).map { index in
            MessageRecord(
                id: random.uuid(), conversationID: conversations[Int.random(in: 0..<conversations.count, using: &random)].id,
                role: index % 2 == 0 ? "user" : "assistant",
                content: dataset.corpus.text(length: Int.random(in: Dataset.messageLength, using: &random), &random),
                tokens: Int.random(in: 50...800, using: &random), createdAt: 0)
        }
        try measure(
            "Messages", "append one message (own transaction)", iterations: scale.iterations.append, target: 0.35,
            encryptionTarget: false
        ) { subject, round in
            try subject.appendMessage(appended[round])
        }
        try measureWorkflowWrites(&random)
    }
}
