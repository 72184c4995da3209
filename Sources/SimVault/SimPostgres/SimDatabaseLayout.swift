/// Which of Sim's schemas a database has: the tables and columns simvault
/// reads, found in `information_schema` before anything else is read.
///
/// Facts from Sim's packages/db/schema.ts and packages/db/migrations (read
/// at commit 0b232eb876e2e0a474dbabd1e53b370cd643076a, v0.8.9):
///
/// - `workflow` (0001: id, user_id, name, description, state, last_synced,
///   created_at, updated_at) gained `variables` (0022), `workspace_id`
///   (0034), `folder_id` (0042), `sort_order` (0141), `archived_at` (0172);
///   its `state` json column (the whole graph) was dropped by 0075.
/// - `workflow_blocks`, `workflow_edges`, `workflow_subflows` (0043) hold
///   the graph from then on; blocks gained `advanced_mode` (0047),
///   `trigger_mode` (0069), `locked` (0150), `error_enabled` (0287), `retry`
///   (0288), and lost `parent_id` and `extent` (0093, moved into `data`).
///   Between 0043 and 0075 a workflow may have its graph in either place.
/// - folders: `workflow_folder` (0042; `archived_at` 0186), replaced by the
///   generic `folder` table with `resource_type` (0272; the old table
///   dropped by 0276).
/// - `workflow_execution_logs` (0049) gained `status` (0132; before it the
///   status follows from `level` and `ended_at`); its `metadata` became
///   `execution_data` (0076).
struct SimDatabaseLayout: Equatable {
    /// Tables of interest and their columns.
    let columns: [String: Set<String>]
    /// Sim's drizzle migration count, when the database records it.
    let appliedMigrations: Int?
    /// The schema the tables were looked for in (`current_schema()`).
    var schema = "public"

    /// Sim's migrations up to the one simvault was checked against
    /// (packages/db/migrations/meta/_journal.json: 0000 to 0298).
    static let knownMigrations = 298

    static let tables = ["workflow", "workflow_blocks", "workflow_edges", "workflow_subflows", "folder", "workflow_folder", "workflow_execution_logs"]

    func has(_ table: String) -> Bool { columns[table] != nil }
    func has(_ table: String, _ column: String) -> Bool { columns[table]?.contains(column) == true }

    /// The graph is in the normalized tables (0043 on).
    var hasNormalizedGraph: Bool { has("workflow_blocks") && has("workflow_edges") }
    /// The graph is in `workflow.state` (before 0075).
    var hasStateColumn: Bool { has("workflow", "state") }
    /// `folder` (with `resource_type`) or `workflow_folder`, or nil.
    var folderTable: String? { has("folder") ? "folder" : has("workflow_folder") ? "workflow_folder" : nil }

    /// Reads the layout of the database `connection` is on.
    ///
    /// - Throws: ``VaultError/invalidArgument(detail:)`` when the database is
    ///   not a Sim database, or holds a Sim schema simvault cannot read.
    static func read(_ connection: PostgresConnection, target: String) throws -> SimDatabaseLayout {
        let rows = try SimPostgresErrors.run("reading the list of tables", target: target) {
            // The catalog, not information_schema: that one hides tables the
            // user may not read, and a table hidden that way would be
            // reported as missing instead of as not readable.
            try connection.query("""
                SELECT c.relname, a.attname FROM pg_catalog.pg_class c
                JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid
                WHERE n.nspname = current_schema() AND c.relname = ANY($1::text[]) AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
                  AND a.attnum > 0 AND NOT a.attisdropped
                """, [PostgresArray.literal(tables)])
        }
        var columns: [String: Set<String>] = [:]
        for row in rows.rows { if let table = row[0], let column = row[1] { columns[table, default: []].insert(column) } }
        // Sim's migrations are applied by drizzle, which records them in
        // drizzle.__drizzle_migrations. Asked only when readable: a failed
        // query would end the (read-only) transaction.
        var migrations: Int?
        let readable = try SimPostgresErrors.run("reading the list of tables", target: target) {
            // By oid: the name forms resolve the schema first and fail
            // without USAGE on it.
            try connection.query("""
                SELECT has_schema_privilege(n.oid, 'USAGE') AND has_table_privilege(c.oid, 'SELECT')
                FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname = 'drizzle' AND c.relname = '__drizzle_migrations'
                """)
        }
        if readable.rows.first?.first == "t" {
            let count = try SimPostgresErrors.run("counting Sim's migrations", target: target) {
                try connection.query("SELECT count(*) FROM drizzle.__drizzle_migrations")
            }
            migrations = count.rows.first?.first.flatMap { $0 }.flatMap { Int($0) }
        }
        var layout = SimDatabaseLayout(columns: columns, appliedMigrations: migrations)
        let schema = try SimPostgresErrors.run("reading the schema name", target: target) { try connection.query("SELECT current_schema()") }
        layout.schema = schema.rows.first?.first.flatMap { $0 } ?? "public"
        try layout.check(target: target)
        return layout
    }

    /// Refuses what simvault cannot read, saying what is missing.
    func check(target: String) throws {
        guard let workflow = columns["workflow"] else {
            throw VaultError.invalidArgument(detail: "\(target) is not a Sim database: it has no table workflow in schema \(schema). Point --url-file (or PGDATABASE) at the database Sim uses (its DATABASE_URL); nothing was imported")
        }
        let missing = ["id", "name", "user_id"].filter { !workflow.contains($0) }
        guard missing.isEmpty else {
            throw VaultError.invalidArgument(detail: "\(target) is not a Sim database: its table workflow has no column \(missing.joined(separator: ", ")); nothing was imported")
        }
        guard hasNormalizedGraph || hasStateColumn else {
            throw VaultError.invalidArgument(detail: "\(target) has Sim's table workflow but neither its graph tables (workflow_blocks, workflow_edges) nor the older workflow.state column: a Sim schema this simvault does not read (it reads Sim's migrations 0000 to 0298)\(migrationNote); nothing was imported")
        }
        let required: [String: [String]] = [
            "workflow_blocks": ["id", "workflow_id", "type", "name", "position_x", "position_y", "sub_blocks"],
            "workflow_edges": ["id", "workflow_id", "source_block_id", "target_block_id"],
            "workflow_subflows": ["id", "workflow_id", "type", "config"],
            "workflow_execution_logs": ["execution_id", "workflow_id", "trigger", "started_at"],
            "folder": ["id", "name", "parent_id"], "workflow_folder": ["id", "name", "parent_id"],
        ]
        for (table, names) in required.sorted(by: { $0.key < $1.key }) where has(table) {
            let absent = names.filter { !has(table, $0) }
            guard absent.isEmpty else {
                throw VaultError.invalidArgument(detail: "\(target) has a Sim schema this simvault does not read: table \(table) has no column \(absent.joined(separator: ", ")) (simvault reads Sim's migrations 0000 to 0298)\(migrationNote); nothing was imported")
            }
        }
    }

    /// What was found, for the report.
    var summary: String {
        var parts: [String] = []
        if hasNormalizedGraph { parts.append("graph in workflow_blocks/edges\(has("workflow_subflows") ? "/subflows" : "")") }
        if hasStateColumn { parts.append("workflow.state column (before Sim's migration 0075)") }
        parts.append(folderTable.map { "folders in \($0)" } ?? "no folder table")
        parts.append(has("workflow_execution_logs") ? "run history in workflow_execution_logs" : "no run history table")
        if let appliedMigrations {
            parts.append(appliedMigrations > Self.knownMigrations
                ? "\(appliedMigrations) Sim migrations applied, more than the \(Self.knownMigrations) this simvault was checked against (the columns it reads are there)"
                : "\(appliedMigrations) Sim migrations applied")
        }
        return parts.joined(separator: "; ")
    }

    private var migrationNote: String { appliedMigrations.map { "; the database records \($0) Sim migrations" } ?? "" }
}

/// PostgreSQL array literals for text parameters (`$1::text[]`).
enum PostgresArray {
    /// `{"a","b\"c"}`: every element quoted, `"` and `\` escaped.
    static func literal(_ values: [String]) -> String {
        "{" + values.map { "\"" + $0.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\"" }
            .joined(separator: ",") + "}"
    }
}
