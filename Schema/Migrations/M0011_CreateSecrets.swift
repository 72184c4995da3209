/// Provider API keys and environment variables, each sealed (XChaCha20-
/// Poly1305) under a random secrets key, on top of the database encryption,
/// so a value never appears in exports, `simvault sql` output or logs.
///
/// `secret_keys` holds that secrets key wrapped under a subkey of each master
/// key that may open the vault (one row normally; two while a key rotation
/// is in progress), identified by a keyed hash of the master key.
enum M0011_CreateSecrets {
    static let migration = Migration(version: 11, name: "create_secrets", sql: """
        CREATE TABLE secret_keys (
            wrap_id     TEXT    NOT NULL PRIMARY KEY,
            wrapped_key BLOB    NOT NULL,
            created_at  INTEGER NOT NULL
        ) WITHOUT ROWID;

        CREATE TABLE secrets (
            id           INTEGER PRIMARY KEY,
            scope        TEXT    NOT NULL DEFAULT 'global' CHECK (length(scope) > 0),
            name         TEXT    NOT NULL CHECK (length(name) > 0),
            kind         TEXT    NOT NULL DEFAULT 'api_key' CHECK (kind IN ('api_key', 'env')),
            sealed_value BLOB    NOT NULL,
            created_at   INTEGER NOT NULL,
            updated_at   INTEGER NOT NULL,
            UNIQUE (scope, name)
        );
        """)
}
