import Foundation

extension Vault {
    /// The top `limit` messages matching `text`, ranked the slow, plain way:
    /// every match scored by BM25 (k1 1.2, b 0.75, weight 1) from FTS4's own
    /// `pcnalx` matchinfo, row lengths included. This is what ``search(_:in:limit:)``
    /// must return — it reads lengths lazily and keeps waiting messages in
    /// memory — so the tests and the benchmark compare it against this.
    package func referenceMessageRanking(_ text: String, limit: Int) throws -> [(id: String, score: Double)] {
        let expression = try SearchQuery(text).matchExpression
        let full: [(id: String, docid: Int64, score: Double)] = try read { db in
            try db.fetchAll("""
                SELECT m.id, messages_fts.docid, matchinfo(messages_fts, 'pcnalx')
                FROM messages_fts JOIN messages m ON m.doc_id = messages_fts.docid WHERE messages_fts MATCH ?
                """, [expression]
            ).map { row in (try row.get(0), try row.get(1), Self.fullBM25(try row.get(2))) }
        }
        // Ties go to the older row (lower docid), then hits are listed by
        // score and id, as search lists them.
        return full.sorted { ($0.score, $1.docid) > ($1.score, $0.docid) }.prefix(limit)
            .sorted { ($0.score, $1.id) > ($1.score, $0.id) }
            .map { (id: $0.id, score: $0.score) }
    }

    /// BM25 of one row from its `pcnalx` matchinfo: every length read from FTS4.
    private static func fullBM25(_ blob: Data) -> Double {
        let words = blob.withUnsafeBytes { Array($0.bindMemory(to: UInt32.self)) }
        let phrases = Int(words[0]), columns = Int(words[1]), rows = Double(words[2])
        var total = 0.0
        for phrase in 0..<phrases {
            for column in 0..<columns {
                let base = 3 + 2 * columns + 3 * (phrase * columns + column)
                let frequency = Double(words[base])
                guard frequency > 0 else { continue }
                let documents = Double(words[base + 2])
                let idf = log(1 + (rows - documents + 0.5) / (documents + 0.5))
                let norm = 1 - 0.75 + 0.75 * Double(words[3 + columns + column]) / max(Double(words[3 + column]), 1)
                total += 1 * idf * frequency * (1.2 + 1) / (frequency + 1.2 * norm)
            }
        }
        return total
    }
}
