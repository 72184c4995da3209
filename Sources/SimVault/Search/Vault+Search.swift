import Foundation

extension Vault {
    /// Full-text search over messages and workflows, best matches first, with
    /// snippets.
    ///
    /// ```swift
    /// for hit in try vault.search("lyon train*") {
    ///     print(hit.title, hit.snippet)        // "Trip planning", "…a [train] to [Lyon] on…"
    /// }
    /// let flows = try vault.search("digest", in: [.workflows])
    /// ```
    ///
    /// Ranking is BM25 (see ``SearchHit/score``); a workflow's name weighs
    /// more than its tags, and its tags more than its description. Results of
    /// both scopes are merged by score. Everything is read in one snapshot.
    ///
    /// - Parameter text: words (all must match), `"phrases"`, `prefix*`; see
    ///   ``SearchQuery``.
    /// - Throws: ``VaultError/invalidArgument(detail:)`` when `text` has no
    ///   word; ``VaultError/schemaOutdated(vault:binary:)``.
    public func search(
        _ text: String, in scopes: Set<SearchScope> = Set(SearchScope.allCases), limit: Int = 20,
        markers: SnippetMarkers = .brackets
    ) throws -> [SearchHit] {
        let query = try SearchQuery(text)
        let size = min(max(limit, 1), 500)
        return try readData { db in
            var hits: [SearchHit] = []
            for scope in SearchScope.allCases where scopes.contains(scope) {
                hits += try FullTextIndex.of(scope).search(query, limit: size, markers: markers, in: db)
            }
            return Array(hits.sorted { ($0.score, $1.id) > ($1.score, $0.id) }.prefix(size))
        }
    }
}

/// One FTS4 index and how to rank and present its matches.
///
/// Searching is two passes in one snapshot: rank every match from
/// `matchinfo` alone (which reads neither the text nor the content table),
/// then fetch rows and snippets for the best `limit` only.
struct FullTextIndex {
    let table: String
    let weights: [Double]
    /// Selects the hit's columns for the docids bound after the MATCH
    /// argument; `%@` stands for the snippet expression.
    let detailSQL: String
    let makeHit: (Row, Double) throws -> SearchHit

    static func of(_ scope: SearchScope) -> FullTextIndex {
        switch scope {
        case .messages:
            return FullTextIndex(
                table: "messages_fts", weights: [1],
                detailSQL: """
                    SELECT messages_fts.docid AS docid, m.id, m.conversation_id, m.position, m.role, c.title, %@ AS snippet
                    FROM messages_fts
                    JOIN messages m ON m.doc_id = messages_fts.docid
                    JOIN conversations c ON c.id = m.conversation_id
                    WHERE messages_fts MATCH ? AND messages_fts.docid IN
                    """,
                makeHit: { row, score in
                    SearchHit(
                        scope: .messages, id: try row.get("id"), title: try row.get("title"),
                        conversationID: try row.get("conversation_id"), position: try row.get("position"),
                        role: Message.Role(rawValue: try row.get("role")), snippet: try row.get("snippet"), score: score)
                })
        case .workflows:
            return FullTextIndex(
                table: "workflows_fts", weights: [4, 1, 2],
                detailSQL: """
                    SELECT workflows_fts.docid AS docid, w.id, w.name, %@ AS snippet
                    FROM workflows_fts
                    JOIN workflows w ON w.doc_id = workflows_fts.docid
                    WHERE workflows_fts MATCH ? AND workflows_fts.docid IN
                    """,
                makeHit: { row, score in
                    SearchHit(
                        scope: .workflows, id: try row.get("id"), title: try row.get("name"), conversationID: nil,
                        position: nil, role: nil, snippet: try row.get("snippet"), score: score)
                })
        }
    }

    func search(_ query: SearchQuery, limit: Int, markers: SnippetMarkers, in db: Connection) throws -> [SearchHit] {
        let ranking = BM25(columnWeights: weights)
        var scored: [(docid: Int64, score: Double)] = []
        try mappingSyntaxErrors(query) {
            try db.forEachRow(
                "SELECT docid, matchinfo(\(table), '\(BM25.format)') FROM \(table) WHERE \(table) MATCH ?", [query.matchExpression]
            ) { row in
                scored.append((row.int64(0), ranking.score(row.data(1) ?? Data())))
            }
        }
        let best = scored.sorted { ($0.score, $1.docid) > ($1.score, $0.docid) }.prefix(limit)
        guard !best.isEmpty else { return [] }
        let scores = Dictionary(uniqueKeysWithValues: best.map { ($0.docid, $0.score) })
        let snippet = "snippet(\(table), ?, ?, ?, -1, 16)"
        let placeholders = "(" + Array(repeating: "?", count: best.count).joined(separator: ", ") + ")"
        let sql = detailSQL.replacingOccurrences(of: "%@", with: snippet) + " " + placeholders
        let arguments: [any DatabaseValueConvertible] =
            [markers.start, markers.end, markers.ellipsis, query.matchExpression] + best.map(\.docid)
        return try db.fetchAll(sql, arguments).map { row in
            try makeHit(row, scores[try row.get("docid", as: Int64.self)] ?? 0)
        }.sorted { ($0.score, $1.id) > ($1.score, $0.id) }
    }

    /// A MATCH expression FTS4 rejects is the query's fault, not the vault's.
    private func mappingSyntaxErrors(_ query: SearchQuery, _ body: () throws -> Void) throws {
        do { try body() } catch let error as SQLiteError where error.message.contains("malformed MATCH") {
            throw VaultError.invalidArgument(detail: "cannot search for \(query.terms.map { "\"\($0)\"" }.joined(separator: " ")): \(error.message)")
        }
    }
}
