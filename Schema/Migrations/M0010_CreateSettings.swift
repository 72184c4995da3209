/// App settings, one typed value per key. Only values that differ from the
/// defaults (which live in code) are stored.
enum M0010_CreateSettings {
    static let migration = Migration(version: 10, name: "create_settings", sql: """
        CREATE TABLE settings (
            key        TEXT    NOT NULL PRIMARY KEY,
            value      TEXT    NOT NULL,
            value_type TEXT    NOT NULL CHECK (value_type IN ('string', 'integer', 'double', 'boolean', 'json')),
            updated_at INTEGER NOT NULL
        ) WITHOUT ROWID;
        """)
}
