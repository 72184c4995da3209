public import Foundation

/// A master-key rotation that has been recorded but not finished: the new
/// ("pending") key's identifier, key check value and slots.
///
/// `rekey` writes it into the header *before* the database is re-encrypted,
/// and replaces the header's key and slots with it only after the database
/// was verified to open with the new key. While it is present every slot
/// exists twice, once for each key, so whichever key the database uses at
/// the moment of a crash, every key source still finds it (see
/// ``KeyUnlocker``). `simvault health` finishes or rolls back a rotation left
/// by a crash.
///
/// In JSON: `"rotation": {"key_id": ..., "key_check": ..., "started_at": ...,
/// "slots": [...]}`, absent when no rotation is pending. A header with a
/// rotation is written as format version 2, so an older simvault reports
/// "upgrade simvault" instead of opening it with only one of the two keys.
public struct KeyRotation: Codable, Sendable, Equatable {
    /// Public identifier of the pending key (see ``KeyCheck``).
    public var keyID: String
    /// Key check value of the pending key.
    public var keyCheck: String
    /// When the rotation was recorded, unix milliseconds.
    public var startedAt: Int64
    /// The slots re-wrapped for the pending key. Slot ids match the
    /// header's; a password slot whose password was not given is absent.
    public var slots: [KeySlot]
    /// The database's cipher settings under the pending key, when the
    /// rotation changes them (`rekey --cipher-compat`): the database is then
    /// copied into a new file rather than re-encrypted in place. Absent
    /// (and not encoded) when they stay the header's.
    public var cipher: CipherSettings?

    enum CodingKeys: String, CodingKey {
        case slots, cipher
        case keyID = "key_id"
        case keyCheck = "key_check"
        case startedAt = "started_at"
    }

    /// A rotation to `newKey` with `slots` already wrapped for it.
    public init(newKey: MasterKey, vaultID: String, slots: [KeySlot], cipher: CipherSettings? = nil, startedAt: Date = Date()) {
        let check = KeyCheck(masterKey: newKey, vaultID: vaultID)
        keyID = check.keyID
        keyCheck = check.value
        self.startedAt = Int64((startedAt.timeIntervalSince1970 * 1000).rounded())
        self.slots = slots
        self.cipher = cipher
    }

    /// Whether `key` is the pending key (constant-time comparison).
    public func accepts(_ key: MasterKey, vaultID: String) -> Bool {
        KeyCheck(masterKey: key, vaultID: vaultID).matches(storedValue: keyCheck)
    }

    /// Slots of one kind.
    public func slots(ofKind kind: KeySlot.Kind) -> [KeySlot] { slots.filter { $0.kind == kind } }
}

/// Which of a header's keys a key is: the current one, or the pending key of
/// an unfinished rotation.
public enum KeyGeneration: String, Sendable, Equatable, Codable {
    /// The header's `key_id` / `key_check`.
    case current
    /// The `rotation` record's key.
    case pending
}
