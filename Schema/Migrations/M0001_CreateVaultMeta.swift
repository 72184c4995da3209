/// The migration ledger and the vault's own metadata (vault id, creation
/// time, creating simvault version). The vault id here must match the key
/// header's, which catches a header swapped in from another vault.
enum M0001_CreateVaultMeta {
    static let migration = Migration(version: 1, name: "create_vault_meta", sql: """
        CREATE TABLE schema_migrations (
            version    INTEGER PRIMARY KEY,
            name       TEXT    NOT NULL,
            checksum   TEXT    NOT NULL,
            applied_at INTEGER NOT NULL
        );
        CREATE TABLE vault_meta (
            key        TEXT    NOT NULL PRIMARY KEY,
            value      TEXT    NOT NULL,
            updated_at INTEGER NOT NULL
        ) WITHOUT ROWID;
        """)
}
