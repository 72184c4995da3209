import Foundation

/// A Sim database opened for reading: one libpq connection inside one
/// `REPEATABLE READ READ ONLY` transaction, so every query sees the same
/// snapshot and the server refuses any write. Queries take parameters; the
/// SQL text holds only column names simvault chose from the layout.
final class SimPostgresSource {
    /// One `workflow` row.
    struct WorkflowRow {
        let id: String
        let name: String
        let description: String?
        let userID: String?
        let workspaceID: String?
        let folderID: String?
        let sortOrder: Int?
        let variables: String?
        let isArchived: Bool
        let createdAt: Int64?
        let updatedAt: Int64?
    }

    /// A batch of workflows' graph rows, by workflow id.
    struct GraphRows {
        var blocks: [String: [SimRow]] = [:]
        var edges: [String: [SimRow]] = [:]
        var subflows: [String: [SimRow]] = [:]
        var states: [String: String?] = [:]
        var logs: [String: [SimRow]] = [:]
    }

    let connection: PostgresConnection
    let target: String
    let layout: SimDatabaseLayout

    /// Connects, starts the read-only snapshot and reads the layout.
    ///
    /// - Throws: ``VaultError/io(detail:)`` when the server cannot be
    ///   reached or refuses the login; ``VaultError/invalidArgument(detail:)``
    ///   for a database that is not Sim's or whose schema simvault cannot read.
    init(_ settings: SimPostgresConnectionSettings) throws {
        let opened: PostgresConnection
        do { opened = try PostgresConnection(conninfo: settings.conninfo, environment: ProcessInfo.processInfo.environment) } catch let error as PostgresConnection.Failure {
            throw SimPostgresErrors.connection(error.redacted(settings.redacted), target: settings.description)
        }
        let target = opened.target
        _ = try SimPostgresErrors.run("starting a read-only transaction", target: target) {
            try opened.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        }
        layout = try SimDatabaseLayout.read(opened, target: target)
        connection = opened
        self.target = target
    }

    deinit { _ = try? connection.query("ROLLBACK") }

    // MARK: - Workflows

    /// The workflows chosen by `options`, oldest first.
    func workflows(_ options: SimPostgresImportOptions) throws -> [WorkflowRow] {
        var columns = ["id", "name", "description", "user_id"]
        var conditions: [String] = []
        var parameters: [String?] = []
        for column in ["workspace_id", "folder_id", "sort_order"] where layout.has("workflow", column) { columns.append(column) }
        if layout.has("workflow", "variables") { columns.append("variables") }
        if layout.has("workflow", "archived_at") {
            columns.append("archived_at IS NOT NULL AS archived")
            if !options.includeArchived { conditions.append("archived_at IS NULL") }
        }
        for column in ["created_at", "updated_at"] where layout.has("workflow", column) {
            columns.append("floor(extract(epoch from \(column)) * 1000)::bigint AS \(column)_ms")
        }
        if let workspace = options.workspaceID {
            guard layout.has("workflow", "workspace_id") else {
                throw VaultError.invalidArgument(detail: "\(target) has no workspaces (Sim added them in its migration 0034); import without --workspace; nothing was imported")
            }
            parameters.append(workspace)
            conditions.append("workspace_id = $\(parameters.count)")
        }
        if let user = options.userID {
            parameters.append(user)
            conditions.append("user_id = $\(parameters.count)")
        }
        let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        let order = layout.has("workflow", "created_at") ? "created_at, id" : "id"
        let rows = try SimPostgresErrors.run("reading table workflow", target: target) {
            try connection.query("SELECT \(columns.joined(separator: ", ")) FROM workflow \(filter) ORDER BY \(order)", parameters)
        }
        return rows.records.map { (row: SimRow) -> WorkflowRow in
            WorkflowRow(
                id: row["id"] ?? "", name: row["name"] ?? "", description: row["description"], userID: row["user_id"],
                workspaceID: row["workspace_id"], folderID: row["folder_id"], sortOrder: row["sort_order"].flatMap { Int($0) },
                variables: row["variables"], isArchived: row["archived"] == "t",
                createdAt: row["created_at_ms"].flatMap { Int64($0) }, updatedAt: row["updated_at_ms"].flatMap { Int64($0) })
        }
    }

    /// Folder paths (names joined by `/`) by folder id.
    func folderPaths() throws -> [String: String] {
        guard let table = layout.folderTable else { return [:] }
        let filter = table == "folder" && layout.has("folder", "resource_type") ? "WHERE resource_type::text = 'workflow'" : ""
        let rows = try SimPostgresErrors.run("reading table \(table)", target: target) {
            try connection.query("SELECT id, name, parent_id FROM \(table) \(filter)")
        }
        var folders: [String: (name: String, parent: String?)] = [:]
        for row in rows.records { if let id = row["id"] { folders[id] = (row["name"] ?? "", row["parent_id"]) } }
        var paths: [String: String] = [:]
        for id in folders.keys {
            var names: [String] = []
            var seen = Set<String>()
            var current: String? = id
            while let at = current, let folder = folders[at], seen.insert(at).inserted {
                names.insert(folder.name.replacingOccurrences(of: "/", with: "∕"), at: 0)
                current = folder.parent
            }
            paths[id] = names.joined(separator: "/")
        }
        return paths
    }

    // MARK: - Graphs and runs

    /// Everything about the workflows `ids` but their `workflow` rows.
    func graphRows(_ ids: [String], includingLogs: Bool) throws -> GraphRows {
        var graph = GraphRows()
        let parameter = [PostgresArray.literal(ids)]
        func rows(_ table: String, _ columns: String, orderedBy order: String) throws -> [String: [SimRow]] {
            let result = try SimPostgresErrors.run("reading table \(table)", target: target) {
                try connection.query("SELECT \(columns) FROM \(table) WHERE workflow_id = ANY($1::text[]) ORDER BY workflow_id, \(order)", parameter)
            }
            return Dictionary(grouping: result.records) { $0["workflow_id"] ?? "" }
        }
        if layout.hasNormalizedGraph {
            let blockColumns = Self.blockColumns.filter { layout.has("workflow_blocks", $0) }.joined(separator: ", ")
            graph.blocks = try rows("workflow_blocks", blockColumns, orderedBy: layout.has("workflow_blocks", "created_at") ? "created_at, id" : "id")
            let edgeColumns = Self.edgeColumns.filter { layout.has("workflow_edges", $0) }.joined(separator: ", ")
            graph.edges = try rows("workflow_edges", edgeColumns, orderedBy: layout.has("workflow_edges", "created_at") ? "created_at, id" : "id")
            if layout.has("workflow_subflows") { graph.subflows = try rows("workflow_subflows", "id, workflow_id, type, config", orderedBy: "id") }
        }
        if layout.hasStateColumn {
            let result = try SimPostgresErrors.run("reading workflow.state", target: target) {
                try connection.query("SELECT id, state FROM workflow WHERE id = ANY($1::text[])", parameter)
            }
            for row in result.records { graph.states[row["id"] ?? ""] = row["state"] }
        }
        if includingLogs, layout.has("workflow_execution_logs") {
            graph.logs = try rows("workflow_execution_logs", SimExecutionLog.selection(layout), orderedBy: "started_at, execution_id")
        }
        return graph
    }

    /// The columns of `workflow_blocks` simvault reads, when present.
    static let blockColumns = [
        "id", "workflow_id", "type", "name", "position_x", "position_y", "enabled", "horizontal_handles", "is_wide", "advanced_mode",
        "error_enabled", "retry", "trigger_mode", "height", "sub_blocks", "outputs", "data", "locked", "parent_id", "extent",
    ]
    static let edgeColumns = ["id", "workflow_id", "source_block_id", "target_block_id", "source_handle", "target_handle"]
}
