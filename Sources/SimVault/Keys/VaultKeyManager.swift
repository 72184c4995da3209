import Foundation
public import VaultKeys

/// Key slot management and master-key rotation for the vault at a location:
/// what `simvault key ...` and `simvault rekey` do, for apps that manage
/// keys themselves.
///
/// ```swift
/// let manager = VaultKeyManager(location: location)
/// let listing = try manager.listSlots(unlock: UnlockRequest())
/// let added = try manager.addPasswordSlot(password: newPassword, unlock: UnlockRequest())
/// let report = try manager.rekey(unlock: UnlockRequest(), options: RekeyOptions(passwords: [newPassword]))
/// ```
///
/// Every change takes the vault's ``KeyLock`` first, so two processes never
/// change keys at once, and finishes or rolls back a rotation left by an
/// interrupted `rekey` before doing anything else. Slot changes rewrite only
/// the key header (atomically, scrubbing the superseded file) and the
/// keyring; ``rekey(unlock:options:)`` also re-encrypts the database and
/// needs it to itself.
///
/// The vault must not be open in this process while a key changes: close
/// any ``Vault`` first (`rekey` would otherwise find it busy).
public struct VaultKeyManager: Sendable {
    /// The vault whose keys are managed.
    public let location: VaultLocation
    /// The Secret Service client used to store and remove keyring items.
    public var keyring: SecretServiceKeyring
    /// Connection settings and the access-log actor.
    public var configuration: VaultConfiguration
    /// How long to wait, in seconds, when another process holds the key lock
    /// (or, for `rekey`, has the database open). 0 fails at once with
    /// ``VaultError/busy(detail:)``.
    public var wait: Double

    /// A manager for the vault at `location`. Nothing is read until a
    /// method is called.
    public init(
        location: VaultLocation, keyring: SecretServiceKeyring = SecretServiceKeyring(),
        configuration: VaultConfiguration = VaultConfiguration(), wait: Double = 0
    ) {
        self.location = location
        self.keyring = keyring
        self.configuration = configuration
        self.wait = wait
    }

    // MARK: - Listing

    /// The slots, with their last use when `unlock` opens the vault.
    ///
    /// Needs no key: without one (or with `unlock` nil) the last-used times
    /// are missing and ``KeySlotListing/lastUseUnavailable`` says why. The
    /// keyring item is looked at only when `unlock` uses the keyring.
    ///
    /// - Throws: ``VaultError`` — `.notFound`, `.headerMissing`, `.corrupt`,
    ///   `.headerNewer`, and the unlock errors other than `.noKeySource`
    ///   (a wrong password is reported, not hidden).
    public func listSlots(unlock: UnlockRequest?) throws -> KeySlotListing {
        _ = try RestoreJournal.recover(location)
        var header = try EncryptedDatabase.loadHeader(location)
        var uses: [Int: Int64] = [:]
        var unavailable: String? = "no key source was tried"
        if let unlock {
            do {
                let database = try EncryptedDatabase.open(at: location, unlock: unlock, configuration: configuration)
                defer { database.close() }
                // The header the key authenticated, not the one read before.
                header = database.header
                let slots = database.header.slots
                // Kept in `vault_meta`: an app database has no such record.
                if database.kind == .vault {
                    uses = try database.read { db in try KeySlotUsage.lastUse(of: slots, in: db) }
                }
                unavailable = nil
            } catch VaultError.noKeySource(let reasons) {
                unavailable = "the vault could not be opened: " + reasons.joined(separator: "; ")
            }
        }
        return KeySlotListing(
            path: location.path, vaultID: header.vaultID, keyID: header.keyID,
            slots: header.slots.map { KeySlotSummary($0, lastUsedAt: uses[$0.id]) },
            keyringItem: header.slots(ofKind: .keyring).isEmpty ? nil
                : unlock?.usesKeyring == true ? keyringItemState(header: header) : "not checked (keyring not used)",
            pendingRotation: header.rotation.map { KeySlotListing.PendingRotation(keyID: $0.keyID, startedAt: $0.startedAt) },
            lastUseUnavailable: unavailable)
    }

    /// "present", or why the keyring item of the current key cannot be used.
    private func keyringItemState(header: KeyHeader) -> String {
        switch currentKeyringItem(header: header) {
        case .success: return "present"
        case .failure(let problem): return problem.reason
        }
    }

    /// Whether the keyring holds an item with the header's current key.
    func currentKeyringItem(header: KeyHeader) -> Result<Void, KeyringProblem> {
        let items: [SecretServiceKeyring.Item]
        do { items = try keyring.items(forVault: header.vaultID) } catch { return .failure(KeyringProblem(error.reason)) }
        if items.isEmpty { return .failure(KeyringProblem(KeyringFailure.noItem(vaultID: header.vaultID).reason)) }
        if items.allSatisfy(\.isLocked) { return .failure(KeyringProblem(KeyringFailure.locked.reason)) }
        if items.contains(where: { $0.key.map(header.accepts) ?? false }) { return .success(()) }
        return .failure(KeyringProblem("keyring item holds a key that does not match this vault"))
    }

    /// A reason the keyring item cannot be used.
    struct KeyringProblem: Error {
        let reason: String
        init(_ reason: String) { self.reason = reason }
    }

    // MARK: - Key change sessions

    /// A key change in progress: the lock is held and the header was read
    /// under it (and, once ``authenticateAndRepair(in:unlock:known:)`` ran,
    /// authenticated with the keys in ``unlocked``).
    struct KeyChange {
        let lock: KeyLock
        let file: KeyHeaderFile
        var header: KeyHeader
        /// The keys that authenticated ``header``, with their sources.
        var unlocked: UnlockResult?
        /// A rotation that was finished or rolled back on the way in.
        var repaired: RotationRepair?
        /// The format of an old header upgraded on the way in.
        var upgradedFromVersion: Int?
        /// Orphaned keyring items removed on the way in.
        var removedKeyringItems = 0
        /// Leftover header copies scrubbed on the way in.
        var scrubbedFiles = 0
    }

    /// Takes the key lock (waiting up to `deadline`), scrubs what earlier
    /// interrupted header writes left, and reads the header.
    func beginKeyChange(deadline: Date, onWait: () -> Void = {}) throws -> KeyChange {
        // Settle an interrupted restore (it needs the key lock too), and
        // report a missing vault or header before creating a lock file.
        _ = try RestoreJournal.recover(location)
        _ = try EncryptedDatabase.loadHeader(location)
        let lock = try Self.acquireLock(for: location, wait: deadline.timeIntervalSinceNow, onWait: onWait)
        let file = KeyHeaderFile(path: location.headerPath)
        let scrubbed = file.scrubLeftovers()
        var change = KeyChange(lock: lock, file: file, header: try EncryptedDatabase.loadHeader(location))
        change.scrubbedFiles = scrubbed
        return change
    }

    /// Takes the lock that serialises key changes and restores of the vault
    /// at `location` (``KeyLock``), waiting at most `wait` seconds.
    ///
    /// - Throws: ``VaultError/busy(detail:)`` while another process holds it.
    static func acquireLock(for location: VaultLocation, wait: Double = 0, onWait: () -> Void = {}) throws -> KeyLock {
        do {
            return try KeyLock.acquire(vaultPath: location.path, wait: wait, onWait: onWait)
        } catch .held(let path) {
            throw VaultError.busy(detail: "another simvault process is changing this vault's keys or restoring it (it holds the lock \(path))")
        } catch .unusable(let path, let detail) {
            throw VaultError.io(detail: "cannot lock \(path): \(detail)")
        }
    }

    /// Writes `header`, authenticated with `keys`, in place of the current
    /// one (atomically, scrubbing the old file) and makes it the session's
    /// header.
    func replaceHeader(_ header: KeyHeader, keys: HeaderKeys, in change: inout KeyChange) throws {
        do { change.header = try change.file.replace(with: header, authenticatedWith: keys) } catch { throw VaultError(error) }
    }

    /// Records `event` in the access log with `key` (and the database's
    /// `cipher` settings, by default the header's for that key), on a
    /// connection of its own, and `header` as the last header written
    /// (``DatabaseHeaderRecord``: after the header file, in the same
    /// transaction as the log row). Returns a warning instead of throwing: by
    /// the time it runs the change itself is already durable.
    func recordEvent(
        _ event: AccessEvent, key: MasterKey, header: KeyHeader, cipher: CipherSettings? = nil, extra: (Connection) throws -> Void = { _ in }
    ) -> String? {
        do {
            let connection = try EncryptedDatabase.openConnection(
                location: location, key: key,
                options: configuration.connectionOptions(readOnly: false, cipher: cipher ?? header.cipher(for: header.generation(of: key) ?? .current)))
            defer { connection.close() }
            // An app's own database keeps no simvault tables: no log, no record.
            guard try EncryptedDatabase.identify(connection, header: header, location: location) == .vault else { return nil }
            try connection.inTransaction(.immediate) {
                try extra(connection)
                try DatabaseHeaderRecord.store(header, in: connection)
                try AccessLog.record(event, actor: configuration.actor, in: connection)
            }
            return nil
        } catch {
            return "the change is done, but the access log entry \(event.action) could not be written: \(Self.describe(error))"
        }
    }

    static func describe(_ error: any Error) -> String {
        if let error = error as? VaultError { return error.errorDescription ?? "\(error)" }
        return String(describing: error)
    }

    /// The label of keyring items, as `init` writes it.
    func keyringLabel(vaultID: String) -> String { "simvault vault \(vaultID) (\(location.path))" }
}
