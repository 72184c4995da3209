import Foundation

/// LibreOllama's database (`~/.local/share/LibreOllama/database.db`, its
/// "SQLCipher" database whose development key was never applied, so in
/// practice plaintext) mapped to vault records. Ids get the prefix
/// `libreollama:`.
///
/// | LibreOllama | vault |
/// |---|---|
/// | `agents` (name, description, model_name, system_prompt, capabilities, parameters, is_active) | agents: provider `ollama`, model, prompt; capabilities and parameters in `config` (credentials moved into secrets of scope `app:libreollama`) |
/// | `chat_sessions` (title, model_name, agent_id, …) | conversations |
/// | `chat_messages` (role, content, model_name, token_count) | messages in `created_at` order (`function` role → tool) |
/// | `agent_executions` (agent, session, status, input, output, timings) | agent runs, trigger `chat` when tied to a session; input and output as JSON (text that is not JSON as a JSON string) |
/// | `settings` (key, value) | settings `libreollama.<key>`, or secrets in scope `app:libreollama` when the key or value is a credential |
/// | `schema_version` | noted in the report |
enum LibreOllamaImport: AppDatabaseImport {
    static let format = "libreollama"
    static let appName = "LibreOllama"
    static let appNameWithArticle = "a LibreOllama"
    static let requiredColumns: [String: [String]] = [
        "chat_sessions": ["id"],
        "chat_messages": ["id", "session_id", "role", "content"],
        "agents": ["id", "name"],
    ]
    static let idPrefix = "libreollama:"
    static let secretScope = "app:libreollama"

    static func rowCount(_ source: ForeignDatabase) throws -> Int64 {
        let tables = try source.tables()
        return try ["agents", "chat_sessions", "chat_messages", "agent_executions", "settings"]
            .filter { tables[$0] != nil }.reduce(0) { $0 + (try source.count($1)) }
    }

    static func run(_ source: ForeignDatabase, _ importer: inout RecordImporter, notes: inout [String], tick: () -> Void) throws {
        let db = source
        let tables = try source.tables()
        for row in try db.fetchAll("SELECT * FROM agents ORDER BY rowid") {
            if try importer.isAlreadyPresent("agents", idPrefix + (row.text("id") ?? "")) {
                tick()
                continue
            }
            var config = JSONObject()
            for column in ["capabilities", "parameters"] {
                guard let text = row.text(column) else { continue }
                config[column] = (try? JSONReader(data: Data(text.utf8)).readDocument()) ?? .string(text)
            }
            var record = JSONObject([
                "id": .string(idPrefix + (row.text("id") ?? "")), "name": .string(row.text("name")),
                "description": .string(row.text("description")), "provider": .string("ollama"),
                "model": .string(row.text("model_name")), "system_prompt": .string(row.text("system_prompt")),
                "config": .string(config.isEmpty ? nil : try importer.strippingSecrets(JSONWriter.serialize(.object(config), style: .compact), scope: secretScope)),
                "is_active": .bool(row.integer("is_active").map { $0 != 0 } ?? true),
            ])
            record.append("created_at", row.time("created_at").map { JSONValue.number($0) })
            record.append("updated_at", row.time("updated_at").map { JSONValue.number($0) })
            try importer.agent(record)
            tick()
        }

        let agentIDs = Set(try db.fetchAll("SELECT id FROM agents").compactMap { $0.text("id") })
        for session in try db.fetchAll("SELECT * FROM chat_sessions ORDER BY rowid") {
            let sourceID = session.text("id") ?? ""
            let createdAt = session.time("created_at")
            var record = JSONObject([
                "id": .string(idPrefix + sourceID), "title": .string(session.text("title") ?? session.text("session_name") ?? ""),
                "model": .string(session.text("model_name")),
                "agent_id": .string(session.text("agent_id").flatMap { agentIDs.contains($0) ? idPrefix + $0 : nil }),
                "is_archived": .bool(session.integer("is_archived").map { $0 != 0 } ?? false),
            ])
            record.append("created_at", createdAt.map { JSONValue.number($0) })
            record.append("updated_at", session.time("updated_at").map { JSONValue.number($0) })
            let order = tables["chat_messages"]?.contains("created_at") == true ? "created_at, rowid" : "rowid"
            let messages = try db.fetchAll("SELECT * FROM chat_messages WHERE session_id = ? ORDER BY \(order)", [sourceID])
            record["messages"] = .array(try messages.enumerated().map { position, row in
                tick()
                var role = (row.text("role") ?? "").lowercased()
                if role == "function" { role = Message.Role.tool.rawValue }
                guard Message.Role(rawValue: role) != nil else {
                    throw VaultError.invalidArgument(detail: "LibreOllama message \(row.text("id") ?? "") has the role \"\(role)\", which simvault does not know (system, user, assistant, tool, function); nothing was imported")
                }
                var message = JSONObject([
                    "id": .string(idPrefix + (row.text("id") ?? "")), "position": .number(Int64(position)), "role": .string(role),
                    "content": .string(row.text("content") ?? ""), "model": .string(row.text("model_name")),
                    "tokens": .number(row.integer("token_count")),
                ])
                message.append("created_at", (row.time("created_at") ?? createdAt).map { JSONValue.number($0) })
                return .object(message)
            })
            try importer.conversation(record)
            tick()
        }

        if tables["agent_executions"] != nil {
            for row in try db.fetchAll("SELECT * FROM agent_executions ORDER BY rowid") {
                try importer.run(try run(row, agentIDs: agentIDs))
                tick()
            }
        }
        if tables["settings"] != nil {
            for row in try db.fetchAll("SELECT * FROM settings ORDER BY rowid") {
                let key = row.text("key") ?? "", value = row.text("value") ?? ""
                if SecretExtraction.isSecretName(key) || SecretExtraction.looksLikeKey(value) {
                    if !value.isEmpty { _ = try importer.secret(scope: secretScope, name: SecretExtraction.secretName([key]), value: SecretBytes(text: value)) }
                } else {
                    var record = JSONObject(["key": .string("libreollama.\(key)"), "value": .string(value)])
                    record.append("updated_at", row.time("updated_at").map { JSONValue.number($0) })
                    try importer.setting(record)
                }
                tick()
            }
        }
        if tables["schema_version"] != nil, let version: Int = try db.scalar("SELECT max(version) FROM schema_version") {
            notes.append("LibreOllama schema version \(version)")
        }
    }

    /// An execution as a run record.
    private static func run(_ row: Row, agentIDs: Set<String>) throws -> JSONObject {
        let id = row.text("id") ?? ""
        guard let agent = row.text("agent_id"), agentIDs.contains(agent) else {
            throw VaultError.invalidArgument(detail: "LibreOllama execution \(id) refers to agent \(row.text("agent_id") ?? "none"), which is not in the database; nothing was imported")
        }
        let startedAt = row.time("started_at") ?? row.time("created_at") ?? 0
        let status: Run.Status
        switch (row.text("status") ?? "").lowercased() {
        case "completed", "complete", "success", "succeeded", "done", "finished": status = .success
        case "failed", "failure", "error", "errored": status = .error
        case "cancelled", "canceled", "aborted", "stopped", "timeout": status = .cancelled
        case "running", "pending", "queued", "started", "in_progress": status = .running
        case let other:
            throw VaultError.invalidArgument(detail: "LibreOllama execution \(id) has the status \"\(other)\", which simvault cannot map; nothing was imported")
        }
        let completedAt = status == .running ? nil : max(row.time("completed_at") ?? startedAt, startedAt)
        func payload(_ column: String) -> JSONValue {
            guard let text = row.text(column) else { return .null }
            return (try? JSONReader(data: Data(text.utf8)).readDocument()) ?? .string(text)
        }
        let session = row.text("session_id")
        return JSONObject([
            "id": .string(idPrefix + id), "agent_id": .string(idPrefix + agent),
            "conversation_id": .string(session.map { idPrefix + $0 }),
            "triggered_by": .string(session == nil ? "manual" : "chat"), "status": .string(status.rawValue),
            "started_at": .number(startedAt), "completed_at": .number(completedAt),
            "error_message": .string(row.text("error_message") ?? row.text("error")),
            "tokens_used": .number(row.integer("tokens_used") ?? 0), "input": payload("input"), "output": payload("output"),
        ])
    }
}
