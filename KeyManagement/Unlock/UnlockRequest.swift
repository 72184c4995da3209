import Foundation

/// Supplies a secret (password or recovery code) only when it is needed.
///
/// Called at most once per unlock, and only after cheaper sources (the
/// keyring) failed; the argument says why, for a prompt. Return nil when no
/// secret is available (no file given and no terminal to prompt on).
public typealias SecretSupplier = @Sendable (_ reason: String) throws(KeyError) -> SecretBytes?

/// What an unlock may use, in the order docs/DESIGN.md §3 tries them: an explicit
/// key, the keyring, a password, a recovery code.
public struct UnlockRequest: Sendable {
    /// A master key supplied directly by the app.
    public var masterKey: MasterKey?
    /// Whether to ask the Secret Service.
    public var usesKeyring: Bool
    /// The Secret Service client (timeout, unlock prompt policy).
    public var keyring: SecretServiceKeyring
    /// Supplies the password, lazily.
    public var password: SecretSupplier?
    /// Supplies the recovery code text, lazily.
    public var recoveryCode: SecretSupplier?

    public init(
        masterKey: MasterKey? = nil, usesKeyring: Bool = true, keyring: SecretServiceKeyring = SecretServiceKeyring(),
        password: SecretSupplier? = nil, recoveryCode: SecretSupplier? = nil
    ) {
        self.masterKey = masterKey
        self.usesKeyring = usesKeyring
        self.keyring = keyring
        self.password = password
        self.recoveryCode = recoveryCode
    }

    /// Convenience: a fixed password.
    public static func password(_ password: SecretBytes, usesKeyring: Bool = false) -> UnlockRequest {
        UnlockRequest(usesKeyring: usesKeyring, password: { _ in password })
    }
}

/// A key an unlock found: the key, where it came from, and which of the
/// header's keys it is.
public struct UnlockedKey: Sendable {
    /// The key, verified against the header's key check value.
    public let masterKey: MasterKey
    /// The source that gave it.
    public let source: KeySource
    /// Whether it is the header's current key or a rotation's pending key.
    public let generation: KeyGeneration

    /// A found key.
    public init(masterKey: MasterKey, source: KeySource, generation: KeyGeneration) {
        self.masterKey = masterKey
        self.source = source
        self.generation = generation
    }
}

/// A successful unlock: the key, where it came from, and what was skipped
/// before it (so "opened with the password because the keyring is locked"
/// can be reported).
///
/// While a key rotation is pending the database may use either key, so the
/// unlock returns every key it found (``keys``, the current key first) and
/// the vault opens with the one the database accepts.
public struct UnlockResult: Sendable {
    public let masterKey: MasterKey
    public let source: KeySource
    public let skipped: [SkippedKeySource]
    /// Every key found, the current generation first. One key, except during
    /// an interrupted rotation.
    public let keys: [UnlockedKey]

    public init(masterKey: MasterKey, source: KeySource, skipped: [SkippedKeySource]) {
        self.init(keys: [UnlockedKey(masterKey: masterKey, source: source, generation: .current)], skipped: skipped)
    }

    /// A result with at least one key; `keys[0]` is the one reported.
    public init(keys: [UnlockedKey], skipped: [SkippedKeySource]) {
        precondition(!keys.isEmpty, "an unlock result holds at least one key")
        masterKey = keys[0].masterKey
        source = keys[0].source
        self.skipped = skipped
        self.keys = keys
    }

    /// The same result with `key` (one of ``keys``) as the reported key.
    public func selecting(_ key: UnlockedKey) -> UnlockResult {
        UnlockResult(keys: [key] + keys.filter { $0.generation != key.generation }, skipped: skipped)
    }

    /// The key of `generation`, if found.
    public func key(for generation: KeyGeneration) -> UnlockedKey? { keys.first { $0.generation == generation } }

    /// Whether the keyring slot exists but could not be used, so a fallback
    /// source opened the vault.
    public var usedFallback: Bool { skipped.contains { $0.kind == .keyring } }
}

extension UnlockRequest {
    /// The same request, but each secret supplier runs at most once and its
    /// answer is reused: an operation that unlocks more than once (repairing
    /// an interrupted rotation, then opening) prompts only once.
    public func cachingSecrets() -> UnlockRequest {
        var copy = self
        if let password { copy.password = SecretCache(password).supply }
        if let recoveryCode { copy.recoveryCode = SecretCache(recoveryCode).supply }
        return copy
    }
}

/// Remembers the first answer of a secret supplier.
///
/// @unchecked Sendable: `answer` is read and written only under `lock`.
private final class SecretCache: @unchecked Sendable {
    private let lock = NSLock()
    private let supplier: SecretSupplier
    private var answer: SecretBytes??

    init(_ supplier: @escaping SecretSupplier) { self.supplier = supplier }

    func supply(_ reason: String) throws(KeyError) -> SecretBytes? {
        lock.lock()
        defer { lock.unlock() }
        if let answer { return answer }
        let fresh = try supplier(reason)
        answer = .some(fresh)
        return fresh
    }
}
