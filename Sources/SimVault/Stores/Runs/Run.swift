/// One execution of a workflow or of an agent.
public struct Run: Sendable, Equatable, Hashable, Codable, Identifiable {
    /// What started the run.
    public enum Trigger: String, Sendable, Codable, CaseIterable {
        case manual, schedule, webhook, api, chat
    }

    /// Where the run stands. Only `running` runs can be finished.
    public enum Status: String, Sendable, Codable, CaseIterable {
        case running, success, error, cancelled
    }

    public let id: String
    /// Set for a workflow run (exactly one of `workflowID`, `agentID`).
    public let workflowID: String?
    /// The workflow's version when the run started.
    public let workflowVersion: Int?
    /// Set for an agent run.
    public let agentID: String?
    /// The conversation the run belongs to, if any (unlinked when it is
    /// deleted).
    public let conversationID: String?
    public let trigger: Trigger
    public let status: Status
    /// Unix milliseconds.
    public let startedAt: Int64
    /// Unix milliseconds; nil while running.
    public let completedAt: Int64?
    public let errorMessage: String?
    public let metrics: RunMetrics

    /// Wall-clock duration in milliseconds, nil while running. Computed here
    /// rather than stored (SQLite 3.15 has no generated columns, and a stored
    /// copy could disagree with the timestamps).
    public var durationMilliseconds: Int64? { completedAt.map { $0 - startedAt } }

}

extension Run: StatementRecord {
    static let selection = """
        id, workflow_id, workflow_version, agent_id, conversation_id, triggered_by, status, started_at, completed_at,
        error_message, blocks_executed, tokens_used, api_calls
        """
    static let columnCount = 13

    init(statement row: Statement) throws {
        id = try row.get(0)
        workflowID = try row.get(1)
        workflowVersion = try row.get(2)
        agentID = try row.get(3)
        conversationID = try row.get(4)
        let triggerText: String = try row.get(5), statusText: String = try row.get(6)
        guard let trigger = Trigger(rawValue: triggerText), let status = Status(rawValue: statusText) else {
            throw RowDecodingError(column: "status", detail: "unknown run trigger \(triggerText) or status \(statusText)")
        }
        self.trigger = trigger
        self.status = status
        startedAt = try row.get(7)
        completedAt = try row.get(8)
        errorMessage = try row.get(9)
        metrics = RunMetrics(blocksExecuted: try row.get(10), tokensUsed: try row.get(11), apiCalls: try row.get(12))
    }
}

/// What a run consumed.
public struct RunMetrics: Sendable, Equatable, Hashable, Codable {
    public var blocksExecuted: Int
    public var tokensUsed: Int
    public var apiCalls: Int

    public init(blocksExecuted: Int = 0, tokensUsed: Int = 0, apiCalls: Int = 0) {
        self.blocksExecuted = blocksExecuted
        self.tokensUsed = tokensUsed
        self.apiCalls = apiCalls
    }
}

/// Which runs ``RunStore/list(_:)`` returns; all conditions must hold.
public struct RunFilter: Sendable, Equatable {
    public var workflowID: String?
    public var agentID: String?
    public var status: Run.Status?
    /// Started at or after (unix milliseconds).
    public var startedFrom: Int64?
    /// Started before (unix milliseconds).
    public var startedBefore: Int64?
    /// Page size (1...1000).
    public var limit = 100
    public var offset = 0

    public init(
        workflowID: String? = nil, agentID: String? = nil, status: Run.Status? = nil, startedFrom: Int64? = nil,
        startedBefore: Int64? = nil, limit: Int = 100, offset: Int = 0
    ) {
        self.workflowID = workflowID
        self.agentID = agentID
        self.status = status
        self.startedFrom = startedFrom
        self.startedBefore = startedBefore
        self.limit = limit
        self.offset = offset
    }
}
