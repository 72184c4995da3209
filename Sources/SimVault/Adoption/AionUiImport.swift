import Foundation

/// AionUi's database (`{userData}/config/aionui.db`, better-sqlite3, WAL)
/// mapped to vault records. Ids get the prefix `aionui:`, so they cannot
/// collide with other records and an import run twice adds nothing.
///
/// | AionUi | vault |
/// |---|---|
/// | `users` (username, last_login, created/updated) | users; `password_hash` and `jwt_secret` become secrets `PASSWORD_HASH`, `JWT_SECRET` in scope `user:<vault user id>` (kind env); `email` and `avatar_path` are not kept |
/// | `conversations` (name, type, model JSON, extra JSON, status) | conversations: title, kind, model and extra with every credential moved into secrets of scope `provider:<model platform>` (see ``SecretExtraction``), status (NULL → idle) |
/// | `messages` (content JSON, type, position, status, msg_id) | messages in `created_at` order: role from `position` (right → user, left → assistant, center/pop → system) or `type` (tool calls → tool); the text of `{"content": "…"}` as content (else the raw JSON), type `text` or `aionui/<type>`; position, status, msg_id and the rest of the content JSON in `metadata.aionui` |
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

    static func rowCount(_ source: ForeignDatabase) throws -> Int64 {
        try source.count("users") + source.count("conversations") + source.count("messages")
    }

    static func run(_ source: ForeignDatabase, _ importer: inout RecordImporter, notes: inout [String], tick: () -> Void) throws {
        let db = source
        var userIDs = Set<String>()
        for row in try db.fetchAll("SELECT * FROM users ORDER BY rowid") {
            let id = idPrefix + (row.text("id") ?? "")
            userIDs.insert(id)
            var record = JSONObject([
                "id": .string(id), "username": .string(row.text("username")),
                "created_at": .number(row.time("created_at")), "updated_at": .number(row.time("updated_at")),
                "last_login_at": .number(row.time("last_login")),
            ])
            if record["created_at"] == .null { record["created_at"] = nil; record["updated_at"] = nil }
            let before = importer.imported.users
            try importer.user(record)
            if importer.imported.users > before {
                for (column, name) in [("password_hash", "PASSWORD_HASH"), ("jwt_secret", "JWT_SECRET")] {
                    guard let value = row.text(column), !value.isEmpty else { continue }
                    _ = try importer.secret(scope: "user:\(id)", name: name, value: SecretBytes(text: value), kind: .env)
                }
            }
            tick()
        }
        if try db.scalar("SELECT count(*) FROM users WHERE email IS NOT NULL AND email <> ''", as: Int.self).map({ $0 > 0 }) == true {
            notes.append("AionUi users' email addresses and avatars are not kept (vault users have no such fields)")
        }

        for conversation in try db.fetchAll("SELECT * FROM conversations ORDER BY rowid") {
            let sourceID = conversation.text("id") ?? ""
            if try importer.isAlreadyPresent("conversations", idPrefix + sourceID) {
                tick()
                continue
            }
            let modelText = conversation.text("model")
            let platform = modelText.flatMap { try? JSONReader(data: Data($0.utf8)).readDocument().object }
                .flatMap { $0["platform"]?.string ?? $0["name"]?.string } ?? "aionui"
            let scope = "provider:\(SecretExtraction.scopeName(platform))"
            let userID = conversation.text("user_id").map { idPrefix + $0 }
            let createdAt = conversation.time("created_at")
            var record = JSONObject([
                "id": .string(idPrefix + sourceID), "user_id": .string(userID.flatMap { userIDs.contains($0) ? $0 : nil }),
                "title": .string(conversation.text("name") ?? ""), "kind": .string(conversation.text("type") ?? "chat"),
                "model": .string(try importer.strippingSecrets(modelText, scope: scope)),
                "status": .string(conversation.text("status") ?? "idle"),
                "extra": .string(try importer.strippingSecrets(jsonText(conversation.text("extra")), scope: scope)),
            ])
            record.append("created_at", createdAt.map { JSONValue.number($0) })
            record.append("updated_at", conversation.time("updated_at").map { JSONValue.number($0) })
            let order = try db.fetchAll("PRAGMA table_info(messages)").contains { (try? $0.get("name", as: String.self)) == "created_at" } ? "created_at, rowid" : "rowid"
            let messages = try db.fetchAll("SELECT * FROM messages WHERE conversation_id = ? ORDER BY \(order)", [sourceID])
            record["messages"] = .array(try messages.enumerated().map { position, row in
                tick()
                return .object(try message(row, position: position, fallbackTime: createdAt))
            })
            try importer.conversation(record)
            tick()
        }
        let orphans: Int = try db.scalar("SELECT count(*) FROM messages WHERE conversation_id NOT IN (SELECT id FROM conversations)") ?? 0
        if orphans > 0 { notes.append("\(orphans) AionUi message(s) belong to no conversation and were not imported") }
    }

    private static func message(_ row: Row, position: Int, fallbackTime: Int64?) throws -> JSONObject {
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
        aionui.append("msg_id", row.text("msg_id").map(JSONValue.string))
        if var object = try? JSONReader(data: Data(raw.utf8)).readDocument().object, let text = object["content"]?.string {
            content = text
            object["content"] = nil
            if !object.isEmpty { aionui["content"] = .object(object) }
        }
        var record = JSONObject([
            "id": .string(idPrefix + (row.text("id") ?? "")), "position": .number(Int64(position)), "role": .string(role.rawValue),
            "content": .string(content), "content_type": .string(type == "text" ? "text" : "aionui/\(type)"),
            "metadata": .string(JSONWriter.serialize(.object(JSONObject(["aionui": .object(aionui)])), style: .compact)),
        ])
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
