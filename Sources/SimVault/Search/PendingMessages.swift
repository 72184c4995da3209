/// Messages not yet in `messages_fts`: written since the last batch was
/// indexed (migration 13 explains the scheme). Search finds them through an
/// in-memory index of their text (``PendingMessageIndex``); they are added
/// to FTS4 together once there are ``batchSize`` of them.
///
/// Why batches: indexing one message writes a new FTS4 segment with its
/// segdir, docsize and stat rows, and every 16 segments a merge; that was
/// about half the pages an append wrote (14.8 pages). Indexed 64 at a time,
/// the same rows are written once per batch and merges come 64 times less
/// often: 8.2 pages an append over 5,000 appends, 8.9 with batches of 32,
/// 8.1 with 128 (docs/performance.md).
///
/// ```swift
/// try vault.write { db in
///     // ... INSERT INTO messages ...
///     try PendingMessages.indexIfDue(in: db)
/// }
/// ```
enum PendingMessages {
    /// Pending messages at which they are indexed. A search reads the
    /// pending rows' text each time (a few KiB per message), so a larger
    /// batch saves pages per append but costs every search a little more.
    static let batchSize = 64

    /// The condition, on `messages`, of a pending row.
    private static let pendingCondition = """
        doc_id > (SELECT indexed_through FROM message_index_state) AND status <> 'streaming'
            AND NOT EXISTS (SELECT 1 FROM messages_fts_docsize WHERE docid = messages.doc_id)
        """

    /// The pending rows (docid and text), oldest first.
    static func rows(in db: Connection) throws -> [(docid: Int64, content: String)] {
        var rows: [(docid: Int64, content: String)] = []
        try db.forEachRow("SELECT doc_id, content FROM messages WHERE \(pendingCondition) ORDER BY doc_id") { row in
            rows.append((try row.get(0), try row.get(1)))
        }
        return rows
    }

    /// Indexes the pending rows when there are at least ``batchSize``
    /// rows after `indexed_through` (streaming replies included in the
    /// count: it is only a threshold, read without touching the rows' text).
    static func indexIfDue(in db: Connection) throws {
        let waiting: Int = try db.scalar(
            "SELECT count(*) FROM messages WHERE doc_id > (SELECT indexed_through FROM message_index_state)") ?? 0
        if waiting >= batchSize { try indexAll(in: db) }
    }

    /// Adds every pending row to `messages_fts` in one statement (one new
    /// segment) and moves `indexed_through` to the last row. Returns how
    /// many rows were indexed.
    @discardableResult
    static func indexAll(in db: Connection) throws -> Int {
        try db.execute("INSERT INTO messages_fts (docid, content) SELECT doc_id, content FROM messages WHERE \(pendingCondition)", [])
        let indexed = db.changes
        try db.execute(
            "UPDATE message_index_state SET indexed_through = max(indexed_through, coalesce((SELECT max(doc_id) FROM messages), 0))", [])
        return indexed
    }
}
