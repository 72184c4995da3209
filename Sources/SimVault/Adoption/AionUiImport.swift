import Foundation

/// AionUi's database (`{userData}/config/aionui.db`, better-sqlite3, WAL,
/// version in `PRAGMA user_version`) mapped to vault records. Ids get the
/// prefix `aionui:`, so they cannot collide with other records and an import
/// run twice adds nothing. Builds differ in their tables and columns (the
/// schema grew by migrations; some builds add `acp_session`, `users.role`,
/// `cron_jobs.team_id`): every step reads only what the file has.
///
/// | AionUi | vault |
/// |---|---|
/// | `users` | users; `password_hash` and `jwt_secret` become secrets `PASSWORD_HASH`, `JWT_SECRET` in scope `user:<vault user id>` (kind env); `email`, `avatar_path`, `role` are not kept |
/// | `conversations` | conversations: title, kind, model and extra with every credential (`model.apiKey`, `extra.gateway.token`…) moved into secrets of scope `provider:<model platform>` (see ``SecretExtraction``), status (NULL → idle); `source` and `channel_chat_id` in `extra.aionui_import` |
/// | `messages` | messages in `created_at` order: role from `position` (right → user, left → assistant, center/pop/NULL → system) or `type` (tool calls, `tool_group` → tool); the text of `{"content": "…"}` as content, else the JSON content as it is (a `tool_group` array stays JSON); type `text` or `aionui/<type>`; position, status, hidden, msg_id and the rest of the content JSON in `metadata.aionui` |
/// | `conversation_token_usage` | every row in the conversation's `extra.aionui_import.token_usage`; its token counts in the assistant message's `metadata.aionui.usage` when `assistant_message_id` names one |
/// | `remote_agents` | agents: provider `remote:<protocol>`; `auth_token`, `device_private_key`, `device_token` (`b64:`, `enc:`, `plain:` decoded) become secrets of scope `agent:aionui:<id>`; the rest in `config` |
/// | `assistant_plugins` | settings `aionui.assistant_plugins.<id>` (the row as JSON), every `config.credentials.*` value (Telegram `token` as `b64:`, Lark `appSecret`, `encryptKey`, `verificationToken`, DingTalk `clientSecret`) a secret of scope `plugin:aionui:<id>` |
/// | `api_config` | setting `aionui.api_config`; `auth_token` and `callback_headers` become secrets `AUTH_TOKEN`, `CALLBACK_HEADERS` of scope `app:aionui:api` |
/// | others | reported, not imported (see ``knownTables``) |
enum AionUiImport: AppDatabaseImport {
    static let format = "aionui"
    static let appName = "AionUi"
    static let appNameWithArticle = "an AionUi"
    static let requiredColumns: [String: [String]] = [
        "users": ["id", "username"],
        "conversations": ["id", "type", "model", "extra"],
        "messages": ["id", "conversation_id", "content", "type"],
    ]
    static let idPrefix = "aionui:"
    /// Members added to a conversation's `extra` JSON for what has no column.
    static let extraMember = "aionui_import"

    static let knownTables: [KnownTable] = [
        .partly("users", credentials: true, "vault users; password_hash and jwt_secret as sealed secrets; email, avatar_path and role not kept (vault users have no such fields)"),
        .imported("conversations", credentials: true, "vault conversations; API keys and gateway tokens in model/extra as sealed secrets"),
        .imported("messages", "vault messages; type, position, status, hidden, msg_id in metadata.aionui; non-text content kept as JSON"),
        .imported("conversation_token_usage", "each conversation's extra.aionui_import.token_usage, and the assistant message's metadata.aionui.usage"),
        .imported("remote_agents", credentials: true, "vault agents (provider remote:<protocol>); auth_token, device_private_key, device_token as sealed secrets"),
        .imported("assistant_plugins", credentials: true, "settings aionui.assistant_plugins.<id>; config.credentials.* as sealed secrets"),
        .imported("api_config", credentials: true, "setting aionui.api_config; auth_token and callback_headers as sealed secrets"),
        .skipped("assistant_users", "channel users allowed to talk to the assistant: no vault equivalent"),
        .skipped("assistant_sessions", "channel sessions (runtime state): no vault equivalent"),
        .skipped("assistant_pairing_codes", "one-time pairing codes that expire within minutes: not kept"),
        .skipped("cron_jobs", "scheduled prompts: no vault equivalent"),
        .skipped("teams", "team-mode layouts: no vault equivalent"),
        .skipped("mailbox", "team-mode messages between agents: no vault equivalent"),
        .skipped("team_tasks", "team-mode task board: no vault equivalent"),
        .skipped("acp_session", "ACP agents' session resume state (runtime): no vault equivalent"),
        .skipped("messages_fts", "full-text index of old builds (rebuildable)"),
    ]

    static func rowCount(_ source: ForeignDatabase) throws -> Int64 {
        let tables = try source.tables()
        return try ["users", "conversations", "messages", "remote_agents", "assistant_plugins", "api_config"]
            .filter { tables[$0] != nil }.reduce(0) { $0 + (try source.count($1)) }
    }

    static func run(_ context: inout AppImportContext) throws {
        let users = try importUsers(&context)
        try importConversations(&context, users: users)
        try importRemoteAgents(&context)
        try importAssistantPlugins(&context)
        try importAPIConfig(&context)
        if let version: Int = try context.source.scalar("PRAGMA user_version") {
            context.notes.append("AionUi database version \(version) (PRAGMA user_version)")
        }
    }

    // MARK: - Steps

    /// Users; their password hashes and JWT secrets as secrets. Returns the
    /// vault ids of the users.
    private static func importUsers(_ context: inout AppImportContext) throws -> Set<String> {
        var userIDs = Set<String>()
        for row in try context.source.fetchAll("SELECT * FROM users ORDER BY rowid") {
            let id = idPrefix + (row.text("id") ?? "")
            userIDs.insert(id)
            var record = JSONObject([
                "id": .string(id), "username": .string(row.text("username")),
                "created_at": .number(row.time("created_at")), "updated_at": .number(row.time("updated_at")),
                "last_login_at": .number(row.time("last_login")),
            ])
            if record["created_at"] == .null { record["created_at"] = nil; record["updated_at"] = nil }
            try context.importer.user(record)
            for (column, name) in [("password_hash", "PASSWORD_HASH"), ("jwt_secret", "JWT_SECRET")] {
                guard let value = row.text(column), !value.isEmpty else { continue }
                _ = try context.importer.secret(scope: "user:\(id)", name: name, value: SecretBytes(text: value), kind: .env)
            }
            context.tick()
        }
        return userIDs
    }

    /// Conversations with their messages and token usage.
    private static func importConversations(_ context: inout AppImportContext, users: Set<String>) throws {
        let db = context.source
        let order = context.has("messages", "created_at") ? "created_at, rowid" : "rowid"
        for conversation in try db.fetchAll("SELECT * FROM conversations ORDER BY rowid") {
            let sourceID = conversation.text("id") ?? ""
            if try context.importer.isAlreadyPresent("conversations", idPrefix + sourceID) {
                context.tick()
                continue
            }
            let modelText = conversation.text("model")
            let platform = modelText.flatMap { try? JSONReader(data: Data($0.utf8)).readDocument().object }
                .flatMap { $0["platform"]?.string ?? $0["name"]?.string } ?? "aionui"
            let scope = "provider:\(SecretExtraction.scopeName(platform))"
            let usage = context.has("conversation_token_usage")
                ? try db.fetchAll("SELECT * FROM conversation_token_usage WHERE conversation_id = ? ORDER BY reply_index, rowid", [sourceID]) : []
            let userID = conversation.text("user_id").map { idPrefix + $0 }
            let createdAt = conversation.time("created_at")
            var record = JSONObject([
                "id": .string(idPrefix + sourceID), "user_id": .string(userID.flatMap { users.contains($0) ? $0 : nil }),
                "title": .string(conversation.text("name") ?? ""), "kind": .string(conversation.text("type") ?? "chat"),
                "model": .string(try context.importer.strippingSecrets(modelText, scope: scope)),
                "status": .string(conversation.text("status") ?? "idle"),
                "extra": .string(try context.importer.strippingSecrets(extra(conversation, usage: usage), scope: scope)),
            ])
            record.append("created_at", createdAt.map { JSONValue.number($0) })
            record.append("updated_at", conversation.time("updated_at").map { JSONValue.number($0) })
            let usageByMessage = Dictionary(usage.compactMap { row in row.text("assistant_message_id").map { ($0, row) } }, uniquingKeysWith: { first, _ in first })
            let messages = try db.fetchAll("SELECT * FROM messages WHERE conversation_id = ? ORDER BY \(order)", [sourceID])
            record["messages"] = .array(try messages.enumerated().map { position, row in
                context.tick()
                let usage = (row.text("msg_id") ?? row.text("id")).flatMap { usageByMessage[$0] } ?? row.text("id").flatMap { usageByMessage[$0] }
                return .object(try message(row, position: position, fallbackTime: createdAt, usage: usage))
            })
            try context.importer.conversation(record)
            context.tick()
        }
        let orphans: Int = try db.scalar("SELECT count(*) FROM messages WHERE conversation_id NOT IN (SELECT id FROM conversations)") ?? 0
        if orphans > 0 {
            context.adjustedTables["messages"] = (.partlyImported, "vault messages; \(orphans) message(s) belong to no conversation and were not imported")
        }
    }

    /// Remote agents as vault agents, their credentials as secrets.
    private static func importRemoteAgents(_ context: inout AppImportContext) throws {
        guard context.has("remote_agents") else { return }
        for row in try context.source.fetchAll("SELECT * FROM remote_agents ORDER BY rowid") {
            let sourceID = row.text("id") ?? ""
            let id = "\(idPrefix)remote:\(sourceID)"
            let scope = "agent:aionui:\(sourceID)"
            var config = JSONObject()
            for (column, value) in zip(row.columnNames, row.values) where !["id", "name", "description", "created_at", "updated_at"].contains(column) {
                guard let text = Row(columnNames: [column], values: [value]).text(column) else { continue }
                if ["auth_token", "device_private_key", "device_token"].contains(column) {
                    let name = SecretExtraction.secretName([column])
                    config[column] = .string("secret:\(scope)/\(try context.importer.secret(scope: scope, name: name, value: SecretBytes(text: StoredCredential.aionUi(text))))")
                } else {
                    config[column] = value.jsonValue
                }
            }
            var record = JSONObject([
                "id": .string(id), "name": .string(row.text("name") ?? sourceID), "description": .string(row.text("description")),
                "provider": .string("remote:\(row.text("protocol") ?? "openclaw")"),
                "config": .string(JSONWriter.serialize(.object(config), style: .compact)), "is_active": .bool(true),
            ])
            record.append("created_at", row.time("created_at").map { JSONValue.number($0) })
            record.append("updated_at", row.time("updated_at").map { JSONValue.number($0) })
            try context.importer.agent(record)
            context.tick()
        }
    }

    /// Channel plugins (Telegram, Lark, DingTalk…) as settings, their
    /// credentials as secrets.
    private static func importAssistantPlugins(_ context: inout AppImportContext) throws {
        guard context.has("assistant_plugins") else { return }
        for row in try context.source.fetchAll("SELECT * FROM assistant_plugins ORDER BY rowid") {
            let sourceID = row.text("id") ?? ""
            let scope = "plugin:aionui:\(sourceID)"
            var object = row.jsonObject
            if let text = row.text("config") {
                var config = (try? JSONReader(data: Data(text.utf8)).readDocument()) ?? .string(text)
                if case .object(var members) = config, case .object(let credentials)? = members["credentials"] {
                    var sealed = JSONObject()
                    for member in credentials.members {
                        guard case .string(let value) = member.value, !value.isEmpty, !SecretExtraction.isReference(value) else {
                            sealed[member.key] = member.value
                            continue
                        }
                        let name = SecretExtraction.secretName([member.key])
                        sealed[member.key] = .string("secret:\(scope)/\(try context.importer.secret(scope: scope, name: name, value: SecretBytes(text: StoredCredential.aionUi(value))))")
                    }
                    members["credentials"] = .object(sealed)
                    config = .object(members)
                }
                // Credentials anywhere else in the config, found by name or shape.
                let stripped = try context.importer.strippingSecrets(JSONWriter.serialize(config, style: .compact), scope: scope) ?? ""
                object["config"] = (try? JSONReader(data: Data(stripped.utf8)).readDocument()) ?? config
            }
            try context.importer.setting(JSONObject([
                "key": .string("aionui.assistant_plugins.\(sourceID)"), "value": .string(JSONWriter.serialize(.object(object), style: .compact)),
                "value_type": .string("json"),
            ]))
            context.tick()
        }
    }

    /// The HTTP API configuration as a setting, its token and callback
    /// headers as secrets.
    private static func importAPIConfig(_ context: inout AppImportContext) throws {
        guard context.has("api_config") else { return }
        let scope = "app:aionui:api"
        for row in try context.source.fetchAll("SELECT * FROM api_config ORDER BY rowid") {
            var object = row.jsonObject
            for (column, name) in [("auth_token", "AUTH_TOKEN"), ("callback_headers", "CALLBACK_HEADERS")] {
                guard let value = row.text(column), !value.isEmpty, value != "{}" else { continue }
                object[column] = .string("secret:\(scope)/\(try context.importer.secret(scope: scope, name: name, value: SecretBytes(text: StoredCredential.aionUi(value))))")
            }
            try context.importer.setting(JSONObject([
                "key": .string("aionui.api_config"), "value": .string(JSONWriter.serialize(.object(object), style: .compact)),
                "value_type": .string("json"),
            ]))
            context.tick()
        }
    }

    // MARK: - Mapping

    /// The conversation's `extra` JSON, with the columns that have no vault
    /// field and its token usage added under ``extraMember``; other text
    /// than a JSON object is kept as a JSON string under `text`.
    private static func extra(_ conversation: Row, usage: [Row]) -> String? {
        var added = JSONObject()
        for column in ["source", "channel_chat_id"] { added.append(column, conversation.text(column).map(JSONValue.string)) }
        if !usage.isEmpty { added["token_usage"] = .array(usage.map { .object($0.jsonObject) }) }
        let text = conversation.text("extra")
        guard !added.isEmpty else { return jsonText(text) }
        var object: JSONObject
        if let text, let parsed = try? JSONReader(data: Data(text.utf8)).readDocument().object {
            object = parsed
        } else {
            object = JSONObject()
            object.append("text", text.map(JSONValue.string))
        }
        object[extraMember] = .object(added)
        return JSONWriter.serialize(.object(object), style: .compact)
    }

    private static func message(_ row: Row, position: Int, fallbackTime: Int64?, usage: Row?) throws -> JSONObject {
        let type = row.text("type") ?? "text"
        let side = row.text("position")
        let role: Message.Role
        if type.contains("tool") { role = .tool } else {
            switch side {
            case "right": role = .user
            case "left": role = .assistant
            default: role = .system
            }
        }
        let raw = row.text("content") ?? ""
        var content = raw
        var aionui = JSONObject(["type": .string(type)])
        aionui.append("position", side.map(JSONValue.string))
        aionui.append("status", row.text("status").map(JSONValue.string))
        aionui.append("hidden", row.integer("hidden").map { JSONValue.bool($0 != 0) })
        aionui.append("msg_id", row.text("msg_id").map(JSONValue.string))
        if var object = try? JSONReader(data: Data(raw.utf8)).readDocument().object, let text = object["content"]?.string {
            content = text
            object["content"] = nil
            if !object.isEmpty { aionui["content"] = .object(object) }
        }
        if let usage {
            var counts = JSONObject()
            for column in ["input_tokens", "output_tokens", "cached_read_tokens", "cached_write_tokens", "thought_tokens", "total_tokens"] {
                counts.append(column, usage.integer(column).map { JSONValue.number($0) })
            }
            aionui["usage"] = .object(counts)
        }
        var record = JSONObject([
            "id": .string(idPrefix + (row.text("id") ?? "")), "position": .number(Int64(position)), "role": .string(role.rawValue),
            "content": .string(content), "content_type": .string(type == "text" ? "text" : "aionui/\(type)"),
            "metadata": .string(JSONWriter.serialize(.object(JSONObject(["aionui": .object(aionui)])), style: .compact)),
        ])
        record.append("tokens", usage?.integer("total_tokens").map { JSONValue.number($0) })
        record.append("created_at", (row.time("created_at") ?? fallbackTime).map { JSONValue.number($0) })
        return record
    }

    /// `extra` must be JSON in the vault; other text is kept as a JSON string.
    private static func jsonText(_ text: String?) -> String? {
        guard let text, !text.isEmpty else { return nil }
        if (try? JSONReader(data: Data(text.utf8)).readDocument()) != nil { return text }
        return JSONWriter.quoted(text)
    }
}
