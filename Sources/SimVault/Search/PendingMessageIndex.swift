import Foundation

/// An FTS4 index, in memory, of the messages waiting to be added to
/// `messages_fts` (``PendingMessages``), so that search finds them with
/// exactly the matching, ranking and snippets FTS4 would give them once
/// they are indexed: the same engine, tokenizer and table definition do the
/// work, on a copy of a few dozen rows.
///
/// It lives in a private `:memory:` database (never a file: nothing of it
/// reaches the disk) and is brought up to date with the snapshot each
/// search reads: rows that changed or left are removed, new ones added.
/// Between two searches usually only the messages appended meanwhile are
/// new, so the copy costs little more than reading the pending rows.
///
/// Not thread-safe: used by one search at a time, handed out by
/// ``PendingMessageIndexPool``.
final class PendingMessageIndex {
    let connection: Connection
    /// What the index holds: the text of each pending message by docid.
    private var contents: [Int64: String] = [:]

    /// The table has the name and definition of the vault's, so the same
    /// statements (`matchinfo`, `snippet`, `%_docsize`) read it.
    init() throws {
        var options = Connection.Options()
        options.usesWAL = false
        options.cacheSizeKiB = 2048
        connection = try Connection(path: ":memory:", key: nil, options: options)
        try connection.execute("CREATE VIRTUAL TABLE messages_fts USING fts4(content, tokenize=unicode61)")
    }

    /// Makes the index hold exactly `rows`.
    func update(to rows: [(docid: Int64, content: String)]) throws {
        var wanted: [Int64: String] = [:]
        for row in rows { wanted[row.docid] = row.content }
        guard wanted != contents else { return }
        try connection.inTransaction(.immediate) {
            for (docid, text) in contents where wanted[docid] != text {
                try connection.execute("DELETE FROM messages_fts WHERE docid = ?", [docid])
            }
            for (docid, text) in wanted where contents[docid] != text {
                try connection.execute("INSERT INTO messages_fts (docid, content) VALUES (?, ?)", [docid, text])
            }
        }
        contents = wanted
    }

    /// Whether `docid` is one of the messages this index holds.
    func contains(_ docid: Int64) -> Bool { contents[docid] != nil }

    func close() { connection.close() }
}

/// The pending-message indexes of one ``Vault``: one per search running at
/// the same time, kept between searches (each remembers what it holds).
///
/// @unchecked Sendable: `idle` and `isClosed` are touched only under `lock`;
/// an index is used by one search at a time (taken out of `idle`).
final class PendingMessageIndexPool: @unchecked Sendable {
    private let lock = NSLock()
    private var idle: [PendingMessageIndex] = []
    private var isClosed = false

    /// Runs `body` with an index, made when none is idle. An index whose
    /// update or query failed is dropped, not reused: what it holds is no
    /// longer known.
    func withIndex<T>(_ body: (PendingMessageIndex) throws -> T) throws -> T {
        let index = try lock.withLock { isClosed ? nil : idle.popLast() } ?? PendingMessageIndex()
        let result: T
        do {
            result = try body(index)
        } catch {
            index.close()
            throw error
        }
        let keep = lock.withLock { () -> Bool in
            guard !isClosed else { return false }
            idle.append(index)
            return true
        }
        if !keep { index.close() }
        return result
    }

    func close() {
        let toClose = lock.withLock { () -> [PendingMessageIndex] in
            isClosed = true
            defer { idle.removeAll() }
            return idle
        }
        toClose.forEach { $0.close() }
    }
}
