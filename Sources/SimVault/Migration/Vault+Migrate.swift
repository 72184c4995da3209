import Foundation
import VaultSchema

/// Where a database's schemas stand: simvault's (in a vault) and every
/// app namespace's.
public struct MigrationStatus: Sendable, Equatable, Codable {
    /// One migration, applied (with its time) or pending.
    public struct Step: Sendable, Equatable, Codable {
        public let version: Int
        public let name: String
        public let checksum: String
        /// Unix milliseconds; nil when pending.
        public let appliedAt: Int64?
    }

    /// What the file holds; for an app database the simvault fields are
    /// 0 and empty (it has no simvault schema).
    public let kind: EncryptedDatabaseKind
    /// The vault's version (`PRAGMA user_version`).
    public let currentVersion: Int
    /// The version this simvault migrates to.
    public let latestVersion: Int
    public let applied: [Step]
    public let pending: [Step]
    /// Every app namespace: those recorded in the file, and those whose
    /// migrations were given (with their pending steps).
    public let apps: [AppMigrationStatus]

    /// Whether nothing is pending.
    public var isCurrent: Bool { pending.isEmpty && apps.allSatisfy(\.pending.isEmpty) }
}

/// What ``EncryptedDatabase/migrate(_:to:backupDirectory:)`` or
/// ``EncryptedDatabase/checkMigration(_:to:)`` did.
public struct MigrationReport: Sendable, Equatable, Codable {
    public let fromVersion: Int
    /// The version after migrating (for a dry run: the version it would have).
    public let toVersion: Int
    /// simvault's migrations applied (or that would be).
    public let steps: [MigrationStatus.Step]
    /// The app migrations applied (or that would be), in order.
    public let appSteps: [AppMigrationStep]
    /// True for a dry run: nothing was changed.
    public let isDryRun: Bool
    /// The verified backup taken before migrating (nil when nothing was
    /// pending, and for a dry run).
    public let backup: VaultSnapshot?
}

/// Schema migrations of an open database: simvault's own (in a vault) and
/// the app's (``AppMigrations``).
///
/// The rules: migrations are append-only and compiled in; each runs in its
/// own transaction with foreign keys off and `PRAGMA foreign_key_check`
/// before commit (``ForeignKeyChecks``); before the first one touches the
/// file, a verified encrypted snapshot is taken (see ``VaultSnapshot``);
/// there are no down migrations (restore the snapshot to go back). The
/// order is fixed: simvault's pending migrations first, then each app
/// namespace's in the order given, each namespace's in registration order.
/// A vault newer than this simvault, or whose recorded history differs
/// from this binary's (a changed checksum, a gap), is refused when it is
/// opened; an app history newer than or different from the app's is
/// refused when the app migrates.
///
/// Opening never migrates. The typed stores refuse to work on a vault with
/// pending migrations (``VaultError/schemaOutdated(vault:binary:)``), so an
/// app calls ``EncryptedDatabase/migrate(_:to:backupDirectory:)`` right
/// after opening, and the CLI asks the user to run `simvault migrate`.
extension EncryptedDatabase {
    /// The applied and pending migrations of simvault (in a vault) and of
    /// every app namespace recorded or given in `apps`.
    ///
    /// - Throws: ``VaultError/appSchemaNewer(namespace:unknown:)`` or
    ///   `.corrupt` when a given namespace's history is refused.
    public func migrationStatus(_ apps: AppMigrations...) throws -> MigrationStatus {
        try migrationStatus(of: apps)
    }

    func migrationStatus(of apps: [AppMigrations]) throws -> MigrationStatus {
        try read { db in
            var current = 0, latest = 0
            var applied: [MigrationStatus.Step] = [], pending: [MigrationStatus.Step] = []
            if kind == .vault {
                let status = try Migrator.simvault.status(of: ConnectionSchemaDatabase(connection: db))
                if let problem = status.problem { throw VaultError(problem) }
                current = status.currentVersion
                latest = status.latestVersion
                applied = status.applied.map {
                    MigrationStatus.Step(version: $0.version, name: $0.name, checksum: $0.checksum, appliedAt: $0.appliedAt)
                }
                pending = status.pending.map(MigrationStatus.Step.init(pending:))
            }
            var namespaces = try apps.map { try AppMigrationHistory.status(of: $0, in: db) }
            namespaces += try AppMigrationHistory.recordedStatuses(in: db).filter { recorded in
                !namespaces.contains { $0.namespace == recorded.namespace }
            }
            return MigrationStatus(
                kind: kind, currentVersion: current, latestVersion: latest, applied: applied, pending: pending, apps: namespaces)
        }
    }

    /// Applies the pending migrations (simvault's up to `target`, default
    /// all, then the apps'), after taking a verified backup. A no-op,
    /// without a backup, when nothing is pending.
    ///
    /// ```swift
    /// let report = try database.migrate(notesMigrations)
    /// if let backup = report.backup { print("backed up to \(backup.path)") }
    /// ```
    ///
    /// - Parameter target: a simvault schema version (vaults only).
    /// - Parameter backupDirectory: where the backup goes (default:
    ///   `<file>.backups/` beside the database).
    /// - Throws: ``VaultError/invalidArgument(detail:)`` for a target below
    ///   the current version or above the latest;
    ///   ``VaultError/migrationFailed(detail:version:backupPath:)`` when a
    ///   migration fails or leaves a dangling foreign key (earlier ones stay
    ///   committed); ``VaultError/appSchemaNewer(namespace:unknown:)``;
    ///   ``VaultError/corrupt(detail:)`` when a history was altered or the
    ///   backup fails verification (nothing was migrated).
    @discardableResult
    public func migrate(_ apps: AppMigrations..., to target: Int? = nil, backupDirectory: String? = nil) throws -> MigrationReport {
        try runMigrations(apps, to: target, backupDirectory: backupDirectory, dryRun: false)
    }

    /// Proves that the pending migrations apply, without changing the
    /// file: they run in one transaction that is rolled back.
    ///
    /// - Throws: as ``migrate(_:to:backupDirectory:)``.
    public func checkMigration(_ apps: AppMigrations..., to target: Int? = nil) throws -> MigrationReport {
        try runMigrations(apps, to: target, backupDirectory: nil, dryRun: true)
    }

    func runMigrations(_ apps: [AppMigrations], to target: Int?, backupDirectory: String?, dryRun: Bool) throws -> MigrationReport {
        try runMigrations(apps, to: target, dryRun: dryRun) { version in
            guard !dryRun else { return nil }
            var location = VaultSnapshot.automaticLocation(for: self.location, schemaVersion: version, label: "pre-migrate")
            if let backupDirectory {
                location = VaultLocation(path: backupDirectory + "/" + (location.path as NSString).lastPathComponent)
            }
            return location
        }
    }

    private func runMigrations(
        _ apps: [AppMigrations], to target: Int?, dryRun: Bool, backupLocation: @escaping (Int) -> VaultLocation?
    ) throws -> MigrationReport {
        precondition(Set(apps.map(\.namespace)).count == apps.count, "each app namespace may be given once")
        let migrator = Migrator.simvault
        return try writeWithoutTransaction { db in
            let schema = ConnectionSchemaDatabase(connection: db)
            var from = 0, goal = 0, steps: [Migration] = []
            if kind == .vault {
                let status = try migrator.status(of: schema)
                if let problem = status.problem { throw VaultError(problem) }
                from = status.currentVersion
                goal = target ?? migrator.latestVersion
                guard goal >= status.currentVersion, goal <= migrator.latestVersion else {
                    throw VaultError(MigrationError.invalidTarget(target: goal, current: status.currentVersion, latest: migrator.latestVersion))
                }
                steps = status.pending.filter { $0.version <= goal }
            } else if target != nil {
                throw VaultError.invalidArgument(detail: "this is an app database: it has no simvault schema version to migrate to")
            }
            let plans = try apps.map { app in (app, try AppMigrationHistory.status(of: app, in: db).applied.count) }
            let appSteps = plans.flatMap { app, done in
                app.steps.dropFirst(done).map { AppMigrationStep(namespace: app.namespace, identifier: $0.identifier, checksum: $0.checksum, appliedAt: nil) }
            }
            let report = { (backup: VaultSnapshot?) in
                MigrationReport(
                    fromVersion: from, toVersion: steps.isEmpty ? from : goal, steps: steps.map(MigrationStatus.Step.init(pending:)),
                    appSteps: appSteps, isDryRun: dryRun, backup: backup)
            }
            guard !steps.isEmpty || !appSteps.isEmpty else { return report(nil) }
            // A file without a single schema object (just made by `create`)
            // has nothing a backup could keep.
            let isEmpty = (try db.scalar("SELECT count(*) FROM sqlite_master", as: Int.self) ?? 0) == 0
            let backup = isEmpty ? nil
                : try backupLocation(try db.scalar("PRAGMA user_version") ?? 0).map { try VaultSnapshot.take(of: self, writer: db, to: $0) }
            let runner = MigrationRunner(
                connection: db, ownership: try SchemaOwnership(kind: kind, in: db), isVault: kind == .vault, now: Clock.nowMilliseconds)
            do {
                if dryRun {
                    try runner.rehearse(steps, plans)
                } else {
                    for migration in steps { try runner.apply(migration) }
                    for (app, done) in plans {
                        for (index, step) in app.steps.enumerated().dropFirst(done) {
                            try runner.apply(step, namespace: app.namespace, position: index + 1)
                        }
                    }
                }
            } catch let error as MigrationError {
                let reached: Int = (try? db.scalar("PRAGMA user_version")) ?? from
                throw VaultError.migrationFailed(detail: error.description, version: reached, backupPath: backup?.path)
            }
            if !dryRun, kind == .vault {
                var detail = ["from": String(from), "to": String(steps.isEmpty ? from : goal)]
                detail["backup"] = backup?.path
                if !appSteps.isEmpty { detail["app_migrations"] = appSteps.map { "\($0.namespace)/\($0.identifier)" }.joined(separator: ",") }
                try db.inTransaction(.immediate) {
                    try AccessLog.record(AccessEvent(action: "schema.migrate", resource: header.vaultID, detail: detail), actor: configuration.actor, in: db)
                }
            }
            return report(backup)
        }
    }
}

/// Schema migrations of an open vault: simvault's own and, when given, the
/// app's. See ``EncryptedDatabase``'s migration methods, which these call.
extension Vault {
    /// The vault's applied and pending migrations (simvault's, and every
    /// app namespace recorded or given).
    public func migrationStatus(_ apps: AppMigrations...) throws -> MigrationStatus {
        try database.migrationStatus(of: apps)
    }

    /// Applies simvault's pending migrations up to `target` (default: all),
    /// then the apps', after taking a verified backup. A no-op, without a
    /// backup, when nothing is pending.
    ///
    /// ```swift
    /// let vault = try Vault.open(at: location, unlock: UnlockRequest())
    /// let report = try vault.migrate()
    /// if let backup = report.backup { print("backed up to \(backup.path)") }
    /// ```
    ///
    /// - Throws: as ``EncryptedDatabase/migrate(_:to:backupDirectory:)``.
    @discardableResult
    public func migrate(_ apps: AppMigrations..., to target: Int? = nil, backupDirectory: String? = nil) throws -> MigrationReport {
        try database.runMigrations(apps, to: target, backupDirectory: backupDirectory, dryRun: false)
    }

    /// Proves that the pending migrations apply, without changing the
    /// vault: they run in one transaction that is rolled back.
    public func checkMigration(_ apps: AppMigrations..., to target: Int? = nil) throws -> MigrationReport {
        try database.runMigrations(apps, to: target, backupDirectory: nil, dryRun: true)
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
        case .failed(let version, _, _), .foreignKeyViolation(let version, _, _):
            self = .migrationFailed(detail: problem.description, version: version - 1, backupPath: nil)
        }
    }
}
