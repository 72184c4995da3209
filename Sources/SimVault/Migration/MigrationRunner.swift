import VaultSchema

/// Runs simvault's and an app's migrations on the writer, each in its own
/// transaction (or all in one rolled-back transaction for a dry run), with
/// the foreign-key mode each asks for and the authorizer that keeps each
/// side off the other's objects (``SchemaOwnership``).
struct MigrationRunner {
    let connection: Connection
    let ownership: SchemaOwnership
    let isVault: Bool
    let now: () -> Int64

    private var schema: ConnectionSchemaDatabase { ConnectionSchemaDatabase(connection: connection) }

    /// One of simvault's migrations, committed with its history row.
    func apply(_ migration: Migration) throws {
        try ForeignKeyChecks.withKeysOff(migration.foreignKeyChecks == .deferred, on: schema) {
            try schema.inTransaction { try applyInTransaction(migration) }
        }
    }

    /// One app migration, committed with its history row.
    func apply(_ step: AppMigration, namespace: String, position: Int) throws {
        try ForeignKeyChecks.withKeysOff(step.foreignKeyChecks == .deferred, on: schema) {
            try schema.inTransaction { try applyInTransaction(step, namespace: namespace, position: position) }
        }
    }

    /// Everything in one transaction that is rolled back: keys off for all
    /// when any one asks for it (the mode cannot change inside a
    /// transaction), each deferred step checked before the next.
    func rehearse(_ steps: [Migration], _ apps: [(AppMigrations, Int)]) throws {
        let anyDeferred = steps.contains { $0.foreignKeyChecks == .deferred }
            || apps.contains { app, done in app.steps.dropFirst(done).contains { $0.foreignKeyChecks == .deferred } }
        try ForeignKeyChecks.withKeysOff(anyDeferred, on: schema) {
            try schema.inRolledBackTransaction {
                for migration in steps { try applyInTransaction(migration) }
                for (app, done) in apps {
                    for (index, step) in app.steps.enumerated().dropFirst(done) {
                        try applyInTransaction(step, namespace: app.namespace, position: index + 1)
                    }
                }
            }
        }
    }

    private func applyInTransaction(_ migration: Migration) throws {
        try connection.withAuthorizer(ownership.allowsSimvault) {
            try Migrator.simvault.apply(migration, to: schema, at: now())
        }
    }

    private func applyInTransaction(_ step: AppMigration, namespace: String, position: Int) throws {
        let name = "\(namespace)/\(step.identifier)"
        do {
            try connection.withAuthorizer({ ownership.allowsApp($0, isVault: isVault) }) {
                try step.run(on: connection)
            }
            if step.foreignKeyChecks == .deferred, let violations = try ForeignKeyChecks.violations(in: schema) {
                throw MigrationError.foreignKeyViolation(version: position, name: name, detail: violations)
            }
            try AppMigrationHistory.create(in: connection)
            try AppMigrationHistory.record(step, namespace: namespace, position: position, at: now(), in: connection)
        } catch let error as MigrationError {
            throw error
        } catch {
            throw MigrationError.failed(version: position, name: name, detail: Self.describe(error))
        }
    }

    /// An authorizer refusal (SQLITE_AUTH: "not authorized", or "access
    /// to t.c is prohibited" for a read) says whose object it was.
    private static func describe(_ error: any Error) -> String {
        let text = (error as? VaultError)?.errorDescription ?? String(describing: error)
        guard let error = error as? SQLiteError, error.isAuthorizationDenied else { return text }
        return "not authorized: \(text) (an app migration may touch only the app's own tables: not simvault's, not simvault_app_migrations, and it may not run BEGIN/COMMIT, ATTACH or PRAGMAs that change keys, journal or foreign-key mode)"
    }
}
