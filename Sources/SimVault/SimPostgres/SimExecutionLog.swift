import Foundation

/// A row of Sim's `workflow_execution_logs` as a vault run.
///
/// | Sim | vault |
/// |---|---|
/// | `status` completed / failed / cancelled | success / error / cancelled |
/// | `status` pending, running, paused, redacting | not imported yet (still in progress; a later import brings it) |
/// | no `status` column (before Sim's migration 0132) | error when `level` is `error`, success when `ended_at` is set, else in progress (what 0132 itself derived) |
/// | `trigger` manual, api, schedule, webhook, chat | the same |
/// | `trigger` mcp, a2a, workflow, custom_block | api (started by another program or workflow) |
/// | `trigger` copilot, mothership | chat |
/// | any other `trigger` | api |
/// | `started_at`, `ended_at` (else `started_at` + `total_duration_ms`) | started, completed (milliseconds, UTC) |
/// | `execution_data.workflowInput`, `.finalOutput` | input, output (when the row holds them; newer Sim keeps large traces in object storage) |
/// | `execution_data.error`, `.errorDetails.error`, old `message` | error message (failed runs) |
/// | `execution_data.tokens.total`, old `total_tokens` | tokens used |
/// | `execution_data.executionStateSummary.executedBlockCount`, old `block_count` | blocks executed |
///
/// The run's id is `sim:<execution_id>`, so an import run again skips it.
enum SimExecutionLog {
    static let idPrefix = "sim:"

    enum Outcome: Equatable {
        case run(JSONObject)
        case inProgress
    }

    /// The columns to select, given what the table has (`X` is
    /// `execution_data`, or `metadata` before Sim's migration 0076).
    static func selection(_ layout: SimDatabaseLayout) -> String {
        let table = "workflow_execution_logs"
        var columns = [
            "execution_id", "workflow_id", "trigger",
            "floor(extract(epoch from started_at) * 1000)::bigint AS started_ms",
        ]
        for column in ["level", "status"] where layout.has(table, column) { columns.append(column) }
        if layout.has(table, "ended_at") { columns.append("floor(extract(epoch from ended_at) * 1000)::bigint AS ended_ms") }
        if layout.has(table, "total_duration_ms") { columns.append("total_duration_ms") }
        for column in ["message", "total_tokens", "block_count"] where layout.has(table, column) { columns.append(column) }
        if let data = ["execution_data", "metadata"].first(where: { layout.has(table, $0) }) {
            columns += [
                "(\(data)->>'error') AS data_error", "(\(data)->'errorDetails'->>'error') AS data_error_detail",
                "(\(data)->'workflowInput')::text AS data_input", "(\(data)->'finalOutput')::text AS data_output",
                "(\(data)->'tokens'->>'total') AS data_tokens",
                "(\(data)->'executionStateSummary'->>'executedBlockCount') AS data_blocks",
            ]
        }
        return columns.joined(separator: ", ")
    }

    static func outcome(_ row: SimRow, workflowID: String, workflowVersion: Int) -> Outcome {
        let status: Run.Status
        if row.has("status") {
            switch row["status"] {
            case "completed": status = .success
            case "failed": status = .error
            case "cancelled": status = .cancelled
            default: return .inProgress
            }
        } else if row["level"] == "error" {
            status = .error
        } else if row["ended_ms"] != nil {
            status = .success
        } else {
            return .inProgress
        }
        let startedAt = Int64(row["started_ms"] ?? "") ?? 0
        let ended = Int64(row["ended_ms"] ?? "") ?? Int64(row["total_duration_ms"] ?? "").map { startedAt + $0 } ?? startedAt
        var error: String?
        if status == .error { error = row["data_error"] ?? row["data_error_detail"] ?? row["message"] }
        func count(_ columns: String...) -> Int64 {
            for column in columns { if let text = row[column], let value = Double(text), value.isFinite, value >= 0 { return Int64(value) } }
            return 0
        }
        func payload(_ column: String) -> JSONValue {
            guard let text = row[column] else { return .null }
            return (try? JSONReader(data: Data(text.utf8)).readDocument()) ?? .null
        }
        return .run(JSONObject([
            "id": .string(idPrefix + (row["execution_id"] ?? "")), "workflow_id": .string(workflowID),
            "workflow_version": .number(Int64(workflowVersion)), "triggered_by": .string(trigger(row["trigger"]).rawValue),
            "status": .string(status.rawValue), "started_at": .number(startedAt), "completed_at": .number(max(ended, startedAt)),
            "input": payload("data_input"), "output": payload("data_output"), "error_message": .string(error),
            "tokens_used": .number(count("data_tokens", "total_tokens")), "blocks_executed": .number(count("data_blocks", "block_count")),
        ]))
    }

    static func trigger(_ sim: String?) -> Run.Trigger {
        switch sim {
        case "manual": return .manual
        case "schedule": return .schedule
        case "webhook": return .webhook
        case "chat", "copilot", "mothership": return .chat
        default: return .api
        }
    }
}
