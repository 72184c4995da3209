/// Supplies a secret (password or recovery code) only when it is needed.
///
/// Called at most once per unlock, and only after cheaper sources (the
/// keyring) failed; the argument says why, for a prompt. Return nil when no
/// secret is available (no file given and no terminal to prompt on).
public typealias SecretSupplier = @Sendable (_ reason: String) throws(KeyError) -> SecretBytes?

/// What an unlock may use, in the order DESIGN.md §3 tries them: an explicit
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

/// A successful unlock: the key, where it came from, and what was skipped
/// before it (so "opened with the password because the keyring is locked"
/// can be reported).
public struct UnlockResult: Sendable {
    public let masterKey: MasterKey
    public let source: KeySource
    public let skipped: [SkippedKeySource]

    public init(masterKey: MasterKey, source: KeySource, skipped: [SkippedKeySource]) {
        self.masterKey = masterKey
        self.source = source
        self.skipped = skipped
    }

    /// Whether the keyring slot exists but could not be used, so a fallback
    /// source opened the vault.
    public var usedFallback: Bool { skipped.contains { $0.kind == "keyring" } }
}
