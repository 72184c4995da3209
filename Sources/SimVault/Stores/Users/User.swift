/// Someone who uses the app. Single-user apps can ignore users entirely:
/// conversations do not need one.
public struct User: Sendable, Equatable, Hashable, Codable, Identifiable {
    public let id: String
    /// Unique login name.
    public var username: String
    public var displayName: String?
    /// Unix milliseconds.
    public let createdAt: Int64
    /// Unix milliseconds.
    public var updatedAt: Int64
    /// Unix milliseconds, set by ``UserStore/recordLogin(id:)``.
    public var lastLoginAt: Int64?

    init(row: Row) throws {
        id = try row.get("id")
        username = try row.get("username")
        displayName = try row.get("display_name")
        createdAt = try row.get("created_at")
        updatedAt = try row.get("updated_at")
        lastLoginAt = try row.get("last_login_at")
    }
}
