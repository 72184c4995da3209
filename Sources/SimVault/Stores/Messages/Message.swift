/// One message of a conversation, at a fixed position in it.
public struct Message: Sendable, Equatable, Hashable, Codable, Identifiable {
    /// Who wrote it.
    public enum Role: String, Sendable, Codable, CaseIterable {
        case system, user, assistant, tool
    }

    /// Whether the text is all there: a streamed reply
    /// (``MessageStore/beginReply(in:role:model:contentType:metadata:id:durability:)``)
    /// is `streaming` until it is finished, failed or cancelled.
    public enum Status: String, Sendable, Codable, CaseIterable {
        /// A whole message (every message that was not streamed).
        case complete
        /// A reply whose text is still arriving; ``Message/content`` holds
        /// what has been written so far. Search finds it once it stops.
        case streaming
        /// A reply whose process ended before it finished (a crash, a kill,
        /// a closed laptop): the text written until then, settled by the
        /// next ``Vault/open(at:unlock:configuration:)``.
        case interrupted
        /// A reply the app ended with ``MessageReply/fail(error:)``; the
        /// reason is in ``Message/errorMessage``.
        case failed
        /// A reply the app ended with ``MessageReply/cancel()``.
        case cancelled
    }

    public let id: String
    public let conversationID: String
    /// 0, 1, 2... in the order messages were appended. Deleting a message
    /// leaves a gap (appending always goes after the current last message).
    public let position: Int
    public var role: Role
    /// The text (or JSON, for structured content) that the search index covers.
    public var content: String
    /// App-defined content type, e.g. `text`, `markdown`, `tool_call`.
    public var contentType: String
    /// The model that produced it, for assistant messages.
    public var model: String?
    /// Token count, when known.
    public var tokens: Int?
    /// App-specific JSON.
    public var metadata: String?
    /// Unix milliseconds.
    public let createdAt: Int64
    /// Unix milliseconds.
    public var updatedAt: Int64
    /// `complete` unless the message is a streamed reply that is still
    /// streaming or did not finish.
    public let status: Status
    /// Why a reply failed (``MessageReply/fail(error:)``); nil otherwise.
    public let errorMessage: String?
}

extension Message: StatementRecord {
    static let selection = "id, conversation_id, position, role, content, content_type, model, tokens, metadata, created_at, updated_at, status, error_message"
    static let columnCount = 13

    init(statement row: Statement) throws {
        id = try row.get(0)
        conversationID = try row.get(1)
        position = try row.get(2)
        let roleText: String = try row.get(3)
        guard let role = Role(rawValue: roleText) else {
            throw RowDecodingError(column: "role", detail: "unknown message role \(roleText)")
        }
        self.role = role
        content = try row.get(4)
        contentType = try row.get(5)
        model = try row.get(6)
        tokens = try row.get(7)
        metadata = try row.get(8)
        createdAt = try row.get(9)
        updatedAt = try row.get(10)
        let statusText: String = try row.get(11)
        guard let status = Status(rawValue: statusText) else {
            throw RowDecodingError(column: "status", detail: "unknown message status \(statusText)")
        }
        self.status = status
        errorMessage = try row.get(12)
    }
}

/// A message to add with ``MessageStore/append(contentsOf:)``: an import of
/// many messages, in one transaction.
public struct NewMessage: Sendable, Equatable {
    public var conversationID: String
    public var role: Message.Role
    public var content: String
    public var contentType: String
    public var model: String?
    public var tokens: Int?
    /// App-specific JSON.
    public var metadata: String?
    /// The message id (nil: a new random one).
    public var id: String?
    /// Unix milliseconds (nil: now). An import keeps the original time.
    public var createdAt: Int64?

    public init(
        conversationID: String, role: Message.Role, content: String, contentType: String = "text", model: String? = nil,
        tokens: Int? = nil, metadata: String? = nil, id: String? = nil, createdAt: Int64? = nil
    ) {
        self.conversationID = conversationID
        self.role = role
        self.content = content
        self.contentType = contentType
        self.model = model
        self.tokens = tokens
        self.metadata = metadata
        self.id = id
        self.createdAt = createdAt
    }
}

/// One page of a conversation's messages, in position order.
public struct MessagePage: Sendable, Equatable, Codable {
    /// The messages, oldest first.
    public let messages: [Message]
    /// Pass as `after:` to ``MessageStore/page(in:after:limit:)`` for the next
    /// page; nil when this page reaches the end.
    public let nextPosition: Int?
    /// Pass as `before:` to ``MessageStore/latest(in:before:limit:)`` for the
    /// page before this one; nil when this page reaches the start.
    public let previousPosition: Int?
}
