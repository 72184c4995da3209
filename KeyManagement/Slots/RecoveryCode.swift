internal import CSodium

/// The recovery code shown once at `init`: a 256-bit seed from which the
/// recovery slot's X25519 key pair is derived (`crypto_box_seed_keypair`).
///
/// Written as 55 Crockford base32 characters in groups of five: 32 bytes of
/// seed plus a 2-byte checksum that catches typos, so a mistyped code says
/// "typo" instead of "wrong code". Reading is forgiving: case, spaces and
/// dashes are ignored, and O/I/L are read as 0/1/1.
public struct RecoveryCode: Sendable {
    static let seedCount = 32
    static let checkCount = 2
    static let characterCount = 55   // ceil((32 + 2) * 8 / 5)
    static let groupSize = 5
    private static let alphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ".utf8)

    let seed: SecretBytes

    /// A new random code.
    public static func generate() -> RecoveryCode { RecoveryCode(seed: SecretBytes.random(count: seedCount)) }

    private init(seed: SecretBytes) { self.seed = seed }

    /// Parses a code typed or pasted by a person.
    ///
    /// - Throws: ``KeyError/recoveryCodeMistyped`` for a wrong length, an
    ///   invalid character or a checksum mismatch.
    public init(text: SecretBytes) throws(KeyError) {
        let decoded: SecretBytes
        do {
            decoded = try SecretBytes(count: Self.seedCount + Self.checkCount) { out in
                var accumulator: UInt32 = 0, bits = 0, written = 0, characters = 0
                try text.withUnsafeBytes { input in
                    for raw in input {
                        guard let value = Self.value(of: raw) else {
                            if raw == UInt8(ascii: "-") || raw == UInt8(ascii: " ") || raw == 0x0A || raw == 0x0D || raw == 0x09 {
                                continue
                            }
                            throw KeyError.recoveryCodeMistyped
                        }
                        characters += 1
                        guard characters <= Self.characterCount else { throw KeyError.recoveryCodeMistyped }
                        accumulator = (accumulator << 5) | UInt32(value)
                        bits += 5
                        if bits >= 8, written < out.count {
                            bits -= 8
                            out[written] = UInt8(truncatingIfNeeded: accumulator >> UInt32(bits))
                            written += 1
                        }
                        accumulator &= (1 << UInt32(bits)) - 1
                    }
                }
                accumulator = 0
                guard characters == Self.characterCount, written == out.count else { throw KeyError.recoveryCodeMistyped }
            }
        } catch {
            throw .recoveryCodeMistyped
        }
        let seed = decoded.slice(0..<Self.seedCount)
        let check = decoded.slice(Self.seedCount..<(Self.seedCount + Self.checkCount))
        guard check.constantTimeEquals(Self.checksum(of: seed)) else { throw .recoveryCodeMistyped }
        self.seed = seed
    }

    /// The code as text (`XXXXX-XXXXX-...`), in secret memory. Show it once.
    public func formatted() -> SecretBytes {
        let payload = SecretBytes(count: Self.seedCount + Self.checkCount) { out in
            seed.withUnsafeBytes { out.copyMemory(from: $0) }
            let check = Self.checksum(of: seed)
            out[Self.seedCount] = check[0]
            out[Self.seedCount + 1] = check[1]
        }
        let groups = (Self.characterCount + Self.groupSize - 1) / Self.groupSize
        return SecretBytes(count: Self.characterCount + groups - 1) { out in
            var accumulator: UInt32 = 0, bits = 0, characters = 0, position = 0
            func emit(_ value: UInt32) {
                if characters > 0, characters % Self.groupSize == 0 {
                    out[position] = UInt8(ascii: "-"); position += 1
                }
                out[position] = Self.alphabet[Int(value & 31)]
                position += 1
                characters += 1
            }
            payload.withUnsafeBytes { bytes in
                for byte in bytes {
                    accumulator = (accumulator << 8) | UInt32(byte)
                    bits += 8
                    while bits >= 5 {
                        bits -= 5
                        emit(accumulator >> UInt32(bits))
                        accumulator &= (1 << UInt32(bits)) - 1
                    }
                }
            }
            if bits > 0 { emit(accumulator << UInt32(5 - bits)) }
            accumulator = 0
        }
    }

    /// The X25519 key pair derived from the seed: (public key, secret key).
    func keyPair() -> (publicKey: [UInt8], secretKey: SecretBytes) {
        var publicKey = [UInt8](repeating: 0, count: Int(crypto_box_PUBLICKEYBYTES))
        let secretKey = SecretBytes(count: Int(crypto_box_SECRETKEYBYTES)) { secret in
            seed.withUnsafeBytes { seedBytes in
                _ = crypto_box_seed_keypair(
                    &publicKey, secret.baseAddress!.assumingMemoryBound(to: UInt8.self),
                    seedBytes.baseAddress!.assumingMemoryBound(to: UInt8.self))
            }
        }
        return (publicKey, secretKey)
    }

    private static func checksum(of seed: SecretBytes) -> [UInt8] {
        _ = Sodium.ready
        var digest = [UInt8](repeating: 0, count: 32)
        let label = Array("simvault recovery code v1".utf8)
        seed.withUnsafeBytes { bytes in
            // Keyed by the label so the checksum is not a bare hash of the seed.
            _ = crypto_generichash(
                &digest, 32, bytes.baseAddress!.assumingMemoryBound(to: UInt8.self), UInt64(bytes.count),
                label, label.count)
        }
        return Array(digest.prefix(checkCount))
    }

    private static func value(of character: UInt8) -> UInt8? {
        var upper = character
        if upper >= UInt8(ascii: "a"), upper <= UInt8(ascii: "z") { upper -= 32 }
        switch upper {
        case UInt8(ascii: "O"): upper = UInt8(ascii: "0")
        case UInt8(ascii: "I"), UInt8(ascii: "L"): upper = UInt8(ascii: "1")
        default: break
        }
        guard let index = alphabet.firstIndex(of: upper) else { return nil }
        return UInt8(index)
    }
}
