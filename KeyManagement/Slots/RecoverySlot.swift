internal import CSodium

/// A recovery slot: the master key sealed to the recovery code's public key
/// (`crypto_box_seal`, X25519 + XSalsa20-Poly1305).
///
/// Sealing needs only the public key, so `rekey` re-seals a new master key
/// without asking for the code, and a code filed away years ago keeps working.
///
/// libsodium: https://doc.libsodium.org/public-key_cryptography/sealed_boxes
public struct RecoverySlot: Codable, Sendable, Equatable {
    /// The recovery key pair's public key, base64.
    public var publicKey: String
    /// The sealed master key, base64.
    public var sealedKey: String
    /// Always `x25519-sealed-box`.
    public var seal: String = Self.sealName

    static let sealName = "x25519-sealed-box"
    static let sealedLength = MasterKey.byteCount + crypto_box_sealbytes()

    enum CodingKeys: String, CodingKey {
        case seal
        case publicKey = "public_key"
        case sealedKey = "sealed_key"
    }

    /// Seals `masterKey` to the public key of `code`.
    public static func seal(_ masterKey: MasterKey, for code: RecoveryCode) -> RecoverySlot {
        seal(masterKey, toPublicKey: code.keyPair().publicKey)
    }

    /// Seals `masterKey` again for this slot's public key (used by `rekey`).
    public func resealed(_ masterKey: MasterKey) throws(KeyError) -> RecoverySlot {
        do {
            let key = try SlotField.bytes(publicKey, count: Int(crypto_box_PUBLICKEYBYTES), name: "public_key")
            return Self.seal(masterKey, toPublicKey: key)
        } catch {
            throw .cryptoFailure(detail: error.detail)
        }
    }

    private static func seal(_ masterKey: MasterKey, toPublicKey key: [UInt8]) -> RecoverySlot {
        _ = Sodium.ready
        var sealed = [UInt8](repeating: 0, count: sealedLength)
        masterKey.withUnsafeBytes { bytes in
            _ = crypto_box_seal(&sealed, bytes.baseAddress!.assumingMemoryBound(to: UInt8.self), UInt64(bytes.count), key)
        }
        return RecoverySlot(publicKey: SlotField.encode(key), sealedKey: SlotField.encode(sealed))
    }

    /// Opens the slot with `code`.
    ///
    /// - Throws: ``KeyError/wrongRecoveryCode`` when the code is not this
    ///   slot's.
    public func open(with code: RecoveryCode) throws(KeyError) -> MasterKey {
        let (derivedPublic, secretKey) = code.keyPair()
        guard SlotField.encode(derivedPublic) == publicKey else { throw .wrongRecoveryCode }
        let sealed: [UInt8]
        do { sealed = try SlotField.bytes(sealedKey, count: Self.sealedLength, name: "sealed_key") } catch {
            throw .cryptoFailure(detail: error.detail)
        }
        let key: SecretBytes? = try? SecretBytes(count: MasterKey.byteCount) { out in
            let status = secretKey.withUnsafeBytes { secret in
                crypto_box_seal_open(
                    out.baseAddress!.assumingMemoryBound(to: UInt8.self), sealed, UInt64(sealed.count),
                    derivedPublic, secret.baseAddress!.assumingMemoryBound(to: UInt8.self))
            }
            guard status == 0 else { throw KeyError.wrongRecoveryCode }
        }
        // The public key matched, so a failure to open means the sealed key
        // itself was altered.
        guard let key else { throw .cryptoFailure(detail: "the recovery slot's sealed key does not authenticate") }
        return try MasterKey(key)
    }

    func validate() throws(SlotValidationError) {
        guard seal == Self.sealName else { throw SlotValidationError(detail: "unknown seal \(seal)") }
        _ = try SlotField.bytes(publicKey, count: Int(crypto_box_PUBLICKEYBYTES), name: "public_key")
        _ = try SlotField.bytes(sealedKey, count: Self.sealedLength, name: "sealed_key")
    }
}
