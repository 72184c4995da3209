import Foundation
import Testing
@testable import SimVault
import VaultSchema
import VaultTestSupport

/// The migrator against real SQLCipher files: fresh, partial, newer,
/// tampered and gapped histories.
@Suite("migrator")
struct MigratorHistoryTests {
    private func database() throws -> (TemporaryDirectory, Connection) {
        let directory = try TemporaryDirectory("migrate")
        var options = Connection.Options()
        options.createsFile = true
        let connection = try Connection(path: directory.file("m.db"), key: MasterKey.generate(), options: options)
        return (directory, connection)
    }

    private let now: () -> Int64 = { 1_700_000_000_000 }

    @Test("a fresh database migrates to the latest version and records each step")
    func fresh() throws {
        let (directory, connection) = try database()
        defer { withExtendedLifetime(directory) {} }
        let adapter = ConnectionSchemaDatabase(connection: connection)
        let applied = try Migrator.simvault.migrate(adapter, now: now)
        #expect(applied.count == Migrator.simvault.latestVersion)
        let status = try Migrator.simvault.status(of: adapter)
        #expect(status.currentVersion == Migrator.simvault.latestVersion)
        #expect(status.pending.isEmpty && status.problem == nil)
        #expect(status.applied.map(\.checksum) == Migrator.simvault.migrations.map(\.checksum))
        #expect(try Migrator.simvault.migrate(adapter, now: now).isEmpty, "a second run applies nothing")
    }

    @Test("--to stops at a version; a dry run proves the rest applies and changes nothing")
    func partialAndDryRun() throws {
        let (directory, connection) = try database()
        defer { withExtendedLifetime(directory) {} }
        let adapter = ConnectionSchemaDatabase(connection: connection)
        try Migrator.simvault.migrate(adapter, to: 1, now: now)
        #expect(try Migrator.simvault.status(of: adapter).currentVersion == 1)
        let planned = try Migrator.simvault.migrate(adapter, dryRun: true, now: now)
        #expect(planned.map(\.version) == Array(2...Migrator.simvault.latestVersion))
        #expect(try Migrator.simvault.status(of: adapter).currentVersion == 1)
        #expect(try connection.scalar("SELECT count(*) FROM sqlite_master WHERE name = 'access_log'", as: Int.self) == 0)
        #expect(throws: MigrationError.invalidTarget(target: 0, current: 1, latest: Migrator.simvault.latestVersion)) {
            try Migrator.simvault.migrate(adapter, to: 0, now: now)
        }
    }

    @Test("a vault newer than the binary is refused")
    func newer() throws {
        let (directory, connection) = try database()
        defer { withExtendedLifetime(directory) {} }
        let adapter = ConnectionSchemaDatabase(connection: connection)
        try Migrator.simvault.migrate(adapter, now: now)
        let future = Migrator.simvault.latestVersion + 1
        try connection.execute("PRAGMA user_version = \(future)")
        #expect(throws: MigrationError.vaultNewer(vault: future, binary: Migrator.simvault.latestVersion)) {
            try Migrator.simvault.migrate(adapter, now: now)
        }
    }

    @Test("a changed checksum and a gap are refused")
    func tamperedHistory() throws {
        let (directory, connection) = try database()
        defer { withExtendedLifetime(directory) {} }
        let adapter = ConnectionSchemaDatabase(connection: connection)
        try Migrator.simvault.migrate(adapter, now: now)
        try connection.execute("UPDATE schema_migrations SET checksum = 'blake2b-256:00' WHERE version = 1")
        #expect(throws: MigrationError.checksumMismatch(version: 1, name: "create_vault_meta")) { try Migrator.simvault.validate(adapter) }
        try connection.execute("UPDATE schema_migrations SET checksum = ? WHERE version = 1", [Migrator.simvault.migrations[0].checksum])
        try Migrator.simvault.validate(adapter)
        try connection.execute("DELETE FROM schema_migrations WHERE version = 1")
        #expect { try Migrator.simvault.validate(adapter) } throws: {
            if case MigrationError.gap = $0 { return true } else { return false }
        }
    }

    @Test("a failing migration rolls back completely")
    func failureRollsBack() throws {
        let (directory, connection) = try database()
        defer { withExtendedLifetime(directory) {} }
        let adapter = ConnectionSchemaDatabase(connection: connection)
        let broken = Migrator(migrations: Migrator.simvault.migrations + [
            Migration(version: Migrator.simvault.latestVersion + 1, name: "broken", sql: "CREATE TABLE ok_part (x); CREATE TABLE (syntax error"),
        ])
        #expect { try broken.migrate(adapter, now: now) } throws: {
            if case MigrationError.failed(let version, _, _) = $0 { return version == Migrator.simvault.latestVersion + 1 }
            return false
        }
        #expect(try Migrator.simvault.status(of: adapter).currentVersion == Migrator.simvault.latestVersion)
        #expect(try connection.scalar("SELECT count(*) FROM sqlite_master WHERE name = 'ok_part'", as: Int.self) == 0)
    }
}
