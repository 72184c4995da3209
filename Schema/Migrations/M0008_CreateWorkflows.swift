/// Workflows: metadata in columns, the whole editor state as zlib-compressed
/// JSON, an FTS4 index over name, description and tags, and the history of
/// earlier states.
///
/// `doc_id` is the explicit rowid the FTS index refers to (see
/// M0006_CreateMessages). `tags` is a JSON array of strings; the tokenizer
/// splits it into words. `workflow_versions` keeps every earlier state (the
/// current one is in `workflows`), deleted with its workflow. Saving a
/// workflow is an UPDATE, never INSERT OR REPLACE, which would delete the row
/// and cascade to its runs.
enum M0008_CreateWorkflows {
    static let migration = Migration(version: 8, name: "create_workflows", sql: """
        CREATE TABLE workflows (
            doc_id      INTEGER PRIMARY KEY,
            id          TEXT    NOT NULL UNIQUE,
            name        TEXT    NOT NULL,
            description TEXT    NOT NULL DEFAULT '',
            category    TEXT    NOT NULL DEFAULT 'general',
            tags        TEXT    NOT NULL DEFAULT '[]',
            state       BLOB    NOT NULL,
            state_bytes INTEGER NOT NULL CHECK (state_bytes >= 0),
            version     INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1),
            created_at  INTEGER NOT NULL,
            updated_at  INTEGER NOT NULL
        );
        CREATE INDEX workflows_updated ON workflows (updated_at);
        CREATE INDEX workflows_category_updated ON workflows (category, updated_at);

        CREATE VIRTUAL TABLE workflows_fts USING fts4(
            content="workflows", name, description, tags, tokenize=unicode61);

        CREATE TRIGGER workflows_fts_after_insert AFTER INSERT ON workflows BEGIN
            INSERT INTO workflows_fts (docid, name, description, tags)
            VALUES (new.doc_id, new.name, new.description, new.tags);
        END;
        CREATE TRIGGER workflows_fts_before_update BEFORE UPDATE OF name, description, tags ON workflows BEGIN
            DELETE FROM workflows_fts WHERE docid = old.doc_id;
        END;
        CREATE TRIGGER workflows_fts_after_update AFTER UPDATE OF name, description, tags ON workflows BEGIN
            INSERT INTO workflows_fts (docid, name, description, tags)
            VALUES (new.doc_id, new.name, new.description, new.tags);
        END;
        CREATE TRIGGER workflows_fts_before_delete BEFORE DELETE ON workflows BEGIN
            DELETE FROM workflows_fts WHERE docid = old.doc_id;
        END;

        CREATE TABLE workflow_versions (
            workflow_id TEXT    NOT NULL REFERENCES workflows (id) ON DELETE CASCADE,
            version     INTEGER NOT NULL CHECK (version >= 1),
            name        TEXT    NOT NULL,
            description TEXT    NOT NULL,
            category    TEXT    NOT NULL,
            tags        TEXT    NOT NULL,
            state       BLOB    NOT NULL,
            state_bytes INTEGER NOT NULL CHECK (state_bytes >= 0),
            saved_at    INTEGER NOT NULL,
            PRIMARY KEY (workflow_id, version)
        ) WITHOUT ROWID;
        """)
}
