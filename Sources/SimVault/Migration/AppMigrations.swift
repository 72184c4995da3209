import Foundation
public import VaultSchema

/// How a migration's foreign keys are enforced: ``ForeignKeyChecks/deferred``
/// (the default: keys off, `PRAGMA foreign_key_check` before commit) or
/// ``ForeignKeyChecks/immediate``.
public typealias ForeignKeyChecks = VaultSchema.ForeignKeyChecks

/// An app's own schema history, under a namespace the app owns (GRDB's
/// `DatabaseMigrator` is the model).
///
/// ```swift
/// var migrations = AppMigrations(namespace: "org.example.notes")
/// migrations.register("create_notes", sql: "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL)")
/// migrations.register("add_titles") { db in
///     try db.execute("ALTER TABLE notes ADD COLUMN title TEXT NOT NULL DEFAULT ''")
/// }
/// try database.migrate(migrations)     // or vault.migrate(migrations)
/// ```
///
/// The rules are simvault's own (docs/DESIGN.md §6): append only, never
/// edit one that shipped (an SQL migration's checksum is recorded and
/// compared; a closure migration is recorded by its identifier), each runs
/// in its own transaction with foreign keys checked before commit, a
/// verified backup is taken before the first one changes the file, and a
/// database whose history for the namespace is newer than, or differs
/// from, the registered one is refused. The history lives in the table
/// `simvault_app_migrations`. While an app migration runs, simvault's tables
/// (in a vault) and that table are out of its reach: touching them fails
/// with "not authorized"; and simvault's migrations never touch the app's
/// tables.
public struct AppMigrations: Sendable {
    /// The namespace, e.g. a reverse-DNS app identifier.
    public let namespace: String
    private(set) var steps: [AppMigration] = []

    /// - Precondition: `namespace` is not empty and is not `simvault`
    ///   (a programming error, as in GRDB).
    public init(namespace: String) {
        precondition(!namespace.isEmpty && namespace != "simvault", "an app's migration namespace must be its own, not empty or 'simvault'")
        self.namespace = namespace
    }

    /// Registers a migration made of SQL statements; its checksum is
    /// recorded and compared at every later migrate.
    ///
    /// - Precondition: `identifier` is new in this namespace.
    public mutating func register(_ identifier: String, sql: String, foreignKeyChecks: ForeignKeyChecks = .deferred) {
        append(AppMigration(identifier: identifier, sql: sql, body: nil, foreignKeyChecks: foreignKeyChecks))
    }

    /// Registers a migration that runs Swift code on the connection (to
    /// carry data over in ways SQL cannot); it is recorded by identifier.
    /// It must not depend on the app's current types, which change.
    ///
    /// - Precondition: `identifier` is new in this namespace.
    public mutating func register(
        _ identifier: String, foreignKeyChecks: ForeignKeyChecks = .deferred, _ body: @escaping @Sendable (Connection) throws -> Void
    ) {
        append(AppMigration(identifier: identifier, sql: nil, body: body, foreignKeyChecks: foreignKeyChecks))
    }

    private mutating func append(_ migration: AppMigration) {
        precondition(!migration.identifier.isEmpty, "an app migration needs an identifier")
        precondition(!steps.contains { $0.identifier == migration.identifier }, "app migration \(migration.identifier) is registered twice in \(namespace)")
        steps.append(migration)
    }
}

/// One registered app migration.
struct AppMigration: Sendable {
    let identifier: String
    let sql: String?
    let body: (@Sendable (Connection) throws -> Void)?
    let foreignKeyChecks: ForeignKeyChecks

    /// `blake2b-256:<hex>` for SQL (as simvault's own), `closure` for code.
    var checksum: String {
        guard let sql else { return "closure" }
        return Migration(version: 0, name: identifier, sql: sql).checksum
    }

    func run(on db: Connection) throws {
        if let sql { try db.execute(sql) }
        if let body { try body(db) }
    }
}

/// One app migration, applied (with its time) or pending.
public struct AppMigrationStep: Sendable, Equatable, Codable {
    public let namespace: String
    public let identifier: String
    public let checksum: String
    /// Unix milliseconds; nil when pending.
    public let appliedAt: Int64?
}

/// Where one app namespace stands.
public struct AppMigrationStatus: Sendable, Equatable, Codable {
    public let namespace: String
    public let applied: [AppMigrationStep]
    /// Registered but not applied (empty when the app's migrations were
    /// not given, as in the CLI, which knows only what is recorded).
    public let pending: [AppMigrationStep]
}

/// The recorded history of app namespaces (`simvault_app_migrations`) and
/// its check against what an app registered.
enum AppMigrationHistory {
    static let table = "simvault_app_migrations"

    static func create(in db: Connection) throws {
        try db.execute("""
            CREATE TABLE IF NOT EXISTS \(table) (
                namespace  TEXT    NOT NULL,
                position   INTEGER NOT NULL CHECK (position >= 1),
                identifier TEXT    NOT NULL,
                checksum   TEXT    NOT NULL,
                applied_at INTEGER NOT NULL,
                PRIMARY KEY (namespace, position),
                UNIQUE (namespace, identifier)
            )
            """)
    }

    /// Every recorded step, by namespace then position.
    static func recorded(in db: Connection) throws -> [AppMigrationStep] {
        let exists: Bool = try db.scalar("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?", [table]) ?? false
        guard exists else { return [] }
        return try db.fetchAll("SELECT namespace, identifier, checksum, applied_at FROM \(table) ORDER BY namespace, position").map {
            AppMigrationStep(namespace: try $0.get(0), identifier: try $0.get(1), checksum: try $0.get(2), appliedAt: try $0.get(3))
        }
    }

    /// The status of `migrations`' namespace, or the reason its recorded
    /// history is refused: newer than the app (exit 14), or different from
    /// it (exit 12).
    static func status(of migrations: AppMigrations, in db: Connection) throws -> AppMigrationStatus {
        let applied = try recorded(in: db).filter { $0.namespace == migrations.namespace }
        let positions: [Int] = try db.tableExists(table)
            ? try db.fetchAll("SELECT position FROM \(table) WHERE namespace = ? ORDER BY position", [migrations.namespace]).map { try $0.get(0) }
            : []
        guard positions == Array(stride(from: 1, through: applied.count, by: 1)) else {
            throw VaultError.corrupt(detail: "the \(migrations.namespace) migration history has a gap (positions \(positions)); refusing to migrate. Restore a backup.")
        }
        for (index, record) in applied.enumerated() where index < migrations.steps.count {
            let registered = migrations.steps[index]
            guard record.identifier == registered.identifier, record.checksum == registered.checksum else {
                throw VaultError.corrupt(detail: "applied \(migrations.namespace) migration \(index + 1) (\(record.identifier)) differs from the app's (\(registered.identifier), checksum \(record.checksum == registered.checksum ? "equal" : "mismatch")): the history was altered or comes from a different build of the app. Restore a backup or use the matching app.")
            }
        }
        if applied.count > migrations.steps.count {
            throw VaultError.appSchemaNewer(namespace: migrations.namespace, unknown: applied.dropFirst(migrations.steps.count).map(\.identifier))
        }
        let pending = migrations.steps.dropFirst(applied.count).map {
            AppMigrationStep(namespace: migrations.namespace, identifier: $0.identifier, checksum: $0.checksum, appliedAt: nil)
        }
        return AppMigrationStatus(namespace: migrations.namespace, applied: applied, pending: pending)
    }

    /// Every namespace recorded, with no pending steps known.
    static func recordedStatuses(in db: Connection) throws -> [AppMigrationStatus] {
        let steps = try recorded(in: db)
        var order: [String] = []
        for step in steps where !order.contains(step.namespace) { order.append(step.namespace) }
        return order.map { namespace in
            AppMigrationStatus(namespace: namespace, applied: steps.filter { $0.namespace == namespace }, pending: [])
        }
    }

    static func record(_ migration: AppMigration, namespace: String, position: Int, at time: Int64, in db: Connection) throws {
        try db.execute(
            "INSERT INTO \(table) (namespace, position, identifier, checksum, applied_at) VALUES (?, ?, ?, ?, ?)",
            [namespace, position, migration.identifier, migration.checksum, time])
    }
}

extension Connection {
    func tableExists(_ name: String) throws -> Bool {
        try scalar("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?", [name]) ?? false
    }
}
