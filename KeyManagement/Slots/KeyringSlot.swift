/// A keyring slot: the master key lives in the Secret Service, not in the
/// header. The header records only that the item exists and how to find it
/// (see ``SecretServiceKeyring`` for the attributes).
public struct KeyringSlot: Codable, Sendable, Equatable {
    /// The Secret Service schema name of the item.
    public var schema: String = SecretServiceKeyring.schemaName
    /// The `key-id` attribute the item was stored with.
    public var keyID: String

    enum CodingKeys: String, CodingKey {
        case schema
        case keyID = "key_id"
    }

    public init(keyID: String) { self.keyID = keyID }

    func validate() throws(SlotValidationError) {
        guard schema == SecretServiceKeyring.schemaName else {
            throw SlotValidationError(detail: "unknown keyring schema \(schema)")
        }
        guard keyID.count == 16, keyID.allSatisfy(\.isHexDigit) else {
            throw SlotValidationError(detail: "key_id must be 16 hex characters")
        }
    }
}
