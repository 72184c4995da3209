import Foundation

/// Creates, reads, updates and deletes ``User``s.
///
/// ```swift
/// let ada = try vault.users.create(username: "ada", displayName: "Ada")
/// try vault.users.recordLogin(id: ada.id)
/// ```
///
/// Deleting a user deletes their conversations (and so their messages and
/// attachments).
public struct UserStore: Sendable {
    let vault: Vault

    /// Adds a user.
    ///
    /// - Throws: ``VaultError/invalidArgument(detail:)`` for an empty or
    ///   taken username; ``VaultError/schemaOutdated(vault:binary:)``.
    @discardableResult
    public func create(username: String, displayName: String? = nil, id: String? = nil) throws -> User {
        try ArgumentCheck.requireNonBlank(username, "a username")
        let id = id ?? RecordID.make()
        return try vault.writeCheckingSchema { db in
            if try db.scalar("SELECT 1 FROM users WHERE username = ?", [username], as: Int.self) != nil {
                throw VaultError.invalidArgument(detail: "the username \"\(username)\" is taken")
            }
            let now = Clock.nowMilliseconds()
            try db.execute(
                "INSERT INTO users (id, username, display_name, created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
                [id, username, displayName, now, now])
            return try Self.fetch(id, in: db)
        }
    }

    /// The user with `id`, or nil.
    public func get(id: String) throws -> User? {
        try vault.readCheckingSchema { db in try db.fetchOne("SELECT * FROM users WHERE id = ?", [id]).map(User.init(row:)) }
    }

    /// All users, by username.
    public func list() throws -> [User] {
        try vault.readCheckingSchema { db in try db.fetchAll("SELECT * FROM users ORDER BY username").map(User.init(row:)) }
    }

    /// Saves `user`'s username and display name.
    ///
    /// - Throws: ``VaultError/recordNotFound(kind:id:)``,
    ///   ``VaultError/invalidArgument(detail:)`` for a taken username.
    @discardableResult
    public func update(_ user: User) throws -> User {
        try ArgumentCheck.requireNonBlank(user.username, "a username")
        return try vault.writeCheckingSchema { db in
            if try db.scalar("SELECT 1 FROM users WHERE username = ? AND id <> ?", [user.username, user.id], as: Int.self) != nil {
                throw VaultError.invalidArgument(detail: "the username \"\(user.username)\" is taken")
            }
            try db.execute(
                "UPDATE users SET username = ?, display_name = ?, updated_at = ? WHERE id = ?",
                [user.username, user.displayName, Clock.nowMilliseconds(), user.id])
            return try Self.fetch(user.id, in: db)
        }
    }

    /// Stamps the user's last login with the current time.
    public func recordLogin(id: String) throws {
        try vault.writeCheckingSchema { db in
            try db.execute("UPDATE users SET last_login_at = ? WHERE id = ?", [Clock.nowMilliseconds(), id])
            guard db.changes == 1 else { throw VaultError.recordNotFound(kind: "user", id: id) }
        }
    }

    /// Deletes the user and their conversations. Returns false if there was
    /// no such user.
    @discardableResult
    public func delete(id: String) throws -> Bool {
        try vault.writeCheckingSchema { db in
            try db.execute("DELETE FROM users WHERE id = ?", [id])
            return db.changes == 1
        }
    }

    static func fetch(_ id: String, in db: Connection) throws -> User {
        guard let row = try db.fetchOne("SELECT * FROM users WHERE id = ?", [id]) else {
            throw VaultError.recordNotFound(kind: "user", id: id)
        }
        return try User(row: row)
    }
}
