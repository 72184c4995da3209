public import VaultKeys

/// A key slot as `simvault key list` shows it: never a secret, never a
/// wrapped key.
public struct KeySlotSummary: Sendable, Equatable, Codable {
    /// The slot id (what `key remove` and `key change-password` take).
    public let id: Int
    /// `keyring`, `password` or `recovery`.
    public let type: KeySlot.Kind
    /// Creation time, unix milliseconds.
    public let createdAt: Int64
    /// When the slot last opened the vault, unix milliseconds (to the hour);
    /// nil when never recorded or when the vault could not be opened to
    /// read it.
    public var lastUsedAt: Int64?
    /// How the slot holds the key, e.g. "Argon2id 64 MiB x3".
    public let detail: String

    enum CodingKeys: String, CodingKey {
        case id, type, detail
        case createdAt = "created_at"
        case lastUsedAt = "last_used_at"
    }

    /// Describes `slot`; `lastUsedAt` comes from the database, not the header.
    public init(_ slot: KeySlot, lastUsedAt: Int64? = nil) {
        id = slot.id
        type = slot.kind
        createdAt = slot.createdAt
        self.lastUsedAt = lastUsedAt
        switch slot.material {
        case .keyring(let keyring):
            detail = "Secret Service item \(keyring.schema), key-id \(keyring.keyID)"
        case .password(let password):
            detail = "Argon2id \(password.kdf.memLimit >> 20) MiB x\(password.kdf.opsLimit), \(password.cipher)"
        case .recovery(let recovery):
            detail = "sealed to the recovery code's public key (\(recovery.seal))"
        }
    }

    /// "slot 2 (password)".
    public var label: String { "slot \(id) (\(type.rawValue))" }
}

/// Everything `simvault key list` reports.
public struct KeySlotListing: Sendable, Codable {
    /// A rotation recorded in the header and not finished.
    public struct PendingRotation: Sendable, Codable, Equatable {
        /// Identifier of the pending key.
        public let keyID: String
        /// Unix milliseconds.
        public let startedAt: Int64

        enum CodingKeys: String, CodingKey {
            case keyID = "key_id"
            case startedAt = "started_at"
        }
    }

    /// The vault database.
    public let path: String
    /// The vault's UUID.
    public let vaultID: String
    /// Identifier of the current master key.
    public let keyID: String
    /// The slots, in header order.
    public let slots: [KeySlotSummary]
    /// The state of the keyring item when the vault has a keyring slot:
    /// "present", or why it cannot be used.
    public let keyringItem: String?
    /// Set when `rekey` was interrupted; `simvault health` finishes or rolls
    /// it back.
    public let pendingRotation: PendingRotation?
    /// Why the last-used times are missing (they are stored inside the
    /// encrypted database), nil when they were read.
    public let lastUseUnavailable: String?

    enum CodingKeys: String, CodingKey {
        case path, slots
        case vaultID = "vault_id"
        case keyID = "key_id"
        case keyringItem = "keyring_item"
        case pendingRotation = "pending_rotation"
        case lastUseUnavailable = "last_use_unavailable"
    }
}

/// The result of adding, removing or re-wrapping one slot.
public struct KeySlotChange: Sendable {
    /// The slot added, removed or changed.
    public let slot: KeySlotSummary
    /// A rotation left by an interrupted `rekey` that was finished or rolled
    /// back first (nil when none was pending).
    public let repairedRotation: RotationRepair?
    /// Things that did not go as planned but did not undo the change, e.g.
    /// an access-log row that could not be written.
    public let warnings: [String]
}
