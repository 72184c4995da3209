/// The audit trail: who did what, when, to which resource. Secret reads, key
/// slot changes, rotations, migrations, backups and restores each add a row.
/// `detail` is JSON context and never holds a secret value.
enum M0002_CreateAccessLog {
    static let migration = Migration(version: 2, name: "create_access_log", sql: """
        CREATE TABLE access_log (
            id       INTEGER PRIMARY KEY AUTOINCREMENT,
            at       INTEGER NOT NULL,
            actor    TEXT    NOT NULL,
            action   TEXT    NOT NULL,
            resource TEXT,
            detail   TEXT
        );
        CREATE INDEX access_log_at ON access_log (at);
        CREATE INDEX access_log_action_at ON access_log (action, at);
        """)
}
