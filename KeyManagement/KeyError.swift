/// Errors of the key-management layer. ``SimVault`` wraps them into its
/// public `VaultError`; the messages here already say what happened and what
/// to do next, and never contain key material or passwords.
public enum KeyError: Error, Sendable, Equatable {
    /// Key material had the wrong size or encoding (e.g. a keyring item that
    /// is not 64 hex characters).
    case malformedKey(detail: String)
    /// No key header file at `path`.
    case headerNotFound(path: String)
    /// The key header exists but cannot be used: unparseable JSON, checksum
    /// mismatch, impossible values.
    case headerDamaged(path: String, detail: String)
    /// A header written by a newer simvault.
    case headerUnsupported(path: String, version: Int, supported: Int)
    /// Refusing to overwrite an existing header.
    case headerExists(path: String)
    /// Writing the header failed (disk full, permissions...).
    case headerWriteFailed(path: String, detail: String)
    /// An explicitly supplied master key is not this vault's.
    case wrongKey
    /// No password slot accepted the password.
    case wrongPassword
    /// The recovery code is well-formed but does not open this vault's
    /// recovery slot.
    case wrongRecoveryCode
    /// The recovery code has a typo (its checksum does not match).
    case recoveryCodeMistyped
    /// The keyring item for this vault holds a key that fails the key check:
    /// it belongs to another vault or to a key that was rotated away.
    case keyringKeyMismatch(vaultID: String)
    /// A key source (keyring, password) was expected but none could be used.
    case noKeySource(reasons: [String])
    /// A password/recovery code was needed but the vault has no such slot.
    case noSuchSlot(kind: String)
    /// The slot with `id` does not exist.
    case slotNotFound(id: Int)
    /// The Secret Service failed in a way the caller asked to surface.
    case keyring(KeyringFailure)
    /// A key unlocked a slot but fails the key check value: the header is
    /// inconsistent (damaged or tampered).
    case keyCheckMismatch(path: String)
    /// Deriving or wrapping a key failed inside libsodium (out of memory for
    /// Argon2id, usually).
    case cryptoFailure(detail: String)
    /// Reading a password or recovery code failed.
    case secretInputFailed(detail: String)
    /// A key proves the header was changed by someone without it (see
    /// ``HeaderForgery``).
    case headerForged(HeaderForgery)
    /// A password slot was to be written with an Argon2id cost below
    /// ``PasswordKDF/minimumOpsLimit`` / ``PasswordKDF/minimumMemLimit``.
    case passwordKDFBelowMinimum(opsLimit: UInt64, memLimit: UInt64)
    /// A password slot in the header asks for an Argon2id cost below the
    /// minimum: it is not used (a password that cheap to test is as good as
    /// no password to whoever copies the header).
    case passwordSlotBelowMinimum(slotID: Int, opsLimit: UInt64, memLimit: UInt64)
}

extension KeyError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .malformedKey(let detail):
            return "the key material is malformed: \(detail)"
        case .headerNotFound(let path):
            return "key header not found at \(path). It holds the vault's key slots; restore it from a backup (it is copied beside every backup)."
        case .headerDamaged(let path, let detail):
            return "key header \(path) is damaged or was tampered with (\(detail)). Restore it from a backup."
        case .headerUnsupported(let path, let version, let supported):
            return "key header \(path) has format version \(version); this simvault reads up to \(supported). Upgrade simvault."
        case .headerExists(let path):
            return "a key header already exists at \(path); refusing to overwrite it."
        case .headerWriteFailed(let path, let detail):
            return "could not write key header \(path): \(detail). Nothing was changed."
        case .wrongKey:
            return "wrong key: the supplied master key is not this vault's key."
        case .wrongPassword:
            return "wrong password: no password slot of this vault accepts it."
        case .wrongRecoveryCode:
            return "wrong recovery code: it does not open this vault's recovery slot."
        case .recoveryCodeMistyped:
            return "the recovery code has a typo (its check digits do not match). Check it and try again."
        case .keyringKeyMismatch(let vaultID):
            return "the keyring item for vault \(vaultID) holds a key that does not match this vault (it belongs to another vault or to a rotated-away key). Open with --password-file or a recovery code, then run `simvault key add --type keyring` to store the right key."
        case .noKeySource(let reasons):
            // Reasons are sentences of their own; drop their final period
            // inside the parenthesis.
            let clauses = reasons.map { $0.hasSuffix(".") ? String($0.dropLast()) : $0 }
            let why = reasons.isEmpty ? "" : " (" + clauses.joined(separator: "; ") + ")"
            return "no key source available\(why). Give --password-file FILE (or - for stdin), run in a terminal to be prompted, or unlock the keyring."
        case .noSuchSlot(let kind):
            return "this vault has no \(kind) slot."
        case .slotNotFound(let id):
            return "there is no key slot \(id). See `simvault key list`."
        case .keyring(let failure):
            return failure.description
        case .keyCheckMismatch(let path):
            return "a key slot in \(path) opened but its key fails the header's key check: the header is damaged or was tampered with. Restore it from a backup."
        case .cryptoFailure(let detail):
            return "a cryptographic operation failed: \(detail)"
        case .secretInputFailed(let detail):
            return "could not read the secret: \(detail)"
        case .headerForged(let forgery):
            return forgery.description
        case .passwordKDFBelowMinimum(let opsLimit, let memLimit):
            return "refusing to write a password slot with Argon2id \(PasswordKDF.describeCost(opsLimit: opsLimit, memLimit: memLimit)): the minimum is \(PasswordKDF.describeCost(opsLimit: PasswordKDF.minimumOpsLimit, memLimit: PasswordKDF.minimumMemLimit)) (libsodium's INTERACTIVE limits), below which a copied header lets passwords be guessed cheaply."
        case .passwordSlotBelowMinimum(let slotID, let opsLimit, let memLimit):
            return "password slot \(slotID) asks for Argon2id \(PasswordKDF.describeCost(opsLimit: opsLimit, memLimit: memLimit)), below simvault's minimum of \(PasswordKDF.describeCost(opsLimit: PasswordKDF.minimumOpsLimit, memLimit: PasswordKDF.minimumMemLimit)), so it is not used: the header was edited, or the slot was written by a program that bypassed the minimum. Open the vault with another key source, then replace the slot (`simvault key remove \(slotID)`, `simvault key add --type password`)."
        }
    }
}
