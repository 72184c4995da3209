import Foundation

/// The records of simvault's export format, read from the vault as
/// ``JSONObject``s with snake_case keys, in a fixed member order.
///
/// Every column keeps its stored value: integer timestamps (unix
/// milliseconds), JSON columns as the text stored, BLOB payloads
/// (attachments) as base64, compressed workflow states and run payloads
/// inflated and embedded as JSON. Secret values never appear here (see
/// ``VaultExport``), and credentials inside JSON columns and workflow
/// states (an API key in an agent's config, a Sim block's apiKey) are
/// replaced by ``SecretExtraction/redactionMarker`` unless the export
/// includes secret values (`redactingCredentials: false`).
enum ExportRecords {
    static let userColumns = "id, username, display_name, created_at, updated_at, last_login_at"
    static let agentColumns = "id, name, description, provider, model, system_prompt, config, is_active, created_at, updated_at"
    static let conversationColumns = "id, user_id, agent_id, title, kind, model, status, is_pinned, is_archived, extra, created_at, updated_at, last_message_at"
    static let messageColumns = "id, position, role, content, content_type, model, tokens, metadata, created_at, updated_at, status, error_message"
    static let attachmentColumns = "id, file_name, media_type, byte_count, sha256, created_at"
    static let runColumns = """
        id, workflow_id, workflow_version, agent_id, conversation_id, triggered_by, status, started_at, completed_at, \
        error_message, blocks_executed, tokens_used, api_calls
        """

    /// Columns named in a row become members, in order; booleans stored as
    /// 0/1 in `booleans` become true/false.
    static func object(_ row: Row, booleans: Set<String> = []) -> JSONObject {
        var object = JSONObject()
        for (name, value) in zip(row.columnNames, row.values) {
            if booleans.contains(name), case .integer(let flag) = value {
                object[name] = .bool(flag != 0)
            } else {
                object[name] = json(value)
            }
        }
        return object
    }

    static func json(_ value: DatabaseValue) -> JSONValue {
        switch value {
        case .null: return .null
        case .integer(let number): return .number(number)
        case .real(let number): return .number(String(number))
        case .text(let text): return .string(text)
        case .blob(let data): return .string(data.base64EncodedString())
        }
    }

    static func users(_ ids: [String]? = nil, in db: Connection) throws -> [JSONObject] {
        try select("SELECT \(userColumns) FROM users", ids: ids, order: "username, id", in: db).map { object($0) }
    }

    static func agents(_ ids: [String]? = nil, redactingCredentials: Bool = true, in db: Connection) throws -> [JSONObject] {
        try select("SELECT \(agentColumns) FROM agents", ids: ids, order: "name, id", in: db).map { row in
            redacting(["config"], in: object(row, booleans: ["is_active"]), redactingCredentials)
        }
    }

    /// Conversation ids in export order (oldest first).
    static func conversationIDs(in db: Connection) throws -> [String] {
        try db.fetchAll("SELECT id FROM conversations ORDER BY created_at, id").map { try $0.get(0) }
    }

    /// A conversation with its messages and their attachments.
    static func conversation(_ id: String, redactingCredentials: Bool = true, in db: Connection) throws -> JSONObject {
        guard let row = try db.fetchOne("SELECT \(conversationColumns) FROM conversations WHERE id = ?", [id]) else {
            throw VaultError.recordNotFound(kind: "conversation", id: id)
        }
        var conversation = redacting(["model", "extra"], in: object(row, booleans: ["is_pinned", "is_archived"]), redactingCredentials)
        var messages: [JSONValue] = []
        for messageRow in try db.fetchAll("SELECT \(messageColumns) FROM messages WHERE conversation_id = ? ORDER BY position", [id]) {
            var message = object(messageRow)
            let messageID: String = try messageRow.get("id")
            if message["status"]?.string == Message.Status.streaming.rawValue {
                // A reply still streaming: the text written so far.
                message["content"] = .string(try messageRow.get("content", as: String.self) + ReplyChunks.text(ofMessage: messageID, in: db))
            }
            let attachments = try db.fetchAll(
                "SELECT \(attachmentColumns), data FROM attachments WHERE message_id = ? ORDER BY created_at, id", [messageID]
            ).map { row -> JSONValue in
                var attachment = object(row)
                attachment["data"] = nil
                attachment["data_base64"] = .string((try row.get("data", as: Data.self)).base64EncodedString())
                return .object(attachment)
            }
            if !attachments.isEmpty { message["attachments"] = .array(attachments) }
            messages.append(.object(message))
        }
        conversation["messages"] = .array(messages)
        return conversation
    }

    static func workflows(redactingCredentials: Bool = true, in db: Connection) throws -> [JSONObject] {
        func state(_ packed: Data) throws -> JSONValue {
            let value = try embeddedJSON(packed)
            return redactingCredentials ? WorkflowCredentials.redacted(value) : value
        }
        return try db.fetchAll("SELECT id, name, description, category, tags, version, created_at, updated_at, state, source FROM workflows ORDER BY name, id").map { row in
            var workflow = object(row)
            let id: String = try row.get("id")
            workflow["tags"] = try JSONReader(data: Data((try row.get("tags", as: String.self)).utf8)).readDocument()
            workflow["state"] = try state(try row.get("state"))
            let history = try db.fetchAll(
                "SELECT version, name, description, category, tags, saved_at, state FROM workflow_versions WHERE workflow_id = ? ORDER BY version",
                [id]
            ).map { version -> JSONValue in
                var entry = object(version)
                entry["tags"] = try JSONReader(data: Data((try version.get("tags", as: String.self)).utf8)).readDocument()
                entry["state"] = try state(try version.get("state"))
                return .object(entry)
            }
            workflow["history"] = .array(history)
            return workflow
        }
    }

    static func runs(in db: Connection) throws -> [JSONObject] {
        try db.fetchAll("SELECT \(runColumns), input, output FROM runs ORDER BY started_at, id").map { row in
            var run = object(row)
            for column in ["input", "output"] {
                let packed: Data? = try row.get(column)
                run[column] = try packed.map(embeddedJSON) ?? .null
            }
            return run
        }
    }

    static func settings(in db: Connection) throws -> [JSONObject] {
        try db.fetchAll("SELECT key, value, value_type, updated_at FROM settings ORDER BY key").map { object($0) }
    }

    static func accessLog(in db: Connection) throws -> [JSONObject] {
        try db.fetchAll("SELECT id, at, actor, action, resource, detail FROM access_log ORDER BY id").map { object($0) }
    }

    static func secretNames(in db: Connection) throws -> [JSONObject] {
        try db.fetchAll("SELECT scope, name, kind, created_at, updated_at FROM secrets ORDER BY scope, name").map { object($0) }
    }

    /// `record` with credentials in its JSON text members `keys` redacted
    /// (when `redacting`).
    private static func redacting(_ keys: [String], in record: JSONObject, _ redacting: Bool) -> JSONObject {
        guard redacting else { return record }
        var record = record
        for key in keys {
            if let text = record[key]?.string { record[key] = .string(SecretExtraction.redact(jsonText: text)) }
        }
        return record
    }

    /// A zlib-compressed JSON payload, inflated and parsed.
    private static func embeddedJSON(_ packed: Data) throws -> JSONValue {
        let bytes = try Zlib.decompress(packed)
        do { return try JSONReader(data: bytes).readDocument() } catch {
            throw VaultError.corrupt(detail: "a stored JSON payload does not parse: \(error)")
        }
    }

    private static func select(_ sql: String, ids: [String]?, order: String, in db: Connection) throws -> [Row] {
        guard let ids else { return try db.fetchAll("\(sql) ORDER BY \(order)") }
        return try ids.compactMap { try db.fetchOne("\(sql) WHERE id = ?", [$0]) }
    }
}
