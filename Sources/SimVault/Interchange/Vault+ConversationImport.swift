import Foundation

extension Vault {
    /// Imports the users, agents and conversations (with messages and
    /// attachments) of a simvault export file (``VaultExport``), reading it
    /// as a stream: memory holds one record at a time, whatever the file's
    /// size. Other parts of an `all` export (workflows, runs, settings,
    /// secrets) are skipped.
    ///
    /// All or nothing: everything is written in one transaction, which rolls
    /// back at the first problem. Records whose id is already in the vault
    /// are skipped (so importing a file twice adds nothing).
    ///
    /// ```swift
    /// let report = try vault.importConversations(path: "chats.json")
    /// print(report.imported.conversations, report.alreadyPresent.conversations)
    /// ```
    ///
    /// - Throws: ``VaultError/invalidArgument(detail:)`` for a file that is
    ///   not valid JSON (or truncated), not a simvault export, of another
    ///   format version, or with an invalid record; nothing is written.
    public func importConversations(path: String, progress: ProgressHandler? = nil) throws -> ImportReport {
        guard let size = VaultLocation.size(of: path) else { throw VaultError.io(detail: "cannot read \(path): no such file") }
        let reader = try JSONReader(path: path)
        do {
            return try writeData { db in
                var importer = RecordImporter(db: db, vault: self)
                var format: String?, version: JSONValue?
                var records = Int64(0)
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
                            let value = try reader.readValue()
                            guard let record = value.object else {
                                throw VaultError.invalidArgument(detail: "\(path): an entry of \"\(key)\" is \(value.typeName), not an object; nothing was imported")
                            }
                            switch key {
                            case "users": try importer.user(record)
                            case "agents": try importer.agent(record)
                            default: try importer.conversation(record)
                            }
                            records += 1
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
            throw VaultError.invalidArgument(detail: "\(path) is not valid JSON: \(error); nothing was imported")
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
