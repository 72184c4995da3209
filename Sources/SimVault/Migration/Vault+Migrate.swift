import Foundation
import VaultSchema

/// Where a vault's schema stands relative to this simvault.
public struct MigrationStatus: Sendable, Equatable, Codable {
    /// One migration, applied (with its time) or pending.
    public struct Step: Sendable, Equatable, Codable {
        public let version: Int
        public let name: String
        public let checksum: String
        /// Unix milliseconds; nil when pending.
        public let appliedAt: Int64?
    }

    /// The vault's version (`PRAGMA user_version`).
    public let currentVersion: Int
    /// The version this simvault migrates to.
    public let latestVersion: Int
    public let applied: [Step]
    public let pending: [Step]

    /// Whether nothing is pending.
    public var isCurrent: Bool { pending.isEmpty }
}

/// What ``Vault/migrate(to:backupDirectory:)`` or
/// ``Vault/checkMigration(to:)`` did.
public struct MigrationReport: Sendable, Equatable, Codable {
    public let fromVersion: Int
    /// The version after migrating (for a dry run: the version it would have).
    public let toVersion: Int
    /// The migrations applied (or that would be).
    public let steps: [MigrationStatus.Step]
    /// True for a dry run: nothing was changed.
    public let isDryRun: Bool
    /// The verified backup taken before migrating (nil when nothing was
    /// pending, and for a dry run).
    public let backup: VaultSnapshot?
}

/// Schema migrations of an open vault.
///
/// The rules: migrations are numbered, append-only and compiled in; each
/// runs in its own transaction; before the first one touches an existing
/// vault, a verified encrypted snapshot is taken (see ``VaultSnapshot``);
/// there are no down migrations (restore the snapshot to go back). A vault
/// newer than this simvault, or whose recorded history differs from this
/// binary's (a changed checksum, a gap), is refused when it is opened.
///
/// Opening never migrates. The typed stores refuse to work on a vault with
/// pending migrations (``VaultError/schemaOutdated(vault:binary:)``), so an
/// app calls ``migrate(to:backupDirectory:)`` right after opening, and the
/// CLI asks the user to run `simvault migrate`.
extension Vault {
    /// The vault's applied and pending migrations.
    public func migrationStatus() throws -> MigrationStatus {
        try read { db in
            let status = try Migrator.simvault.status(of: ConnectionSchemaDatabase(connection: db))
            if let problem = status.problem { throw VaultError(problem) }
            return MigrationStatus(
                currentVersion: status.currentVersion, latestVersion: status.latestVersion,
                applied: status.applied.map {
                    MigrationStatus.Step(version: $0.version, name: $0.name, checksum: $0.checksum, appliedAt: $0.appliedAt)
                },
                pending: status.pending.map(MigrationStatus.Step.init(pending:)))
        }
    }

    /// Applies the pending migrations up to `target` (default: all), after
    /// taking a verified backup. A no-op, without a backup, when nothing is
    /// pending.
    ///
    /// ```swift
    /// let vault = try Vault.open(at: location, unlock: UnlockRequest())
    /// let report = try vault.migrate()
    /// if let backup = report.backup { print("backed up to \(backup.path)") }
    /// ```
    ///
    /// - Parameter backupDirectory: where the backup goes (default:
    ///   `<vault>.backups/` beside the vault).
    /// - Throws: ``VaultError/invalidArgument(detail:)`` for a target below
    ///   the current version or above the latest;
    ///   ``VaultError/migrationFailed(detail:version:backupPath:)`` when a
    ///   migration fails (earlier ones stay committed);
    ///   ``VaultError/corrupt(detail:)`` when the backup fails verification
    ///   (nothing was migrated).
    @discardableResult
    public func migrate(to target: Int? = nil, backupDirectory: String? = nil) throws -> MigrationReport {
        try runMigrations(to: target, dryRun: false) { version in
            var location = VaultSnapshot.automaticLocation(for: self.location, schemaVersion: version, label: "pre-migrate")
            if let backupDirectory {
                location = VaultLocation(path: backupDirectory + "/" + (location.path as NSString).lastPathComponent)
            }
            return location
        }
    }

    /// Proves that the pending migrations up to `target` apply, without
    /// changing the vault: they run in one transaction that is rolled back.
    ///
    /// - Throws: as ``migrate(to:backupDirectory:)``.
    public func checkMigration(to target: Int? = nil) throws -> MigrationReport {
        try runMigrations(to: target, dryRun: true) { _ in nil }
    }

    private func runMigrations(
        to target: Int?, dryRun: Bool, backupLocation: @escaping (Int) -> VaultLocation?
    ) throws -> MigrationReport {
        let migrator = Migrator.simvault
        return try writeWithoutTransaction { db in
            let schema = ConnectionSchemaDatabase(connection: db)
            let status = try migrator.status(of: schema)
            if let problem = status.problem { throw VaultError(problem) }
            let goal = target ?? migrator.latestVersion
            guard goal >= status.currentVersion, goal <= migrator.latestVersion else {
                throw VaultError(MigrationError.invalidTarget(target: goal, current: status.currentVersion, latest: migrator.latestVersion))
            }
            let steps = status.pending.filter { $0.version <= goal }
            guard !steps.isEmpty else {
                return MigrationReport(fromVersion: status.currentVersion, toVersion: status.currentVersion, steps: [], isDryRun: dryRun, backup: nil)
            }
            let backup = try backupLocation(status.currentVersion).map { try VaultSnapshot.take(of: self, writer: db, to: $0) }
            do {
                try migrator.migrate(schema, to: goal, dryRun: dryRun, now: Clock.nowMilliseconds)
            } catch let error as MigrationError {
                let reached: Int = (try? db.scalar("PRAGMA user_version")) ?? status.currentVersion
                throw VaultError.migrationFailed(detail: error.description, version: reached, backupPath: backup?.path)
            }
            if !dryRun {
                var detail = ["from": String(status.currentVersion), "to": String(goal)]
                detail["backup"] = backup?.path
                try db.inTransaction(.immediate) {
                    try AccessLog.record(AccessEvent(action: "schema.migrate", resource: vaultID, detail: detail), actor: configuration.actor, in: db)
                }
            }
            return MigrationReport(
                fromVersion: status.currentVersion, toVersion: goal, steps: steps.map(MigrationStatus.Step.init(pending:)),
                isDryRun: dryRun, backup: backup)
        }
    }
}

extension MigrationStatus.Step {
    init(pending migration: Migration) {
        self.init(version: migration.version, name: migration.name, checksum: migration.checksum, appliedAt: nil)
    }
}

extension VaultError {
    /// Why the migrator refuses a vault, as the public error: newer than this
    /// simvault (exit 14), altered history (exit 12), impossible target
    /// (usage), a failed step.
    init(_ problem: MigrationError) {
        switch problem {
        case .vaultNewer(let vault, let binary): self = .schemaNewer(vault: vault, binary: binary)
        case .checksumMismatch, .gap: self = .corrupt(detail: problem.description)
        case .invalidTarget: self = .invalidArgument(detail: problem.description)
        case .failed(let version, _, _): self = .migrationFailed(detail: problem.description, version: version - 1, backupPath: nil)
        }
    }
}
