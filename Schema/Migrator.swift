/// Applies numbered migrations, one transaction each, and refuses any vault
/// whose history it cannot vouch for: newer than the binary, an applied
/// migration whose checksum changed, or a gap.
///
/// The state lives in two places that must agree: `PRAGMA user_version`
/// (cheap to read, also what SQLite tools show) and the `schema_migrations`
/// table (name, checksum, time of each step).
///
/// ```swift
/// let migrator = Migrator.simvault
/// let applied = try migrator.migrate(database)
/// ```
public struct Migrator: Sendable {
    /// The migrations, ordered by version.
    public let migrations: [Migration]

    /// simvault's schema history.
    public static let simvault = Migrator(migrations: SchemaHistory.all)

    /// - Precondition: versions are 1...N, in order, without duplicates.
    ///   A violation is a programming error in this binary, not bad input.
    public init(migrations: [Migration]) {
        for (index, migration) in migrations.enumerated() {
            precondition(migration.version == index + 1, "migration versions must be 1...N in order; found \(migration.version) at position \(index + 1)")
        }
        self.migrations = migrations
    }

    /// The version a fully migrated vault has.
    public var latestVersion: Int { migrations.last?.version ?? 0 }

    /// A migration that has been applied to a vault.
    public struct AppliedMigration: Sendable, Equatable {
        public let version: Int
        public let name: String
        public let checksum: String
        /// Unix milliseconds.
        public let appliedAt: Int64
    }

    /// Where a vault stands relative to this binary.
    public struct Status: Sendable {
        /// `PRAGMA user_version`.
        public let currentVersion: Int
        public let latestVersion: Int
        public let applied: [AppliedMigration]
        public let pending: [Migration]
        /// Why the vault must not be migrated (nil when it may).
        public let problem: MigrationError?
    }

    // MARK: - Reading state

    /// Reads the vault's migration state and checks it against this binary.
    public func status(of database: any SchemaDatabase) throws -> Status {
        let current = try userVersion(database)
        let applied = try appliedMigrations(database)
        let problem = check(currentVersion: current, applied: applied)
        let pending = problem == nil ? migrations.filter { $0.version > current } : []
        return Status(currentVersion: current, latestVersion: latestVersion, applied: applied, pending: pending, problem: problem)
    }

    /// Throws the reason the vault's history is unacceptable, if any.
    public func validate(_ database: any SchemaDatabase) throws {
        if let problem = try status(of: database).problem { throw problem }
    }

    private func check(currentVersion: Int, applied: [AppliedMigration]) -> MigrationError? {
        let highestApplied = applied.map(\.version).max() ?? 0
        if currentVersion > latestVersion || highestApplied > latestVersion {
            return .vaultNewer(vault: max(currentVersion, highestApplied), binary: latestVersion)
        }
        let versions = applied.map(\.version)
        if versions != Array(stride(from: 1, through: highestApplied, by: 1)) {
            let missing = Set(1...max(highestApplied, 1)).subtracting(versions).sorted()
            return .gap(detail: "applied versions \(versions), missing \(missing)")
        }
        if highestApplied != currentVersion {
            return .gap(detail: "user_version is \(currentVersion) but migrations up to \(highestApplied) are recorded")
        }
        for record in applied {
            let migration = migrations[record.version - 1]
            if record.checksum != migration.checksum || record.name != migration.name {
                return .checksumMismatch(version: record.version, name: record.name)
            }
        }
        return nil
    }

    private func userVersion(_ database: any SchemaDatabase) throws -> Int {
        Int(try database.query("PRAGMA user_version").first?.first?.integer ?? 0)
    }

    private func appliedMigrations(_ database: any SchemaDatabase) throws -> [AppliedMigration] {
        let exists = try database.query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'")
        guard !exists.isEmpty else { return [] }
        return try database.query("SELECT version, name, checksum, applied_at FROM schema_migrations ORDER BY version").map { row in
            AppliedMigration(
                version: Int(row[0].integer ?? -1), name: row[1].text ?? "", checksum: row[2].text ?? "",
                appliedAt: row[3].integer ?? 0)
        }
    }

    // MARK: - Migrating

    /// Applies pending migrations up to `target` (default: latest), each in
    /// its own transaction. Returns those applied.
    ///
    /// - Parameter dryRun: apply everything inside one transaction that is
    ///   rolled back, proving the migrations apply without changing the vault.
    /// - Parameter now: the clock for `applied_at`, in unix milliseconds.
    @discardableResult
    public func migrate(
        _ database: any SchemaDatabase, to target: Int? = nil, dryRun: Bool = false,
        now: () -> Int64
    ) throws -> [Migration] {
        let status = try status(of: database)
        if let problem = status.problem { throw problem }
        let goal = target ?? latestVersion
        guard goal >= status.currentVersion, goal <= latestVersion else {
            throw MigrationError.invalidTarget(target: goal, current: status.currentVersion, latest: latestVersion)
        }
        let steps = status.pending.filter { $0.version <= goal }
        if dryRun {
            // One transaction for all: the keys are off for all of them when
            // any one needs it (the mode cannot change inside a transaction);
            // each deferred step is still checked before the next.
            try ForeignKeyChecks.withKeysOff(steps.contains { $0.foreignKeyChecks == .deferred }, on: database) {
                try database.inRolledBackTransaction {
                    for migration in steps { try apply(migration, to: database, at: now()) }
                }
            }
        } else {
            for migration in steps {
                try ForeignKeyChecks.withKeysOff(migration.foreignKeyChecks == .deferred, on: database) {
                    try database.inTransaction { try apply(migration, to: database, at: now()) }
                }
            }
        }
        return steps
    }

    /// Runs one migration and records it, in the caller's transaction (with
    /// the caller's foreign-key mode; see ``ForeignKeyChecks``).
    package func apply(_ migration: Migration, to database: any SchemaDatabase, at time: Int64) throws {
        do {
            try database.executeBatch(migration.sql)
            if migration.foreignKeyChecks == .deferred, let violations = try ForeignKeyChecks.violations(in: database) {
                throw MigrationError.foreignKeyViolation(version: migration.version, name: migration.name, detail: violations)
            }
            try database.execute(
                "INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (?, ?, ?, ?)",
                arguments: [.integer(Int64(migration.version)), .text(migration.name), .text(migration.checksum), .integer(time)])
            try database.executeBatch("PRAGMA user_version = \(migration.version)")
        } catch let error as MigrationError {
            throw error
        } catch {
            throw MigrationError.failed(version: migration.version, name: migration.name, detail: String(describing: error))
        }
    }
}
