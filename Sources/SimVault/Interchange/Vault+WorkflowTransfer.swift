import Foundation

/// What a workflow import did.
public struct WorkflowImportReport: Sendable, Codable, Equatable {
    /// One imported workflow.
    public struct Item: Sendable, Codable, Equatable {
        public let id: String
        public let name: String
        public let blocks: Int
        public let edges: Int
        public let stateBytes: Int
        /// The file (or bundle entry) it came from.
        public let source: String
    }
    public let workflows: [Item]
    /// Credentials found in the workflows (API keys, tokens, passwords)
    /// that were sealed as secrets of scope `workflow:<id>`; the stored
    /// states refer to them (see ``WorkflowCredentials``).
    public let sealedCredentials: Int
}

/// What a bundle export wrote.
public struct WorkflowBundleReport: Sendable, Codable, Equatable {
    public let path: String
    public let bytes: Int64
    public let workflows: [WorkflowBundle.Manifest.Item]
}

/// Workflows in and out of the vault, in Sim's export format (one JSON file)
/// or as a `.simworkflow` bundle (see ``WorkflowBundle``).
///
/// ```swift
/// let report = try vault.importSimWorkflow(path: "digest.json")
/// let file = try vault.exportSimWorkflow(id: report.workflows[0].id)
/// try file.serialized().write(to: url)   // the same JSON, with a new exportedAt
/// ```
///
/// Imports are all-or-nothing: every file and every bundle entry is read and
/// checked before the vault is touched, and all workflows are written in one
/// transaction.
extension Vault {
    /// Imports one Sim export file as a new workflow.
    ///
    /// - Throws: ``VaultError/invalidArgument(detail:)`` for a file that is
    ///   not a valid Sim export (nothing is written).
    public func importSimWorkflow(path: String) throws -> WorkflowImportReport {
        let file = try SimWorkflowFile(path: path)
        let fallbackName = ((path as NSString).lastPathComponent as NSString).deletingPathExtension
        return try importSimWorkflows([(file, nil, fallbackName, path)], audit: ["file": path])
    }

    /// The workflow `id` in Sim's export format, `exportedAt` set to now.
    ///
    /// - Throws: ``VaultError/recordNotFound(kind:id:)``.
    public func exportSimWorkflow(id: String) throws -> SimWorkflowFile {
        let file = try readData { db in try Self.simWorkflowFile(id: id, exportedAt: Date(), in: db) }
        try recordAccess(AccessEvent(action: "workflow.export", resource: id, detail: ["format": "sim-json"]))
        return file
    }

    /// Writes the workflows `ids` (all workflows when empty) into a new
    /// `.simworkflow` bundle at `path` (0600, created atomically; an
    /// existing file is never replaced).
    ///
    /// - Throws: ``VaultError/alreadyExists(path:)``,
    ///   ``VaultError/recordNotFound(kind:id:)``, ``VaultError/io(detail:)``.
    public func exportWorkflowBundle(ids: [String], to path: String) throws -> WorkflowBundleReport {
        let now = Date()
        let files = try readData { db -> [(String, SimWorkflowFile)] in
            let chosen = ids.isEmpty ? try db.fetchAll("SELECT id FROM workflows ORDER BY name, id").map { try $0.get(0, as: String.self) } : ids
            return try chosen.map { ($0, try Self.simWorkflowFile(id: $0, exportedAt: now, in: db)) }
        }
        guard !files.isEmpty else { throw VaultError.invalidArgument(detail: "the vault has no workflows to export") }
        let report = try WorkflowBundle.write(files, to: path, createdAt: now)
        try recordAccess(AccessEvent(action: "workflow.export", resource: path, detail: ["format": "simworkflow", "count": String(files.count)]))
        return report
    }

    /// Imports every workflow of a `.simworkflow` bundle. A workflow keeps
    /// its id unless the vault already has one with that id.
    ///
    /// - Throws: ``VaultError/invalidArgument(detail:)`` for an unsafe or
    ///   damaged archive, a bad manifest, or a workflow file that is not a
    ///   valid Sim export (nothing is written).
    public func importWorkflowBundle(path: String) throws -> WorkflowImportReport {
        let items = try WorkflowBundle.read(path)
        return try importSimWorkflows(items.map { ($0.file, $0.id, $0.name, "\(path):\($0.entry)") }, audit: ["bundle": path])
    }

    private func importSimWorkflows(
        _ files: [(file: SimWorkflowFile, id: String?, fallbackName: String, source: String)], audit: [String: String]
    ) throws -> WorkflowImportReport {
        try writeData { db in
            var importer = RecordImporter(db: db, vault: self)
            var imported: [WorkflowImportReport.Item] = []
            for item in files {
                // A workflow keeps its id unless the vault has it already.
                var id = item.id ?? RecordID.make()
                if try db.scalar("SELECT 1 FROM workflows WHERE id = ?", [id], as: Int.self) != nil { id = RecordID.make() }
                let state = try WorkflowCredentials.sealing(item.file.stateBytes, workflowID: id, importer: &importer)
                let workflow = try WorkflowStore.prepare(Workflow(
                    id: id, name: item.file.name ?? item.fallbackName, description: item.file.description ?? "", state: state))
                let summary = try WorkflowStore.save(workflow, in: db)
                try db.execute("UPDATE workflows SET source = ? WHERE id = ?", [item.file.sourceText, summary.id])
                imported.append(WorkflowImportReport.Item(
                    id: summary.id, name: summary.name, blocks: item.file.blockCount, edges: item.file.edgeCount,
                    stateBytes: summary.stateBytes, source: item.source))
            }
            var detail = audit
            detail["count"] = String(imported.count)
            detail["secrets"] = String(importer.imported.secrets)
            try AccessLog.record(AccessEvent(action: "workflow.import", resource: nil, detail: detail), actor: configuration.actor, in: db)
            return WorkflowImportReport(workflows: imported, sealedCredentials: importer.imported.secrets + importer.alreadyPresent.secrets)
        }
    }

    static func simWorkflowFile(id: String, exportedAt: Date, in db: Connection) throws -> SimWorkflowFile {
        guard let row = try db.fetchOne("SELECT name, description, state, source FROM workflows WHERE id = ?", [id]) else {
            throw VaultError.recordNotFound(kind: "workflow", id: id)
        }
        return try SimWorkflowFile.assemble(
            state: WorkflowCredentials.redacting(try Zlib.decompress(try row.get("state"))), source: try row.get("source"),
            name: try row.get("name"), description: try row.get("description"), exportedAt: exportedAt)
    }
}
