import Foundation
import VaultSchema

/// The typed stores of a vault, and the rule they share: they work only on a
/// vault whose schema is exactly the one this simvault knows.
///
/// ```swift
/// let vault = try Vault.open(at: location, unlock: UnlockRequest())
/// try vault.migrate()                      // no-op when already current
/// let chat = try vault.conversations.create(title: "Trip planning")
/// try vault.messages.append(to: chat.id, role: .user, content: "Find me a train to Lyon")
/// ```
///
/// Every store is a small `Sendable` value over the vault: make as many as
/// you like, from any thread. Reads run on the reader pool (one consistent
/// snapshot per call), writes on the single writer in one immediate
/// transaction per call. For async code, wrap calls in ``Vault/perform(_:)``.
extension Vault {
    /// Users of the app.
    public var users: UserStore { UserStore(vault: self) }
    /// Agent configurations.
    public var agents: AgentStore { AgentStore(vault: self) }
    /// Conversations (chat threads).
    public var conversations: ConversationStore { ConversationStore(vault: self) }
    /// Messages of conversations.
    public var messages: MessageStore { MessageStore(vault: self) }
    /// Files attached to messages, stored inside the vault.
    public var attachments: AttachmentStore { AttachmentStore(vault: self) }
    /// Workflows, their compressed state and history.
    public var workflows: WorkflowStore { WorkflowStore(vault: self) }
    /// Workflow and agent runs.
    public var runs: RunStore { RunStore(vault: self) }
    /// Typed app settings with defaults in code.
    public var settings: SettingsStore { SettingsStore(vault: self) }
    /// Sealed provider API keys and environment variables.
    public var secrets: SecretStore { SecretStore(vault: self) }

    /// Runs `body` on a background thread and returns its result: the async
    /// face of every store, without blocking the caller's thread (or actor).
    ///
    /// ```swift
    /// let page = try await vault.perform { try $0.messages.page(in: chatID) }
    /// ```
    ///
    /// As many bodies run at once as the vault has connections (readers
    /// plus the writer); further callers suspend until one finishes, holding
    /// no thread. A body should therefore not wait for another `perform`.
    ///
    /// - Throws: whatever `body` throws; `VaultError.closed` after
    ///   ``close()``; `CancellationError` if the task is cancelled before
    ///   `body` started (once it runs it completes).
    public func perform<T: Sendable>(_ body: @escaping @Sendable (Vault) throws -> T) async throws -> T {
        try await performSlots.wait()
        defer { performSlots.signal() }
        return try await EncryptedDatabase.offload { try body(self) }
    }

    // MARK: - Schema-checked access

    /// `read`, after checking that the schema is exactly the current one (in
    /// the same snapshot, so a migration by another process is seen): the
    /// stores' only way to read.
    func readCheckingSchema<T>(_ body: (Connection) throws -> T) throws -> T {
        try read { db in
            try Self.requireCurrentSchema(db)
            return try body(db)
        }
    }

    /// `write`, after checking that the schema is exactly the current one
    /// (inside the same transaction): the stores' only way to write.
    func writeCheckingSchema<T>(_ body: (Connection) throws -> T) throws -> T {
        try write { db in
            try Self.requireCurrentSchema(db)
            return try body(db)
        }
    }

    /// Pending migrations: the tables the stores need may not exist yet, and
    /// migrating is an explicit step (it takes a backup first). A vault that
    /// became newer since it was opened is refused like at open.
    static func requireCurrentSchema(_ db: Connection) throws {
        let version: Int = try db.scalar("PRAGMA user_version") ?? 0
        let latest = Migrator.simvault.latestVersion
        if version < latest { throw VaultError.schemaOutdated(vault: version, binary: latest) }
        if version > latest { throw VaultError.schemaNewer(vault: version, binary: latest) }
    }
}

/// The WHERE clause of a list query, built from optional filters, with its
/// arguments in order.
///
/// ```swift
/// var filter = QueryFilter()
/// filter.add("user_id = ?", userID)        // skipped when userID is nil
/// db.fetchAll("SELECT * FROM conversations \(filter.whereClause)", filter.arguments)
/// ```
struct QueryFilter {
    private var conditions: [String] = []
    private(set) var arguments: [any DatabaseValueConvertible] = []

    /// Adds `condition` with one `?` bound to `value`, unless `value` is nil.
    mutating func add(_ condition: String, _ value: (any DatabaseValueConvertible)?) {
        guard let value else { return }
        conditions.append(condition)
        arguments.append(value)
    }

    /// Adds a condition without arguments when `applies`.
    mutating func add(_ condition: String, when applies: Bool) {
        if applies { conditions.append(condition) }
    }

    /// `WHERE a AND b`, or nothing.
    var whereClause: String { conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ") }

    /// The arguments followed by LIMIT and OFFSET values.
    func arguments(limit: Int, offset: Int) -> [any DatabaseValueConvertible] {
        arguments + [ArgumentCheck.clampedPageSize(limit), max(offset, 0)]
    }
}

