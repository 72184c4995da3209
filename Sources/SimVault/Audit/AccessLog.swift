import Foundation

/// One audited event: an action by an actor on a resource.
///
/// Actions are dotted names (`vault.init`, `secret.read`, `key.rekey`,
/// `key.slot.add`, `schema.migrate`, `backup.create`...). `detail` is a small
/// JSON object of context; it must never contain a secret value, a key or a
/// password.
public struct AccessEvent: Sendable, Equatable {
    public var action: String
    public var resource: String?
    public var detail: [String: String]

    public init(action: String, resource: String? = nil, detail: [String: String] = [:]) {
        self.action = action
        self.resource = resource
        self.detail = detail
    }
}

/// A row of `access_log`.
public struct AccessLogEntry: Sendable, Equatable, Codable {
    public let id: Int64
    /// Unix milliseconds.
    public let at: Int64
    public let actor: String
    public let action: String
    public let resource: String?
    /// JSON text.
    public let detail: String?
}

/// Writes and reads the `access_log` table.
public enum AccessLog {
    /// Appends `event` inside the caller's transaction, so the audit row
    /// commits or rolls back together with the work it describes.
    public static func record(_ event: AccessEvent, actor: String, in db: Connection) throws {
        let detail: String? = event.detail.isEmpty ? nil : {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            return (try? encoder.encode(event.detail)).map { String(decoding: $0, as: UTF8.self) }
        }()
        try db.execute(
            "INSERT INTO access_log (at, actor, action, resource, detail) VALUES (?, ?, ?, ?, ?)",
            [Clock.nowMilliseconds(), actor, event.action, event.resource, detail])
    }

    /// The most recent entries, newest first, optionally of one action.
    public static func recent(limit: Int = 100, action: String? = nil, in db: Connection) throws -> [AccessLogEntry] {
        let filter = action == nil ? "" : "WHERE action = ?"
        let arguments: [any DatabaseValueConvertible] = (action.map { [$0] } ?? []) + [limit]
        return try db.fetchAll("SELECT id, at, actor, action, resource, detail FROM access_log \(filter) ORDER BY id DESC LIMIT ?", arguments).map { row in
            AccessLogEntry(
                id: try row.get(0), at: try row.get(1), actor: try row.get(2), action: try row.get(3),
                resource: try row.get(4), detail: try row.get(5))
        }
    }
}

extension Vault {
    /// Records `event` in its own write transaction.
    public func recordAccess(_ event: AccessEvent) throws {
        try write { db in try AccessLog.record(event, actor: configuration.actor, in: db) }
    }
}
