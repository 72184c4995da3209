/// Appends, pages through, edits and deletes a conversation's ``Message``s.
///
/// ```swift
/// try vault.messages.append(to: chat.id, role: .user, content: "What's the weather in Lyon?")
/// var page = try vault.messages.page(in: chat.id, limit: 100)   // oldest first
/// while let next = page.nextPosition {
///     page = try vault.messages.page(in: chat.id, after: next, limit: 100)
/// }
/// let tail = try vault.messages.latest(in: chat.id, limit: 20)  // for a chat view
/// ```
///
/// Every change keeps the full-text index in step (in the same
/// transaction), so ``Vault/search(_:in:limit:)`` never returns a deleted
/// message or misses an edit. New messages reach the FTS4 index in batches
/// (``PendingMessages``); until then search finds them through an index of
/// the pending ones, with the same ranking.
///
/// A reply that streams in is written as it arrives:
/// ``beginReply(in:role:model:contentType:metadata:id:durability:)``.
public struct MessageStore: Sendable {
    let vault: Vault

    /// Adds a message at the end of the conversation and moves the
    /// conversation's `updatedAt`/`lastMessageAt`.
    ///
    /// - Throws: ``VaultError/recordNotFound(kind:id:)`` when the
    ///   conversation does not exist; ``VaultError/invalidArgument(detail:)``
    ///   for metadata that is not JSON or a negative token count.
    @discardableResult
    public func append(
        to conversationID: String, role: Message.Role, content: String, contentType: String = "text",
        model: String? = nil, tokens: Int? = nil, metadata: String? = nil, id: String? = nil
    ) throws -> Message {
        let id = id ?? RecordID.make()
        let message = NewMessage(
            conversationID: conversationID, role: role, content: content, contentType: contentType, model: model,
            tokens: tokens, metadata: metadata, id: id)
        try Self.validate(message)
        return try vault.writeCheckingSchema { db in
            let now = Clock.nowMilliseconds()
            try Self.insert(message, at: try Self.nextPosition(in: conversationID, db), now: now, in: db)
            try db.execute(
                "UPDATE conversations SET updated_at = ?, last_message_at = ? WHERE id = ?", [now, now, conversationID])
            try PendingMessages.indexIfDue(in: db)
            return try Self.fetch(id, in: db)
        }
    }

    /// Adds `messages` in one transaction, each at the end of its
    /// conversation, in the order given: an import. Each conversation's
    /// `updatedAt`/`lastMessageAt` move to its newest imported message when
    /// that is later. Nothing is added when any message is refused.
    ///
    /// ```swift
    /// try vault.messages.append(contentsOf: exported.map {
    ///     NewMessage(conversationID: chat.id, role: $0.role, content: $0.text, createdAt: $0.time)
    /// })
    /// ```
    ///
    /// - Returns: the number of messages added.
    /// - Throws: ``VaultError/recordNotFound(kind:id:)`` when a conversation
    ///   does not exist; ``VaultError/invalidArgument(detail:)`` as
    ///   ``append(to:role:content:contentType:model:tokens:metadata:id:)``.
    @discardableResult
    public func append(contentsOf messages: [NewMessage]) throws -> Int {
        for message in messages { try Self.validate(message) }
        return try vault.writeCheckingSchema { db in
            let now = Clock.nowMilliseconds()
            var nextPositions: [String: Int] = [:]
            var newest: [String: Int64] = [:]
            var positioned: [(message: NewMessage, position: Int)] = []
            positioned.reserveCapacity(messages.count)
            for message in messages {
                let conversation = message.conversationID
                let position = try nextPositions[conversation] ?? Self.nextPosition(in: conversation, db)
                positioned.append((message, position))
                nextPositions[conversation] = position + 1
                newest[conversation] = max(newest[conversation] ?? .min, message.createdAt ?? now)
            }
            try Self.insert(positioned[...], now: now, in: db)
            for (conversation, time) in newest {
                try db.execute("""
                    UPDATE conversations SET updated_at = max(updated_at, ?), last_message_at = max(coalesce(last_message_at, ?), ?)
                    WHERE id = ?
                    """, [time, time, time, conversation])
            }
            try PendingMessages.indexIfDue(in: db)
            return messages.count
        }
    }

    /// The message with `id`, or nil.
    public func get(id: String) throws -> Message? {
        try vault.readCheckingSchema { db in
            try db.fetchOne(Message.self, "SELECT \(Message.selection) FROM messages WHERE id = ?", [id]).map { try Self.withStreamedText($0, in: db) }
        }
    }

    /// Up to `limit` messages after position `after` (from the start when
    /// nil), oldest first.
    public func page(in conversationID: String, after: Int? = nil, limit: Int = 50) throws -> MessagePage {
        let size = ArgumentCheck.clampedPageSize(limit)
        return try vault.readCheckingSchema { db in
            let rows = try db.fetchAll(
                Message.self, "SELECT \(Message.selection) FROM messages WHERE conversation_id = ? AND position > ? ORDER BY position LIMIT ?",
                [conversationID, after ?? -1, size + 1])
            let messages = try Self.withStreamedText(Array(rows.prefix(size)), in: db)
            let hasEarlier = try Self.exists(in: conversationID, before: messages.first?.position ?? (after ?? -1) + 1, db)
            return MessagePage(
                messages: messages, nextPosition: rows.count > size ? messages.last?.position : nil,
                previousPosition: hasEarlier ? messages.first?.position : nil)
        }
    }

    /// The `limit` messages just before position `before` (the newest when
    /// nil), oldest first: what a chat view shows, scrolling up.
    public func latest(in conversationID: String, before: Int? = nil, limit: Int = 50) throws -> MessagePage {
        let size = ArgumentCheck.clampedPageSize(limit)
        return try vault.readCheckingSchema { db in
            let rows = try db.fetchAll(
                Message.self, "SELECT \(Message.selection) FROM messages WHERE conversation_id = ? AND position < ? ORDER BY position DESC LIMIT ?",
                [conversationID, before ?? Int.max, size + 1])
            let messages = try Self.withStreamedText(Array(rows.prefix(size).reversed()), in: db)
            let hasLater = try db.scalar(
                "SELECT 1 FROM messages WHERE conversation_id = ? AND position >= ? LIMIT 1",
                [conversationID, before ?? Int.max], as: Int.self) != nil
            return MessagePage(
                messages: messages, nextPosition: hasLater ? messages.last?.position : nil,
                previousPosition: rows.count > size ? messages.first?.position : nil)
        }
    }

    /// Number of messages in the conversation.
    public func count(in conversationID: String) throws -> Int {
        try vault.readCheckingSchema { db in
            try db.scalar("SELECT count(*) FROM messages WHERE conversation_id = ?", [conversationID]) ?? 0
        }
    }

    /// Saves an edited message: role, content, content type, model, tokens
    /// and metadata. The search index follows the new content.
    ///
    /// - Throws: ``VaultError/recordNotFound(kind:id:)``,
    ///   ``VaultError/invalidArgument(detail:)`` (also for a reply that is
    ///   still streaming: its text belongs to its ``MessageReply``).
    @discardableResult
    public func update(_ message: Message) throws -> Message {
        try ArgumentCheck.requireJSON(message.metadata, "a message's metadata")
        if let tokens = message.tokens, tokens < 0 { throw VaultError.invalidArgument(detail: "a token count cannot be negative") }
        return try vault.writeCheckingSchema { db in
            let status: String? = try db.scalar("SELECT status FROM messages WHERE id = ?", [message.id])
            if status == Message.Status.streaming.rawValue {
                throw VaultError.invalidArgument(detail: "message \(message.id) is a reply that is still streaming; finish, fail or cancel it before editing it")
            }
            try db.execute("""
                UPDATE messages SET role = ?, content = ?, content_type = ?, model = ?, tokens = ?, metadata = ?, updated_at = ?
                WHERE id = ?
                """,
                [message.role.rawValue, message.content, message.contentType, message.model, message.tokens,
                 message.metadata, Clock.nowMilliseconds(), message.id])
            return try Self.fetch(message.id, in: db)
        }
    }

    /// Deletes the message, its attachments, its index entry and, for a
    /// reply, its chunks (its ``MessageReply`` then fails). Returns false if
    /// there was no such message.
    @discardableResult
    public func delete(id: String) throws -> Bool {
        try vault.writeCheckingSchema { db in
            try db.execute("DELETE FROM messages WHERE id = ?", [id])
            return db.changes == 1
        }
    }

    /// Adds every message still waiting for the full-text index to it now
    /// (they are added 64 at a time; search finds them either way): for an
    /// app that wants the index settled, e.g. before it goes idle. Returns
    /// how many were added.
    @discardableResult
    public func indexPendingMessages() throws -> Int {
        try vault.writeCheckingSchema { db in try PendingMessages.indexAll(in: db) }
    }

    static func validate(_ message: NewMessage) throws {
        try ArgumentCheck.requireJSON(message.metadata, "a message's metadata")
        if let tokens = message.tokens, tokens < 0 { throw VaultError.invalidArgument(detail: "a token count cannot be negative") }
        if let id = message.id { try ArgumentCheck.requireNonBlank(id, "a message id") }
    }

    /// The position after the conversation's last message (0 when empty).
    ///
    /// - Throws: ``VaultError/recordNotFound(kind:id:)`` when there is no
    ///   such conversation.
    static func nextPosition(in conversationID: String, _ db: Connection) throws -> Int {
        try ArgumentCheck.requireExists("conversations", "conversation", conversationID, in: db)
        return try db.scalar(
            "SELECT coalesce(max(position) + 1, 0) FROM messages WHERE conversation_id = ?", [conversationID]) ?? 0
    }

    private static func insert(_ message: NewMessage, at position: Int, now: Int64, in db: Connection) throws {
        try insert([(message, position)], now: now, in: db)
    }

    /// Rows per INSERT of an import: 64 rows of 11 values stay within
    /// SQLite 3.15's 999 parameters.
    static let rowsPerInsert = 64

    /// Inserts `rows` with as few statements as it takes: 64 rows each, the
    /// rest in statements of 32, 16, ... rows (a few SQL texts for the
    /// statement cache, not one per count).
    ///
    /// Why not one statement per row: inside a transaction, every INSERT
    /// into `messages` keeps a statement journal (its FTS trigger writes a
    /// virtual table, so the statement may have to be undone on its own),
    /// and SQLCipher 3.4.1 encrypts every page it copies into that journal,
    /// about six per message. One statement per 64 rows copies each page
    /// once: importing 1,000 messages sealed ~7,000 pages one by one and
    /// ~1,500 this way (docs/performance.md).
    private static func insert(_ rows: ArraySlice<(message: NewMessage, position: Int)>, now: Int64, in db: Connection) throws {
        var rest = rows
        var size = rowsPerInsert
        while !rest.isEmpty {
            while size > rest.count { size /= 2 }
            let chunk = rest.prefix(size)
            rest = rest.dropFirst(size)
            var arguments: [any DatabaseValueConvertible] = []
            arguments.reserveCapacity(chunk.count * 11)
            for (message, position) in chunk {
                arguments += [
                    message.id ?? RecordID.make(), message.conversationID, position, message.role.rawValue, message.content,
                    message.contentType, message.model, message.tokens, message.metadata, message.createdAt ?? now, now,
                ] as [any DatabaseValueConvertible]
            }
            try db.execute("""
                INSERT INTO messages (id, conversation_id, position, role, content, content_type, model, tokens, metadata,
                    created_at, updated_at)
                VALUES \(Array(repeating: "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", count: chunk.count).joined(separator: ", "))
                """, arguments)
        }
    }

    private static func exists(in conversationID: String, before position: Int, _ db: Connection) throws -> Bool {
        try db.scalar(
            "SELECT 1 FROM messages WHERE conversation_id = ? AND position < ? LIMIT 1", [conversationID, position],
            as: Int.self) != nil
    }

    static func fetch(_ id: String, in db: Connection) throws -> Message {
        guard let message = try db.fetchOne(Message.self, "SELECT \(Message.selection) FROM messages WHERE id = ?", [id]) else {
            throw VaultError.recordNotFound(kind: "message", id: id)
        }
        return try withStreamedText(message, in: db)
    }

    /// `message` with the chunks written so far after its content, when it
    /// is a reply that is still streaming.
    static func withStreamedText(_ message: Message, in db: Connection) throws -> Message {
        guard message.status == .streaming else { return message }
        var streamed = message
        streamed.content += try ReplyChunks.text(ofMessage: message.id, in: db)
        return streamed
    }

    static func withStreamedText(_ messages: [Message], in db: Connection) throws -> [Message] {
        guard messages.contains(where: { $0.status == .streaming }) else { return messages }
        return try messages.map { try withStreamedText($0, in: db) }
    }
}
