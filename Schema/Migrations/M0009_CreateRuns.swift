/// Executions of a workflow or an agent: exactly one of the two, deleted with
/// it. Duration is computed in code from the timestamps (no generated
/// columns in SQLite 3.15). Input and output are zlib-compressed JSON. A run
/// is `running` exactly while it has no completion time.
enum M0009_CreateRuns {
    static let migration = Migration(version: 9, name: "create_runs", sql: """
        CREATE TABLE runs (
            id               TEXT    NOT NULL PRIMARY KEY,
            workflow_id      TEXT    REFERENCES workflows (id) ON DELETE CASCADE,
            workflow_version INTEGER,
            agent_id         TEXT    REFERENCES agents (id) ON DELETE CASCADE,
            conversation_id  TEXT    REFERENCES conversations (id) ON DELETE SET NULL,
            triggered_by     TEXT    NOT NULL
                                     CHECK (triggered_by IN ('manual', 'schedule', 'webhook', 'api', 'chat')),
            status           TEXT    NOT NULL
                                     CHECK (status IN ('running', 'success', 'error', 'cancelled')),
            started_at       INTEGER NOT NULL,
            completed_at     INTEGER,
            input            BLOB,
            output           BLOB,
            error_message    TEXT,
            blocks_executed  INTEGER NOT NULL DEFAULT 0 CHECK (blocks_executed >= 0),
            tokens_used      INTEGER NOT NULL DEFAULT 0 CHECK (tokens_used >= 0),
            api_calls        INTEGER NOT NULL DEFAULT 0 CHECK (api_calls >= 0),
            CHECK ((workflow_id IS NULL) <> (agent_id IS NULL)),
            CHECK ((status = 'running') = (completed_at IS NULL)),
            CHECK (completed_at IS NULL OR completed_at >= started_at)
        );
        CREATE INDEX runs_workflow_started ON runs (workflow_id, started_at);
        CREATE INDEX runs_agent_started ON runs (agent_id, started_at);
        CREATE INDEX runs_status_started ON runs (status, started_at);
        CREATE INDEX runs_started ON runs (started_at);
        CREATE INDEX runs_conversation ON runs (conversation_id);
        """)
}
