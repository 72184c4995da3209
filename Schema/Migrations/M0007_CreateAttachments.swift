/// Files attached to messages, stored as BLOBs inside the encrypted database
/// (never as loose files beside it) and deleted with their message.
enum M0007_CreateAttachments {
    static let migration = Migration(version: 7, name: "create_attachments", sql: """
        CREATE TABLE attachments (
            id         TEXT    NOT NULL PRIMARY KEY,
            message_id TEXT    NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
            file_name  TEXT    NOT NULL,
            media_type TEXT    NOT NULL DEFAULT 'application/octet-stream',
            byte_count INTEGER NOT NULL CHECK (byte_count >= 0),
            sha256     TEXT    NOT NULL,
            data       BLOB    NOT NULL,
            created_at INTEGER NOT NULL
        );
        CREATE INDEX attachments_message ON attachments (message_id);
        """)
}
