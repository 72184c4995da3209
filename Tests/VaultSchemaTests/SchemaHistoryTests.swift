import Foundation
import SimVault
import Testing
import VaultSchema

/// simvault's schema history itself: frozen checksums, every migration valid
/// on SQLite 3.15, and refusals that involve more than one binary version.
/// (The migrator's mechanics on files: `MigratorHistoryTests`; whole vaults:
/// SimVaultTests and the CLI tests.)
@Suite("schema history")
struct SchemaHistoryTests {
    /// A fresh unencrypted in-memory database on the SQLCipher engine.
    private func database() throws -> ConnectionSchemaDatabase {
        var options = Connection.Options()
        options.usesWAL = false
        return ConnectionSchemaDatabase(connection: try Connection(path: ":memory:", key: nil, options: options))
    }

    private func tables(_ db: ConnectionSchemaDatabase) throws -> Set<String> {
        Set(try db.connection.fetchAll("SELECT name FROM sqlite_master WHERE type = 'table'").map { try $0.get(0, as: String.self) })
    }

    private static let clock: @Sendable () -> Int64 = { 1_700_000_000_000 }

    /// The checksum of every released migration. A migration that has
    /// shipped is history: editing it would make every existing vault fail
    /// its checksum check at open. Append new migrations instead.
    private static let releasedChecksums: [Int: String] = [
        1: "blake2b-256:f26107f3252d8262dcf66140da03687858a5b914329b42d80b64e538ca2bd403",
        2: "blake2b-256:da7190fb080c5815145fbefe150de6fa1220be998efb06f2a379bf92b01b8ebb",
        3: "blake2b-256:9c20f1486651be2ccd9db0440acb29910cf6f08c9df4bfef6da55a7789ce2fa3",
        4: "blake2b-256:70a8c9bf17f608365688723d94ef11ab17d605ca4313ef3699ea5fb71f9c3932",
        5: "blake2b-256:a6ab6260d8fab789c6027ba46664a0729b4e28ad85fe8de963c53e000917f106",
        6: "blake2b-256:6f2d7708ed0e6074cc1ccdfa7268c1f99a9170e73601c11b64290b0beea90a04",
        7: "blake2b-256:920033dfb29e920e77bccac34387d581172056ed47d1bd02afc9a887f7f92322",
        8: "blake2b-256:233bc02e5f7770f3daecb5f400112475aa49d14c70d2e088e202f370a2b203cc",
        9: "blake2b-256:7370cd9799f66fcbe5ef9ae061eb07bff7e657e7f4e47f6a327632e1e11005ac",
        10: "blake2b-256:9132cb325976957332eebf2aa31a87a7db80a38a01dc00dc3c4c35d28cb9f3f0",
        11: "blake2b-256:cf0011b16f94941ac8e02f469fed0261a7a2e91f770c3067f79e0a08e03ac9e7",
        12: "blake2b-256:6da6752e2d2a69f913d265a380dba921a388d00015cab64c40a5879eb3305ece",
        13: "blake2b-256:7730a560ecc30e25c6ba77e8293acfc1bb2019042ea42c78f6d547112b0ea39f",
    ]

    @Test("released migrations are never edited: their checksums are frozen")
    func releasedMigrationsAreFrozen() {
        for migration in SchemaHistory.all {
            guard let expected = Self.releasedChecksums[migration.version] else { continue }
            #expect(migration.checksum == expected, "migration \(migration.version) (\(migration.name)) was edited after release")
        }
        #expect(Set(Self.releasedChecksums.keys).isSubset(of: Set(SchemaHistory.all.map(\.version))), "a released migration was removed")
    }

    @Test("every migration applies in order on SQLite 3.15, with no foreign key violation and an intact FTS index")
    func everyMigrationApplies() throws {
        let db = try database()
        let applied = try Migrator.simvault.migrate(db, now: Self.clock)
        #expect(applied.map(\.version) == Array(1...Migrator.simvault.latestVersion))
        #expect(try db.connection.scalar("PRAGMA user_version", as: Int.self) == Migrator.simvault.latestVersion)
        #expect(try db.connection.fetchAll("PRAGMA foreign_key_check").isEmpty)
        let expected: Set<String> = [
            "schema_migrations", "vault_meta", "access_log", "users", "agents", "conversations", "messages", "messages_fts",
            "attachments", "workflows", "workflows_fts", "workflow_versions", "runs", "settings", "secret_keys", "secrets",
        ]
        #expect(expected.isSubset(of: try tables(db)))
        let recorded = try db.connection.fetchAll("SELECT version, checksum FROM schema_migrations ORDER BY version")
        #expect(try recorded.map { try $0.get(1, as: String.self) } == SchemaHistory.all.map(\.checksum))
        let status = try Migrator.simvault.status(of: db)
        #expect(status.problem == nil && status.pending.isEmpty)
        // FTS4's own consistency check of each index against its content table.
        try db.executeBatch("INSERT INTO messages_fts (messages_fts) VALUES ('integrity-check')")
        try db.executeBatch("INSERT INTO workflows_fts (workflows_fts) VALUES ('integrity-check')")
    }

    @Test("names are unique snake_case and versions count up from 1")
    func namesAndVersions() {
        let names = SchemaHistory.all.map(\.name)
        #expect(Set(names).count == names.count)
        for name in names { #expect(name.allSatisfy { $0.isLowercase || $0.isNumber || $0 == "_" }, "\(name)") }
        #expect(SchemaHistory.all.map(\.version) == Array(1...SchemaHistory.all.count))
    }

    @Test("a vault newer than the binary is refused with both versions")
    func newerVaultRefused() throws {
        let db = try database()
        try Migrator.simvault.migrate(db, now: Self.clock)
        let older = Migrator(migrations: Array(SchemaHistory.all.prefix(5)))
        let status = try older.status(of: db)
        #expect(status.problem == .vaultNewer(vault: Migrator.simvault.latestVersion, binary: 5))
        #expect(status.problem?.description.contains("version \(Migrator.simvault.latestVersion)") == true)
        #expect(throws: MigrationError.vaultNewer(vault: Migrator.simvault.latestVersion, binary: 5)) {
            try older.migrate(db, now: Self.clock)
        }
        // user_version alone above the binary is enough.
        let fresh = try database()
        try older.migrate(fresh, now: Self.clock)
        try fresh.executeBatch("PRAGMA user_version = 99")
        #expect(try older.status(of: fresh).problem == .vaultNewer(vault: 99, binary: 5))
    }

    @Test("a changed checksum in schema_migrations is refused, naming the migration")
    func tamperedChecksumRefused() throws {
        let db = try database()
        try Migrator.simvault.migrate(db, to: 6, now: Self.clock)
        try db.executeBatch("UPDATE schema_migrations SET checksum = 'blake2b-256:00' WHERE version = 4")
        #expect(try Migrator.simvault.status(of: db).problem == .checksumMismatch(version: 4, name: "create_agents"))
        #expect(throws: MigrationError.checksumMismatch(version: 4, name: "create_agents")) {
            try Migrator.simvault.migrate(db, now: Self.clock)
        }
        #expect(try db.connection.scalar("PRAGMA user_version", as: Int.self) == 6, "a refused vault must not be migrated")
    }

    @Test("a gap in the applied versions is refused", arguments: ["DELETE FROM schema_migrations WHERE version = 3", "PRAGMA user_version = 4"])
    func gapRefused(damage: String) throws {
        let db = try database()
        try Migrator.simvault.migrate(db, to: 5, now: Self.clock)
        try db.executeBatch(damage)
        guard case .gap? = try Migrator.simvault.status(of: db).problem else {
            Issue.record("expected a gap after \(damage)")
            return
        }
    }
}
