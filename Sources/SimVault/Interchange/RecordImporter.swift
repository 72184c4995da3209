import Foundation
import VaultKeys

/// What an import wrote, and what it found already there.
public struct ImportReport: Sendable, Codable, Equatable {
    /// Counts by kind of record.
    public struct Counts: Sendable, Codable, Equatable {
        public var users = 0
        public var agents = 0
        public var conversations = 0
        public var messages = 0
        public var attachments = 0
        public var runs = 0
        public var settings = 0
        public var secrets = 0
        public init() {}
    }

    /// The file imported.
    public let source: String
    /// `simvault-export`, `aionui`, `libreollama`.
    public let format: String
    /// Records written.
    public let imported: Counts
    /// Records skipped because the vault already had them (same id): an
    /// import run twice adds nothing the second time.
    public let alreadyPresent: Counts
    /// Things the user should know (API keys moved into secrets, ...).
    public let notes: [String]
    /// Another app's database: every table it holds and what became of it
    /// (empty for a simvault export).
    public var tables: [SourceTable] = []
    /// Another app's files that still hold the imported data, credentials
    /// included, in plaintext (the database, its `-wal`/`-shm`, LibreOllama's
    /// `llm_settings.json`) and are still there.
    public var plaintextCopies: [String] = []

    init(source: String, format: String, imported: Counts, alreadyPresent: Counts, notes: [String]) {
        self.source = source
        self.format = format
        self.imported = imported
        self.alreadyPresent = alreadyPresent
        self.notes = notes
    }
}

/// Writes records in simvault's export format (``VaultExport``) into the
/// vault, inside the caller's transaction: the one place imports insert rows,
/// whatever their source (a simvault export, or another app's database
/// mapped to these records).
///
/// Records keep their ids and timestamps. A record whose id is already in
/// the vault is skipped and counted as already present. Anything invalid (a
/// missing field, a wrong type, an unknown role, a reference to a record
/// that exists nowhere) throws, naming the record, and the caller's
/// transaction rolls back.
struct RecordImporter {
    let db: Connection
    let vault: Vault
    private(set) var imported = ImportReport.Counts()
    private(set) var alreadyPresent = ImportReport.Counts()
    private var secretsKey: SecretBytes?
    /// Secrets stored by this import, by scope, to store a value repeated in
    /// many records once.
    private var storedSecrets: [String: [(name: String, value: SecretBytes)]] = [:]

    init(db: Connection, vault: Vault) {
        self.db = db
        self.vault = vault
    }

    // MARK: - Records

    mutating func user(_ record: JSONObject) throws {
        let fields = RecordFields(record, "user")
        let id = try fields.string("id")
        if try exists("users", id) { alreadyPresent.users += 1; return }
        let username = try fields.string("username")
        if let owner: String = try db.scalar("SELECT id FROM users WHERE username = ?", [username]) {
            throw VaultError.invalidArgument(detail: "user \(id): the username \"\(username)\" already belongs to user \(owner) in this vault; nothing was imported")
        }
        let now = Clock.nowMilliseconds()
        try insert("users", [
            "id": id, "username": username, "display_name": try fields.optionalString("display_name"),
            "created_at": try fields.optionalInt("created_at") ?? now, "updated_at": try fields.optionalInt("updated_at") ?? now,
            "last_login_at": try fields.optionalInt("last_login_at"),
        ], fields)
        imported.users += 1
    }

    mutating func agent(_ record: JSONObject) throws {
        let fields = RecordFields(record, "agent")
        let id = try fields.string("id")
        if try exists("agents", id) { alreadyPresent.agents += 1; return }
        let now = Clock.nowMilliseconds()
        let config = try strippingSecrets(try fields.optionalString("config"), scope: "agent:\(id)")
        try fields.requireJSON(config, "config")
        try insert("agents", [
            "id": id, "name": try fields.string("name"), "description": try fields.optionalString("description"),
            "provider": try fields.optionalString("provider"), "model": try fields.optionalString("model"),
            "system_prompt": try fields.optionalString("system_prompt"), "config": config,
            "is_active": try fields.optionalBool("is_active") ?? true,
            "created_at": try fields.optionalInt("created_at") ?? now, "updated_at": try fields.optionalInt("updated_at") ?? now,
        ], fields)
        imported.agents += 1
    }

    /// A conversation with its `messages` (and their `attachments`).
    mutating func conversation(_ record: JSONObject) throws {
        guard let conversation = try beginConversation(record) else { return }
        let fields = RecordFields(record, "conversation")
        let messages = try fields.optionalArray("messages") ?? []
        for (position, message) in messages.enumerated() {
            guard let message = message.object else { throw fields.invalid("message \(position) is not an object") }
            try self.message(message, of: conversation, defaultPosition: position)
        }
        if record["last_message_at"] == nil || record["last_message_at"]?.isNull == true {
            try finishConversation(conversation, lastMessageAt: messages.compactMap { $0.object?["created_at"]?.int64 }.max())
        }
    }

    /// A conversation written before its messages (an import that streams
    /// them): its id and creation time, which each message defaults to.
    struct OpenConversation {
        let id: String
        let createdAt: Int64
    }

    /// Writes a conversation's own fields (`messages` in `record` are not
    /// read); nil when the vault has it already (then skip its messages).
    /// Credentials in its `model` and `extra` JSON are sealed as secrets of
    /// scope `conversation:<id>` (see ``SecretExtraction``).
    mutating func beginConversation(_ record: JSONObject) throws -> OpenConversation? {
        let fields = RecordFields(record, "conversation")
        let id = try fields.string("id")
        if try exists("conversations", id) { alreadyPresent.conversations += 1; return nil }
        let now = Clock.nowMilliseconds()
        let createdAt = try fields.optionalInt("created_at") ?? now
        let extra = try strippingSecrets(try fields.optionalString("extra"), scope: "conversation:\(id)")
        try fields.requireJSON(extra, "extra")
        try requireReference("users", "user", try fields.optionalString("user_id"), fields)
        try requireReference("agents", "agent", try fields.optionalString("agent_id"), fields)
        try insert("conversations", [
            "id": id, "user_id": try fields.optionalString("user_id"), "agent_id": try fields.optionalString("agent_id"),
            "title": try fields.optionalString("title") ?? "", "kind": try fields.optionalString("kind") ?? "chat",
            "model": try strippingSecrets(try fields.optionalString("model"), scope: "conversation:\(id)"),
            "status": try fields.optionalString("status") ?? "idle",
            "is_pinned": try fields.optionalBool("is_pinned") ?? false, "is_archived": try fields.optionalBool("is_archived") ?? false,
            "extra": extra, "created_at": createdAt, "updated_at": try fields.optionalInt("updated_at") ?? createdAt,
            "last_message_at": try fields.optionalInt("last_message_at"),
        ], fields)
        imported.conversations += 1
        return OpenConversation(id: id, createdAt: createdAt)
    }

    /// One message of `conversation` (with its attachments).
    mutating func message(_ record: JSONObject, of conversation: OpenConversation, defaultPosition: Int) throws {
        try message(record, conversationID: conversation.id, defaultPosition: defaultPosition, defaultTime: conversation.createdAt)
    }

    /// Sets the time of the conversation's last message when its record
    /// did not give one.
    func finishConversation(_ conversation: OpenConversation, lastMessageAt: Int64?) throws {
        guard let lastMessageAt else { return }
        try db.execute("UPDATE conversations SET last_message_at = ? WHERE id = ?", [lastMessageAt, conversation.id])
    }

    private mutating func message(_ record: JSONObject, conversationID: String, defaultPosition: Int, defaultTime: Int64) throws {
        let fields = RecordFields(record, "message of conversation \(conversationID)")
        let id = try fields.string("id")
        if let owner: String = try db.scalar("SELECT conversation_id FROM messages WHERE id = ?", [id]) {
            throw fields.invalid("message id \(id) is already used in conversation \(owner)")
        }
        let role = try fields.string("role")
        guard Message.Role(rawValue: role) != nil else { throw fields.invalid("unknown role \"\(role)\" (system, user, assistant or tool)") }
        let metadata = try fields.optionalString("metadata")
        try fields.requireJSON(metadata, "metadata")
        let createdAt = try fields.optionalInt("created_at") ?? defaultTime
        // Version 1 files have no status: their messages are complete. A
        // reply that was streaming when it was exported streams nowhere here.
        var status = Message.Status.complete
        if let text = try fields.optionalString("status") {
            guard let known = Message.Status(rawValue: text) else {
                throw fields.invalid("unknown status \"\(text)\" (\(Message.Status.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            status = known == .streaming ? .interrupted : known
        }
        try insert("messages", [
            "id": id, "conversation_id": conversationID, "position": try fields.optionalInt("position").map(Int.init) ?? defaultPosition,
            "role": role, "content": try fields.string("content"), "content_type": try fields.optionalString("content_type") ?? "text",
            "model": try fields.optionalString("model"), "tokens": try fields.optionalInt("tokens"), "metadata": metadata,
            "created_at": createdAt, "updated_at": try fields.optionalInt("updated_at") ?? createdAt,
            "status": status.rawValue, "error_message": try fields.optionalString("error_message"),
        ], fields)
        imported.messages += 1
        for attachment in try fields.optionalArray("attachments") ?? [] {
            guard let attachment = attachment.object else { throw fields.invalid("an attachment is not an object") }
            try self.attachment(attachment, messageID: id, defaultTime: createdAt)
        }
    }

    private mutating func attachment(_ record: JSONObject, messageID: String, defaultTime: Int64) throws {
        let fields = RecordFields(record, "attachment of message \(messageID)")
        let id = try fields.string("id")
        guard let data = Data(base64Encoded: try fields.string("data_base64")) else { throw fields.invalid("data_base64 is not base64") }
        guard data.count <= AttachmentStore.maximumByteCount else { throw fields.invalid("it is larger than \(ByteCount.format(Int64(AttachmentStore.maximumByteCount)))") }
        let digest = ContentDigest.sha256Hex(data)
        if let stated = try fields.optionalString("sha256"), stated != digest { throw fields.invalid("its data does not match its sha256") }
        try insert("attachments", [
            "id": id, "message_id": messageID, "file_name": try fields.string("file_name"),
            "media_type": try fields.optionalString("media_type") ?? "application/octet-stream", "byte_count": data.count,
            "sha256": digest, "data": data, "created_at": try fields.optionalInt("created_at") ?? defaultTime,
        ], fields)
        imported.attachments += 1
    }

    /// A run; `input` and `output` are JSON values (stored compressed).
    mutating func run(_ record: JSONObject) throws {
        let fields = RecordFields(record, "run")
        let id = try fields.string("id")
        if try exists("runs", id) { alreadyPresent.runs += 1; return }
        try requireReference("workflows", "workflow", try fields.optionalString("workflow_id"), fields)
        try requireReference("agents", "agent", try fields.optionalString("agent_id"), fields)
        try requireReference("conversations", "conversation", try fields.optionalString("conversation_id"), fields)
        func pack(_ key: String) throws -> Data? {
            guard let value = record[key], !value.isNull else { return nil }
            return try Zlib.compress(Data(JSONWriter.serialize(value, style: .compact).utf8))
        }
        try insert("runs", [
            "id": id, "workflow_id": try fields.optionalString("workflow_id"), "workflow_version": try fields.optionalInt("workflow_version"),
            "agent_id": try fields.optionalString("agent_id"), "conversation_id": try fields.optionalString("conversation_id"),
            "triggered_by": try fields.string("triggered_by"), "status": try fields.string("status"),
            "started_at": try fields.int("started_at"), "completed_at": try fields.optionalInt("completed_at"),
            "input": try pack("input"), "output": try pack("output"), "error_message": try fields.optionalString("error_message"),
            "blocks_executed": try fields.optionalInt("blocks_executed") ?? 0, "tokens_used": try fields.optionalInt("tokens_used") ?? 0,
            "api_calls": try fields.optionalInt("api_calls") ?? 0,
        ], fields)
        imported.runs += 1
    }

    /// A setting, unless one of that name is stored already.
    mutating func setting(_ record: JSONObject) throws {
        let fields = RecordFields(record, "setting")
        let key = try fields.string("key")
        if try db.scalar("SELECT 1 FROM settings WHERE key = ?", [key], as: Int.self) != nil { alreadyPresent.settings += 1; return }
        try insert("settings", [
            "key": key, "value": try fields.string("value"), "value_type": try fields.optionalString("value_type") ?? "string",
            "updated_at": try fields.optionalInt("updated_at") ?? Clock.nowMilliseconds(),
        ], fields)
        imported.settings += 1
    }

    /// Seals `value` as a secret in `scope` and returns its name: `name`, or
    /// `name_2`, `name_3`... when the vault already has that name. A value
    /// this import already stored in `scope` is stored once.
    mutating func secret(scope: String, name: String, value: SecretBytes, kind: SecretKind = .apiKey) throws -> String {
        if let same = storedSecrets[scope]?.first(where: { $0.value.constantTimeEquals(value) }) { return same.name }
        if secretsKey == nil {
            secretsKey = try SecretKeyRotation.secretsKey(for: vault.masterKey, vaultID: vault.vaultID, creating: true, in: db)
        }
        guard let secretsKey else { throw VaultError.corrupt(detail: "no secrets key could be made") }
        var chosen = name, suffix = 1
        while let sealed: Data = try db.scalar("SELECT sealed_value FROM secrets WHERE scope = ? AND name = ?", [scope, chosen]) {
            // The same value under this name already (an earlier import):
            // compared in secret memory, never returned.
            if let stored = SecretSealer.open(sealed, with: secretsKey, scope: scope, name: chosen), stored.constantTimeEquals(value) {
                storedSecrets[scope, default: []].append((chosen, value))
                alreadyPresent.secrets += 1
                return chosen
            }
            suffix += 1
            chosen = "\(name)_\(suffix)"
        }
        let now = Clock.nowMilliseconds()
        try db.execute(
            "INSERT INTO secrets (scope, name, kind, sealed_value, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
            [scope, chosen, kind.rawValue, SecretSealer.seal(value, with: secretsKey, scope: scope, name: chosen), now, now])
        try AccessLog.record(
            AccessEvent(action: "secret.write", resource: "\(scope)/\(chosen)", detail: ["kind": kind.rawValue, "source": "import"]),
            actor: vault.configuration.actor, in: db)
        storedSecrets[scope, default: []].append((chosen, value))
        imported.secrets += 1
        return chosen
    }

    /// Whether the vault already has the record `id` of `table` (then it is
    /// counted as already present): importers ask before they do work for a
    /// record, such as moving its credentials into secrets.
    mutating func isAlreadyPresent(_ table: String, _ id: String) throws -> Bool {
        guard try exists(table, id) else { return false }
        switch table {
        case "conversations": alreadyPresent.conversations += 1
        case "agents": alreadyPresent.agents += 1
        default: break
        }
        return true
    }

    // MARK: - Helpers

    private func exists(_ table: String, _ id: String) throws -> Bool {
        try db.scalar("SELECT 1 FROM \(table) WHERE id = ?", [id], as: Int.self) != nil
    }

    private func requireReference(_ table: String, _ kind: String, _ id: String?, _ fields: RecordFields) throws {
        guard let id, !(try exists(table, id)) else { return }
        throw fields.invalid("it refers to \(kind) \(id), which is neither in the file (before it) nor in the vault")
    }

    /// INSERT of `values` (column names are simvault's constants), with
    /// constraint failures reported against the record.
    private func insert(_ table: String, _ values: KeyValuePairs<String, (any DatabaseValueConvertible)?>, _ fields: RecordFields) throws {
        let columns = values.map(\.key)
        let sql = "INSERT INTO \(table) (\(columns.joined(separator: ", "))) VALUES (\(columns.map { _ in "?" }.joined(separator: ", ")))"
        do {
            try db.execute(sql, values.map { $0.value ?? DatabaseValue.null })
        } catch let error as SQLiteError where error.isConstraintViolation {
            throw fields.invalid("the vault refuses it (\(error.message))")
        }
    }
}

/// Typed access to a record's members, with errors naming the record.
struct RecordFields {
    let record: JSONObject
    let what: String

    init(_ record: JSONObject, _ kind: String) {
        self.record = record
        what = record["id"]?.string.map { "\(kind) \($0)" } ?? kind
    }

    func invalid(_ why: String) -> VaultError { .invalidArgument(detail: "\(what): \(why); nothing was imported") }

    func string(_ key: String) throws -> String {
        guard let value = try optionalString(key) else { throw invalid("\"\(key)\" is missing") }
        return value
    }

    func optionalString(_ key: String) throws -> String? {
        guard let value = record[key], !value.isNull else { return nil }
        guard let text = value.string else { throw invalid("\"\(key)\" is \(value.typeName), not a string") }
        return text
    }

    func int(_ key: String) throws -> Int64 {
        guard let value = try optionalInt(key) else { throw invalid("\"\(key)\" is missing") }
        return value
    }

    func optionalInt(_ key: String) throws -> Int64? {
        guard let value = record[key], !value.isNull else { return nil }
        guard let number = value.int64 else { throw invalid("\"\(key)\" is \(value.typeName), not an integer") }
        return number
    }

    func optionalBool(_ key: String) throws -> Bool? {
        guard let value = record[key], !value.isNull else { return nil }
        if let flag = value.bool { return flag }
        if let number = value.int64, number == 0 || number == 1 { return number == 1 }
        throw invalid("\"\(key)\" is \(value.typeName), not a Boolean")
    }

    func optionalArray(_ key: String) throws -> [JSONValue]? {
        guard let value = record[key], !value.isNull else { return nil }
        guard let items = value.array else { throw invalid("\"\(key)\" is \(value.typeName), not an array") }
        return items
    }

    func requireJSON(_ text: String?, _ key: String) throws {
        guard let text else { return }
        guard (try? JSONReader(data: Data(text.utf8)).readDocument()) != nil else { throw invalid("\"\(key)\" is not JSON text") }
    }
}
