public import Foundation

/// One key slot of the header: a way to recover the master key, like a LUKS2
/// keyslot. The kind-specific data lives in ``Material``; each kind has its
/// own file (``KeyringSlot``, ``PasswordSlot``, ``RecoverySlot``).
///
/// In JSON a slot is one flat object: `{"id": 2, "type": "password",
/// "created_at": ..., "kdf": {...}, "nonce": ..., "wrapped_key": ...}`.
public struct KeySlot: Codable, Sendable, Equatable, Identifiable {
    /// The kinds of slot.
    public enum Kind: String, Codable, Sendable, CaseIterable {
        case keyring, password, recovery
    }

    /// Kind-specific data.
    public enum Material: Sendable, Equatable {
        case keyring(KeyringSlot)
        case password(PasswordSlot)
        case recovery(RecoverySlot)
    }

    /// Stable id, unique within the header.
    public var id: Int
    /// Creation time, unix milliseconds.
    public var createdAt: Int64
    /// Kind-specific data.
    public var material: Material

    public var kind: Kind {
        switch material {
        case .keyring: return .keyring
        case .password: return .password
        case .recovery: return .recovery
        }
    }

    public init(id: Int, createdAt: Date = Date(), material: Material) {
        self.id = id
        self.createdAt = Int64((createdAt.timeIntervalSince1970 * 1000).rounded())
        self.material = material
    }

    enum CodingKeys: String, CodingKey {
        case id, type
        case createdAt = "created_at"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decode(Int.self, forKey: .id)
        createdAt = try container.decode(Int64.self, forKey: .createdAt)
        switch try container.decode(Kind.self, forKey: .type) {
        case .keyring: material = .keyring(try KeyringSlot(from: decoder))
        case .password: material = .password(try PasswordSlot(from: decoder))
        case .recovery: material = .recovery(try RecoverySlot(from: decoder))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(kind, forKey: .type)
        try container.encode(createdAt, forKey: .createdAt)
        // The kind's fields go into the same JSON object.
        switch material {
        case .keyring(let slot): try slot.encode(to: encoder)
        case .password(let slot): try slot.encode(to: encoder)
        case .recovery(let slot): try slot.encode(to: encoder)
        }
    }

    func validate() throws(SlotValidationError) {
        switch material {
        case .keyring(let slot): try slot.validate()
        case .password(let slot): try slot.validate()
        case .recovery(let slot): try slot.validate()
        }
    }
}

/// A slot whose stored values are out of range or mis-sized.
struct SlotValidationError: Error {
    let detail: String
}

/// Base64 fields of slots, decoded with an exact expected length.
enum SlotField {
    static func bytes(_ base64: String, count: Int, name: String) throws(SlotValidationError) -> [UInt8] {
        guard let data = Data(base64Encoded: base64), data.count == count else {
            throw SlotValidationError(detail: "\(name) must be \(count) bytes of base64")
        }
        return Array(data)
    }

    static func encode(_ bytes: [UInt8]) -> String { Data(bytes).base64EncodedString() }
}
