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

    init(row: Row) throws {
        id = try row.get("id")
        userID = try row.get("user_id")
        agentID = try row.get("agent_id")
        title = try row.get("title")
        kind = try row.get("kind")
        model = try row.get("model")
        let statusText: String = try row.get("status")
        guard let status = Status(rawValue: statusText) else {
            throw RowDecodingError(column: "status", detail: "unknown conversation status \(statusText)")
        }
        self.status = status
        isPinned = try row.get("is_pinned")
        isArchived = try row.get("is_archived")
        extra = try row.get("extra")
        createdAt = try row.get("created_at")
        updatedAt = try row.get("updated_at")
        lastMessageAt = try row.get("last_message_at")
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
