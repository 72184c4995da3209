import Foundation
import VaultKeys

/// What to export.
public enum ExportScope: Sendable, Equatable {
    /// One conversation, with the user and agent it refers to.
    case conversation(id: String)
    /// Everything: users, agents, conversations, workflows (with history),
    /// runs, settings, the access log, and the names of secrets.
    case everything
}

/// What an export wrote.
public struct ExportReport: Sendable, Codable, Equatable {
    public let scope: String
    public let users: Int
    public let agents: Int
    public let conversations: Int
    public let messages: Int
    public let workflows: Int
    public let runs: Int
    public let secrets: Int
    /// Whether secret values were written (in plaintext).
    public let secretValuesIncluded: Bool
}

/// simvault's export format, version 2: one JSON document that
/// `simvault import conversations` reads back.
///
/// ```json
/// {
///   "format": "simvault-export",
///   "version": 2,
///   "exported_at": "2025-11-23T10:00:00.000Z",
///   "vault_id": "…",
///   "scope": "conversation" | "all",
///   "users": [ … ], "agents": [ … ],
///   "conversations": [ { …, "messages": [ { …, "attachments": [ … ] } ] } ],
///   "workflows": [ … ], "runs": [ … ], "settings": [ … ], "access_log": [ … ],
///   "secrets": [ { "scope": …, "name": …, "kind": … } ]
/// }
/// ```
///
/// The last five are in `all` exports only. Records keep their ids and
/// stored values (timestamps in unix milliseconds), so an import into
/// another vault and a new export give the same records. Secret values are
/// left out unless asked for; then each one is audited as read
/// (`secret.read`) before it is written, and written straight from secret
/// memory.
///
/// The document is written as it is read (one conversation at a time), in
/// one consistent snapshot of the vault.
///
/// Versions: 2 added each message's `status` (`complete`, `streaming`,
/// `interrupted`, `failed`, `cancelled`) and `error_message`. Version 1
/// files are still imported (their messages are complete); a simvault that
/// reads only version 1 refuses version 2 files instead of dropping the
/// statuses.
public enum VaultExport {
    public static let format = "simvault-export"
    /// The version this simvault writes.
    public static let version = 2
    /// The versions this simvault imports.
    public static let readableVersions: ClosedRange<Int64> = 1...2
}

extension Vault {
    /// Writes the export of `scope` to `output`, piece by piece.
    ///
    /// - Parameter includingSecretValues: also write secret values, in
    ///   plaintext (only with `.everything`).
    /// - Throws: ``VaultError/recordNotFound(kind:id:)`` for an unknown
    ///   conversation; whatever `output` throws.
    @discardableResult
    public func exportJSON(
        _ scope: ExportScope, includingSecretValues: Bool = false, to output: (UnsafeRawBufferPointer) throws -> Void,
        progress: ProgressHandler? = nil
    ) throws -> ExportReport {
        if includingSecretValues {
            guard scope == .everything else { throw VaultError.invalidArgument(detail: "secret values are exported only with `export all`") }
            try write { db in
                let names = try db.fetchAll("SELECT scope, name FROM secrets ORDER BY scope, name")
                for row in names {
                    let resource = "\(try row.get(0, as: String.self))/\(try row.get(1, as: String.self))"
                    try AccessLog.record(AccessEvent(action: "secret.read", resource: resource, detail: ["for": "export"]), actor: configuration.actor, in: db)
                }
                try AccessLog.record(AccessEvent(action: "export.secrets", detail: ["count": String(names.count)]), actor: configuration.actor, in: db)
            }
        }
        let report = try withoutActuallyEscaping(output) { output in
            try readCheckingSchema { db in
                try ExportWriter(db: db, vault: self, output: output, progress: progress).write(scope, includingSecretValues: includingSecretValues)
            }
        }
        try recordAccess(AccessEvent(action: "export", resource: scope.resource, detail: ["format": "json", "secret_values": String(includingSecretValues)]))
        return report
    }

    /// The conversation `id` as Markdown: a title, its details, then every
    /// message under a heading naming its role, model and time.
    ///
    /// - Throws: ``VaultError/recordNotFound(kind:id:)``.
    public func exportMarkdown(conversation id: String) throws -> String {
        let text = try readCheckingSchema { db in try ConversationMarkdown.render(try ExportRecords.conversation(id, in: db), in: db) }
        try recordAccess(AccessEvent(action: "export", resource: ExportScope.conversation(id: id).resource, detail: ["format": "markdown"]))
        return text
    }
}

extension ExportScope {
    var resource: String {
        switch self {
        case .conversation(let id): return "conversation/\(id)"
        case .everything: return "all"
        }
    }
}

/// Streams one export document.
private struct ExportWriter {
    let db: Connection
    let vault: Vault
    let output: (UnsafeRawBufferPointer) throws -> Void
    let progress: ProgressHandler?

    func write(_ scope: ExportScope, includingSecretValues: Bool) throws -> ExportReport {
        var conversationIDs: [String]
        var users: [JSONObject], agents: [JSONObject]
        switch scope {
        case .conversation(let id):
            let conversation = try ExportRecords.conversation(id, in: db)
            conversationIDs = [id]
            users = try ExportRecords.users(conversation["user_id"]?.string.map { [$0] } ?? [], in: db)
            agents = try ExportRecords.agents(conversation["agent_id"]?.string.map { [$0] } ?? [], redactingCredentials: !includingSecretValues, in: db)
        case .everything:
            conversationIDs = try ExportRecords.conversationIDs(in: db)
            users = try ExportRecords.users(in: db)
            agents = try ExportRecords.agents(redactingCredentials: !includingSecretValues, in: db)
        }
        try text("{\n")
        try member("format", .string(VaultExport.format), first: true)
        try member("version", .number(Int64(VaultExport.version)))
        try member("exported_at", .string(SimWorkflowFile.isoTimestamp(Date())))
        try member("vault_id", .string(vault.vaultID))
        try member("scope", .string(scope == .everything ? "all" : "conversation"))
        try array("users", users.map(JSONValue.object))
        try array("agents", agents.map(JSONValue.object))

        var messages = 0
        try text(",\n  \"conversations\": [")
        for (position, id) in conversationIDs.enumerated() {
            let conversation = try ExportRecords.conversation(id, redactingCredentials: !includingSecretValues, in: db)
            messages += conversation["messages"]?.array?.count ?? 0
            try element(.object(conversation), first: position == 0)
            progress?(TransferProgress(phase: "conversations", completed: Int64(position + 1), total: Int64(conversationIDs.count), unit: .items))
        }
        try text(conversationIDs.isEmpty ? "]" : "\n  ]")

        var counts = (workflows: 0, runs: 0, secrets: 0)
        if scope == .everything {
            let workflows = try ExportRecords.workflows(redactingCredentials: !includingSecretValues, in: db), runs = try ExportRecords.runs(in: db)
            counts = (workflows.count, runs.count, 0)
            try array("workflows", workflows.map(JSONValue.object))
            try array("runs", runs.map(JSONValue.object))
            try array("settings", try ExportRecords.settings(in: db).map(JSONValue.object))
            try array("access_log", try ExportRecords.accessLog(in: db).map(JSONValue.object))
            counts.secrets = try writeSecrets(includingValues: includingSecretValues)
        }
        try text("\n}\n")
        return ExportReport(
            scope: scope == .everything ? "all" : "conversation", users: users.count, agents: agents.count,
            conversations: conversationIDs.count, messages: messages, workflows: counts.workflows, runs: counts.runs,
            secrets: counts.secrets, secretValuesIncluded: includingSecretValues)
    }

    // MARK: - Secrets

    /// Names (and values when asked): each value goes from secret memory
    /// through a scratch buffer that is wiped after use.
    private func writeSecrets(includingValues: Bool) throws -> Int {
        let names = try ExportRecords.secretNames(in: db)
        guard includingValues else {
            try array("secrets", names.map(JSONValue.object))
            return names.count
        }
        let secretsKey = try SecretKeyRotation.secretsKey(for: vault.masterKey, vaultID: vault.vaultID, creating: false, in: db)
        try text(",\n  \"secrets\": [")
        for (position, record) in names.enumerated() {
            let scope = record["scope"]?.string ?? "", name = record["name"]?.string ?? ""
            guard let secretsKey,
                  let sealed: Data = try db.scalar("SELECT sealed_value FROM secrets WHERE scope = ? AND name = ?", [scope, name]),
                  let value = SecretSealer.open(sealed, with: secretsKey, scope: scope, name: name) else {
                throw VaultError.corrupt(detail: "secret \(scope)/\(name) does not open: its sealed value or the secrets key was altered")
            }
            // The record without its closing "\n    }", then the value member.
            let object = JSONWriter.serialize(.object(record), style: .pretty, indentLevel: 2).dropLast(6)
            try text(position == 0 ? "\n    " : ",\n    ")
            try text(object + ",\n      \"value\": ")
            try writeSecretString(value)
            try text("\n    }")
        }
        try text(names.isEmpty ? "]" : "\n  ]")
        return names.count
    }

    /// `value` as a JSON string literal (or `{"base64": …}` when it is not
    /// UTF-8), escaped byte by byte into a buffer that is zeroed afterwards.
    private func writeSecretString(_ value: SecretBytes) throws {
        var buffer: [UInt8] = []
        defer { Sodium.wipe(&buffer) }
        value.withUnsafeBytes { bytes in
            var iterator = bytes.makeIterator()
            var decoder = UTF8()
            var valid = true
            decoding: while true {
                switch decoder.decode(&iterator) {
                case .scalarValue: continue
                case .emptyInput: break decoding
                case .error: valid = false; break decoding
                }
            }
            buffer.reserveCapacity(bytes.count * 2 + 16)
            guard valid else {
                buffer.append(contentsOf: Array("{\"base64\": \"".utf8))
                buffer.append(contentsOf: Array(Data(bytes).base64EncodedString().utf8))
                buffer.append(contentsOf: Array("\"}".utf8))
                return
            }
            buffer.append(UInt8(ascii: "\""))
            for byte in bytes {
                switch byte {
                case UInt8(ascii: "\""): buffer += [UInt8(ascii: "\\"), UInt8(ascii: "\"")]
                case UInt8(ascii: "\\"): buffer += [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
                case 0..<0x20: buffer += Array(String(format: "\\u%04x", byte).utf8)
                default: buffer.append(byte)
                }
            }
            buffer.append(UInt8(ascii: "\""))
        }
        try buffer.withUnsafeBytes { try output($0) }
    }

    // MARK: - Pieces

    private func text(_ string: String) throws {
        var bytes = Array(string.utf8)
        try bytes.withUnsafeMutableBytes { try output(UnsafeRawBufferPointer($0)) }
    }

    private func member(_ key: String, _ value: JSONValue, first: Bool = false) throws {
        try text((first ? "  " : ",\n  ") + JSONWriter.quoted(key) + ": " + JSONWriter.serialize(value, style: .pretty, indentLevel: 1))
    }

    private func array(_ key: String, _ values: [JSONValue]) throws {
        try text(",\n  " + JSONWriter.quoted(key) + ": [")
        for (position, value) in values.enumerated() { try element(value, first: position == 0) }
        try text(values.isEmpty ? "]" : "\n  ]")
    }

    private func element(_ value: JSONValue, first: Bool) throws {
        try text((first ? "\n    " : ",\n    ") + JSONWriter.serialize(value, style: .pretty, indentLevel: 2))
    }
}
