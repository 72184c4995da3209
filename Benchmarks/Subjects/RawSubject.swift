import CSQLCipher
import CZlib
import Foundation
import SimVault

/// The baseline for "what does the library cost": the same SQL as simvault's
/// stores, through the SQLCipher C API on an encrypted file made by simvault
/// (same schema, same key, same settings), written the way a careful C
/// program would:
///
/// - every statement prepared once; writes in `BEGIN IMMEDIATE` ... `COMMIT`;
///   reads of more than one statement in `BEGIN` ... `COMMIT` (one snapshot),
///   single-statement reads without;
/// - results copied out of SQLite into plain structs (they must outlive the
///   statement), text as `String`; no row dictionaries, no enum decoding, no
///   schema-version check, no JSON validation, no re-reading a row just
///   written;
/// - search ranks with simvault's own BM25 code (`MatchRanking`), fed
///   straight from `sqlite3_column_blob`;
/// - zlib called directly; inflating with the stored size known.
final class RawSubject: Subject {
    let variant = Variant.rawC
    let databasePath: String
    private let db: RawDatabase
    private let begin, beginImmediate, commit: OpaquePointer
    private let insertConversation, nextPosition, insertMessage, touchConversation, touchImported: OpaquePointer
    /// Multi-row message INSERTs for imports, by row count (64, 32, ... 1),
    /// as simvault's `MessageStore.append(contentsOf:)` makes them.
    private let insertMessages: [Int: OpaquePointer]
    private let latest, hasLater, after, hasEarlier, recent: OpaquePointer
    /// Batched indexing (``PendingMessages``): how many rows wait, the batch
    /// itself, and the check search makes for waiting rows.
    private let waitingCount, indexWaiting, moveIndexedThrough, waitingRows: OpaquePointer
    /// Streaming replies (``MessageReply``).
    private let insertReply, insertChunk, replyChunks, settleReply, deleteChunks: OpaquePointer
    /// Each streaming reply's docid and next chunk sequence.
    private var replies: [String: (docid: Int64, sequence: Int64)] = [:]
    private let rank, docsize: OpaquePointer
    private var hitDetails: [Int: OpaquePointer] = [:]
    private let workflowState, insertVersion, updateWorkflow, updateWorkflowMetadata, insertWorkflow: OpaquePointer
    private let loadWorkflowStatement, listWorkflowsStatement: OpaquePointer
    private let workflowVersion, insertRun, finishRun, listRunsStatement: OpaquePointer

    init(path: String, key: [UInt8], cacheSizeKiB: Int) throws {
        databasePath = path
        db = try RawDatabase(path: path, key: key, cacheSizeKiB: cacheSizeKiB)
        begin = try db.prepare("BEGIN DEFERRED TRANSACTION")
        beginImmediate = try db.prepare("BEGIN IMMEDIATE TRANSACTION")
        commit = try db.prepare("COMMIT TRANSACTION")
        insertConversation = try db.prepare("""
            INSERT INTO conversations (id, user_id, agent_id, title, kind, model, status, is_pinned, is_archived, extra,
                created_at, updated_at)
            VALUES (?, NULL, NULL, ?, 'chat', NULL, 'idle', 0, 0, NULL, ?, ?)
            """)
        nextPosition = try db.prepare("SELECT coalesce(max(position) + 1, 0) FROM messages WHERE conversation_id = ?")
        let db = db
        insertMessages = try Dictionary(uniqueKeysWithValues: [64, 32, 16, 8, 4, 2, 1].map { rows in
            (rows, try db.prepare("""
                INSERT INTO messages (id, conversation_id, position, role, content, content_type, model, tokens, metadata,
                    created_at, updated_at)
                VALUES \(Array(repeating: "(?, ?, ?, ?, ?, 'text', NULL, ?, NULL, ?, ?)", count: rows).joined(separator: ", "))
                """))
        })
        insertMessage = try db.prepare("""
            INSERT INTO messages (id, conversation_id, position, role, content, content_type, model, tokens, metadata,
                created_at, updated_at)
            VALUES (?, ?, ?, ?, ?, 'text', NULL, ?, NULL, ?, ?)
            """)
        touchConversation = try db.prepare("UPDATE conversations SET updated_at = ?, last_message_at = ? WHERE id = ?")
        touchImported = try db.prepare("""
            UPDATE conversations SET updated_at = max(updated_at, ?), last_message_at = max(coalesce(last_message_at, ?), ?)
            WHERE id = ?
            """)
        let waiting = """
            doc_id > (SELECT indexed_through FROM message_index_state) AND status <> 'streaming'
                AND NOT EXISTS (SELECT 1 FROM messages_fts_docsize WHERE docid = messages.doc_id)
            """
        waitingCount = try db.prepare("SELECT count(*) FROM messages WHERE doc_id > (SELECT indexed_through FROM message_index_state)")
        indexWaiting = try db.prepare("INSERT INTO messages_fts (docid, content) SELECT doc_id, content FROM messages WHERE \(waiting)")
        moveIndexedThrough = try db.prepare(
            "UPDATE message_index_state SET indexed_through = max(indexed_through, coalesce((SELECT max(doc_id) FROM messages), 0))")
        waitingRows = try db.prepare("SELECT doc_id, content FROM messages WHERE \(waiting) ORDER BY doc_id")
        insertReply = try db.prepare("""
            INSERT INTO messages (id, conversation_id, position, role, content, content_type, model, metadata, created_at,
                updated_at, status, reply_owner)
            VALUES (?, ?, ?, 'assistant', '', 'text', NULL, NULL, ?, ?, 'streaming', 'raw-c-baseline')
            """)
        insertChunk = try db.prepare("""
            INSERT INTO message_chunks (message_doc_id, sequence, text)
            SELECT ?, ?, ? WHERE EXISTS (SELECT 1 FROM messages WHERE doc_id = ? AND status = 'streaming')
            """)
        replyChunks = try db.prepare("SELECT text FROM message_chunks WHERE message_doc_id = ? ORDER BY sequence")
        settleReply = try db.prepare("""
            UPDATE messages SET content = content || ?, status = 'complete', error_message = NULL, tokens = coalesce(NULL, tokens),
                metadata = coalesce(NULL, metadata), reply_owner = NULL, updated_at = ?
            WHERE doc_id = ? AND status = 'streaming'
            """)
        deleteChunks = try db.prepare("DELETE FROM message_chunks WHERE message_doc_id = ?")
        latest = try db.prepare(
            "SELECT * FROM messages WHERE conversation_id = ? AND position < ? ORDER BY position DESC LIMIT ?")
        hasLater = try db.prepare("SELECT 1 FROM messages WHERE conversation_id = ? AND position >= ? LIMIT 1")
        after = try db.prepare(
            "SELECT * FROM messages WHERE conversation_id = ? AND position > ? ORDER BY position LIMIT ?")
        hasEarlier = try db.prepare("SELECT 1 FROM messages WHERE conversation_id = ? AND position < ? LIMIT 1")
        recent = try db.prepare(
            "SELECT * FROM conversations WHERE is_archived = 0 ORDER BY is_pinned DESC, updated_at DESC, id LIMIT ? OFFSET ?")
        rank = try db.prepare(
            "SELECT docid, matchinfo(messages_fts, '\(MatchRanking.matchinfoFormat)') FROM messages_fts WHERE messages_fts MATCH ?")
        docsize = try db.prepare("SELECT size FROM messages_fts_docsize WHERE docid = ?")
        workflowState = try db.prepare("SELECT state, version FROM workflows WHERE id = ?")
        insertVersion = try db.prepare("""
            INSERT INTO workflow_versions (workflow_id, version, name, description, category, tags, state, state_bytes, saved_at)
            SELECT id, version, name, description, category, tags, state, state_bytes, updated_at FROM workflows WHERE id = ?
            """)
        updateWorkflow = try db.prepare("""
            UPDATE workflows SET name = ?, description = ?, category = ?, tags = ?, state = ?, state_bytes = ?,
                version = ?, updated_at = ?
            WHERE id = ?
            """)
        updateWorkflowMetadata = try db.prepare(
            "UPDATE workflows SET name = ?, description = ?, category = ?, tags = ?, updated_at = ? WHERE id = ?")
        insertWorkflow = try db.prepare("""
            INSERT INTO workflows (id, name, description, category, tags, state, state_bytes, version, created_at, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, ?)
            """)
        let summary = "id, name, description, category, tags, version, state_bytes, length(state) AS stored_bytes, created_at, updated_at"
        loadWorkflowStatement = try db.prepare("SELECT \(summary), state FROM workflows WHERE id = ?")
        listWorkflowsStatement = try db.prepare(
            "SELECT \(summary) FROM workflows ORDER BY updated_at DESC, id LIMIT ? OFFSET ?")
        workflowVersion = try db.prepare("SELECT version FROM workflows WHERE id = ?")
        insertRun = try db.prepare("""
            INSERT INTO runs (id, workflow_id, workflow_version, conversation_id, triggered_by, status, started_at, input)
            VALUES (?, ?, ?, NULL, 'manual', 'running', ?, ?)
            """)
        finishRun = try db.prepare("""
            UPDATE runs SET status = ?, completed_at = ?, output = ?, error_message = NULL, blocks_executed = ?,
                tokens_used = ?, api_calls = ?
            WHERE id = ? AND status = 'running'
            """)
        listRunsStatement = try db.prepare("""
            SELECT id, workflow_id, workflow_version, agent_id, conversation_id, triggered_by, status, started_at, completed_at,
                error_message, blocks_executed, tokens_used, api_calls
            FROM runs WHERE workflow_id = ? ORDER BY started_at DESC, id LIMIT ? OFFSET ?
            """)
    }

    // MARK: - Transactions

    private func transaction<T>(_ start: OpaquePointer, _ body: () throws -> T) throws -> T {
        try db.run(start)
        do {
            let result = try body()
            try db.run(commit)
            return result
        } catch {
            try? db.exec("ROLLBACK")
            throw error
        }
    }

    // MARK: - Filling

    func createConversations(_ records: [ConversationRecord]) throws {
        for record in records {
            try transaction(beginImmediate) {
                let now = Self.nowMilliseconds()
                bind(insertConversation, 1, record.id)
                bind(insertConversation, 2, record.title)
                bind(insertConversation, 3, now)
                bind(insertConversation, 4, now)
                try db.run(insertConversation)
            }
        }
    }

    func createWorkflows(_ records: ArraySlice<WorkflowRecord>) throws {
        for record in records { _ = try saveWorkflow(record) }
    }

    func createRuns(_ records: ArraySlice<RunRecord>) throws {
        for record in records { try recordRun(record) }
    }

    // MARK: - Messages

    func importMessages(_ batch: ArraySlice<MessageRecord>) throws {
        try transaction(beginImmediate) {
            let now = Self.nowMilliseconds()
            var nextPositions: [String: Int64] = [:]
            var newest: [String: Int64] = [:]
            var positions: [Int64] = []
            for message in batch {
                let position = try nextPositions[message.conversationID] ?? position(after: message.conversationID)
                positions.append(position)
                nextPositions[message.conversationID] = position + 1
                newest[message.conversationID] = max(newest[message.conversationID] ?? .min, message.createdAt)
            }
            // As many rows per statement as simvault puts in one.
            var start = 0, rows = 64
            let messages = Array(batch)
            while start < messages.count {
                while rows > messages.count - start { rows /= 2 }
                let statement = insertMessages[rows]!
                for offset in 0..<rows {
                    let message = messages[start + offset], first = Int32(offset * 8)
                    bind(statement, first + 1, message.id)
                    bind(statement, first + 2, message.conversationID)
                    bind(statement, first + 3, positions[start + offset])
                    bind(statement, first + 4, message.role)
                    bind(statement, first + 5, message.content)
                    bind(statement, first + 6, Int64(message.tokens))
                    bind(statement, first + 7, message.createdAt)
                    bind(statement, first + 8, now)
                }
                try db.run(statement)
                start += rows
            }
            for (conversation, time) in newest {
                bind(touchImported, 1, time)
                bind(touchImported, 2, time)
                bind(touchImported, 3, time)
                bind(touchImported, 4, conversation)
                try db.run(touchImported)
            }
            try indexWaitingIfDue()
        }
    }

    /// The batch rule of ``PendingMessages/indexIfDue(in:)``.
    private func indexWaitingIfDue() throws {
        guard try db.integer(waitingCount) ?? 0 >= 64 else { return }
        try db.run(indexWaiting)
        try db.run(moveIndexedThrough)
    }

    func appendMessage(_ message: MessageRecord) throws -> Int {
        try transaction(beginImmediate) {
            let now = Self.nowMilliseconds()
            let position = try position(after: message.conversationID)
            try insert(message, at: position, now: now, createdAt: now)
            bind(touchConversation, 1, now)
            bind(touchConversation, 2, now)
            bind(touchConversation, 3, message.conversationID)
            try db.run(touchConversation)
            try indexWaitingIfDue()
            return Int(position)
        }
    }

    // MARK: - Streaming replies

    func beginReply(id: String, conversationID: String) throws -> Int {
        try transaction(beginImmediate) {
            let now = Self.nowMilliseconds()
            let position = try position(after: conversationID)
            bind(insertReply, 1, id)
            bind(insertReply, 2, conversationID)
            bind(insertReply, 3, position)
            bind(insertReply, 4, now)
            bind(insertReply, 5, now)
            try db.run(insertReply)
            replies[id] = (sqlite3_last_insert_rowid(db.handle), 0)
            bind(touchConversation, 1, now)
            bind(touchConversation, 2, now)
            bind(touchConversation, 3, conversationID)
            try db.run(touchConversation)
            return Int(position)
        }
    }

    func appendChunk(_ text: String, toReply id: String) throws {
        let reply = replies[id]!
        try transaction(beginImmediate) {
            bind(insertChunk, 1, reply.docid)
            bind(insertChunk, 2, reply.sequence)
            bind(insertChunk, 3, text)
            bind(insertChunk, 4, reply.docid)
            try db.run(insertChunk)
            guard sqlite3_changes(db.handle) == 1 else { throw BenchmarkFailure("reply \(id) is not streaming") }
        }
        replies[id] = (reply.docid, reply.sequence + 1)
    }

    func finishReply(id: String) throws -> Int {
        let reply = replies.removeValue(forKey: id)!
        return try transaction(beginImmediate) {
            bind(replyChunks, 1, reply.docid)
            var text = ""
            while try db.step(replyChunks) { text += columnText(replyChunks, 0)! }
            sqlite3_reset(replyChunks)
            bind(settleReply, 1, text)
            bind(settleReply, 2, Self.nowMilliseconds())
            bind(settleReply, 3, reply.docid)
            try db.run(settleReply)
            bind(deleteChunks, 1, reply.docid)
            try db.run(deleteChunks)
            try indexWaitingIfDue()
            return text.utf8.count
        }
    }

    private func position(after conversationID: String) throws -> Int64 {
        bind(nextPosition, 1, conversationID)
        return try db.integer(nextPosition) ?? 0
    }

    private func insert(_ message: MessageRecord, at position: Int64, now: Int64, createdAt: Int64) throws {
        bind(insertMessage, 1, message.id)
        bind(insertMessage, 2, message.conversationID)
        bind(insertMessage, 3, position)
        bind(insertMessage, 4, message.role)
        bind(insertMessage, 5, message.content)
        bind(insertMessage, 6, Int64(message.tokens))
        bind(insertMessage, 7, createdAt)
        bind(insertMessage, 8, now)
        try db.run(insertMessage)
    }

    func latestMessages(in conversationID: String, limit: Int) throws -> any Answer {
        try transaction(begin) {
            bind(latest, 1, conversationID)
            bind(latest, 2, Int64.max)
            bind(latest, 3, Int64(limit + 1))
            var rows = try readMessages(latest)
            let hasMore = rows.count > limit
            rows = Array(rows.prefix(limit).reversed())
            bind(hasLater, 1, conversationID)
            bind(hasLater, 2, Int64.max)
            let later = try db.integer(hasLater) != nil
            return RawPage(messages: rows, hasNext: later, hasPrevious: hasMore)
        }
    }

    func messages(in conversationID: String, after position: Int, limit: Int) throws -> any Answer {
        try transaction(begin) {
            bind(after, 1, conversationID)
            bind(after, 2, Int64(position))
            bind(after, 3, Int64(limit + 1))
            let rows = try readMessages(after)
            let page = Array(rows.prefix(limit))
            bind(hasEarlier, 1, conversationID)
            bind(hasEarlier, 2, page.first?.position ?? Int64(position + 1))
            let earlier = try db.integer(hasEarlier) != nil
            return RawPage(messages: page, hasNext: rows.count > limit, hasPrevious: earlier)
        }
    }

    private func readMessages(_ statement: OpaquePointer) throws -> [RawMessage] {
        defer { sqlite3_reset(statement) }
        var rows: [RawMessage] = []
        while try db.step(statement) {
            rows.append(RawMessage(
                id: columnText(statement, 1)!, conversationID: columnText(statement, 2)!,
                position: sqlite3_column_int64(statement, 3), role: columnText(statement, 4)!,
                content: columnText(statement, 5)!, contentType: columnText(statement, 6)!,
                model: columnText(statement, 7), tokens: columnOptionalInt(statement, 8), metadata: columnText(statement, 9),
                createdAt: sqlite3_column_int64(statement, 10), updatedAt: sqlite3_column_int64(statement, 11)))
        }
        return rows
    }

    func recentConversations(limit: Int) throws -> Int {
        defer { sqlite3_reset(recent) }
        bind(recent, 1, Int64(limit))
        bind(recent, 2, 0)
        var rows: [RawConversation] = []
        while try db.step(recent) {
            rows.append(RawConversation(
                id: columnText(recent, 0)!, userID: columnText(recent, 1), agentID: columnText(recent, 2),
                title: columnText(recent, 3)!, kind: columnText(recent, 4)!, model: columnText(recent, 5),
                status: columnText(recent, 6)!, isPinned: sqlite3_column_int64(recent, 7) != 0,
                isArchived: sqlite3_column_int64(recent, 8) != 0, extra: columnText(recent, 9),
                createdAt: sqlite3_column_int64(recent, 10), updatedAt: sqlite3_column_int64(recent, 11),
                lastMessageAt: columnOptionalInt(recent, 12)))
        }
        return rows.count
    }

    // MARK: - Search

    func searchMessages(_ text: String, limit: Int) throws -> any Answer {
        let expression = try SearchQuery(text).matchExpression
        return try transaction(begin) {
            // Messages waiting for the index: simvault searches them in
            // memory; this baseline measures only the indexed case.
            defer { sqlite3_reset(waitingRows) }
            guard try !db.step(waitingRows) else { throw BenchmarkFailure("the raw C baseline searches only indexed messages") }
            var ranking = MatchRanking(columnWeights: [1])
            bind(rank, 1, expression)
            while try db.step(rank) {
                ranking.add(
                    docid: sqlite3_column_int64(rank, 0),
                    matchinfo: UnsafeRawBufferPointer(start: sqlite3_column_blob(rank, 1), count: Int(sqlite3_column_bytes(rank, 1))))
            }
            sqlite3_reset(rank)
            let best = try ranking.best(limit) { docid, score in
                bind(docsize, 1, docid)
                defer { sqlite3_reset(docsize) }
                guard try db.step(docsize) else { return score(nil) }
                return score(UnsafeRawBufferPointer(start: sqlite3_column_blob(docsize, 0), count: Int(sqlite3_column_bytes(docsize, 0))))
            }
            guard !best.isEmpty else { return RawHits(hits: []) }
            let details = try hitDetails(count: best.count)
            defer { sqlite3_reset(details) }
            bind(details, 1, "[")
            bind(details, 2, "]")
            bind(details, 3, "…")
            bind(details, 4, expression)
            for (offset, hit) in best.enumerated() { bind(details, Int32(5 + offset), hit.docid) }
            let scores = Dictionary(uniqueKeysWithValues: best.map { ($0.docid, $0.score) })
            var hits: [RawHit] = []
            while try db.step(details) {
                hits.append(RawHit(
                    id: columnText(details, 1)!, conversationID: columnText(details, 2)!,
                    position: sqlite3_column_int64(details, 3), role: columnText(details, 4)!, title: columnText(details, 5)!,
                    snippet: columnText(details, 6)!, score: scores[sqlite3_column_int64(details, 0)] ?? 0))
            }
            return RawHits(hits: hits.sorted { ($0.score, $1.id) > ($1.score, $0.id) })
        }
    }

    private func hitDetails(count: Int) throws -> OpaquePointer {
        if let statement = hitDetails[count] { return statement }
        let statement = try db.prepare("""
            SELECT messages_fts.docid AS docid, m.id, m.conversation_id, m.position, m.role, c.title,
                snippet(messages_fts, ?, ?, ?, -1, 16) AS snippet
            FROM messages_fts
            CROSS JOIN messages m ON m.doc_id = messages_fts.docid
            CROSS JOIN conversations c ON c.id = m.conversation_id
            WHERE messages_fts MATCH ? AND messages_fts.docid IN (\(Array(repeating: "?", count: count).joined(separator: ", ")))
            """)
        hitDetails[count] = statement
        return statement
    }

    // MARK: - Workflows

    func saveWorkflow(_ record: WorkflowRecord) throws -> Int {
        let packed = try Self.compress(record.state)
        let tags = "[" + record.tags.map { "\"\($0)\"" }.joined(separator: ",") + "]"
        return try transaction(beginImmediate) {
            let now = Self.nowMilliseconds()
            bind(workflowState, 1, record.id)
            defer { sqlite3_reset(workflowState) }
            guard try db.step(workflowState) else {
                sqlite3_reset(workflowState)
                for (index, text) in [record.id, record.name, record.description, record.category, tags].enumerated() {
                    bind(insertWorkflow, Int32(index + 1), text)
                }
                bind(insertWorkflow, 6, packed)
                bind(insertWorkflow, 7, Int64(record.state.count))
                bind(insertWorkflow, 8, now)
                bind(insertWorkflow, 9, now)
                try db.run(insertWorkflow)
                return 1
            }
            let count = Int(sqlite3_column_bytes(workflowState, 0))
            let unchanged = count == packed.count && packed.withUnsafeBytes {
                memcmp($0.baseAddress!, sqlite3_column_blob(workflowState, 0)!, count) == 0
            }
            let version = sqlite3_column_int64(workflowState, 1)
            sqlite3_reset(workflowState)
            if unchanged {
                for (index, text) in [record.name, record.description, record.category, tags].enumerated() {
                    bind(updateWorkflowMetadata, Int32(index + 1), text)
                }
                bind(updateWorkflowMetadata, 5, now)
                bind(updateWorkflowMetadata, 6, record.id)
                try db.run(updateWorkflowMetadata)
                return Int(version)
            }
            bind(insertVersion, 1, record.id)
            try db.run(insertVersion)
            for (index, text) in [record.name, record.description, record.category, tags].enumerated() {
                bind(updateWorkflow, Int32(index + 1), text)
            }
            bind(updateWorkflow, 5, packed)
            bind(updateWorkflow, 6, Int64(record.state.count))
            bind(updateWorkflow, 7, version + 1)
            bind(updateWorkflow, 8, now)
            bind(updateWorkflow, 9, record.id)
            try db.run(updateWorkflow)
            return Int(version + 1)
        }
    }

    func loadWorkflow(id: String) throws -> Int {
        let statement = loadWorkflowStatement
        defer { sqlite3_reset(statement) }
        bind(statement, 1, id)
        guard try db.step(statement) else { return -1 }
        let summary = Self.workflowSummary(statement)
        let state = try Self.inflate(
            sqlite3_column_blob(statement, 10)!, count: Int(sqlite3_column_bytes(statement, 10)), size: summary.stateBytes)
        return RawWorkflow(summary: summary, state: state).state.count
    }

    func listWorkflows(limit: Int) throws -> Int {
        let statement = listWorkflowsStatement
        defer { sqlite3_reset(statement) }
        bind(statement, 1, Int64(limit))
        bind(statement, 2, 0)
        var rows: [RawWorkflowSummary] = []
        while try db.step(statement) { rows.append(Self.workflowSummary(statement)) }
        return rows.count
    }

    private static func workflowSummary(_ statement: OpaquePointer) -> RawWorkflowSummary {
        RawWorkflowSummary(
            id: columnText(statement, 0)!, name: columnText(statement, 1)!, description: columnText(statement, 2)!,
            category: columnText(statement, 3)!, tags: columnText(statement, 4)!, version: sqlite3_column_int64(statement, 5),
            stateBytes: Int(sqlite3_column_int64(statement, 6)), storedBytes: Int(sqlite3_column_int64(statement, 7)),
            createdAt: sqlite3_column_int64(statement, 8), updatedAt: sqlite3_column_int64(statement, 9))
    }

    // MARK: - Runs

    func recordRun(_ run: RunRecord) throws {
        let input = try Self.compress(run.input)
        try transaction(beginImmediate) {
            bind(workflowVersion, 1, run.workflowID)
            let version = try db.integer(workflowVersion)
            bind(insertRun, 1, run.id)
            bind(insertRun, 2, run.workflowID)
            if let version { bind(insertRun, 3, version) } else { sqlite3_bind_null(insertRun, 3) }
            bind(insertRun, 4, Self.nowMilliseconds())
            bind(insertRun, 5, input)
            try db.run(insertRun)
        }
        let output = try Self.compress(run.output)
        try transaction(beginImmediate) {
            bind(finishRun, 1, run.succeeded ? "success" : "error")
            bind(finishRun, 2, Self.nowMilliseconds())
            bind(finishRun, 3, output)
            bind(finishRun, 4, 4)
            bind(finishRun, 5, 1_200)
            bind(finishRun, 6, 2)
            bind(finishRun, 7, run.id)
            try db.run(finishRun)
        }
    }

    func listRuns(workflowID: String, limit: Int) throws -> Int {
        let statement = listRunsStatement
        defer { sqlite3_reset(statement) }
        bind(statement, 1, workflowID)
        bind(statement, 2, Int64(limit))
        bind(statement, 3, 0)
        var rows: [RawRun] = []
        while try db.step(statement) {
            rows.append(RawRun(
                id: columnText(statement, 0)!, workflowID: columnText(statement, 1), workflowVersion: columnOptionalInt(statement, 2),
                agentID: columnText(statement, 3), conversationID: columnText(statement, 4), trigger: columnText(statement, 5)!,
                status: columnText(statement, 6)!, startedAt: sqlite3_column_int64(statement, 7),
                completedAt: columnOptionalInt(statement, 8), errorMessage: columnText(statement, 9),
                blocksExecuted: sqlite3_column_int64(statement, 10), tokensUsed: sqlite3_column_int64(statement, 11),
                apiCalls: sqlite3_column_int64(statement, 12)))
        }
        return rows.count
    }

    // MARK: - Housekeeping

    func checkpoint() throws { try db.exec("PRAGMA wal_checkpoint(TRUNCATE)") }

    func close() {}

    /// The database handle, for the page-cost probes.
    var handle: OpaquePointer { db.handle }

    // MARK: - zlib and time

    static func compress(_ data: Data) throws -> Data {
        var capacity = compressBound(uLong(data.count))
        var output = Data(count: Int(capacity))
        let status = output.withUnsafeMutableBytes { out in
            data.withUnsafeBytes { input in
                compress2(out.baseAddress!.assumingMemoryBound(to: Bytef.self), &capacity,
                          input.baseAddress!.assumingMemoryBound(to: Bytef.self), uLong(input.count), Zlib.defaultLevel)
            }
        }
        guard status == Z_OK else { throw RawDatabase.Failure(code: status, message: "compress2 failed") }
        output.count = Int(capacity)
        return output
    }

    static func inflate(_ bytes: UnsafeRawPointer, count: Int, size: Int) throws -> Data {
        var output = Data(count: size)
        var length = uLong(size)
        let status = output.withUnsafeMutableBytes {
            uncompress($0.baseAddress!.assumingMemoryBound(to: Bytef.self), &length, bytes.assumingMemoryBound(to: Bytef.self), uLong(count))
        }
        guard status == Z_OK, Int(length) == size else { throw RawDatabase.Failure(code: status, message: "uncompress failed") }
        return output
    }

    static func nowMilliseconds() -> Int64 {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        return Int64(time.tv_sec) * 1_000 + Int64(time.tv_nsec) / 1_000_000
    }
}

// MARK: - Plain result structs

struct RawMessage {
    let id, conversationID: String
    let position: Int64
    let role, content, contentType: String
    let model: String?
    let tokens: Int64?
    let metadata: String?
    let createdAt, updatedAt: Int64
}

struct RawPage: Answer {
    let messages: [RawMessage]
    let hasNext, hasPrevious: Bool

    var fingerprint: Int {
        var hasher = Hasher()
        for message in messages {
            hasher.combine(message.id)
            hasher.combine(Int(message.position))
            hasher.combine(message.content.utf8.count)
        }
        return hasher.finalize()
    }
}

struct RawConversation {
    let id: String
    let userID, agentID: String?
    let title, kind: String
    let model: String?
    let status: String
    let isPinned, isArchived: Bool
    let extra: String?
    let createdAt, updatedAt: Int64
    let lastMessageAt: Int64?
}

struct RawHit {
    let id, conversationID: String
    let position: Int64
    let role, title, snippet: String
    let score: Double
}

struct RawHits: Answer {
    let hits: [RawHit]

    var fingerprint: Int {
        var hasher = Hasher()
        for hit in hits { hasher.combine(hit.id) }
        return hasher.finalize()
    }
}

struct RawWorkflowSummary {
    let id, name, description, category, tags: String
    let version: Int64
    let stateBytes, storedBytes: Int
    let createdAt, updatedAt: Int64
}

struct RawWorkflow {
    let summary: RawWorkflowSummary
    let state: Data
}

struct RawRun {
    let id: String
    let workflowID: String?
    let workflowVersion: Int64?
    let agentID, conversationID: String?
    let trigger, status: String
    let startedAt: Int64
    let completedAt: Int64?
    let errorMessage: String?
    let blocksExecuted, tokensUsed, apiCalls: Int64
}
