/// Creates, lists, reads, updates and deletes ``Conversation``s.
///
/// ```swift
/// let chat = try vault.conversations.create(Conversation(title: "Trip planning", agentID: helper.id))
/// let recent = try vault.conversations.list()          // pinned first, then newest
/// try vault.conversations.delete(id: chat.id)          // and its messages, attachments, index entries
/// ```
public struct ConversationStore: Sendable {
    let vault: Vault

    /// Adds `conversation` (its timestamps are set now).
    ///
    /// - Throws: ``VaultError/invalidArgument(detail:)`` for a duplicate id,
    ///   `extra` that is not JSON, or a user/agent that does not exist.
    @discardableResult
    public func create(_ conversation: Conversation) throws -> Conversation {
        try Self.validate(conversation)
        return try vault.writeCheckingSchema { db in
            if try db.scalar("SELECT 1 FROM conversations WHERE id = ?", [conversation.id], as: Int.self) != nil {
                throw VaultError.invalidArgument(detail: "a conversation with id \"\(conversation.id)\" already exists")
            }
            try Self.requireLinks(of: conversation, in: db)
            let now = Clock.nowMilliseconds()
            try db.execute("""
                INSERT INTO conversations (id, user_id, agent_id, title, kind, model, status, is_pinned, is_archived, extra,
                    created_at, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
                [conversation.id, conversation.userID, conversation.agentID, conversation.title, conversation.kind,
                 conversation.model, conversation.status.rawValue, conversation.isPinned, conversation.isArchived,
                 conversation.extra, now, now])
            return try Self.fetch(conversation.id, in: db)
        }
    }

    /// The conversation with `id`, or nil.
    public func get(id: String) throws -> Conversation? {
        try vault.readCheckingSchema { db in
            try db.fetchOne(Conversation.self, "SELECT \(Conversation.selection) FROM conversations WHERE id = ?", [id])
        }
    }

    /// Conversations matching `filter`: pinned first, then most recently
    /// updated.
    public func list(_ filter: ConversationFilter = ConversationFilter()) throws -> [Conversation] {
        var query = QueryFilter()
        query.add("is_archived = 0", when: !filter.includesArchived)
        query.add("user_id = ?", filter.userID)
        query.add("agent_id = ?", filter.agentID)
        return try vault.readCheckingSchema { db in
            try db.fetchAll(
                Conversation.self,
                "SELECT \(Conversation.selection) FROM conversations \(query.whereClause) ORDER BY is_pinned DESC, updated_at DESC, id LIMIT ? OFFSET ?",
                query.arguments(limit: filter.limit, offset: filter.offset))
        }
    }

    /// Saves every field of `conversation` but its id and timestamps, and
    /// moves `updatedAt` to now. Never deletes and re-inserts the row, so its
    /// messages and runs are untouched.
    ///
    /// - Throws: ``VaultError/recordNotFound(kind:id:)``,
    ///   ``VaultError/invalidArgument(detail:)``.
    @discardableResult
    public func update(_ conversation: Conversation) throws -> Conversation {
        try Self.validate(conversation)
        return try vault.writeCheckingSchema { db in
            try Self.requireLinks(of: conversation, in: db)
            try db.execute("""
                UPDATE conversations SET user_id = ?, agent_id = ?, title = ?, kind = ?, model = ?, status = ?,
                    is_pinned = ?, is_archived = ?, extra = ?, updated_at = ?
                WHERE id = ?
                """,
                [conversation.userID, conversation.agentID, conversation.title, conversation.kind, conversation.model,
                 conversation.status.rawValue, conversation.isPinned, conversation.isArchived, conversation.extra,
                 Clock.nowMilliseconds(), conversation.id])
            return try Self.fetch(conversation.id, in: db)
        }
    }

    /// Deletes the conversation with its messages, their attachments and
    /// their search index entries (one transaction). Returns false if there
    /// was no such conversation.
    @discardableResult
    public func delete(id: String) throws -> Bool {
        try vault.writeCheckingSchema { db in
            try db.execute("DELETE FROM conversations WHERE id = ?", [id])
            return db.changes == 1
        }
    }

    private static func validate(_ conversation: Conversation) throws {
        try ArgumentCheck.requireNonBlank(conversation.id, "a conversation id")
        try ArgumentCheck.requireJSON(conversation.extra, "a conversation's extra")
    }

    /// Names a missing user or agent instead of failing with a bare foreign
    /// key error.
    private static func requireLinks(of conversation: Conversation, in db: Connection) throws {
        if let userID = conversation.userID { try ArgumentCheck.requireExists("users", "user", userID, in: db) }
        if let agentID = conversation.agentID { try ArgumentCheck.requireExists("agents", "agent", agentID, in: db) }
    }

    static func fetch(_ id: String, in db: Connection) throws -> Conversation {
        guard let conversation = try db.fetchOne(Conversation.self, "SELECT \(Conversation.selection) FROM conversations WHERE id = ?", [id]) else {
            throw VaultError.recordNotFound(kind: "conversation", id: id)
        }
        return conversation
    }
}
