public import Foundation

/// The key header `<vault>.keys`: a small JSON file beside the database that
/// holds everything needed to turn a password, keyring item or recovery code
/// into the master key, and to check that the key is the right one.
///
/// It holds no secret in plaintext: slots carry only wrapped or sealed keys,
/// and the key check value is a keyed hash. A checksum over the rest of the
/// header detects accidental damage (a flipped byte is reported as "header
/// damaged", never as "wrong password").
public struct KeyHeader: Codable, Sendable, Equatable {
    /// Value of `format`, so that a stray JSON file is not taken for a header.
    public static let formatName = "simvault-key-header"
    /// Highest header version this build reads and the one it writes.
    public static let currentVersion = 1

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
    /// `blake2b-256:<hex>` over the canonical encoding of all other fields.
    public var checksum: String

    enum CodingKeys: String, CodingKey {
        case format, version, cipher, slots, checksum
        case vaultID = "vault_id"
        case createdAt = "created_at"
        case keyID = "key_id"
        case keyCheck = "key_check"
    }

    /// A header for a new vault with no slots yet.
    public init(vaultID: String, masterKey: MasterKey, createdAt: Date = Date()) {
        format = Self.formatName
        version = Self.currentVersion
        self.vaultID = vaultID
        self.createdAt = Int64((createdAt.timeIntervalSince1970 * 1000).rounded())
        cipher = CipherSettings()
        let check = KeyCheck(masterKey: masterKey, vaultID: vaultID)
        keyID = check.keyID
        keyCheck = check.value
        slots = []
        checksum = ""
    }

    // MARK: - Slots

    /// The next free slot id (ids are never reused within a header).
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
}

/// SQLCipher parameters that every opener must set because the file does not
/// record them (DESIGN.md §1).
public struct CipherSettings: Codable, Sendable, Equatable {
    /// `PRAGMA cipher_page_size`.
    public var pageSize: Int = 4096
    /// Always true: the master key is applied as a raw key (`x'<hex>'`), so no
    /// PBKDF2 runs at open.
    public var rawKey: Bool = true
    /// The SQLCipher major version whose defaults (AES-256-CBC, HMAC-SHA1)
    /// the file uses; a SQLCipher 4 client needs `PRAGMA cipher_compatibility = 3`.
    public var compatibility: Int = 3

    enum CodingKeys: String, CodingKey {
        case pageSize = "page_size"
        case rawKey = "raw_key"
        case compatibility
    }

    public init() {}
}
