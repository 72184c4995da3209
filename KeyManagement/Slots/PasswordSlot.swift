internal import CSodium

/// A password slot: the master key wrapped with XChaCha20-Poly1305 under a key
/// derived from the password by Argon2id (``PasswordKDF``).
///
/// The AEAD's associated data binds the wrapped key to this vault and slot id,
/// so a slot copied from another header does not open here.
///
/// libsodium: https://doc.libsodium.org/secret-key_cryptography/aead/chacha20-poly1305/xchacha20-poly1305_construction
public struct PasswordSlot: Codable, Sendable, Equatable {
    /// Key derivation parameters.
    public var kdf: PasswordKDF
    /// Always `xchacha20poly1305-ietf`.
    public var cipher: String = Self.cipherName
    /// 24-byte nonce, base64.
    public var nonce: String
    /// The master key encrypted and authenticated (32 + 16 bytes), base64.
    public var wrappedKey: String

    static let cipherName = "xchacha20poly1305-ietf"

    enum CodingKeys: String, CodingKey {
        case kdf, cipher, nonce
        case wrappedKey = "wrapped_key"
    }

    /// Wraps `masterKey` under `password` for slot `slotID` of `vaultID`.
    ///
    /// - Throws: ``KeyError/passwordKDFBelowMinimum(opsLimit:memLimit:)``
    ///   for a cost below ``PasswordKDF/minimumOpsLimit`` /
    ///   ``PasswordKDF/minimumMemLimit``; ``KeyError/cryptoFailure(detail:)``.
    public static func wrap(
        _ masterKey: MasterKey, password: SecretBytes, vaultID: String, slotID: Int, kdf: PasswordKDF = PasswordKDF()
    ) throws(KeyError) -> PasswordSlot {
        guard kdf.meetsMinimum else { throw .passwordKDFBelowMinimum(opsLimit: kdf.opsLimit, memLimit: kdf.memLimit) }
        let wrappingKey = try kdf.deriveKey(from: password)
        let nonce = Sodium.randomBytes(Int(crypto_aead_xchacha20poly1305_ietf_NPUBBYTES))
        let associated = associatedData(vaultID: vaultID, slotID: slotID)
        var sealed = [UInt8](repeating: 0, count: MasterKey.byteCount + Int(crypto_aead_xchacha20poly1305_ietf_ABYTES))
        var sealedLength: UInt64 = 0
        masterKey.withUnsafeBytes { key in
            wrappingKey.withUnsafeBytes { wrap in
                _ = crypto_aead_xchacha20poly1305_ietf_encrypt(
                    &sealed, &sealedLength,
                    key.baseAddress!.assumingMemoryBound(to: UInt8.self), UInt64(key.count),
                    associated, UInt64(associated.count), nil, nonce,
                    wrap.baseAddress!.assumingMemoryBound(to: UInt8.self))
            }
        }
        return PasswordSlot(kdf: kdf, nonce: SlotField.encode(nonce), wrappedKey: SlotField.encode(sealed))
    }

    /// Recovers the master key with `password`.
    ///
    /// - Throws: ``KeyError/wrongPassword`` when authentication fails;
    ///   ``KeyError/passwordSlotBelowMinimum(slotID:opsLimit:memLimit:)``
    ///   (before any derivation) for a cost below the minimum.
    public func unwrap(password: SecretBytes, vaultID: String, slotID: Int) throws(KeyError) -> MasterKey {
        guard kdf.meetsMinimum else {
            throw .passwordSlotBelowMinimum(slotID: slotID, opsLimit: kdf.opsLimit, memLimit: kdf.memLimit)
        }
        let nonceBytes: [UInt8], sealed: [UInt8]
        do {
            try validate()
            nonceBytes = try SlotField.bytes(nonce, count: Int(crypto_aead_xchacha20poly1305_ietf_NPUBBYTES), name: "nonce")
            sealed = try SlotField.bytes(wrappedKey, count: Self.wrappedKeyLength, name: "wrapped_key")
        } catch {
            throw .cryptoFailure(detail: error.detail)
        }
        let wrappingKey = try kdf.deriveKey(from: password)
        let associated = Self.associatedData(vaultID: vaultID, slotID: slotID)
        let key: SecretBytes? = try? SecretBytes(count: MasterKey.byteCount) { out in
            var length: UInt64 = 0
            let status = wrappingKey.withUnsafeBytes { wrap in
                crypto_aead_xchacha20poly1305_ietf_decrypt(
                    out.baseAddress!.assumingMemoryBound(to: UInt8.self), &length, nil,
                    sealed, UInt64(sealed.count), associated, UInt64(associated.count), nonceBytes,
                    wrap.baseAddress!.assumingMemoryBound(to: UInt8.self))
            }
            guard status == 0, length == UInt64(MasterKey.byteCount) else { throw KeyError.wrongPassword }
        }
        guard let key else { throw .wrongPassword }
        return try MasterKey(key)
    }

    static let wrappedKeyLength = MasterKey.byteCount + Int(crypto_aead_xchacha20poly1305_ietf_ABYTES)

    private static func associatedData(vaultID: String, slotID: Int) -> [UInt8] {
        Array("simvault password slot v1\u{0}\(vaultID)\u{0}\(slotID)".utf8)
    }

    func validate() throws(SlotValidationError) {
        guard cipher == Self.cipherName else { throw SlotValidationError(detail: "unknown cipher \(cipher)") }
        try kdf.validate()
        _ = try SlotField.bytes(nonce, count: Int(crypto_aead_xchacha20poly1305_ietf_NPUBBYTES), name: "nonce")
        _ = try SlotField.bytes(wrappedKey, count: Self.wrappedKeyLength, name: "wrapped_key")
    }
}
