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
/// Searching is three steps in one snapshot:
/// 1. every match's `matchinfo` (which reads neither the text nor the
///    content table) gives the most it can score (``BM25/upperBound(_:_:)``);
/// 2. matches are taken by falling bound, each scored exactly with its
///    column lengths from the `%_docsize` table, until no remaining bound can
///    beat the `limit`-th best score (``MatchRanking``): the result is
///    exactly the top of a full BM25 ranking, but a word found in half the
///    messages costs a fraction of the length lookups;
/// 3. rows and snippets are fetched for the best `limit` only.
struct FullTextIndex {
    let table: String
    let weights: [Double]
    /// Selects the hit's columns for the docids bound after the MATCH
    /// argument; `%@` stands for the snippet expression. The FTS table comes
    /// first with CROSS JOINs: SQLite's planner otherwise puts it in the
    /// innermost loop and evaluates the MATCH once per hit.
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
                    CROSS JOIN messages m ON m.doc_id = messages_fts.docid
                    CROSS JOIN conversations c ON c.id = m.conversation_id
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
                    CROSS JOIN workflows w ON w.doc_id = workflows_fts.docid
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
        var ranking = MatchRanking(columnWeights: weights)
        try mappingSyntaxErrors(query) {
            try db.forEachRow(
                "SELECT docid, matchinfo(\(table), '\(MatchRanking.matchinfoFormat)') FROM \(table) WHERE \(table) MATCH ?", [query.matchExpression]
            ) { row in
                row.withUnsafeBytes(1) { if let blob = $0 { ranking.add(docid: row.int64(0), matchinfo: blob) } }
            }
        }
        let best = try db.withStatement("SELECT size FROM \(table)_docsize WHERE docid = ?") { sizes in
            try ranking.best(limit) { docid, score in
                try sizes.bind(docid, at: 1)
                defer { sizes.reset() }
                let found = try sizes.step()
                return sizes.withUnsafeBytes(0) { score(found ? $0 : nil) }
            }
        }
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
