import Foundation

/// What `importSimPostgres` reads, and which workflows.
public struct SimPostgresImportOptions: Sendable, Equatable {
    public var connection: SimPostgresConnection
    /// Archived workflows (`workflow.archived_at` set) too.
    public var includeArchived = false
    /// Only the workflows of this Sim workspace.
    public var workspaceID: String?
    /// Only the workflows of this Sim user.
    public var userID: String?
    /// Read and report, write nothing.
    public var dryRun = false

    public init(connection: SimPostgresConnection) {
        self.connection = connection
    }
}

/// What an import from a Sim database did (or, in a dry run, would do).
public struct SimPostgresImportReport: Sendable, Codable, Equatable {
    /// One workflow of the Sim database.
    public struct Item: Sendable, Codable, Equatable {
        public enum Outcome: String, Sendable, Codable {
            case imported
            /// The vault has a workflow with Sim's id (an earlier import).
            case alreadyPresent = "already_present"
            /// Its rows cannot make a state Sim would import; see `reason`.
            case skipped
            /// Dry run: it would be imported.
            case wouldImport = "would_import"
        }
        /// Sim's workflow id (also its id in the vault).
        public let id: String
        public let name: String
        /// Its folder path in Sim, or `general`.
        public let category: String
        public let outcome: Outcome
        public let reason: String?
        public let blocks: Int
        public let edges: Int
        /// Finished runs brought over (dry run: that would be).
        public let runs: Int
        public let isArchived: Bool
    }

    /// `user@host:port/database` (never a password).
    public let source: String
    /// What the database holds, as found.
    public let schema: String
    public let dryRun: Bool
    public let workflows: [Item]
    public let imported: Int
    public let alreadyPresent: Int
    public let skipped: Int
    public let runsImported: Int
    public let runsAlreadyPresent: Int
    /// Runs still going in Sim (pending, running, paused): not imported; a
    /// later import brings them once they finish.
    public let runsInProgress: Int
    public let notes: [String]
}

extension Vault {
    /// Imports the workflows and run history of a Sim deployment's
    /// PostgreSQL database, once, read-only: the database is read in one
    /// `REPEATABLE READ READ ONLY` transaction (the server refuses any
    /// write) and nothing in it changes.
    ///
    /// Each workflow keeps Sim's id, name, description and times; its folder
    /// path becomes its category; its state is what Sim's "Export as JSON"
    /// would write (docs/import-export.md lists what is read from where), so
    /// ``exportSimWorkflow(id:form:)`` gives a file Sim imports. Finished
    /// runs become runs (statuses and triggers mapped as documented there). Everything is written in one
    /// transaction: a killed import leaves nothing. Workflows and runs
    /// already in the vault (same id) are skipped, so running the import
    /// again brings only what is new. A workflow whose rows cannot make a
    /// state Sim would import (a block's JSON of the wrong shape, a state
    /// Sim's importer refuses) is skipped and named in the report; the
    /// others are imported.
    ///
    /// ```swift
    /// var options = SimPostgresImportOptions(connection: .urlFile("sim-db.url"))
    /// options.workspaceID = "ws-1"
    /// let report = try vault.importSimPostgres(options)
    /// print(report.imported, report.runsImported)
    /// ```
    ///
    /// - Throws: ``VaultError/io(detail:)`` when the server cannot be reached
    ///   or refuses the login; ``VaultError/invalidArgument(detail:)`` for a
    ///   database that is not Sim's, a schema simvault does not read, or an
    ///   unreadable URL file. Nothing is written then.
    public func importSimPostgres(_ options: SimPostgresImportOptions, progress: ProgressHandler? = nil) throws -> SimPostgresImportReport {
        let settings = try SimPostgresConnectionSettings(options.connection)
        let source = try SimPostgresSource(settings)
        let workflows = try source.workflows(options)
        let folders = try source.folderPaths()
        let importedAt = Date()
        var run = SimPostgresImportRun(source: source, folders: folders, importedAt: importedAt, total: Int64(workflows.count), progress: progress)
        let body = { (db: Connection) throws -> SimPostgresImportReport in
            var importer = RecordImporter(db: db, vault: self)
            for batch in stride(from: 0, to: workflows.count, by: SimPostgresImportRun.batchSize).map({ Array(workflows[$0..<min($0 + SimPostgresImportRun.batchSize, workflows.count)]) }) {
                try run.importBatch(batch, into: db, importer: &importer, writing: !options.dryRun)
            }
            let report = run.report(dryRun: options.dryRun, notes: settings.notes)
            if !options.dryRun {
                try AccessLog.record(AccessEvent(action: "import", resource: source.target, detail: [
                    "format": "sim-postgres", "workflows": String(report.imported), "runs": String(report.runsImported),
                ]), actor: self.configuration.actor, in: db)
            }
            return report
        }
        return try options.dryRun ? readCheckingSchema(body) : writeCheckingSchema(body)
    }
}

/// One import from a Sim database, batch by batch, inside the vault's
/// transaction.
struct SimPostgresImportRun {
    /// Workflows whose rows are read with one query per table.
    static let batchSize = 50

    let source: SimPostgresSource
    let folders: [String: String]
    let importedAt: Date
    let total: Int64
    let progress: ProgressHandler?
    private(set) var items: [SimPostgresImportReport.Item] = []
    private(set) var runsImported = 0
    private(set) var runsAlreadyPresent = 0
    private(set) var runsInProgress = 0

    init(source: SimPostgresSource, folders: [String: String], importedAt: Date, total: Int64, progress: ProgressHandler?) {
        self.source = source
        self.folders = folders
        self.importedAt = importedAt
        self.total = total
        self.progress = progress
    }

    mutating func importBatch(_ batch: [SimPostgresSource.WorkflowRow], into db: Connection, importer: inout RecordImporter, writing: Bool) throws {
        let rows = try source.graphRows(batch.map(\.id), includingLogs: true)
        for workflow in batch {
            let category = workflow.folderID.flatMap { folders[$0] }.flatMap { $0.isEmpty ? nil : $0 } ?? Workflow.defaultCategory
            let vaultVersion: Int? = try db.scalar("SELECT version FROM workflows WHERE id = ?", [workflow.id])
            var outcome: SimPostgresImportReport.Item.Outcome
            var reason: String?
            var blocks = 0, edges = 0
            if vaultVersion != nil {
                outcome = .alreadyPresent
            } else {
                do {
                    let file = try assemble(workflow, rows)
                    blocks = file.blockCount
                    edges = file.edgeCount
                    outcome = writing ? .imported : .wouldImport
                    if writing { try store(workflow, file: file, category: category, in: db, importer: &importer) }
                } catch let malformed as SimWorkflowAssembly.Malformed {
                    outcome = .skipped
                    reason = malformed.reason
                }
            }
            var runs = 0
            if outcome != .skipped {
                for log in rows.logs[workflow.id] ?? [] {
                    switch SimExecutionLog.outcome(log, workflowID: workflow.id, workflowVersion: vaultVersion ?? 1) {
                    case .inProgress:
                        runsInProgress += 1
                    case .run(let record):
                        let id = record["id"]?.string ?? ""
                        if try db.scalar("SELECT 1 FROM runs WHERE id = ?", [id], as: Int.self) != nil {
                            runsAlreadyPresent += 1
                        } else {
                            if writing { try importer.run(record) }
                            runs += 1
                            runsImported += 1
                        }
                    }
                }
            }
            items.append(SimPostgresImportReport.Item(
                id: workflow.id, name: workflow.name, category: category, outcome: outcome, reason: reason, blocks: blocks, edges: edges,
                runs: runs, isArchived: workflow.isArchived))
            progress?(TransferProgress(phase: "workflows", completed: Int64(items.count), total: total, unit: .items))
        }
    }

    /// The workflow's state as Sim's UI export, checked as Sim's importer
    /// checks a file.
    private func assemble(_ workflow: SimPostgresSource.WorkflowRow, _ rows: SimPostgresSource.GraphRows) throws -> SimWorkflowFile {
        // The state as of the workflow's last change in Sim (every export
        // from the vault renews it): the same database imports the same.
        let asOf = workflow.updatedAt.map { Date(timeIntervalSince1970: Double($0) / 1000) } ?? importedAt
        let metadata = SimWorkflowAssembly.metadata(name: workflow.name, description: workflow.description, exportedAt: asOf)
        var variables: JSONValue?
        if let text = workflow.variables {
            do { variables = SimWorkflowAssembly.exportedVariables(try SimWorkflowAssembly.parse(text)) } catch {
                throw SimWorkflowAssembly.Malformed(reason: "workflow.variables is not JSON simvault can read: \(error.reason)")
            }
        }
        let state: JSONObject
        if let blockRows = rows.blocks[workflow.id], !blockRows.isEmpty {
            state = try SimWorkflowAssembly.state(
                blocks: blockRows, edges: rows.edges[workflow.id] ?? [], subflows: rows.subflows[workflow.id] ?? [],
                metadata: metadata, variables: variables ?? .object(JSONObject()))
        } else if source.layout.hasStateColumn, let text = rows.states[workflow.id] ?? nil {
            state = try SimWorkflowAssembly.state(legacy: text, metadata: metadata, variables: variables)
        } else {
            // Sim's loader: a workflow without blocks has no state yet (a
            // new, empty canvas); its export is an empty graph.
            state = try SimWorkflowAssembly.state(blocks: [], edges: [], subflows: [], metadata: metadata, variables: variables ?? .object(JSONObject()))
        }
        let envelope = JSONObject(["version": .string(SimWorkflowFile.supportedVersions[0]), "exportedAt": .string(SimWorkflowFile.isoTimestamp(asOf)), "state": .null])
        let file = SimWorkflowFile(state: state, envelope: envelope, wrapper: nil)
        do { try SimWorkflowChecks.validate(file, source: "workflow \(workflow.id)") } catch let error as VaultError {
            let prefix = "workflow \(workflow.id) is not a Sim workflow: "
            let text = error.localizedDescription
            throw SimWorkflowAssembly.Malformed(reason: text.hasPrefix(prefix) ? String(text.dropFirst(prefix.count)) : text)
        }
        return file
    }

    private func store(_ workflow: SimPostgresSource.WorkflowRow, file: SimWorkflowFile, category: String, in db: Connection, importer: inout RecordImporter) throws {
        var record = JSONObject(["workflowId": .string(workflow.id)])
        record.append("workspaceId", workflow.workspaceID.map(JSONValue.string) ?? .null)
        record.append("folderId", workflow.folderID.map(JSONValue.string) ?? .null)
        record.append("userId", workflow.userID.map(JSONValue.string))
        record.append("sortOrder", workflow.sortOrder.map { JSONValue.number(Int64($0)) })
        if workflow.isArchived { record["archived"] = .bool(true) }
        let name = workflow.name.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty ? "Imported Workflow" : workflow.name
        var item = SimWorkflowImport(
            file: file, preferredID: workflow.id, name: name, category: category, origin: source.target,
            source: SimWorkflowSource(form: SimWorkflowSource.postgresForm, sim: record))
        item.description = workflow.description ?? ""
        _ = try Vault.store(try item.prepared(), in: db, sealingCredentialsWith: &importer)
        // Sim's own times, not the moment of the import.
        if let created = workflow.createdAt {
            try db.execute("UPDATE workflows SET created_at = ?, updated_at = ? WHERE id = ?", [created, max(workflow.updatedAt ?? created, created), workflow.id])
        }
    }

    func report(dryRun: Bool, notes: [String]) -> SimPostgresImportReport {
        var notes = notes
        if runsInProgress > 0 {
            notes.append("\(runsInProgress) run(s) still in progress in Sim were not imported; importing again once they finish brings them")
        }
        return SimPostgresImportReport(
            source: source.target, schema: source.layout.summary, dryRun: dryRun, workflows: items,
            imported: items.filter { $0.outcome == .imported || $0.outcome == .wouldImport }.count,
            alreadyPresent: items.filter { $0.outcome == .alreadyPresent }.count,
            skipped: items.filter { $0.outcome == .skipped }.count,
            runsImported: runsImported, runsAlreadyPresent: runsAlreadyPresent, runsInProgress: runsInProgress, notes: notes)
    }
}
