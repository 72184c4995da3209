import Foundation

/// The secrets key's wraps in `secret_keys`: found or made for the key that
/// opened the vault, and re-wrapped when the master key is rotated.
///
/// A key rotation (`simvault rekey`) must keep the secrets readable under
/// whichever key opens the vault at any moment, so it calls, on the writer:
///
/// ```swift
/// try vault.write { db in try SecretKeyRotation.prepare(from: oldKey, to: newKey, vaultID: id, in: db) }
/// // PRAGMA rekey, header and keyring updates, verification...
/// try vault.write { db in try SecretKeyRotation.finish(keeping: newKey, in: db) }
/// ```
///
/// Between the two, both keys have a wrap of the same secrets key, so a crash
/// at any point leaves secrets that open with the old key or the new one.
/// Both are no-ops on a vault that has no secrets (or no `secret_keys` table
/// yet). Re-wrapping touches one row, not every secret.
package enum SecretKeyRotation {
    /// Adds a wrap of the secrets key for `newKey`, unwrapping it with
    /// `currentKey`. Idempotent.
    ///
    /// - Throws: ``VaultError/corrupt(detail:)`` when `currentKey` cannot
    ///   unwrap the secrets key.
    package static func prepare(from currentKey: MasterKey, to newKey: MasterKey, vaultID: String, in db: Connection) throws {
        guard try hasTable(db), let secretsKey = try secretsKey(for: currentKey, vaultID: vaultID, creating: false, in: db) else {
            return
        }
        let newID = SecretSealer.wrapID(for: newKey)
        try db.execute("DELETE FROM secret_keys WHERE wrap_id = ?", [newID])
        try db.execute(
            "INSERT INTO secret_keys (wrap_id, wrapped_key, created_at) VALUES (?, ?, ?)",
            [newID, SecretSealer.wrap(secretsKey, for: newKey, vaultID: vaultID), Clock.nowMilliseconds()])
    }

    /// Removes every wrap but `key`'s, once the rotation to `key` is
    /// verified.
    package static func finish(keeping key: MasterKey, in db: Connection) throws {
        guard try hasTable(db) else { return }
        try db.execute("DELETE FROM secret_keys WHERE wrap_id <> ?", [SecretSealer.wrapID(for: key)])
    }

    /// The secrets key for `masterKey`; created (with its wrap) when the
    /// vault has none and `creating` is true, else nil.
    ///
    /// - Throws: ``VaultError/corrupt(detail:)`` when a wrap exists but not
    ///   for this key, or does not authenticate.
    static func secretsKey(for masterKey: MasterKey, vaultID: String, creating: Bool, in db: Connection) throws -> SecretBytes? {
        let wrapID = SecretSealer.wrapID(for: masterKey)
        if let wrapped: Data = try db.scalar("SELECT wrapped_key FROM secret_keys WHERE wrap_id = ?", [wrapID]) {
            guard let key = SecretSealer.unwrap(wrapped, for: masterKey, vaultID: vaultID) else {
                throw VaultError.corrupt(detail: "the secrets key's wrap for this master key does not authenticate")
            }
            return key
        }
        let others: Int = try db.scalar("SELECT count(*) FROM secret_keys") ?? 0
        guard others == 0 else {
            throw VaultError.corrupt(
                detail: "the secrets are sealed for another master key (a key rotation did not re-wrap them); restore a backup from before the rotation")
        }
        guard creating else { return nil }
        let key = SecretBytes.random(count: 32)
        try db.execute(
            "INSERT INTO secret_keys (wrap_id, wrapped_key, created_at) VALUES (?, ?, ?)",
            [wrapID, SecretSealer.wrap(key, for: masterKey, vaultID: vaultID), Clock.nowMilliseconds()])
        return key
    }

    private static func hasTable(_ db: Connection) throws -> Bool {
        try db.scalar("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'secret_keys'", as: Int.self) != nil
    }
}
