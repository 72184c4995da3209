/// A chat thread with a model or an agent.
public struct Conversation: Sendable, Equatable, Hashable, Codable, Identifiable {
    /// Where a conversation stands (AionUi's pending/running/finished, plus
    /// idle and failed).
    public enum Status: String, Sendable, Codable, CaseIterable {
        case idle, pending, running, finished, failed
    }

    public let id: String
    /// The owning user (nil in single-user apps). Deleting the user deletes
    /// the conversation.
    public var userID: String?
    /// The agent it talks to, if any. Deleting the agent unlinks it.
    public var agentID: String?
    public var title: String
    /// App-defined kind, e.g. `chat`, `gemini`, `codex`.
    public var kind: String
    /// Model name or JSON model configuration.
    public var model: String?
    public var status: Status
    public var isPinned: Bool
    public var isArchived: Bool
    /// App-specific JSON. Never an API key: those live in ``SecretStore``.
    public var extra: String?
    /// Unix milliseconds.
    public let createdAt: Int64
    /// Unix milliseconds; also moved by every appended message.
    public var updatedAt: Int64
    /// Unix milliseconds of the newest message, nil when empty.
    public var lastMessageAt: Int64?

    /// A new conversation to pass to ``ConversationStore/create(_:)``; the
    /// store sets the timestamps.
    public init(
        id: String? = nil, title: String = "", kind: String = "chat", userID: String? = nil, agentID: String? = nil,
        model: String? = nil, status: Status = .idle, isPinned: Bool = false, isArchived: Bool = false, extra: String? = nil
    ) {
        self.id = id ?? RecordID.make()
        self.title = title
        self.kind = kind
        self.userID = userID
        self.agentID = agentID
        self.model = model
        self.status = status
        self.isPinned = isPinned
        self.isArchived = isArchived
        self.extra = extra
        createdAt = 0
        updatedAt = 0
        lastMessageAt = nil
    }

}

extension Conversation: StatementRecord {
    static let selection = """
        id, user_id, agent_id, title, kind, model, status, is_pinned, is_archived, extra, created_at, updated_at,
        last_message_at
        """
    static let columnCount = 13

    init(statement row: Statement) throws {
        id = try row.get(0)
        userID = try row.get(1)
        agentID = try row.get(2)
        title = try row.get(3)
        kind = try row.get(4)
        model = try row.get(5)
        let statusText: String = try row.get(6)
        guard let status = Status(rawValue: statusText) else {
            throw RowDecodingError(column: "status", detail: "unknown conversation status \(statusText)")
        }
        self.status = status
        isPinned = try row.get(7)
        isArchived = try row.get(8)
        extra = try row.get(9)
        createdAt = try row.get(10)
        updatedAt = try row.get(11)
        lastMessageAt = try row.get(12)
    }
}

/// Which conversations ``ConversationStore/list(_:)`` returns.
public struct ConversationFilter: Sendable, Equatable {
    /// Include archived conversations (default: only unarchived).
    public var includesArchived = false
    /// Only this user's.
    public var userID: String?
    /// Only those with this agent.
    public var agentID: String?
    /// Page size (1...1000).
    public var limit = 50
    /// Rows to skip.
    public var offset = 0

    public init(includesArchived: Bool = false, userID: String? = nil, agentID: String? = nil, limit: Int = 50, offset: Int = 0) {
        self.includesArchived = includesArchived
        self.userID = userID
        self.agentID = agentID
        self.limit = limit
        self.offset = offset
    }
}
