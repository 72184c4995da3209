public import Foundation

/// Records workflow and agent runs: start, finish, list, and their
/// compressed input and output.
///
/// ```swift
/// let run = try vault.runs.start(workflowID: flow.id, trigger: .manual, input: inputJSON)
/// // ... execute ...
/// let done = try vault.runs.finish(run.id, status: .success, output: outputJSON,
///                                  metrics: RunMetrics(blocksExecuted: 12, tokensUsed: 3_400, apiCalls: 5))
/// print(done.durationMilliseconds ?? 0)
/// let failures = try vault.runs.list(RunFilter(workflowID: flow.id, status: .error))
/// ```
public struct RunStore: Sendable {
    let vault: Vault

    /// Starts a run of a workflow, recording its current version.
    ///
    /// - Throws: ``VaultError/recordNotFound(kind:id:)``;
    ///   ``VaultError/invalidArgument(detail:)`` for input that is not JSON.
    @discardableResult
    public func start(
        workflowID: String, trigger: Run.Trigger, input: Data? = nil, conversationID: String? = nil, id: String? = nil
    ) throws -> Run {
        try insert(subjectColumn: "workflow_id", subjectKind: "workflow", subjectTable: "workflows", subjectID: workflowID,
                   trigger: trigger, input: input, conversationID: conversationID, id: id)
    }

    /// Starts a run of an agent.
    ///
    /// - Throws: ``VaultError/recordNotFound(kind:id:)``;
    ///   ``VaultError/invalidArgument(detail:)`` for input that is not JSON.
    @discardableResult
    public func start(
        agentID: String, trigger: Run.Trigger, input: Data? = nil, conversationID: String? = nil, id: String? = nil
    ) throws -> Run {
        try insert(subjectColumn: "agent_id", subjectKind: "agent", subjectTable: "agents", subjectID: agentID,
                   trigger: trigger, input: input, conversationID: conversationID, id: id)
    }

    /// Finishes a running run with its outcome.
    ///
    /// - Throws: ``VaultError/recordNotFound(kind:id:)``;
    ///   ``VaultError/invalidArgument(detail:)`` when `status` is `running`,
    ///   the run already finished, a metric is negative or the output is not
    ///   JSON.
    @discardableResult
    public func finish(
        _ id: String, status: Run.Status, output: Data? = nil, errorMessage: String? = nil, metrics: RunMetrics = RunMetrics()
    ) throws -> Run {
        guard status != .running else { throw VaultError.invalidArgument(detail: "a run is finished with success, error or cancelled") }
        guard metrics.blocksExecuted >= 0, metrics.tokensUsed >= 0, metrics.apiCalls >= 0 else {
            throw VaultError.invalidArgument(detail: "run metrics cannot be negative")
        }
        let packed = try Self.pack(output, "a run's output")
        return try vault.writeCheckingSchema { db in
            let run = try Self.fetch(id, in: db)
            guard run.status == .running else {
                throw VaultError.invalidArgument(detail: "run \(id) already finished (\(run.status.rawValue))")
            }
            try db.execute("""
                UPDATE runs SET status = ?, completed_at = ?, output = ?, error_message = ?, blocks_executed = ?,
                    tokens_used = ?, api_calls = ?
                WHERE id = ?
                """,
                [status.rawValue, max(Clock.nowMilliseconds(), run.startedAt), packed, errorMessage, metrics.blocksExecuted,
                 metrics.tokensUsed, metrics.apiCalls, id])
            return try Self.fetch(id, in: db)
        }
    }

    /// The run with `id`, or nil.
    public func get(id: String) throws -> Run? {
        try vault.readCheckingSchema { db in try db.fetchOne(Run.self, "SELECT \(Run.selection) FROM runs WHERE id = ?", [id]) }
    }

    /// The run's input JSON, or nil when it had none.
    ///
    /// - Throws: ``VaultError/recordNotFound(kind:id:)``.
    public func input(of id: String) throws -> Data? { try payload("input", of: id) }

    /// The run's output JSON, or nil when it had none (or is running).
    ///
    /// - Throws: ``VaultError/recordNotFound(kind:id:)``.
    public func output(of id: String) throws -> Data? { try payload("output", of: id) }

    /// Runs matching `filter`, newest first.
    public func list(_ filter: RunFilter = RunFilter()) throws -> [Run] {
        var query = QueryFilter()
        query.add("workflow_id = ?", filter.workflowID)
        query.add("agent_id = ?", filter.agentID)
        query.add("status = ?", filter.status?.rawValue)
        query.add("started_at >= ?", filter.startedFrom)
        query.add("started_at < ?", filter.startedBefore)
        return try vault.readCheckingSchema { db in
            try db.fetchAll(
                Run.self, "SELECT \(Run.selection) FROM runs \(query.whereClause) ORDER BY started_at DESC, id LIMIT ? OFFSET ?",
                query.arguments(limit: filter.limit, offset: filter.offset))
        }
    }

    /// Deletes the run. Returns false if there was none.
    @discardableResult
    public func delete(id: String) throws -> Bool {
        try vault.writeCheckingSchema { db in
            try db.execute("DELETE FROM runs WHERE id = ?", [id])
            return db.changes == 1
        }
    }

    // MARK: - Private

    /// Every column but the (possibly large) input and output.
    private func insert(
        subjectColumn: String, subjectKind: String, subjectTable: String, subjectID: String, trigger: Run.Trigger,
        input: Data?, conversationID: String?, id: String?
    ) throws -> Run {
        let packed = try Self.pack(input, "a run's input")
        let id = id ?? RecordID.make()
        try ArgumentCheck.requireNonBlank(id, "a run id")
        return try vault.writeCheckingSchema { db in
            try ArgumentCheck.requireExists(subjectTable, subjectKind, subjectID, in: db)
            if let conversationID { try ArgumentCheck.requireExists("conversations", "conversation", conversationID, in: db) }
            let version: Int? = subjectTable == "workflows"
                ? try db.scalar("SELECT version FROM workflows WHERE id = ?", [subjectID]) : nil
            try db.execute("""
                INSERT INTO runs (id, \(subjectColumn), workflow_version, conversation_id, triggered_by, status, started_at, input)
                VALUES (?, ?, ?, ?, ?, 'running', ?, ?)
                """,
                [id, subjectID, version, conversationID, trigger.rawValue, Clock.nowMilliseconds(), packed])
            return try Self.fetch(id, in: db)
        }
    }

    private func payload(_ column: String, of id: String) throws -> Data? {
        let packed = try vault.readCheckingSchema { db -> Data? in
            guard let row = try db.fetchOne("SELECT \(column) FROM runs WHERE id = ?", [id]) else {
                throw VaultError.recordNotFound(kind: "run", id: id)
            }
            return try row.get(0)
        }
        return try packed.map(Zlib.decompress)
    }

    private static func pack(_ json: Data?, _ what: String) throws -> Data? {
        guard let json else { return nil }
        try ArgumentCheck.requireJSON(json, what)
        return try Zlib.compress(json)
    }

    static func fetch(_ id: String, in db: Connection) throws -> Run {
        guard let run = try db.fetchOne(Run.self, "SELECT \(Run.selection) FROM runs WHERE id = ?", [id]) else {
            throw VaultError.recordNotFound(kind: "run", id: id)
        }
        return run
    }
}
