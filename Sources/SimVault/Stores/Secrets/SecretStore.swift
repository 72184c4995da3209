import Foundation

/// Provider API keys and environment variables, sealed on top of the
/// database encryption and audited.
///
/// Values go in and come out as ``SecretBytes`` only, are sealed under a
/// key derived from the master key (see ``SecretKeyRotation``), and so never
/// appear in plaintext in `simvault sql` output, exports, dumps of the
/// decrypted database, or logs. Every ``get(_:scope:)`` adds a `secret.read`
/// row to `access_log` in the same transaction that reads the value.
///
/// ```swift
/// try vault.secrets.set("OPENAI_API_KEY", value: key, scope: "provider:openai")
/// let value = try vault.secrets.get("OPENAI_API_KEY", scope: "provider:openai")
/// value.withUnsafeBytes { bytes in /* hand to the HTTP client */ }
/// ```
public struct SecretStore: Sendable {
    let vault: Vault

    /// The scope used when none is given.
    public static let defaultScope = "global"

    /// Stores (or replaces) the secret `name` in `scope`. Audited as
    /// `secret.write`.
    ///
    /// - Throws: ``VaultError/invalidArgument(detail:)`` for an empty name or
    ///   scope; ``VaultError/corrupt(detail:)`` when the secrets key cannot be
    ///   unwrapped.
    public func set(_ name: String, value: SecretBytes, scope: String = defaultScope, kind: SecretKind = .apiKey) throws {
        try ArgumentCheck.requireNonBlank(name, "a secret name")
        try ArgumentCheck.requireNonBlank(scope, "a secret scope")
        try vault.writeCheckingSchema { db in
            guard let secretsKey = try SecretKeyRotation.secretsKey(for: vault.masterKey, vaultID: vault.vaultID, creating: true, in: db) else {
                throw VaultError.corrupt(detail: "no secrets key could be made")
            }
            let sealed = SecretSealer.seal(value, with: secretsKey, scope: scope, name: name)
            let now = Clock.nowMilliseconds()
            try db.execute(
                "UPDATE secrets SET sealed_value = ?, kind = ?, updated_at = ? WHERE scope = ? AND name = ?",
                [sealed, kind.rawValue, now, scope, name])
            let replaced = db.changes == 1
            if !replaced {
                try db.execute(
                    "INSERT INTO secrets (scope, name, kind, sealed_value, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
                    [scope, name, kind.rawValue, sealed, now, now])
            }
            try audit("secret.write", scope, name, detail: ["kind": kind.rawValue, "replaced": String(replaced)], in: db)
        }
    }

    /// The value of secret `name` in `scope`. Audited as `secret.read`: the
    /// log row commits with the read, so no value is returned unlogged.
    ///
    /// - Throws: ``VaultError/recordNotFound(kind:id:)``;
    ///   ``VaultError/corrupt(detail:)`` when the sealed value does not open.
    public func get(_ name: String, scope: String = defaultScope) throws -> SecretBytes {
        try vault.writeCheckingSchema { db in
            guard let sealed: Data = try db.scalar("SELECT sealed_value FROM secrets WHERE scope = ? AND name = ?", [scope, name]) else {
                throw VaultError.recordNotFound(kind: "secret", id: "\(scope)/\(name)")
            }
            guard let secretsKey = try SecretKeyRotation.secretsKey(for: vault.masterKey, vaultID: vault.vaultID, creating: false, in: db),
                  let value = SecretSealer.open(sealed, with: secretsKey, scope: scope, name: name) else {
                throw VaultError.corrupt(detail: "secret \(scope)/\(name) does not open: its sealed value or the secrets key was altered")
            }
            try audit("secret.read", scope, name, in: db)
            return value
        }
    }

    /// Names, scopes and kinds of the stored secrets (never values), by
    /// scope and name; optionally of one scope.
    public func list(scope: String? = nil) throws -> [SecretInfo] {
        var filter = QueryFilter()
        filter.add("scope = ?", scope)
        return try vault.readCheckingSchema { db in
            try db.fetchAll(
                "SELECT scope, name, kind, created_at, updated_at FROM secrets \(filter.whereClause) ORDER BY scope, name",
                filter.arguments
            ).map(SecretInfo.init(row:))
        }
    }

    /// Deletes secret `name` in `scope` (its bytes are overwritten: the vault
    /// runs with `secure_delete`). Audited as `secret.remove`. Returns false
    /// if there was none.
    @discardableResult
    public func remove(_ name: String, scope: String = defaultScope) throws -> Bool {
        try vault.writeCheckingSchema { db in
            try db.execute("DELETE FROM secrets WHERE scope = ? AND name = ?", [scope, name])
            guard db.changes == 1 else { return false }
            try audit("secret.remove", scope, name, in: db)
            return true
        }
    }

    private func audit(_ action: String, _ scope: String, _ name: String, detail: [String: String] = [:], in db: Connection) throws {
        try AccessLog.record(AccessEvent(action: action, resource: "\(scope)/\(name)", detail: detail), actor: vault.configuration.actor, in: db)
    }
}
