/// Creates, reads, updates and deletes ``Agent``s.
///
/// ```swift
/// let helper = try vault.agents.create(Agent(name: "Helper", provider: "ollama", model: "llama3"))
/// let active = try vault.agents.list()
/// ```
///
/// Deleting an agent deletes its runs; its conversations are kept and lose
/// their link to it.
public struct AgentStore: Sendable {
    let vault: Vault

    /// Adds `agent` (its timestamps are set now).
    ///
    /// - Throws: ``VaultError/invalidArgument(detail:)`` for an empty name,
    ///   a `config` that is not JSON or a duplicate id.
    @discardableResult
    public func create(_ agent: Agent) throws -> Agent {
        try Self.validate(agent)
        return try vault.writeCheckingSchema { db in
            if try db.scalar("SELECT 1 FROM agents WHERE id = ?", [agent.id], as: Int.self) != nil {
                throw VaultError.invalidArgument(detail: "an agent with id \"\(agent.id)\" already exists")
            }
            let now = Clock.nowMilliseconds()
            try db.execute("""
                INSERT INTO agents (id, name, description, provider, model, system_prompt, config, is_active, created_at, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
                [agent.id, agent.name, agent.description, agent.provider, agent.model, agent.systemPrompt, agent.config,
                 agent.isActive, now, now])
            return try Self.fetch(agent.id, in: db)
        }
    }

    /// The agent with `id`, or nil.
    public func get(id: String) throws -> Agent? {
        try vault.readCheckingSchema { db in try db.fetchOne("SELECT * FROM agents WHERE id = ?", [id]).map(Agent.init(row:)) }
    }

    /// Agents by name; inactive ones only when asked for.
    public func list(includingInactive: Bool = false) throws -> [Agent] {
        try vault.readCheckingSchema { db in
            let filter = includingInactive ? "" : "WHERE is_active = 1"
            return try db.fetchAll("SELECT * FROM agents \(filter) ORDER BY name, id").map(Agent.init(row:))
        }
    }

    /// Saves every field of `agent` but its id and creation time.
    ///
    /// - Throws: ``VaultError/recordNotFound(kind:id:)``,
    ///   ``VaultError/invalidArgument(detail:)``.
    @discardableResult
    public func update(_ agent: Agent) throws -> Agent {
        try Self.validate(agent)
        return try vault.writeCheckingSchema { db in
            try db.execute("""
                UPDATE agents SET name = ?, description = ?, provider = ?, model = ?, system_prompt = ?, config = ?,
                    is_active = ?, updated_at = ?
                WHERE id = ?
                """,
                [agent.name, agent.description, agent.provider, agent.model, agent.systemPrompt, agent.config,
                 agent.isActive, Clock.nowMilliseconds(), agent.id])
            return try Self.fetch(agent.id, in: db)
        }
    }

    /// Deletes the agent and its runs. Returns false if there was no such
    /// agent.
    @discardableResult
    public func delete(id: String) throws -> Bool {
        try vault.writeCheckingSchema { db in
            try db.execute("DELETE FROM agents WHERE id = ?", [id])
            return db.changes == 1
        }
    }

    private static func validate(_ agent: Agent) throws {
        try ArgumentCheck.requireNonBlank(agent.id, "an agent id")
        try ArgumentCheck.requireNonBlank(agent.name, "an agent name")
        try ArgumentCheck.requireJSON(agent.config, "an agent's config")
    }

    static func fetch(_ id: String, in db: Connection) throws -> Agent {
        guard let row = try db.fetchOne("SELECT * FROM agents WHERE id = ?", [id]) else {
            throw VaultError.recordNotFound(kind: "agent", id: id)
        }
        return try Agent(row: row)
    }
}
