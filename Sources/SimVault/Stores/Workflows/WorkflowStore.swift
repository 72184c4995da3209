import Foundation

/// Saves and loads whole ``Workflow``s, lists their metadata, and keeps the
/// history of their states.
///
/// ```swift
/// var flow = Workflow(name: "Daily digest", tags: ["news", "email"], state: editorJSON)
/// try vault.workflows.save(flow)                         // version 1
/// flow.state = editedJSON
/// try vault.workflows.save(flow)                         // version 2; version 1 kept in history
/// let summaries = try vault.workflows.list()             // metadata only, no state
/// let first = try vault.workflows.load(id: flow.id, version: 1)
/// ```
///
/// The state is stored zlib-compressed (typically a fifth of its size or
/// less) and comes back byte for byte. Saving is always an UPDATE of the
/// existing row, never a delete and re-insert, so a workflow's runs survive
/// every save.
public struct WorkflowStore: Sendable {
    let vault: Vault

    /// Inserts a new workflow or updates a stored one. When the state differs
    /// from the stored state, the stored one moves to the history and the
    /// version goes up by one; a change of metadata alone updates in place.
    ///
    /// - Throws: ``VaultError/invalidArgument(detail:)`` for an empty name or
    ///   a state that is not JSON.
    @discardableResult
    public func save(_ workflow: Workflow) throws -> WorkflowSummary {
        let prepared = try Self.prepare(workflow)
        return try vault.writeCheckingSchema { db in try Self.save(prepared, in: db) }
    }

    /// A workflow checked and compressed, ready to be written (outside the
    /// write lock: compressing a large state takes a while).
    struct PreparedWorkflow {
        let workflow: Workflow
        let packedState: Data
        let tags: String
    }

    static func prepare(_ workflow: Workflow) throws -> PreparedWorkflow {
        try ArgumentCheck.requireNonBlank(workflow.id, "a workflow id")
        try ArgumentCheck.requireNonBlank(workflow.name, "a workflow name")
        try ArgumentCheck.requireJSON(workflow.state, "the state of workflow \"\(workflow.name)\"")
        return PreparedWorkflow(workflow: workflow, packedState: try Zlib.compress(workflow.state), tags: try WorkflowTags.encode(workflow.tags))
    }

    /// `save` inside the caller's transaction (imports write many
    /// workflows in one).
    static func save(_ prepared: PreparedWorkflow, in db: Connection) throws -> WorkflowSummary {
        let workflow = prepared.workflow, packed = prepared.packedState, tags = prepared.tags
        let now = Clock.nowMilliseconds()
        let stored = try db.fetchOne("SELECT state, version, state_bytes FROM workflows WHERE id = ?", [workflow.id])
        if let stored {
            let storedState: Data = try stored.get("state")
            let version: Int = try stored.get("version")
            // Same bytes compressed the same way, or (for a state stored at
            // another zlib level) the same bytes once inflated.
            let isUnchanged = try storedState == packed
                || (try stored.get("state_bytes", as: Int.self) == workflow.state.count && Zlib.decompress(storedState) == workflow.state)
            if isUnchanged {
                try db.execute(
                    "UPDATE workflows SET name = ?, description = ?, category = ?, tags = ?, updated_at = ? WHERE id = ?",
                    [workflow.name, workflow.description, workflow.category, tags, now, workflow.id])
            } else {
                try db.execute("""
                    INSERT INTO workflow_versions (workflow_id, version, name, description, category, tags, state, state_bytes, saved_at)
                    SELECT id, version, name, description, category, tags, state, state_bytes, updated_at FROM workflows WHERE id = ?
                    """, [workflow.id])
                try db.execute("""
                    UPDATE workflows SET name = ?, description = ?, category = ?, tags = ?, state = ?, state_bytes = ?,
                        version = ?, updated_at = ?
                    WHERE id = ?
                    """,
                    [workflow.name, workflow.description, workflow.category, tags, packed, workflow.state.count,
                     version + 1, now, workflow.id])
            }
        } else {
            try db.execute("""
                INSERT INTO workflows (id, name, description, category, tags, state, state_bytes, version, created_at, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, ?)
                """,
                [workflow.id, workflow.name, workflow.description, workflow.category, tags, packed, workflow.state.count, now, now])
        }
        return try summary(workflow.id, in: db)
    }

    /// The workflow with its current state, or nil.
    ///
    /// - Throws: ``VaultError/corrupt(detail:)`` if the stored state does not
    ///   inflate.
    public func load(id: String) throws -> Workflow? {
        let found = try vault.readCheckingSchema { db -> (WorkflowSummary, Data)? in
            try db.fetchOne("SELECT \(WorkflowSummary.selection), state FROM workflows WHERE id = ?", [id]) { row in
                (try WorkflowSummary(statement: row), try row.get(WorkflowSummary.columnCount))
            }
        }
        return try found.map { Workflow(summary: $0.0, state: try Zlib.decompress($0.1)) }
    }

    /// The workflow as it was at `version` (current or from the history), or
    /// nil when there is no such workflow or version.
    public func load(id: String, version: Int) throws -> Workflow? {
        let found = try vault.readCheckingSchema { db -> (WorkflowSummary, Data)? in
            let stateColumn = WorkflowSummary.columnCount
            let current = try db.fetchOne("SELECT \(WorkflowSummary.selection), state FROM workflows WHERE id = ?", [id]) { row in
                let summary = try WorkflowSummary(statement: row)
                return (summary, summary.version == version ? try row.get(stateColumn, as: Data.self) : nil)
            }
            guard let current else { return nil }
            if let state = current.1 { return (current.0, state) }
            // The history's columns in the order of `WorkflowSummary.selection`.
            return try db.fetchOne("""
                SELECT v.workflow_id AS id, v.name, v.description, v.category, v.tags, v.version, v.state_bytes,
                    length(v.state) AS stored_bytes, w.created_at, v.saved_at AS updated_at, v.state
                FROM workflow_versions v JOIN workflows w ON w.id = v.workflow_id
                WHERE v.workflow_id = ? AND v.version = ?
                """, [id, version]) { row in (try WorkflowSummary(statement: row), try row.get(stateColumn)) }
        }
        return try found.map { Workflow(summary: $0.0, state: try Zlib.decompress($0.1)) }
    }

    /// Workflows' metadata (never their state), most recently updated first,
    /// optionally of one category.
    public func list(category: String? = nil, limit: Int = 100, offset: Int = 0) throws -> [WorkflowSummary] {
        var filter = QueryFilter()
        filter.add("category = ?", category)
        return try vault.readCheckingSchema { db in
            try db.fetchAll(
                WorkflowSummary.self,
                "SELECT \(WorkflowSummary.selection) FROM workflows \(filter.whereClause) ORDER BY updated_at DESC, id LIMIT ? OFFSET ?",
                filter.arguments(limit: limit, offset: offset))
        }
    }

    /// Every saved state of the workflow, newest first (the current one
    /// first). Empty when there is no such workflow.
    public func history(of id: String) throws -> [WorkflowVersion] {
        try vault.readCheckingSchema { db in
            try db.fetchAll("""
                SELECT id AS workflow_id, version, name, state_bytes, length(state) AS stored_bytes, updated_at AS saved_at,
                    1 AS is_current
                FROM workflows WHERE id = ?
                UNION ALL
                SELECT workflow_id, version, name, state_bytes, length(state), saved_at, 0
                FROM workflow_versions WHERE workflow_id = ?
                ORDER BY version DESC
                """, [id, id]
            ).map(WorkflowVersion.init(row:))
        }
    }

    /// Deletes history entries beyond the `keepingLatest` most recent earlier
    /// versions (the current state is never deleted). Returns how many were
    /// deleted.
    @discardableResult
    public func pruneHistory(of id: String, keepingLatest: Int) throws -> Int {
        try vault.writeCheckingSchema { db in
            try db.execute("""
                DELETE FROM workflow_versions WHERE workflow_id = ? AND version NOT IN (
                    SELECT version FROM workflow_versions WHERE workflow_id = ? ORDER BY version DESC LIMIT ?)
                """, [id, id, max(keepingLatest, 0)])
            return db.changes
        }
    }

    /// Deletes the workflow with its history and runs. Returns false if there
    /// was no such workflow.
    @discardableResult
    public func delete(id: String) throws -> Bool {
        try vault.writeCheckingSchema { db in
            try db.execute("DELETE FROM workflows WHERE id = ?", [id])
            return db.changes == 1
        }
    }

    static func summary(_ id: String, in db: Connection) throws -> WorkflowSummary {
        guard let summary = try db.fetchOne(WorkflowSummary.self, "SELECT \(WorkflowSummary.selection) FROM workflows WHERE id = ?", [id]) else {
            throw VaultError.recordNotFound(kind: "workflow", id: id)
        }
        return summary
    }
}
