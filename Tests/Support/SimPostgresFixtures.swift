public import Foundation

/// Sim databases for the `import sim-postgres` tests and benchmark, made by
/// Python (scripts/sim-postgres-fixture.py) into a real PostgreSQL server: the schema follows Sim's published
/// column names (packages/db/schema.ts and packages/db/migrations, read at
/// Sim commit 0b232eb876e2e0a474dbabd1e53b370cd643076a), and the script also
/// writes what Sim's "Export as JSON" would contain for each workflow,
/// stated in Python from Sim's loader and exporter, for the tests to compare
/// with what simvault exports.
///
/// Kinds:
/// - `current`: the schema after Sim's migration 0298 (generic `folder`
///   table, graph in `workflow_blocks`/`_edges`/`_subflows`, execution logs
///   with `status` and `execution_data`), seven workflows: loops (forEach,
///   for, while), parallels (collection, count), variables, unicode names
///   and prompts, a 60 KB state, nested folders, one archived, one in
///   another workspace of another user, one with a block whose `sub_blocks`
///   JSON is a string (malformed), one empty canvas; 14 execution logs in
///   every status and several triggers.
/// - `legacy`: a deployment between Sim's migrations 0049 and 0069: the
///   graph in `workflow.state` (json), `workflow_folder`, blocks with
///   `parent_id`/`extent` columns, logs without `status` (level, message,
///   metadata); one workflow whose graph is also in the normalized tables
///   (those win), one whose state has a duplicate key, one whose block has
///   no position.
/// - `bench`: `count` workflows of the current schema, 6-8 blocks each.
public enum SimPostgresFixtures {
    /// Writes the SQL and the expected exports; returns (sql path, expected
    /// JSON path).
    public static func write(kind: String, into directory: String, count: Int = 0, seed: Int = 7) throws -> (sql: String, expected: String) {
        let sql = directory + "/sim-\(kind).sql", expected = directory + "/sim-\(kind)-expected.json"
        try ExternalTools.python("import runpy, sys; sys.argv = sys.argv[1:]; runpy.run_path(sys.argv[0], run_name='__main__')",
                                 [ProjectPaths.script("sim-postgres-fixture.py"), kind, sql, expected, String(count), String(seed)])
        return (sql, expected)
    }

    /// Makes database `name` in `cluster` holding the fixture `kind`;
    /// returns the expected exports' path.
    @discardableResult
    public static func load(kind: String, as name: String, into cluster: PostgresCluster, directory: String, count: Int = 0) throws -> String {
        let files = try write(kind: kind, into: directory, count: count)
        try cluster.createDatabase(name)
        try cluster.psql(name, file: files.sql)
        return files.expected
    }
}
