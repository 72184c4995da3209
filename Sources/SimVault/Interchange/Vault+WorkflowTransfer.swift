import Foundation

/// What a workflow import did.
public struct WorkflowImportReport: Sendable, Codable, Equatable {
    /// One imported workflow.
    public struct Item: Sendable, Codable, Equatable {
        public let id: String
        public let name: String
        /// The folder path it came from (Sim ZIP archives, Sim databases), or
        /// `general`.
        public let category: String
        public let blocks: Int
        public let edges: Int
        public let stateBytes: Int
        /// The file (or archive entry) it came from.
        public let source: String
        /// Sim's form of the file: `sim` (UI export), `api`, `state`, or
        /// `postgres`.
        public let form: String
    }
    public let workflows: [Item]
    /// Credentials found in the workflows (API keys, tokens, passwords)
    /// that were sealed as secrets of scope `workflow:<id>`; the stored
    /// states refer to them (see ``WorkflowCredentials``).
    public let sealedCredentials: Int
}

/// What a bundle or archive export wrote.
public struct WorkflowBundleReport: Sendable, Codable, Equatable {
    public let path: String
    public let bytes: Int64
    public let workflows: [WorkflowBundle.Manifest.Item]
}

/// Workflows in and out of the vault: Sim's JSON forms (see
/// ``SimWorkflowFile``), Sim's ZIP archives (``SimWorkflowArchive``) and
/// `.simworkflow` bundles (``WorkflowBundle``).
///
/// ```swift
/// let report = try vault.importWorkflows(path: "digest.json")    // a JSON form, a bundle or a Sim ZIP
/// let file = try vault.exportSimWorkflow(id: report.workflows[0].id, form: .apiExport)
/// try file.serialized().write(to: url)
/// ```
///
/// Imports are all-or-nothing: every file and every archive entry is read
/// and checked before the vault is touched, and all workflows are written in
/// one transaction.
extension Vault {
    /// Imports one Sim workflow file (any of Sim's JSON forms) as a new
    /// workflow. Its name comes from the content (`state.metadata.name`, then
    /// `workflow.name`), else from the file name as Sim derives it.
    ///
    /// - Throws: ``VaultError/invalidArgument(detail:)`` for a file Sim's
    ///   importer would refuse (nothing is written).
    public func importSimWorkflow(path: String) throws -> WorkflowImportReport {
        let file = try SimWorkflowFile(path: path)
        let fileName = (path as NSString).lastPathComponent
        let item = SimWorkflowImport(file: file, preferredID: nil, name: file.name ?? SimWorkflowName.fromFileName(fileName), category: nil, origin: path)
        return try importSimWorkflows([item], audit: ["file": path])
    }

    /// Imports whatever workflow file `path` is, recognised by its content:
    /// a `.simworkflow` bundle, a Sim ZIP archive, or one JSON file.
    public func importWorkflows(path: String) throws -> WorkflowImportReport {
        guard ZipArchiveReader.looksLikeArchive(path) else { return try importSimWorkflow(path: path) }
        let archive = try ZipArchiveReader(path: path, limits: WorkflowBundle.archiveLimits)
        return try WorkflowBundle.isBundle(archive) ? importWorkflowBundle(archive) : importSimWorkflowArchive(archive)
    }

    /// The workflow `id` in Sim's `form` (the UI export unless asked
    /// otherwise), `exportedAt` set to now.
    ///
    /// - Throws: ``VaultError/recordNotFound(kind:id:)``.
    public func exportSimWorkflow(id: String, form: SimWorkflowFile.Form = .uiExport) throws -> SimWorkflowFile {
        let file = try readCheckingSchema { db in try Self.simWorkflowFile(id: id, exportedAt: Date(), form: form, in: db) }
        try recordAccess(AccessEvent(action: "workflow.export", resource: id, detail: ["format": form == .apiExport ? "sim-api-json" : "sim-json"]))
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
        let files = try exportedFiles(ids: ids, at: now)
        let report = try WorkflowBundle.write(files.map { ($0.id, $0.name, $0.file) }, to: path, createdAt: now)
        try recordAccess(AccessEvent(action: "workflow.export", resource: path, detail: ["format": "simworkflow", "count": String(files.count)]))
        return report
    }

    /// Writes the workflows `ids` (all when empty) into a new ZIP archive at
    /// `path` laid out as Sim's workspace export, which Sim's "Import" takes:
    /// each category becomes a folder (see ``SimWorkflowArchive``).
    ///
    /// - Throws: as ``exportWorkflowBundle(ids:to:)``.
    public func exportSimWorkflowArchive(ids: [String], to path: String) throws -> WorkflowBundleReport {
        let now = Date()
        let files = try exportedFiles(ids: ids, at: now)
        let report = try SimWorkflowArchive.write(files, to: path, createdAt: now)
        try recordAccess(AccessEvent(action: "workflow.export", resource: path, detail: ["format": "sim-zip", "count": String(files.count)]))
        return report
    }

    /// Imports every workflow of a `.simworkflow` bundle. A workflow keeps
    /// its id unless the vault already has one with that id.
    ///
    /// - Throws: ``VaultError/invalidArgument(detail:)`` for an unsafe or
    ///   damaged archive, a bad manifest, or a workflow file that is not a
    ///   valid Sim export (nothing is written).
    public func importWorkflowBundle(path: String) throws -> WorkflowImportReport {
        try importWorkflowBundle(try ZipArchiveReader(path: path, limits: WorkflowBundle.archiveLimits))
    }

    /// Imports every workflow of a Sim ZIP archive (a workspace or folder
    /// export). A workflow keeps Sim's id (from its `<name>-<id>.json` file
    /// name) unless the vault already has it; its folder path becomes its
    /// category.
    ///
    /// - Throws: ``VaultError/invalidArgument(detail:)`` for an unsafe or
    ///   damaged archive or a workflow Sim would refuse (nothing is written).
    public func importSimWorkflowArchive(path: String) throws -> WorkflowImportReport {
        try importSimWorkflowArchive(try ZipArchiveReader(path: path, limits: WorkflowBundle.archiveLimits))
    }

    private func importWorkflowBundle(_ archive: ZipArchiveReader) throws -> WorkflowImportReport {
        let items = try WorkflowBundle.read(archive)
        return try importSimWorkflows(
            items.map { SimWorkflowImport(file: $0.file, preferredID: $0.id, name: $0.file.name ?? $0.name, category: nil, origin: "\(archive.path):\($0.entry)") },
            audit: ["bundle": archive.path])
    }

    private func importSimWorkflowArchive(_ archive: ZipArchiveReader) throws -> WorkflowImportReport {
        let items = try SimWorkflowArchive.read(archive)
        return try importSimWorkflows(
            items.map { SimWorkflowImport(file: $0.file, preferredID: $0.id, name: $0.name, category: $0.category, origin: "\(archive.path):\($0.entry)") },
            audit: ["archive": archive.path])
    }

    private func importSimWorkflows(_ items: [SimWorkflowImport], audit: [String: String]) throws -> WorkflowImportReport {
        let prepared = try items.map { try $0.prepared() }
        return try writeCheckingSchema { db in
            var importer = RecordImporter(db: db, vault: self)
            let imported = try prepared.map { try Self.store($0, in: db, sealingCredentialsWith: &importer) }
            var detail = audit
            detail["count"] = String(imported.count)
            detail["secrets"] = String(importer.imported.secrets)
            try AccessLog.record(AccessEvent(action: "workflow.import", resource: nil, detail: detail), actor: configuration.actor, in: db)
            return WorkflowImportReport(workflows: imported, sealedCredentials: importer.imported.secrets + importer.alreadyPresent.secrets)
        }
    }

    /// Writes one prepared workflow inside the caller's transaction: under
    /// its preferred id unless the vault has a workflow with that id (then
    /// under a new one), with its source. Credentials in its state are
    /// sealed by `importer` as secrets of the workflow's final id, and the
    /// state refers to them (see ``WorkflowCredentials``).
    static func store(
        _ prepared: SimWorkflowImport.Prepared, in db: Connection, sealingCredentialsWith importer: inout RecordImporter
    ) throws -> WorkflowImportReport.Item {
        var workflow = prepared.workflow
        if try db.scalar("SELECT 1 FROM workflows WHERE id = ?", [workflow.workflow.id], as: Int.self) != nil {
            let copy = workflow.workflow
            workflow = WorkflowStore.PreparedWorkflow(
                workflow: Workflow(name: copy.name, description: copy.description, category: copy.category, tags: copy.tags, state: copy.state),
                packedState: workflow.packedState, tags: workflow.tags)
        }
        if prepared.holdsCredentials {
            let copy = workflow.workflow
            let sealed = try WorkflowCredentials.sealing(copy.state, workflowID: copy.id, importer: &importer)
            workflow = try WorkflowStore.prepare(Workflow(
                id: copy.id, name: copy.name, description: copy.description, category: copy.category, tags: copy.tags, state: sealed))
        }
        let summary = try WorkflowStore.save(workflow, in: db)
        try db.execute("UPDATE workflows SET source = ? WHERE id = ?", [prepared.source.text, summary.id])
        return WorkflowImportReport.Item(
            id: summary.id, name: summary.name, category: summary.category, blocks: prepared.blocks, edges: prepared.edges,
            stateBytes: summary.stateBytes, source: prepared.origin, form: prepared.source.form)
    }

    private func exportedFiles(ids: [String], at now: Date) throws -> [SimWorkflowArchive.Exported] {
        let files = try readCheckingSchema { db -> [SimWorkflowArchive.Exported] in
            let chosen = ids.isEmpty ? try db.fetchAll("SELECT id FROM workflows ORDER BY name, id").map { try $0.get(0, as: String.self) } : ids
            return try chosen.map { id in
                guard let row = try db.fetchOne("SELECT name, category FROM workflows WHERE id = ?", [id]) else {
                    throw VaultError.recordNotFound(kind: "workflow", id: id)
                }
                return SimWorkflowArchive.Exported(
                    id: id, name: try row.get("name"), category: try row.get("category"),
                    file: try Self.simWorkflowFile(id: id, exportedAt: now, form: .uiExport, in: db))
            }
        }
        guard !files.isEmpty else { throw VaultError.invalidArgument(detail: "the vault has no workflows to export") }
        return files
    }

    static func simWorkflowFile(id: String, exportedAt: Date, form: SimWorkflowFile.Form, in db: Connection) throws -> SimWorkflowFile {
        guard let row = try db.fetchOne("SELECT name, description, state, source FROM workflows WHERE id = ?", [id]) else {
            throw VaultError.recordNotFound(kind: "workflow", id: id)
        }
        return try SimWorkflowFile.assemble(
            state: WorkflowCredentials.redacting(try Zlib.decompress(try row.get("state"))), source: try row.get("source"), id: id,
            name: try row.get("name"), description: try row.get("description"), exportedAt: exportedAt, form: form)
    }
}

/// One Sim workflow on its way into the vault: parsed, named, not yet
/// written.
///
/// A step that rewrites the parsed state (moving credentials out of it, for
/// example) changes `file.state` before ``prepared()``, which serialises and
/// compresses it; every way in (JSON files, archives, bundles, a Sim
/// database) goes through here.
struct SimWorkflowImport {
    var file: SimWorkflowFile
    /// The id to keep (Sim's, or the bundle's) unless the vault has it.
    var preferredID: String?
    var name: String
    /// The description, when not the file's own (`state.metadata.description`,
    /// then `workflow.description`).
    var description: String?
    var category: String?
    /// The file or entry, for the report.
    var origin: String
    var source: SimWorkflowSource

    init(file: SimWorkflowFile, preferredID: String?, name: String, category: String?, origin: String, source: SimWorkflowSource? = nil) {
        self.file = file
        self.preferredID = preferredID
        self.name = name
        self.category = category
        self.origin = origin
        self.source = source ?? SimWorkflowSource(file: file)
    }

    /// Checked and compressed, ready to be written (outside the write lock).
    struct Prepared {
        let workflow: WorkflowStore.PreparedWorkflow
        let source: SimWorkflowSource
        let origin: String
        let blocks: Int
        let edges: Int
        /// Whether the state holds an API key, token or password to seal
        /// when it is stored (``WorkflowCredentials``).
        let holdsCredentials: Bool
    }

    func prepared() throws -> Prepared {
        let workflow = Workflow(
            id: preferredID, name: name, description: description ?? file.description ?? "", category: category ?? Workflow.defaultCategory,
            state: file.stateBytes)
        return Prepared(
            workflow: try WorkflowStore.prepare(workflow), source: source, origin: origin, blocks: file.blockCount, edges: file.edgeCount,
            holdsCredentials: WorkflowCredentials.holdsCredentials(file.state))
    }
}
