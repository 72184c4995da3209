internal import CSodium
package import Foundation

/// The secrets' cryptography, in one place (the CSodium call sites): the
/// vault's secret store (SimVault's `SecretStore`) keeps only the blobs.
///
/// Two layers, both XChaCha20-Poly1305 (libsodium's IETF AEAD, random
/// 24-byte nonces):
/// - the **secrets key**: 32 random bytes, generated once per vault, stored
///   in `secret_keys` wrapped under a subkey of the master key
///   (`crypto_kdf`, id 1, context `simvsecr`), with the vault id and the
///   wrap id as associated data;
/// - each **secret value**: sealed under the secrets key, with its scope and
///   name as associated data, so a sealed value moved to another row fails
///   to open instead of being read as that row's secret.
///
/// A stored blob is `0x01 || nonce (24) || ciphertext || tag (16)`.
/// Plaintext exists only in ``SecretBytes`` (guarded, wiped memory).
///
/// libsodium: https://doc.libsodium.org/secret-key_cryptography/aead/chacha20-poly1305/xchacha20-poly1305_construction
package enum SecretSealer {
    package static let formatVersion: UInt8 = 1
    package static let subkeyID: UInt64 = 1
    package static let subkeyContext = "simvsecr"
    private static let nonceBytes = Int(crypto_aead_xchacha20poly1305_ietf_NPUBBYTES)
    private static let tagBytes = Int(crypto_aead_xchacha20poly1305_ietf_ABYTES)

    /// Public identifier of the wrap made with `masterKey`: a keyed hash
    /// under it, so it names the key without revealing anything about it.
    package static func wrapID(for masterKey: MasterKey) -> String {
        masterKey.keyedHash(Array("simvault/secrets-key-wrap/v1".utf8), outputLength: 16)
            .map { String(format: "%02x", $0) }.joined()
    }

    /// Wraps the secrets key for `masterKey`.
    package static func wrap(_ secretsKey: SecretBytes, for masterKey: MasterKey, vaultID: String) -> Data {
        let subkey = masterKey.deriveSubkey(id: subkeyID, context: subkeyContext)
        return secretsKey.withUnsafeBytes { seal($0, key: subkey, context: wrapContext(masterKey, vaultID)) }
    }

    /// Unwraps the secrets key; nil when `blob` does not authenticate under
    /// `masterKey` (another key's wrap, or damage).
    package static func unwrap(_ blob: Data, for masterKey: MasterKey, vaultID: String) -> SecretBytes? {
        let subkey = masterKey.deriveSubkey(id: subkeyID, context: subkeyContext)
        return open(blob, key: subkey, context: wrapContext(masterKey, vaultID))
    }

    /// Seals a secret value for the row (scope, name).
    package static func seal(_ value: SecretBytes, with secretsKey: SecretBytes, scope: String, name: String) -> Data {
        value.withUnsafeBytes { seal($0, key: secretsKey, context: valueContext(scope: scope, name: name)) }
    }

    /// Opens a sealed value of the row (scope, name); nil when it does not
    /// authenticate.
    package static func open(_ blob: Data, with secretsKey: SecretBytes, scope: String, name: String) -> SecretBytes? {
        open(blob, key: secretsKey, context: valueContext(scope: scope, name: name))
    }

    // MARK: - AEAD

    private static func wrapContext(_ masterKey: MasterKey, _ vaultID: String) -> [UInt8] {
        Array("simvault secrets key v1\u{0}\(vaultID)\u{0}\(wrapID(for: masterKey))".utf8)
    }

    private static func valueContext(scope: String, name: String) -> [UInt8] {
        Array("simvault secret v1\u{0}\(scope)\u{0}\(name)".utf8)
    }

    private static func seal(_ plaintext: UnsafeRawBufferPointer, key: SecretBytes, context: [UInt8]) -> Data {
        _ = Sodium.ready
        var nonce = [UInt8](repeating: 0, count: nonceBytes)
        randombytes_buf(&nonce, nonceBytes)
        var ciphertext = [UInt8](repeating: 0, count: plaintext.count + tagBytes)
        var length: UInt64 = 0
        key.withUnsafeBytes { keyBytes in
            _ = crypto_aead_xchacha20poly1305_ietf_encrypt(
                &ciphertext, &length, plaintext.baseAddress?.assumingMemoryBound(to: UInt8.self), UInt64(plaintext.count),
                context, UInt64(context.count), nil, nonce, keyBytes.baseAddress!.assumingMemoryBound(to: UInt8.self))
        }
        return Data([formatVersion] + nonce + ciphertext.prefix(Int(length)))
    }

    private static func open(_ blob: Data, key: SecretBytes, context: [UInt8]) -> SecretBytes? {
        _ = Sodium.ready
        let bytes = [UInt8](blob)
        guard bytes.count >= 1 + nonceBytes + tagBytes, bytes[0] == formatVersion else { return nil }
        let nonce = Array(bytes[1...nonceBytes])
        let ciphertext = Array(bytes[(1 + nonceBytes)...])
        return try? SecretBytes(count: ciphertext.count - tagBytes) { out in
            var length: UInt64 = 0
            let status = key.withUnsafeBytes { keyBytes in
                crypto_aead_xchacha20poly1305_ietf_decrypt(
                    out.baseAddress?.assumingMemoryBound(to: UInt8.self), &length, nil, ciphertext, UInt64(ciphertext.count),
                    context, UInt64(context.count), nonce, keyBytes.baseAddress!.assumingMemoryBound(to: UInt8.self))
            }
            // > returns -1 if the verification fails. [...] If verification
            // > succeeds, the function returns 0.
            guard status == 0 else { throw NotAuthentic() }
        }
    }

    /// Thrown inside ``open(_:key:context:)`` only, to discard the output.
    private struct NotAuthentic: Error {}
}
