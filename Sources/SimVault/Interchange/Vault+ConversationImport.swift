import Foundation

/// How much of an export file `import conversations` holds in memory at
/// once: one record, never the file.
public struct ConversationImportLimits: Sendable, Equatable {
    /// Most memory one record may take as it is read (estimated as
    /// ``JSONReader/Limits/maximumValueMemory`` does): a user, an agent, a
    /// conversation's own fields, or one message with its attachments (an
    /// attachment's base64 text counts in full: the default admits
    /// attachments up to about 45 MiB).
    public var maximumRecordMemory: Int64 = 64 << 20
    /// Most input bytes one record may span (whitespace included).
    public var maximumRecordBytes: Int64 = 256 << 20

    public init() {}
}

extension Vault {
    /// Imports the users, agents and conversations (with messages and
    /// attachments) of a simvault export file (``VaultExport``), reading it
    /// as a stream: memory holds one record at a time (see
    /// ``ConversationImportLimits``; a conversation's messages are read and
    /// written one by one), whatever the file's size. Other parts of an
    /// `all` export (workflows, runs, settings, secrets) and members
    /// simvault does not know are checked and skipped, never built.
    ///
    /// All or nothing: everything is written in one transaction, which rolls
    /// back at the first problem. Records whose id is already in the vault
    /// are skipped (so importing a file twice adds nothing). Credentials in
    /// agents' `config` and conversations' `model` and `extra` JSON are
    /// sealed as secrets (see ``SecretExtraction``).
    ///
    /// ```swift
    /// let report = try vault.importConversations(path: "chats.json")
    /// print(report.imported.conversations, report.alreadyPresent.conversations)
    /// ```
    ///
    /// - Throws: ``VaultError/invalidArgument(detail:)`` for a file that is
    ///   not valid JSON (or truncated), not a simvault export, of another
    ///   format version, with an invalid record, or with a record larger
    ///   than `limits` allow; nothing is written.
    public func importConversations(
        path: String, limits: ConversationImportLimits = ConversationImportLimits(), progress: ProgressHandler? = nil
    ) throws -> ImportReport {
        guard let size = VaultLocation.size(of: path) else { throw VaultError.io(detail: "cannot read \(path): no such file") }
        var readerLimits = JSONReader.Limits()
        readerLimits.maximumValueMemory = limits.maximumRecordMemory
        readerLimits.maximumValueBytes = limits.maximumRecordBytes
        let reader = try JSONReader(path: path, limits: readerLimits)
        do {
            return try writeCheckingSchema { db in
                var importer = RecordImporter(db: db, vault: self)
                var format: String?, version: JSONValue?
                try reader.beginObject()
                while let key = try reader.nextMember() {
                    switch key {
                    case "format":
                        format = try reader.readValue().string
                        guard format == VaultExport.format else {
                            throw VaultError.invalidArgument(detail: "\(path) is not a simvault export (its \"format\" is not \"\(VaultExport.format)\")")
                        }
                    case "version":
                        version = try reader.readValue()
                        guard let number = version?.int64, VaultExport.readableVersions.contains(number) else {
                            throw VaultError.invalidArgument(detail: "\(path) is a simvault export of format version \(JSONWriter.serialize(version ?? .null, style: .compact)); this simvault reads versions \(VaultExport.readableVersions.lowerBound) to \(VaultExport.readableVersions.upperBound)")
                        }
                    case "users", "agents", "conversations":
                        guard format != nil, version != nil else {
                            throw VaultError.invalidArgument(detail: "\(path) is not a simvault export: \"format\" and \"version\" must come before the records")
                        }
                        try reader.beginArray()
                        while try reader.nextElement() {
                            guard try reader.nextValueIsObject() else {
                                throw VaultError.invalidArgument(detail: "\(path): an entry of \"\(key)\" is \(try reader.readValue().typeName), not an object; nothing was imported")
                            }
                            switch key {
                            case "users": try importer.user(try reader.readValue().object ?? JSONObject())
                            case "agents": try importer.agent(try reader.readValue().object ?? JSONObject())
                            default: try ConversationStream(reader: reader, limits: limits, path: path).importNext(into: &importer)
                            }
                            progress?(TransferProgress(phase: "reading \(key)", completed: reader.offset, total: size, unit: .bytes))
                        }
                    default:
                        try reader.skipValue()
                    }
                }
                try reader.expectEnd()
                guard format != nil, version != nil else {
                    throw VaultError.invalidArgument(detail: "\(path) is not a simvault export (no \"format\" and \"version\")")
                }
                try PendingMessages.indexIfDue(in: db)
                let report = ImportReport(source: path, format: VaultExport.format, imported: importer.imported, alreadyPresent: importer.alreadyPresent, notes: [])
                try AccessLog.record(report.auditEvent, actor: configuration.actor, in: db)
                return report
            }
        } catch let error as JSONError {
            throw VaultError.invalidArgument(detail: "\(path) is not valid JSON or holds a record too large to import: \(error); nothing was imported")
        }
    }
}

/// One conversation of an export, read member by member: its own fields
/// are collected (members simvault does not know are skipped unbuilt), and
/// its `messages` are written one by one as they are read, so a
/// conversation of any length takes the memory of one message.
///
/// Messages normally come after the other fields (simvault writes them
/// last); when they come before the conversation's `id`, they are held
/// until it is known, within the same record limit.
private struct ConversationStream {
    static let fields: Set<String> = [
        "id", "user_id", "agent_id", "title", "kind", "model", "status", "is_pinned", "is_archived", "extra",
        "created_at", "updated_at", "last_message_at",
    ]

    let reader: JSONReader
    let limits: ConversationImportLimits
    let path: String

    func importNext(into importer: inout RecordImporter) throws {
        var header = JSONObject()
        var headerMemory: Int64 = 0
        var open: RecordImporter.OpenConversation?
        var skipped = false
        var held: [JSONObject] = []
        var heldMemory: Int64 = 0
        var position = 0
        var lastMessageAt: Int64?
        var sawMessages = false

        func refuse(_ why: String) -> VaultError {
            .invalidArgument(detail: "\(path): conversation \(header["id"]?.string ?? "#?"): \(why); nothing was imported")
        }
        func write(_ message: JSONObject, to conversation: RecordImporter.OpenConversation) throws {
            try importer.message(message, of: conversation, defaultPosition: position)
            if let time = message["created_at"]?.int64 { lastMessageAt = max(lastMessageAt ?? time, time) }
        }

        try reader.beginObject()
        while let key = try reader.nextMember() {
            if key == "messages" {
                guard !sawMessages else { throw refuse("the member \"messages\" appears twice") }
                sawMessages = true
                if open == nil, !skipped, header["id"] != nil {
                    open = try importer.beginConversation(header)
                    skipped = open == nil
                }
                guard !skipped else { try reader.skipValue(); continue }
                guard try reader.nextValueIsArray() else {
                    let value = try reader.readValue()
                    if value.isNull { continue }
                    throw refuse("\"messages\" is \(value.typeName), not an array")
                }
                try reader.beginArray()
                while try reader.nextElement() {
                    guard let message = try reader.readValue().object else { throw refuse("message \(position) is not an object") }
                    if let open {
                        try write(message, to: open)
                    } else {
                        heldMemory += reader.lastValueMemory
                        guard heldMemory <= limits.maximumRecordMemory else {
                            throw refuse("its messages come before its id and take more than \(ByteCount.format(limits.maximumRecordMemory)); put \"id\" first")
                        }
                        held.append(message)
                    }
                    position += 1
                }
            } else if Self.fields.contains(key) {
                guard header[key] == nil else { throw refuse("the member \"\(key)\" appears twice") }
                let value = try reader.readValue()
                headerMemory += reader.lastValueMemory
                guard headerMemory <= limits.maximumRecordMemory else {
                    throw refuse("its fields take more than \(ByteCount.format(limits.maximumRecordMemory))")
                }
                header[key] = value
            } else {
                try reader.skipValue()
            }
        }
        if open == nil, !skipped {
            open = try importer.beginConversation(header)
        }
        guard let open else { return }
        position = 0
        for message in held {
            try write(message, to: open)
            position += 1
        }
        if header["last_message_at"] == nil || header["last_message_at"]?.isNull == true {
            try importer.finishConversation(open, lastMessageAt: lastMessageAt)
        }
    }
}

extension ImportReport {
    /// The `access_log` row of an import (counts only, never content).
    var auditEvent: AccessEvent {
        AccessEvent(action: "import", resource: source, detail: [
            "format": format, "conversations": String(imported.conversations), "messages": String(imported.messages),
            "secrets": String(imported.secrets),
        ])
    }
}
