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
        return try readCheckingSchema { db in
            var hits: [SearchHit] = []
            for scope in SearchScope.allCases where scopes.contains(scope) {
                let index = FullTextIndex.of(scope)
                let pending = scope == .messages ? try PendingMessages.rows(in: db) : []
                if pending.isEmpty {
                    hits += try index.search(query, limit: size, markers: markers, in: db)
                } else {
                    hits += try pendingMessageIndexes.withIndex { copy in
                        try copy.update(to: pending)
                        return try index.search(query, limit: size, markers: markers, in: db, pending: copy)
                    }
                }
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
///
/// Messages not yet in the index (``PendingMessages``) are searched in an
/// in-memory FTS4 index of their own (``PendingMessageIndex``), and both
/// sets of matches are ranked together with the collection-wide values of
/// both tables combined (rows, average length, rows per phrase): the
/// result is exactly what the one index will give once they are added.
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

    func search(
        _ query: SearchQuery, limit: Int, markers: SnippetMarkers, in db: Connection, pending: PendingMessageIndex? = nil
    ) throws -> [SearchHit] {
        var ranking = MatchRanking(columnWeights: weights)
        var collection: BM25.Collection?
        try mappingSyntaxErrors(query) {
            try addMatches(of: query, in: db, to: &ranking)
            if let pending {
                let stored = ranking.collection
                var waiting = MatchRanking(columnWeights: weights)
                try addMatches(of: query, in: pending.connection, to: &waiting)
                collection = try combinedCollection(query, stored, db, waiting.collection, pending.connection)
                ranking.add(contentsOf: waiting)
            }
        }
        // Each match's lengths from its own table's `%_docsize`.
        let docsizeSQL = "SELECT size FROM \(table)_docsize WHERE docid = ?"
        func rank(_ sizes: Statement, _ pendingSizes: Statement?) throws -> [(docid: Int64, score: Double)] {
            try ranking.best(limit, in: collection) { docid, score in
                let statement = pending?.contains(docid) == true ? pendingSizes ?? sizes : sizes
                try statement.bind(docid, at: 1)
                defer { statement.reset() }
                let found = try statement.step()
                return statement.withUnsafeBytes(0) { score(found ? $0 : nil) }
            }
        }
        let best = try db.withStatement(docsizeSQL) { sizes in
            guard let pending else { return try rank(sizes, nil) }
            return try pending.connection.withStatement(docsizeSQL) { try rank(sizes, $0) }
        }
        guard !best.isEmpty else { return [] }
        let scores = Dictionary(uniqueKeysWithValues: best.map { ($0.docid, $0.score) })
        let waiting = best.map(\.docid).filter { pending?.contains($0) == true }
        let stored = best.map(\.docid).filter { pending?.contains($0) != true }
        var hits = try hitDetails(stored, query, markers, scores, in: db)
        if let pending, !waiting.isEmpty {
            hits += try pendingHitDetails(waiting, query, markers, scores, in: db, pending: pending)
        }
        return hits.sorted { ($0.score, $1.id) > ($1.score, $0.id) }
    }

    /// Every match of `query` in `db`'s copy of the table, with its matchinfo.
    private func addMatches(of query: SearchQuery, in db: Connection, to ranking: inout MatchRanking) throws {
        try db.forEachRow(
            "SELECT docid, matchinfo(\(table), '\(MatchRanking.matchinfoFormat)') FROM \(table) WHERE \(table) MATCH ?", [query.matchExpression]
        ) { row in
            row.withUnsafeBytes(1) { if let blob = $0 { ranking.add(docid: row.int64(0), matchinfo: blob) } }
        }
    }

    /// The collection-wide values of the stored and the pending rows
    /// together: rows and token totals from both `%_stat` rows, and per
    /// phrase the rows with a hit in each table (from a match's matchinfo,
    /// or, when the whole query matches nothing in a table, from one query
    /// per phrase: a phrase's row count does not depend on the others).
    private func combinedCollection(
        _ query: SearchQuery, _ stored: BM25.Collection?, _ db: Connection, _ waiting: BM25.Collection?, _ pending: Connection
    ) throws -> BM25.Collection? {
        guard stored != nil || waiting != nil else { return nil }
        let columns = weights.count
        let storedDocuments = try stored?.documents ?? phraseDocuments(query, columns: columns, in: db)
        let waitingDocuments = try waiting?.documents ?? phraseDocuments(query, columns: columns, in: pending)
        return BM25.Collection(
            try totals(in: db, columns: columns), try totals(in: pending, columns: columns),
            documents: zip(storedDocuments, waitingDocuments).map { $0 + $1 })
    }

    /// Per phrase and column, the rows of `db`'s table with a hit.
    private func phraseDocuments(_ query: SearchQuery, columns: Int, in db: Connection) throws -> [Double] {
        try query.terms.flatMap { term -> [Double] in
            let counts = try db.fetchOne("SELECT matchinfo(\(table), 'x') FROM \(table) WHERE \(table) MATCH ? LIMIT 1", ["\"\(term)\""]) { row in
                row.withUnsafeBytes(0) { blob -> [Double] in
                    guard let blob, blob.count >= 12 * columns else { return [] }
                    let words = blob.bindMemory(to: UInt32.self)
                    return (0..<columns).map { Double(words[3 * $0 + 2]) }
                }
            }
            return counts ?? Array(repeating: 0, count: columns)
        }
    }

    /// `%_stat` row 0 of `db`'s table.
    private func totals(in db: Connection, columns: Int) throws -> BM25.Totals {
        let totals = try db.fetchOne("SELECT value FROM \(table)_stat WHERE id = 0") { row in
            row.withUnsafeBytes(0) { BM25.Totals($0, columns: columns) }
        }
        guard let found = totals ?? BM25.Totals(nil, columns: columns) else {
            throw VaultError.corrupt(detail: "the full-text index's statistics row (\(table)_stat) is damaged")
        }
        return found
    }

    /// Hits for indexed rows: their details and snippets in one query.
    private func hitDetails(
        _ docids: [Int64], _ query: SearchQuery, _ markers: SnippetMarkers, _ scores: [Int64: Double], in db: Connection
    ) throws -> [SearchHit] {
        guard !docids.isEmpty else { return [] }
        let snippet = "snippet(\(table), ?, ?, ?, -1, 16)"
        let sql = detailSQL.replacingOccurrences(of: "%@", with: snippet) + " " + Self.placeholders(docids.count)
        let arguments: [any DatabaseValueConvertible] = [markers.start, markers.end, markers.ellipsis, query.matchExpression] + docids
        return try db.fetchAll(sql, arguments).map { row in
            try makeHit(row, scores[try row.get("docid", as: Int64.self)] ?? 0)
        }
    }

    /// Hits for pending messages: details from the vault, snippets from
    /// the in-memory index (FTS4's own `snippet()`, so they read as they
    /// will once the messages are indexed).
    private func pendingHitDetails(
        _ docids: [Int64], _ query: SearchQuery, _ markers: SnippetMarkers, _ scores: [Int64: Double], in db: Connection,
        pending: PendingMessageIndex
    ) throws -> [SearchHit] {
        var snippets: [Int64: String] = [:]
        try pending.connection.forEachRow(
            "SELECT docid, snippet(\(table), ?, ?, ?, -1, 16) FROM \(table) WHERE \(table) MATCH ? AND docid IN \(Self.placeholders(docids.count))",
            [markers.start, markers.end, markers.ellipsis, query.matchExpression] + docids
        ) { row in snippets[row.int64(0)] = try row.get(1) }
        return try db.fetchAll("""
            SELECT m.doc_id AS docid, m.id, m.conversation_id, m.position, m.role, c.title, '' AS snippet
            FROM messages m CROSS JOIN conversations c ON c.id = m.conversation_id
            WHERE m.doc_id IN \(Self.placeholders(docids.count))
            """, docids
        ).map { row in
            let docid: Int64 = try row.get("docid")
            let hit = try makeHit(row, scores[docid] ?? 0)
            return SearchHit(
                scope: hit.scope, id: hit.id, title: hit.title, conversationID: hit.conversationID, position: hit.position,
                role: hit.role, snippet: snippets[docid] ?? "", score: hit.score)
        }
    }

    private static func placeholders(_ count: Int) -> String {
        "(" + Array(repeating: "?", count: count).joined(separator: ", ") + ")"
    }

    /// A MATCH expression FTS4 rejects is the query's fault, not the vault's.
    private func mappingSyntaxErrors(_ query: SearchQuery, _ body: () throws -> Void) throws {
        do { try body() } catch let error as SQLiteError where error.message.contains("malformed MATCH") {
            throw VaultError.invalidArgument(detail: "cannot search for \(query.terms.map { "\"\($0)\"" }.joined(separator: " ")): \(error.message)")
        }
    }
}
