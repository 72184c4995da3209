/// Agent configurations: model, provider, system prompt and a JSON config.
/// An agent names the provider whose key it uses; the key itself lives only
/// in `secrets`.
enum M0004_CreateAgents {
    static let migration = Migration(version: 4, name: "create_agents", sql: """
        CREATE TABLE agents (
            id            TEXT    NOT NULL PRIMARY KEY,
            name          TEXT    NOT NULL,
            description   TEXT,
            provider      TEXT,
            model         TEXT,
            system_prompt TEXT,
            config        TEXT,
            is_active     INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1)),
            created_at    INTEGER NOT NULL,
            updated_at    INTEGER NOT NULL
        );
        CREATE INDEX agents_active_name ON agents (is_active, name);
        """)
}
