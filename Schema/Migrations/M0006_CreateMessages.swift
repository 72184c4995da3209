/// Messages, ordered by `position` within their conversation and deleted
/// with it, plus an FTS4 index over their text kept in sync by triggers.
///
/// `doc_id` is an explicit INTEGER PRIMARY KEY (the rowid) because the FTS
/// index refers to rows by rowid: an implicit rowid may be renumbered by
/// VACUUM, which would silently detach the index from its rows. `id` is the
/// public identifier. The index is an external-content table (`content=`),
/// so the text is stored once; the triggers follow the SQLite documentation
/// for such tables: remove the old entry BEFORE the row changes (FTS4 reads
/// the old text from the row), add the new one AFTER. Cascaded deletes fire
/// the delete trigger too.
enum M0006_CreateMessages {
    static let migration = Migration(version: 6, name: "create_messages", sql: """
        CREATE TABLE messages (
            doc_id          INTEGER PRIMARY KEY,
            id              TEXT    NOT NULL UNIQUE,
            conversation_id TEXT    NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
            position        INTEGER NOT NULL CHECK (position >= 0),
            role            TEXT    NOT NULL CHECK (role IN ('system', 'user', 'assistant', 'tool')),
            content         TEXT    NOT NULL,
            content_type    TEXT    NOT NULL DEFAULT 'text',
            model           TEXT,
            tokens          INTEGER CHECK (tokens IS NULL OR tokens >= 0),
            metadata        TEXT,
            created_at      INTEGER NOT NULL,
            updated_at      INTEGER NOT NULL,
            UNIQUE (conversation_id, position)
        );

        CREATE VIRTUAL TABLE messages_fts USING fts4(content="messages", content, tokenize=unicode61);

        CREATE TRIGGER messages_fts_after_insert AFTER INSERT ON messages BEGIN
            INSERT INTO messages_fts (docid, content) VALUES (new.doc_id, new.content);
        END;
        CREATE TRIGGER messages_fts_before_update BEFORE UPDATE OF content ON messages BEGIN
            DELETE FROM messages_fts WHERE docid = old.doc_id;
        END;
        CREATE TRIGGER messages_fts_after_update AFTER UPDATE OF content ON messages BEGIN
            INSERT INTO messages_fts (docid, content) VALUES (new.doc_id, new.content);
        END;
        CREATE TRIGGER messages_fts_before_delete BEFORE DELETE ON messages BEGIN
            DELETE FROM messages_fts WHERE docid = old.doc_id;
        END;
        """)
}
