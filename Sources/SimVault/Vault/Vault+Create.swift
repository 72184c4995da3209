import Foundation
import Glibc
public import VaultKeys
import VaultSchema

/// How `Vault.create` protects the new vault's master key.
public struct VaultCreationOptions: Sendable {
    /// Store the master key in the Secret Service (keyring slot).
    public var usesKeyring = true
    /// The Secret Service client.
    public var keyring = SecretServiceKeyring()
    /// A password for a password slot (none when nil).
    public var password: SecretBytes?
    /// Argon2id cost of the password slot.
    public var passwordKDF = PasswordKDF()
    /// Create a recovery slot and return its code (shown once).
    public var createsRecoveryCode = true
    /// The cipher settings of the new file, recorded in its key header.
    /// Compatibility 3 (the default) opens on SQLCipher 3.4 and 4.x alike;
    /// 4 needs SQLCipher 4 to create and to open.
    public var cipher = CipherSettings()
    /// Connection tuning of the returned vault.
    public var configuration = VaultConfiguration()
    /// Build the schema only up to this version (nil: the latest). Only the
    /// tests use it, to make vaults as an older simvault left them.
    package var schemaVersion: Int?

    public init() {}
}

/// A new vault, and what the user must be told once.
public struct VaultCreation: Sendable {
    /// The open vault.
    public let vault: Vault
    /// The recovery code (`XXXXX-...`): show it once, never store it.
    public let recoveryCode: SecretBytes?
    /// Set when the keyring was asked for but could not be used, so the
    /// vault is protected by its password slot only.
    public let keyringFailure: KeyringFailure?
}

extension Vault {
    /// Creates a vault at `location` with a fresh random master key.
    ///
    /// Refuses to overwrite anything. Slots: a keyring item (unless
    /// `usesKeyring` is false or the Secret Service is unavailable), a password
    /// slot when a password is given, a recovery slot. With neither a keyring
    /// slot nor a password slot it fails with `.noKeySource` and creates
    /// nothing. On any failure everything made so far is removed, including
    /// the keyring item.
    ///
    /// The database is built under a temporary name and moved into place only
    /// after the header is written, so an interrupted `init` leaves no
    /// half-made vault at the final path.
    ///
    /// - Throws: ``VaultError`` — `.alreadyExists`, `.noKeySource`, `.io`,
    ///   `.diskFull`, `.untrustedFile` (a link or another user's file under
    ///   one of the vault's names), `.invalidArgument` (cipher settings this
    ///   SQLCipher cannot write), `.engineUnsupported`.
    public static func create(at location: VaultLocation, options: VaultCreationOptions = VaultCreationOptions()) throws -> VaultCreation {
        let made = try EncryptedDatabase.create(at: location, options: options, verify: verifyVault) { connection, header in
            try buildSchema(on: connection, header: header, schemaVersion: options.schemaVersion, configuration: options.configuration)
        }
        return VaultCreation(vault: Vault(database: made.database), recoveryCode: made.recoveryCode, keyringFailure: made.keyringFailure)
    }

    /// Applies every migration and records the vault id (on the new
    /// file's connection, before it is moved into place).
    private static func buildSchema(
        on connection: Connection, header: KeyHeader, schemaVersion: Int?, configuration: VaultConfiguration
    ) throws {
        do {
            let applied = try Migrator.simvault.migrate(ConnectionSchemaDatabase(connection: connection), to: schemaVersion, now: Clock.nowMilliseconds)
            try connection.inTransaction(.immediate) {
                try VaultMeta.write(VaultMeta.vaultID, header.vaultID, in: connection)
                try VaultMeta.write(VaultMeta.createdAt, String(header.createdAt), in: connection)
                try VaultMeta.write(VaultMeta.createdBy, "simvault \(SimVaultVersion.current)", in: connection)
                // From its first page on, the vault requires an authenticated
                // header (see DatabaseHeaderRecord).
                try DatabaseHeaderRecord.store(header, in: connection)
                let slots = header.slots.map { "\($0.id):\($0.kind.rawValue)" }.joined(separator: ",")
                try AccessLog.record(
                    AccessEvent(action: "vault.init", resource: header.vaultID, detail: ["slots": slots, "schema_version": String(applied.last?.version ?? 0)]),
                    actor: configuration.actor, in: connection)
            }
        } catch let error as SQLiteError {
            throw VaultError.classify(error, path: connection.path) ?? VaultError.io(detail: "cannot create \(connection.path): \(error.message)")
        }
    }

    static func createDirectory(_ directory: String) throws {
        do { try PrivateFile.createDirectory(directory) } catch {
            throw VaultError.io(detail: "cannot create directory: \(error.description)")
        }
    }

    /// link+unlink instead of rename: fails if the target appeared meanwhile.
    static func moveIntoPlace(_ staging: String, _ final: String) throws {
        for suffix in ["-wal", "-shm"] { unlink(staging + suffix) }
        guard link(staging, final) == 0 else {
            let code = errno
            if code == EEXIST { throw VaultError.alreadyExists(path: final) }
            throw VaultError.io(detail: "cannot move the new database to \(final): \(String(cString: strerror(code)))")
        }
        unlink(staging)
        do { try PrivateFile.syncDirectory((final as NSString).deletingLastPathComponent.isEmpty ? "." : (final as NSString).deletingLastPathComponent) } catch {
            throw VaultError.io(detail: error.description)
        }
    }
}

/// What `create` has made so far, so a failure can remove exactly that.
struct CreationCleanup {
    let slots: NewKeySlots
    var stagingPath: String?
    var wroteHeader: String?
    var finished = false

    func undo(location: VaultLocation) {
        guard !finished else { return }
        if let stagingPath {
            for suffix in ["", "-wal", "-shm", "-journal"] { unlink(stagingPath + suffix) }
        }
        if let wroteHeader { unlink(wroteHeader) }
        slots.removeKeyringItem()
    }
}

/// The master key and key header of a new encrypted file, with its slots
/// made as `init` makes them: a keyring item (unless not wanted or the
/// Secret Service is unavailable), a password slot when a password is
/// given, a recovery slot. Used by ``Vault/create(at:options:)`` and by
/// `encrypt`.
struct NewKeySlots {
    let masterKey: MasterKey
    let header: KeyHeader
    let recoveryCode: SecretBytes?
    let keyringFailure: KeyringFailure?
    private let keyring: SecretServiceKeyring
    private let storedKeyringItem: Bool

    /// - Throws: ``VaultError/noKeySource(reasons:)`` when neither a keyring
    ///   slot nor a password slot could be made (then no keyring item is
    ///   left behind); errors of the password KDF.
    static func make(for location: VaultLocation, options: VaultCreationOptions) throws -> NewKeySlots {
        let masterKey = MasterKey.generate()
        let vaultID = UUID().uuidString.lowercased()
        var header = KeyHeader(vaultID: vaultID, masterKey: masterKey, cipher: options.cipher)
        var keyringFailure: KeyringFailure?
        var stored = false
        if options.usesKeyring {
            do {
                try options.keyring.store(masterKey, vaultID: vaultID, keyID: header.keyID, label: location.keyringItemLabel(vaultID: vaultID))
                stored = true
                header.slots.append(KeySlot(id: header.nextSlotID, material: .keyring(KeyringSlot(keyID: header.keyID))))
            } catch {
                keyringFailure = error
            }
        }
        do {
            if let password = options.password {
                let slotID = header.nextSlotID
                do {
                    let slot = try PasswordSlot.wrap(masterKey, password: password, vaultID: vaultID, slotID: slotID, kdf: options.passwordKDF)
                    header.slots.append(KeySlot(id: slotID, material: .password(slot)))
                } catch {
                    throw VaultError(error)
                }
            }
            guard !header.slots.isEmpty else {
                var reasons = [keyringFailure?.description ?? "the keyring was not used (--no-keyring)"]
                reasons.append("no password given")
                throw VaultError.noKeySource(reasons: reasons)
            }
        } catch {
            if stored { _ = try? options.keyring.remove(vaultID: vaultID) }
            throw error
        }
        var recoveryText: SecretBytes?
        if options.createsRecoveryCode {
            let code = RecoveryCode.generate()
            header.slots.append(KeySlot(id: header.nextSlotID, material: .recovery(RecoverySlot.seal(masterKey, for: code))))
            recoveryText = code.formatted()
        }
        return NewKeySlots(
            masterKey: masterKey, header: header, recoveryCode: recoveryText, keyringFailure: keyringFailure,
            keyring: options.keyring, storedKeyringItem: stored)
    }

    /// Removes the keyring item this made (when undoing a failed creation).
    func removeKeyringItem() {
        if storedKeyringItem { _ = try? keyring.remove(vaultID: header.vaultID) }
    }
}
