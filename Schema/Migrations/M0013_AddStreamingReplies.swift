/// Streaming replies, and messages indexed in batches.
///
/// **Status.** A message is `complete` (every message before this
/// migration), or a reply that is `streaming`, was `interrupted` (its process
/// died; settled by the next open), `failed` (with `error_message`) or
/// `cancelled`. `reply_owner` names the process streaming a reply (boot id,
/// pid, start time), so another process can tell a live reply from an
/// orphaned one. The partial index finds streaming replies without a scan
/// and costs nothing for other messages.
///
/// **Chunks.** A streaming reply's text grows in `message_chunks`, one row
/// per write, in order; readers append them to `content`, and finishing the
/// reply folds them into it. A chunk costs one small row at the end of the
/// table, never a rewrite of the text so far. Keyed by (message, sequence)
/// without a rowid: one b-tree, deleted with its message.
///
/// **Batched indexing.** A message is in `messages_fts` exactly when it has a
/// `messages_fts_docsize` row. New messages are not indexed one by one (each
/// FTS4 insert writes a new segment, its segdir, docsize and stat rows, and
/// sooner or later a merge: about 7 of the 14 pages an append wrote): every
/// message after `indexed_through` that is not streaming is *pending*, found
/// by search through an in-memory index of the pending rows, and the pending
/// rows are indexed together once there are enough of them. Rows at or
/// below `indexed_through` are indexed as they change (an insert there
/// happens only when a deleted last row's id is reused). A streaming reply
/// is indexed once, when it stops streaming. Triggers decide with the
/// docsize row whether a row is indexed, so they never delete a row from the
/// index that is not in it.
///
/// **The index's content is the view `messages_indexed`**: the messages that
/// should be indexed (not streaming, at or below `indexed_through`), not the
/// whole `messages` table. FTS4 checks an external-content index against its
/// content relation row for row, and SQLite 3.44 and later (SQLCipher 4.x)
/// run that check in `PRAGMA integrity_check` and `quick_check`: with
/// `content="messages"` every vault with a waiting message or a streaming
/// reply would be reported as corrupt there (by `health`, and by the checks
/// of backups, restores and rekeys). With the view, the index is checked
/// against exactly the rows it must hold, on every engine, and FTS4's own
/// `rebuild` indexes exactly those. The index is rebuilt here, so every
/// message of the vault is indexed at this migration.
enum M0013_AddStreamingReplies {
    static let migration = Migration(version: 13, name: "add_streaming_replies", sql: """
        ALTER TABLE messages ADD COLUMN status TEXT NOT NULL DEFAULT 'complete'
            CHECK (status IN ('complete', 'streaming', 'interrupted', 'failed', 'cancelled'));
        ALTER TABLE messages ADD COLUMN error_message TEXT;
        ALTER TABLE messages ADD COLUMN reply_owner TEXT;
        CREATE INDEX messages_streaming ON messages (doc_id) WHERE status = 'streaming';

        CREATE TABLE message_chunks (
            message_doc_id INTEGER NOT NULL REFERENCES messages (doc_id) ON DELETE CASCADE,
            sequence       INTEGER NOT NULL CHECK (sequence >= 0),
            text           TEXT    NOT NULL,
            PRIMARY KEY (message_doc_id, sequence)
        ) WITHOUT ROWID;

        CREATE TABLE message_index_state (
            id              INTEGER PRIMARY KEY CHECK (id = 1),
            indexed_through INTEGER NOT NULL
        );
        INSERT INTO message_index_state (id, indexed_through) VALUES (1, coalesce((SELECT max(doc_id) FROM messages), 0));

        DROP TRIGGER messages_fts_after_insert;
        DROP TRIGGER messages_fts_before_update;
        DROP TRIGGER messages_fts_after_update;
        DROP TRIGGER messages_fts_before_delete;

        CREATE VIEW messages_indexed AS
            SELECT doc_id AS rowid, content FROM messages
            WHERE status <> 'streaming' AND doc_id <= (SELECT indexed_through FROM message_index_state);
        DROP TABLE messages_fts;
        CREATE VIRTUAL TABLE messages_fts USING fts4(content="messages_indexed", content, tokenize=unicode61);
        INSERT INTO messages_fts (messages_fts) VALUES ('rebuild');

        CREATE TRIGGER messages_fts_after_insert AFTER INSERT ON messages
        WHEN new.status <> 'streaming' AND new.doc_id <= (SELECT indexed_through FROM message_index_state)
        BEGIN
            INSERT INTO messages_fts (docid, content) VALUES (new.doc_id, new.content);
        END;
        CREATE TRIGGER messages_fts_before_update BEFORE UPDATE OF content, status ON messages
        WHEN (old.content IS NOT new.content OR new.status = 'streaming')
            AND EXISTS (SELECT 1 FROM messages_fts_docsize WHERE docid = old.doc_id)
        BEGIN
            DELETE FROM messages_fts WHERE docid = old.doc_id;
        END;
        CREATE TRIGGER messages_fts_after_update AFTER UPDATE OF content, status ON messages
        WHEN new.status <> 'streaming' AND new.doc_id <= (SELECT indexed_through FROM message_index_state)
            AND NOT EXISTS (SELECT 1 FROM messages_fts_docsize WHERE docid = new.doc_id)
        BEGIN
            INSERT INTO messages_fts (docid, content) VALUES (new.doc_id, new.content);
        END;
        CREATE TRIGGER messages_fts_before_delete BEFORE DELETE ON messages
        WHEN EXISTS (SELECT 1 FROM messages_fts_docsize WHERE docid = old.doc_id)
        BEGIN
            DELETE FROM messages_fts WHERE docid = old.doc_id;
        END;
        """)
}
