/// An AI agent configuration: which model, through which provider, with
/// which system prompt and settings.
///
/// The provider's API key is not part of the agent: store it once with
/// ``SecretStore/set(_:value:scope:kind:)`` (scope `provider:<name>`) and
/// look it up when the agent runs.
public struct Agent: Sendable, Equatable, Hashable, Codable, Identifiable {
    public let id: String
    public var name: String
    public var description: String?
    /// e.g. `openai`, `ollama`.
    public var provider: String?
    /// e.g. `llama3`, `gpt-4o`.
    public var model: String?
    public var systemPrompt: String?
    /// App-specific JSON (temperature, tools...). Never an API key.
    public var config: String?
    public var isActive: Bool
    /// Unix milliseconds.
    public let createdAt: Int64
    /// Unix milliseconds.
    public var updatedAt: Int64

    /// A new agent to pass to ``AgentStore/create(_:)``; the store sets the
    /// timestamps.
    public init(
        id: String? = nil, name: String, description: String? = nil, provider: String? = nil, model: String? = nil,
        systemPrompt: String? = nil, config: String? = nil, isActive: Bool = true
    ) {
        self.id = id ?? RecordID.make()
        self.name = name
        self.description = description
        self.provider = provider
        self.model = model
        self.systemPrompt = systemPrompt
        self.config = config
        self.isActive = isActive
        createdAt = 0
        updatedAt = 0
    }

    init(row: Row) throws {
        id = try row.get("id")
        name = try row.get("name")
        description = try row.get("description")
        provider = try row.get("provider")
        model = try row.get("model")
        systemPrompt = try row.get("system_prompt")
        config = try row.get("config")
        isActive = try row.get("is_active")
        createdAt = try row.get("created_at")
        updatedAt = try row.get("updated_at")
    }
}
