/// Where a master key came from when a vault was unlocked.
public enum KeySource: Sendable, Equatable, CustomStringConvertible {
    /// Passed in directly by the embedding app.
    case explicitKey
    /// The Secret Service item of keyring slot `slotID`.
    case keyring(slotID: Int)
    /// Password slot `slotID`.
    case password(slotID: Int)
    /// Recovery slot `slotID`, opened with the recovery code.
    case recoveryCode(slotID: Int)

    public var description: String {
        switch self {
        case .explicitKey: return "explicit key"
        case .keyring(let id): return "keyring (slot \(id))"
        case .password(let id): return "password (slot \(id))"
        case .recoveryCode(let id): return "recovery code (slot \(id))"
        }
    }

    /// The slot that gave the key (nil for an explicit key).
    public var slotID: Int? {
        switch self {
        case .explicitKey: return nil
        case .keyring(let id), .password(let id), .recoveryCode(let id): return id
        }
    }

    /// The kind of source, without its slot.
    public var kind: Kind {
        switch self {
        case .explicitKey: return .explicit
        case .keyring: return .keyring
        case .password: return .password
        case .recoveryCode: return .recovery
        }
    }

    /// A kind of key source; the raw value is its short machine-readable
    /// name (`keyring`, `password`, ...), as printed in JSON and messages.
    public enum Kind: String, Sendable, Equatable, CustomStringConvertible {
        case explicit, keyring, password, recovery

        public var description: String { rawValue }
    }
}

/// A key source that was tried (or not applicable) and did not give the key,
/// with the reason, so that a fallback can say why it happened.
public struct SkippedKeySource: Sendable, Equatable, CustomStringConvertible {
    /// The source that gave no key.
    public var kind: KeySource.Kind
    /// Short reason, e.g. "keyring is locked".
    public var reason: String
    /// The keyring failure, when the keyring was the source.
    public var keyringFailure: KeyringFailure?

    public var description: String { "\(kind): \(reason)" }
}
