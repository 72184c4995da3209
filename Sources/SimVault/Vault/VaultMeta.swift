import Foundation

/// Keys of the `vault_meta` table.
enum VaultMeta {
    static let vaultID = "vault_id"
    static let createdAt = "created_at"
    static let createdBy = "created_by"
    /// Unix milliseconds of the last verified backup (`simvault backup`,
    /// `restore`), and where it went.
    static let lastBackupAt = "last_backup_at"
    static let lastBackupPath = "last_backup_path"

    static func read(_ key: String, in db: Connection) throws -> String? {
        try db.scalar("SELECT value FROM vault_meta WHERE key = ?", [key])
    }

    static func write(_ key: String, _ value: String, in db: Connection) throws {
        // Plain UPDATE-then-INSERT: no UPSERT in SQLite 3.15, and INSERT OR
        // REPLACE would delete-and-reinsert.
        try db.execute("UPDATE vault_meta SET value = ?, updated_at = ? WHERE key = ?", [value, Clock.nowMilliseconds(), key])
        if db.changes == 0 {
            try db.execute("INSERT INTO vault_meta (key, value, updated_at) VALUES (?, ?, ?)", [key, value, Clock.nowMilliseconds()])
        }
    }
}
