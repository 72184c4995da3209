/// What a secret is for.
public enum SecretKind: String, Sendable, Codable, CaseIterable {
    /// A provider API key (OpenAI, Anthropic...).
    case apiKey = "api_key"
    /// An environment variable handed to workflow blocks or tools.
    case env
}

/// A stored secret's description: never its value.
public struct SecretInfo: Sendable, Equatable, Hashable, Codable {
    /// e.g. `global`, `provider:openai`, `workflow:<id>`.
    public let scope: String
    public let name: String
    public let kind: SecretKind
    /// Unix milliseconds.
    public let createdAt: Int64
    /// Unix milliseconds.
    public let updatedAt: Int64

    init(row: Row) throws {
        scope = try row.get("scope")
        name = try row.get("name")
        kind = SecretKind(rawValue: try row.get("kind")) ?? .apiKey
        createdAt = try row.get("created_at")
        updatedAt = try row.get("updated_at")
    }
}
