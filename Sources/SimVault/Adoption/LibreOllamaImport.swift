import Foundation

/// LibreOllama's database (`~/.local/share/LibreOllama/database.db`: its
/// "SQLCipher" database whose development key in `connection.rs` is never
/// applied, so plaintext SQLite) and its `llm_settings.json` mapped to
/// vault records. Ids get the prefix `libreollama:`. The schema is built by
/// migrations recorded in `schema_version` (14 after `schema_v14.rs`; older
/// builds had the v4/v5 linking tables); every step reads only the tables
/// and columns the file has. Chat timestamps are wall-clock text without a
/// zone, which the app reads as UTC, and so does the import.
///
/// | LibreOllama | vault |
/// |---|---|
/// | `agents` | agents: provider `ollama`, model, prompt; capabilities, parameters, temperature, max_tokens in `config` (credentials moved into secrets of scope `app:libreollama`) |
/// | `chat_sessions` | conversations; `user_id`, `context_length`, `is_active` in `extra.libreollama` |
/// | `chat_messages` | messages in `created_at` order (`function` role → tool), `token_count` as tokens |
/// | `agent_executions` | agent runs, trigger `chat` when tied to a session; input and output as JSON (text that is not JSON as a JSON string) |
/// | `settings` (older builds) | settings `libreollama.<key>`, or secrets in scope `app:libreollama` when the key or value is a credential |
/// | `user_preferences` | settings `libreollama.preferences.<key>`; the type names in `libreollama.preference_types` |
/// | `chat_templates` | settings `libreollama.chat_templates.<id>` (JSON) |
/// | `mcp_servers`, `n8n_connections` | settings `libreollama.mcp_servers.<id>`, `libreollama.n8n_connections.<id>` (JSON); `api_key` a secret of scope `mcp:libreollama:<id>` / `n8n:libreollama:<id>` |
/// | `gmail_accounts_secure` | setting `libreollama.gmail_accounts.<id>` (JSON); the tokens, opened with the published all-zero AES-256-GCM key, secrets `ACCESS_TOKEN`, `REFRESH_TOKEN` of scope `gmail:libreollama:<email>` |
/// | `llm_settings.json` | each `providers.<name>.key` a secret `API_KEY` of scope `provider:<name>`; the rest in setting `libreollama.llm_settings` |
/// | others | reported, not imported (see ``knownTables``) |
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
    static let settingsFileName = "llm_settings.json"

    static let knownTables: [KnownTable] = [
        .imported("agents", "vault agents (provider ollama)"),
        .imported("chat_sessions", "vault conversations"),
        .imported("chat_messages", "vault messages"),
        .imported("agent_executions", "vault agent runs"),
        .imported("settings", credentials: true, "settings libreollama.<key>; credentials as sealed secrets"),
        .imported("user_preferences", "settings libreollama.preferences.<key>"),
        .imported("chat_templates", "settings libreollama.chat_templates.<id>"),
        .imported("mcp_servers", credentials: true, "settings libreollama.mcp_servers.<id>; api_key as sealed secrets"),
        .imported("n8n_connections", credentials: true, "settings libreollama.n8n_connections.<id>; api_key as sealed secrets"),
        .imported("gmail_accounts_secure", credentials: true, "settings libreollama.gmail_accounts.<id>; OAuth tokens (AES-256-GCM under the published all-zero key) as sealed secrets"),
        .skipped("schema_version", "migration history; the version is noted in the report"),
        .skipped("messages", "a table LibreOllama creates but never writes (chat uses chat_messages)"),
        .skipped("folders", "notes folders: no vault equivalent"),
        .skipped("notes", "notes: no vault equivalent"),
        .skipped("projects", "projects: no vault equivalent"),
        .skipped("project_goals", "project goals: no vault equivalent"),
        .skipped("project_assets", "project assets: no vault equivalent"),
        .skipped("task_metadata", "Google Tasks metadata (the tasks live at Google): no vault equivalent"),
        .skipped("labels", "task labels: no vault equivalent"),
        .skipped("task_labels", "task labels: no vault equivalent"),
        .skipped("subtasks", "subtasks: no vault equivalent"),
        .skipped("task_id_map", "Google Tasks id map: no vault equivalent"),
        .skipped("conversation_contexts", "context-window snapshots (rebuildable): not kept"),
        .skipped("application_logs", "application logs: not kept"),
        .skipped("performance_metrics", "performance metrics: not kept"),
        .skipped("request_cache", "cached responses: not kept"),
        .skipped("link_relationships", "note/chat links of older builds (schema v4): no vault equivalent"),
        .skipped("content_index", "search index of older builds (schema v4, rebuildable)"),
        .skipped("link_suggestions", "link suggestion cache of older builds (schema v4)"),
        .skipped("link_analytics", "link analytics of older builds (schema v4)"),
        .skipped("content_fts", "full-text index of older builds (schema v4, FTS5, rebuildable)"),
    ]

    static func rowCount(_ source: ForeignDatabase) throws -> Int64 {
        let tables = try source.tables()
        return try knownTables.filter { $0.fate == .imported && tables[$0.name] != nil }.reduce(0) { $0 + (try source.count($1.name)) }
    }

    static func run(_ context: inout AppImportContext) throws {
        let agentIDs = try importAgents(&context)
        try importSessions(&context, agentIDs: agentIDs)
        try importExecutions(&context, agentIDs: agentIDs)
        try importSettings(&context)
        try importPreferences(&context)
        try importRows(&context, table: "chat_templates", settingPrefix: "libreollama.chat_templates")
        try importRows(&context, table: "mcp_servers", settingPrefix: "libreollama.mcp_servers", credentialScope: "mcp:libreollama")
        try importRows(&context, table: "n8n_connections", settingPrefix: "libreollama.n8n_connections", credentialScope: "n8n:libreollama")
        try importGmailAccounts(&context)
        try importLLMSettings(&context)
        if context.has("schema_version"), let version: Int = try context.source.scalar("SELECT max(version) FROM schema_version") {
            context.notes.append("LibreOllama schema version \(version)")
        }
    }

    // MARK: - Steps

    /// Agents; returns the source ids of all of them.
    private static func importAgents(_ context: inout AppImportContext) throws -> Set<String> {
        var ids = Set<String>()
        for row in try context.source.fetchAll("SELECT * FROM agents ORDER BY rowid") {
            let sourceID = row.text("id") ?? ""
            ids.insert(sourceID)
            if try context.importer.isAlreadyPresent("agents", idPrefix + sourceID) {
                context.tick()
                continue
            }
            var config = JSONObject()
            for column in ["capabilities", "parameters"] {
                guard let text = row.text(column) else { continue }
                config[column] = (try? JSONReader(data: Data(text.utf8)).readDocument()) ?? .string(text)
            }
            for column in ["temperature", "max_tokens"] where !row[column].isNull { config[column] = row[column].jsonValue }
            let configText = config.isEmpty ? nil : JSONWriter.serialize(.object(config), style: .compact)
            var record = JSONObject([
                "id": .string(idPrefix + sourceID), "name": .string(row.text("name")),
                "description": .string(row.text("description")), "provider": .string("ollama"),
                "model": .string(row.text("model_name")), "system_prompt": .string(row.text("system_prompt")),
                "config": .string(try context.importer.strippingSecrets(configText, scope: secretScope)),
                "is_active": .bool(row.integer("is_active").map { $0 != 0 } ?? true),
            ])
            record.append("created_at", row.time("created_at").map { JSONValue.number($0) })
            record.append("updated_at", row.time("updated_at").map { JSONValue.number($0) })
            try context.importer.agent(record)
            context.tick()
        }
        return ids
    }

    /// Chat sessions with their messages.
    private static func importSessions(_ context: inout AppImportContext, agentIDs: Set<String>) throws {
        let order = context.has("chat_messages", "created_at") ? "created_at, rowid" : "rowid"
        for session in try context.source.fetchAll("SELECT * FROM chat_sessions ORDER BY rowid") {
            let sourceID = session.text("id") ?? ""
            let createdAt = session.time("created_at")
            var kept = JSONObject()
            for column in ["user_id", "context_length", "is_active", "outgoing_links_count", "incoming_links_count", "last_linked"] where !session[column].isNull {
                kept[column] = session[column].jsonValue
            }
            var record = JSONObject([
                "id": .string(idPrefix + sourceID), "title": .string(session.text("title") ?? session.text("session_name") ?? ""),
                "model": .string(session.text("model_name")),
                "agent_id": .string(session.text("agent_id").flatMap { agentIDs.contains($0) ? idPrefix + $0 : nil }),
                "is_archived": .bool(session.integer("is_archived").map { $0 != 0 } ?? false),
            ])
            if !kept.isEmpty { record["extra"] = .string(JSONWriter.serialize(.object(JSONObject(["libreollama": .object(kept)])), style: .compact)) }
            record.append("created_at", createdAt.map { JSONValue.number($0) })
            record.append("updated_at", session.time("updated_at").map { JSONValue.number($0) })
            let messages = try context.source.fetchAll("SELECT * FROM chat_messages WHERE session_id = ? ORDER BY \(order)", [sourceID])
            record["messages"] = .array(try messages.enumerated().map { position, row in
                context.tick()
                return try message(row, position: position, fallbackTime: createdAt)
            })
            try context.importer.conversation(record)
            context.tick()
        }
        let orphans: Int = try context.source.scalar("SELECT count(*) FROM chat_messages WHERE session_id NOT IN (SELECT id FROM chat_sessions)") ?? 0
        if orphans > 0 {
            context.adjustedTables["chat_messages"] = (.partlyImported, "vault messages; \(orphans) message(s) belong to no chat session and were not imported")
        }
    }

    /// Agent executions as runs.
    private static func importExecutions(_ context: inout AppImportContext, agentIDs: Set<String>) throws {
        guard context.has("agent_executions") else { return }
        for row in try context.source.fetchAll("SELECT * FROM agent_executions ORDER BY rowid") {
            try context.importer.run(try run(row, agentIDs: agentIDs))
            context.tick()
        }
    }

    /// The key-value `settings` of older builds.
    private static func importSettings(_ context: inout AppImportContext) throws {
        guard context.has("settings") else { return }
        for row in try context.source.fetchAll("SELECT * FROM settings ORDER BY rowid") {
            let key = row.text("key") ?? "", value = row.text("value") ?? ""
            if SecretExtraction.isSecretName(key) || SecretExtraction.looksLikeKey(value) {
                if !value.isEmpty { _ = try context.importer.secret(scope: secretScope, name: SecretExtraction.secretName([key]), value: SecretBytes(text: value)) }
            } else {
                var record = JSONObject(["key": .string("libreollama.\(key)"), "value": .string(value)])
                record.append("updated_at", row.time("updated_at").map { JSONValue.number($0) })
                try context.importer.setting(record)
            }
            context.tick()
        }
    }

    /// `user_preferences`: each a setting; their type names in one JSON
    /// setting, so nothing is lost. A preference holding a credential
    /// becomes a secret.
    private static func importPreferences(_ context: inout AppImportContext) throws {
        guard context.has("user_preferences") else { return }
        var types = JSONObject()
        for row in try context.source.fetchAll("SELECT * FROM user_preferences ORDER BY rowid") {
            let key = row.text("preference_key") ?? "", value = row.text("preference_value") ?? ""
            types.append(key, row.text("preference_type_name").map(JSONValue.string))
            if SecretExtraction.isCredential(value, name: key) {
                _ = try context.importer.secret(scope: secretScope, name: SecretExtraction.secretName([key]), value: SecretBytes(text: value))
            } else {
                try context.importer.setting(JSONObject(["key": .string("libreollama.preferences.\(key)"), "value": .string(value)]))
            }
            context.tick()
        }
        if !types.isEmpty {
            try context.importer.setting(JSONObject([
                "key": .string("libreollama.preference_types"), "value": .string(JSONWriter.serialize(.object(types), style: .compact)),
                "value_type": .string("json"),
            ]))
        }
    }

    /// Each row of `table` as a JSON setting `<settingPrefix>.<id>`; with a
    /// `credentialScope`, its `api_key` as a secret of scope
    /// `<credentialScope>:<id>` and any other credential found by name or
    /// shape too.
    private static func importRows(_ context: inout AppImportContext, table: String, settingPrefix: String, credentialScope: String? = nil) throws {
        guard context.has(table) else { return }
        for row in try context.source.fetchAll("SELECT * FROM \"\(table)\" ORDER BY rowid") {
            let sourceID = row.text("id") ?? ""
            var text = JSONWriter.serialize(.object(row.jsonObject), style: .compact)
            if let credentialScope {
                text = try context.importer.strippingSecrets(text, scope: "\(credentialScope):\(sourceID)") ?? text
            }
            try context.importer.setting(JSONObject(["key": .string("\(settingPrefix).\(sourceID)"), "value": .string(text), "value_type": .string("json")]))
            context.tick()
        }
    }

    /// Gmail accounts: the OAuth tokens opened with the key LibreOllama
    /// publishes (32 zero bytes) and sealed; the account as a JSON setting.
    private static func importGmailAccounts(_ context: inout AppImportContext) throws {
        guard context.has("gmail_accounts_secure") else { return }
        var unopened = 0
        for row in try context.source.fetchAll("SELECT * FROM gmail_accounts_secure ORDER BY rowid") {
            let sourceID = row.text("id") ?? ""
            let scope = "gmail:libreollama:\(row.text("email_address") ?? sourceID)"
            var object = row.jsonObject
            for (column, name) in [("access_token_encrypted", "ACCESS_TOKEN"), ("refresh_token_encrypted", "REFRESH_TOKEN")] {
                guard let stored = row.text(column), !stored.isEmpty else { continue }
                // Another key (DATABASE_ENCRYPTION_KEY) or no AES on this
                // CPU: sealed as it was found, still encrypted.
                let opened = PublishedKeyCipher.openLibreOllamaToken(stored)
                if opened == nil { unopened += 1 }
                let sealedName = try context.importer.secret(scope: scope, name: opened == nil ? name + "_ENCRYPTED" : name, value: opened ?? SecretBytes(text: stored))
                object[column] = .string("secret:\(scope)/\(sealedName)")
            }
            try context.importer.setting(JSONObject([
                "key": .string("libreollama.gmail_accounts.\(sourceID)"), "value": .string(JSONWriter.serialize(.object(object), style: .compact)),
                "value_type": .string("json"),
            ]))
            context.tick()
        }
        if unopened > 0 {
            let why = PublishedKeyCipher.isAES256GCMAvailable ? "they were not encrypted under LibreOllama's published all-zero key" : "this CPU lacks the AES instructions libsodium's AES-256-GCM needs"
            context.notes.append("\(unopened) Gmail token(s) could not be opened (\(why)); they were sealed as found, still encrypted, as secrets named *_ENCRYPTED")
        }
    }

    /// `llm_settings.json`: the provider keys as secrets, the rest as a
    /// setting. Read from `--settings`, or beside the database when there.
    private static func importLLMSettings(_ context: inout AppImportContext) throws {
        let beside = ((context.source.path as NSString).deletingLastPathComponent as NSString).appendingPathComponent(settingsFileName)
        guard let path = context.settingsPath ?? (FileManager.default.fileExists(atPath: beside) ? beside : nil) else { return }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw VaultError.notFound(path: path, detail: "LibreOllama's \(settingsFileName) cannot be read; nothing was imported")
        }
        guard data.count <= 16 << 20, case .object(var settings)? = try? JSONReader(data: data).readDocument() else {
            throw VaultError.invalidArgument(detail: "\(path) is not LibreOllama's \(settingsFileName) (a JSON object of at most 16 MiB); nothing was imported")
        }
        if case .object(var providers)? = settings["providers"] {
            for provider in providers.members {
                guard case .object(var config) = provider.value else { continue }
                if case .string(let key)? = config["key"], !key.isEmpty, !SecretExtraction.isReference(key) {
                    let scope = "provider:\(SecretExtraction.scopeName(provider.key))"
                    config["key"] = .string("secret:\(scope)/\(try context.importer.secret(scope: scope, name: "API_KEY", value: SecretBytes(text: key)))")
                }
                providers[provider.key] = .object(config)
            }
            settings["providers"] = .object(providers)
        }
        let text = try context.importer.strippingSecrets(JSONWriter.serialize(.object(settings), style: .compact), scope: secretScope)
        try context.importer.setting(JSONObject(["key": .string("libreollama.llm_settings"), "value": .string(text), "value_type": .string("json")]))
        context.plaintextFiles.append(path)
        context.notes.append("LibreOllama's provider keys were read from \(path)")
    }

    // MARK: - Mapping

    private static func message(_ row: Row, position: Int, fallbackTime: Int64?) throws -> JSONValue {
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
        message.append("created_at", (row.time("created_at") ?? fallbackTime).map { JSONValue.number($0) })
        return .object(message)
    }

    /// An execution as a run record.
    private static func run(_ row: Row, agentIDs: Set<String>) throws -> JSONObject {
        let id = row.text("id") ?? ""
        guard let agent = row.text("agent_id"), agentIDs.contains(agent) else {
            throw VaultError.invalidArgument(detail: "LibreOllama execution \(id) refers to agent \(row.text("agent_id") ?? "none"), which is not in the database; nothing was imported")
        }
        let startedAt = row.time("started_at") ?? row.time("executed_at") ?? row.time("created_at") ?? 0
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
