import Foundation
public import VaultKeys

/// How ``VaultKeyManager/rekey(unlock:options:)`` treats the slots that
/// need a secret, and how it reports.
public struct RekeyOptions: Sendable {
    /// Passwords to re-wrap password slots with: each password slot is
    /// re-wrapped with the first of these that opens it.
    public var passwords: [SecretBytes]
    /// Asked for the password of each password slot none of ``passwords``
    /// opens (a CLI prompts here). Return nil when there is none. A password
    /// that does not open the slot fails the rekey with `.wrongKey` before
    /// anything is changed.
    public var passwordForSlot: (@Sendable (KeySlotSummary) throws -> SecretBytes?)?
    /// Drop the password slots whose password is not given instead of
    /// failing. Each dropped slot is listed in ``RekeyReport/droppedSlots``.
    public var dropsPasswordSlotsWithoutPassword: Bool
    /// Called as the rekey advances, from the calling thread and (during
    /// re-encryption) from a monitoring thread.
    public var progress: (@Sendable (RekeyProgress) -> Void)?
    /// Move the database to these SQLCipher compatibility settings (3 or 4)
    /// with the new key; nil keeps the current ones. A change is made by
    /// copying the database into a new file (crash-safe like every rekey)
    /// and needs an engine that writes the target settings (4: SQLCipher 4).
    public var cipherCompatibility: Int?

    /// Options with the given passwords and callbacks; by default a rekey
    /// fails when a password slot's password is missing.
    public init(
        passwords: [SecretBytes] = [], passwordForSlot: (@Sendable (KeySlotSummary) throws -> SecretBytes?)? = nil,
        dropsPasswordSlotsWithoutPassword: Bool = false, progress: (@Sendable (RekeyProgress) -> Void)? = nil
    ) {
        self.passwords = passwords
        self.passwordForSlot = passwordForSlot
        self.dropsPasswordSlotsWithoutPassword = dropsPasswordSlotsWithoutPassword
        self.progress = progress
    }
}

/// The stages of a rekey, in order.
public enum RekeyProgress: Sendable, Equatable {
    /// Another process holds the key lock or has the vault open; waiting.
    case waitingForOtherProcesses
    /// Re-wrapping slots for the new key (one Argon2id run per password).
    case wrappingSlots
    /// Re-encrypting: `pages` of `pageCount` written under the new key.
    case reencrypting(pages: Int, pageCount: Int)
    /// Reading every page with the new key and checking the old key fails.
    case verifying
    /// Making the new key current in the header and the keyring.
    case finishing
}

/// What a successful rekey did.
public struct RekeyReport: Sendable {
    /// Identifier of the replaced master key.
    public let previousKeyID: String
    /// Identifier of the new master key.
    public let keyID: String
    /// The cipher settings before the rekey.
    public let previousCipher: CipherSettings
    /// The cipher settings now (they differ only with
    /// ``RekeyOptions/cipherCompatibility``).
    public let cipher: CipherSettings
    /// The slots that now hold the new key.
    public let slots: [KeySlotSummary]
    /// Password slots dropped because their password was not given.
    public let droppedSlots: [KeySlotSummary]
    /// Pages re-encrypted (every page of the database).
    public let pageCount: Int
    /// Size of the database file.
    public let databaseBytes: Int64
    /// Seconds spent re-encrypting and syncing the pages.
    public let reencryptionSeconds: Double
    /// A rotation left by an earlier interrupted rekey that was resolved
    /// first.
    public let repairedRotation: RotationRepair?
    /// Things that did not complete but leave the vault consistent (for
    /// example the old keyring item could not be removed).
    public let warnings: [String]
}
