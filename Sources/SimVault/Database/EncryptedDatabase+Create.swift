import Foundation
import Glibc
public import VaultKeys

/// A new encrypted database, and what the user must be told once.
public struct EncryptedDatabaseCreation: Sendable {
    /// The open, empty database.
    public let database: EncryptedDatabase
    /// The recovery code (`XXXXX-...`): show it once, never store it.
    public let recoveryCode: SecretBytes?
    /// Set when the keyring was asked for but could not be used.
    public let keyringFailure: KeyringFailure?
}

extension EncryptedDatabase {
    /// Creates an empty encrypted database for an app's own schema, with a
    /// fresh random master key and the key slots `options` asks for (as
    /// `simvault init` makes them: keyring, password, recovery code). The
    /// app then builds its tables with ``migrate(_:backupDirectory:)``.
    ///
    /// ```swift
    /// var options = VaultCreationOptions()
    /// options.password = password          // a fallback when the keyring is locked
    /// let made = try EncryptedDatabase.create(at: VaultLocation(path: path), options: options)
    /// ```
    ///
    /// Refuses to overwrite anything; on any failure everything made so far
    /// is removed, the keyring item included.
    ///
    /// - Throws: as ``Vault/create(at:options:)``.
    public static func create(at location: VaultLocation, options: VaultCreationOptions = VaultCreationOptions()) throws -> EncryptedDatabaseCreation {
        try create(at: location, options: options, verify: { _, _ in }, build: { _, _ in })
    }

    /// The one way simvault makes a keyed file (``Vault`` builds its schema
    /// with `build`): the database is built under a temporary name (0600
    /// before SQLite touches it: SQLite gives the WAL and SHM files the
    /// database's mode), closed with its WAL folded in, the header written
    /// with `O_EXCL`, and only then the file moved into place with
    /// `link(2)`, so an interrupted create leaves nothing at the final path.
    static func create(
        at location: VaultLocation, options: VaultCreationOptions,
        verify: (Connection, EncryptedDatabaseKind) throws -> Void,
        build: (Connection, KeyHeader) throws -> Void
    ) throws -> EncryptedDatabaseCreation {
        try VaultFiles.verifyAbsent(location)
        try EngineCheck.inspect().requireSupport(forCreating: options.cipher)
        let slots = try NewKeySlots.make(for: location, options: options)
        let masterKey = slots.masterKey, header = slots.header
        var cleanup = CreationCleanup(slots: slots)

        do {
            try Vault.createDirectory(location.directory)
            let staging = location.directory + "/.\((location.path as NSString).lastPathComponent).creating-\(UUID().uuidString.prefix(8))"
            cleanup.stagingPath = staging
            try buildFile(at: staging, masterKey: masterKey, header: header, configuration: options.configuration, build: build)

            let written: KeyHeader
            do {
                written = try KeyHeaderFile(path: location.headerPath).write(header, authenticatedWith: HeaderKeys(current: masterKey), creating: true)
            } catch {
                throw VaultError(error)
            }
            cleanup.wroteHeader = location.headerPath
            try Vault.moveIntoPlace(staging, location.path)
            cleanup.stagingPath = nil

            let database = try EncryptedDatabase(
                location: location, header: written,
                unlockResult: UnlockResult(masterKey: masterKey, source: .explicitKey, skipped: []),
                configuration: options.configuration, verify: verify)
            cleanup.finished = true
            return EncryptedDatabaseCreation(database: database, recoveryCode: slots.recoveryCode, keyringFailure: slots.keyringFailure)
        } catch {
            cleanup.undo(location: location)
            throw error
        }
    }

    private static func buildFile(
        at path: String, masterKey: MasterKey, header: KeyHeader, configuration: VaultConfiguration,
        build: (Connection, KeyHeader) throws -> Void
    ) throws {
        do {
            let fd = try PrivateFile.createExclusive(path)
            Glibc.close(fd)
        } catch {
            throw error.isDiskFull ? VaultError.diskFull(detail: error.description) : VaultError.io(detail: error.description)
        }
        var options = configuration.connectionOptions(readOnly: false, cipher: header.cipher)
        options.synchronous = "FULL"
        let connection: Connection
        do {
            connection = try Connection(path: path, key: masterKey, options: options)
        } catch let error as SQLiteError {
            throw VaultError.classify(error, path: path) ?? VaultFiles.untrustedFileError(in: VaultLocation(path: path))
                ?? VaultError.io(detail: "cannot create \(path): \(error.message)")
        }
        defer { connection.close() }
        try build(connection, header)
        do {
            // Fold the WAL into the file so the move takes everything.
            try connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        } catch let error as SQLiteError {
            throw VaultError.classify(error, path: path) ?? VaultError.io(detail: "cannot create \(path): \(error.message)")
        }
    }
}
