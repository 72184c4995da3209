/// Where full-text search looks.
public enum SearchScope: String, Sendable, Codable, CaseIterable {
    /// Message text.
    case messages
    /// Workflow names, descriptions and tags.
    case workflows
}

/// One search result, with a snippet of the matching text.
public struct SearchHit: Sendable, Equatable, Codable {
    /// What matched.
    public let scope: SearchScope
    /// The message id or workflow id.
    public let id: String
    /// The conversation's title, or the workflow's name.
    public let title: String
    /// For a message: its conversation.
    public let conversationID: String?
    /// For a message: its position in the conversation.
    public let position: Int?
    /// For a message: who wrote it.
    public let role: Message.Role?
    /// The best-matching passage, matches wrapped in the markers, elided
    /// parts shown as `…`.
    public let snippet: String
    /// BM25 relevance; higher is better. Comparable within one scope (scores
    /// of messages and of workflows come from different collections).
    public let score: Double
}

/// How matches are marked in snippets.
public struct SnippetMarkers: Sendable, Equatable {
    public var start: String
    public var end: String
    public var ellipsis: String

    public init(start: String, end: String, ellipsis: String = "…") {
        self.start = start
        self.end = end
        self.ellipsis = ellipsis
    }

    /// `[match]`: plain text, fine in JSON and terminals.
    public static let brackets = SnippetMarkers(start: "[", end: "]")
}
