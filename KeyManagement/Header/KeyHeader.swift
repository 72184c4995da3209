public import Foundation

/// The key header `<vault>.keys`: a small JSON file beside the database that
/// holds everything needed to turn a password, keyring item or recovery code
/// into the master key, and to check that the key is the right one.
///
/// It holds no secret in plaintext: slots carry only wrapped or sealed keys,
/// and the key check value is a keyed hash. Two things protect the rest:
/// an unkeyed checksum over every field, which tells accidental damage
/// without a key (a flipped byte is "header damaged", never "wrong
/// password"), and, from format 3 on, a MAC under a key derived from the
/// master key (``HeaderMAC``), which tells a header written by a key holder
/// from one edited by anyone else who could write the file.
public struct KeyHeader: Codable, Sendable, Equatable {
    /// Value of `format`, so that a stray JSON file is not taken for a header.
    public static let formatName = "simvault-key-header"
    /// Highest header version this build reads, and the one it writes.
    ///
    /// Version 1 headers have no pending key rotation; version 2 added the
    /// optional `rotation` record; version 3 adds the ``HeaderMAC``. Both
    /// older versions are still read (and upgraded to version 3 by the first
    /// command that holds the key and writes); every header this build
    /// writes is version 3, so an older simvault says "upgrade" instead of
    /// trusting a header it cannot authenticate (or a vault whose cipher
    /// settings, ``CipherSettings``, it does not know).
    public static let currentVersion = 3

    public var format: String
    public var version: Int
    /// The vault's UUID (lowercase), also the keyring item's `vault-id`.
    public var vaultID: String
    /// Creation time, unix milliseconds.
    public var createdAt: Int64
    /// SQLCipher settings that are not stored in the database file.
    public var cipher: CipherSettings
    /// Public identifier of the current master key (see ``KeyCheck``).
    public var keyID: String
    /// Keyed hash proving a candidate key is this vault's master key.
    public var keyCheck: String
    /// The key slots, in creation order.
    public var slots: [KeySlot]
    /// A master-key rotation recorded by `rekey` and not yet finished.
    public var rotation: KeyRotation?
    /// The MACs under the header's keys (version 3 and later): see
    /// ``HeaderMAC``.
    package var mac: HeaderMAC?
    /// `blake2b-256:<hex>` over the canonical encoding of all other fields
    /// (the MACs included): unkeyed, so it detects damage, not forgery.
    public var checksum: String

    enum CodingKeys: String, CodingKey {
        case format, version, cipher, slots, checksum, rotation, mac
        case vaultID = "vault_id"
        case createdAt = "created_at"
        case keyID = "key_id"
        case keyCheck = "key_check"
    }

    /// A header for a new vault with no slots yet (authenticated when it is
    /// written, see ``KeyHeaderFile/write(_:authenticatedWith:creating:)``).
    public init(vaultID: String, masterKey: MasterKey, cipher: CipherSettings = CipherSettings(), createdAt: Date = Date()) {
        format = Self.formatName
        version = Self.currentVersion
        self.vaultID = vaultID
        self.createdAt = Int64((createdAt.timeIntervalSince1970 * 1000).rounded())
        self.cipher = cipher
        let check = KeyCheck(masterKey: masterKey, vaultID: vaultID)
        keyID = check.keyID
        keyCheck = check.value
        slots = []
        checksum = ""
    }

    // MARK: - Slots

    /// The next free slot id: one above the highest id in use. The id of a
    /// removed slot that had the highest id is given out again.
    public var nextSlotID: Int { (slots.map(\.id).max() ?? 0) + 1 }

    /// The slot with `id`, if any.
    public func slot(id: Int) -> KeySlot? { slots.first { $0.id == id } }

    /// Slots of one kind.
    public func slots(ofKind kind: KeySlot.Kind) -> [KeySlot] { slots.filter { $0.kind == kind } }

    // MARK: - Key check

    /// Whether `key` is this vault's master key (constant-time comparison).
    public func accepts(_ key: MasterKey) -> Bool {
        KeyCheck(masterKey: key, vaultID: vaultID).matches(storedValue: keyCheck)
    }

    /// Whether `key` is the current key, the pending key of a rotation, or
    /// neither (nil).
    public func generation(of key: MasterKey) -> KeyGeneration? {
        if accepts(key) { return .current }
        if let rotation, rotation.accepts(key, vaultID: vaultID) { return .pending }
        return nil
    }

    /// The slots that hold the key of `generation`.
    public func slots(for generation: KeyGeneration) -> [KeySlot] {
        switch generation {
        case .current: return slots
        case .pending: return rotation?.slots ?? []
        }
    }

    // MARK: - Rotation

    /// The header after a finished rotation: the pending key and its slots
    /// become the current ones. Unchanged when no rotation is pending.
    public func promotingRotation() -> KeyHeader {
        guard let rotation else { return self }
        var promoted = self
        promoted.keyID = rotation.keyID
        promoted.keyCheck = rotation.keyCheck
        promoted.slots = rotation.slots
        promoted.cipher = rotation.cipher ?? cipher
        promoted.rotation = nil
        // The MACs covered the header as it was; it is authenticated again
        // when written.
        promoted.mac = nil
        return promoted
    }

    /// The header after a rolled-back rotation: the pending key is forgotten.
    public func droppingRotation() -> KeyHeader {
        var dropped = self
        dropped.rotation = nil
        dropped.mac = nil
        return dropped
    }
}
