/// Chat threads. A conversation belongs to a user (deleted with them) and may
/// use an agent (kept, unlinked, when the agent is deleted). `extra` is app
/// JSON; it must never hold an API key (those live in `secrets`).
enum M0005_CreateConversations {
    static let migration = Migration(version: 5, name: "create_conversations", sql: """
        CREATE TABLE conversations (
            id              TEXT    NOT NULL PRIMARY KEY,
            user_id         TEXT    REFERENCES users (id) ON DELETE CASCADE,
            agent_id        TEXT    REFERENCES agents (id) ON DELETE SET NULL,
            title           TEXT    NOT NULL DEFAULT '',
            kind            TEXT    NOT NULL DEFAULT 'chat',
            model           TEXT,
            status          TEXT    NOT NULL DEFAULT 'idle'
                                    CHECK (status IN ('idle', 'pending', 'running', 'finished', 'failed')),
            is_pinned       INTEGER NOT NULL DEFAULT 0 CHECK (is_pinned IN (0, 1)),
            is_archived     INTEGER NOT NULL DEFAULT 0 CHECK (is_archived IN (0, 1)),
            extra           TEXT,
            created_at      INTEGER NOT NULL,
            updated_at      INTEGER NOT NULL,
            last_message_at INTEGER
        );
        CREATE INDEX conversations_listing ON conversations (is_archived, is_pinned, updated_at);
        CREATE INDEX conversations_user ON conversations (user_id);
        CREATE INDEX conversations_agent ON conversations (agent_id);
        """)
}
