/// Where a workflow came from, for giving it back in the same form: for a
/// workflow imported from a Sim export file, the file's envelope (its
/// top-level members other than `state`, in order, unknown ones included),
/// as JSON text. NULL for workflows made by an app.
enum M0012_AddWorkflowSource {
    static let migration = Migration(version: 12, name: "add_workflow_source", sql: """
        ALTER TABLE workflows ADD COLUMN source TEXT;
        """)
}
