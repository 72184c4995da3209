internal import CSodium

/// Argon2id (libsodium `crypto_pwhash`, algorithm ARGON2ID13) turning a
/// password into a 256-bit wrapping key. The cost is recorded per slot, so
/// stronger defaults later do not break existing slots.
///
/// libsodium: https://doc.libsodium.org/password_hashing/default_phf
public struct PasswordKDF: Codable, Sendable, Equatable {
    /// Number of passes.
    public var opsLimit: UInt64
    /// Memory in bytes.
    public var memLimit: UInt64
    /// Random 16-byte salt, base64.
    public var salt: String
    /// Always `argon2id13`.
    public var algorithm: String = Self.algorithmName

    static let algorithmName = "argon2id13"

    /// simvault's default cost: 3 passes over 64 MiB, above libsodium's
    /// INTERACTIVE limits (2 passes, 64 MiB); about 0.1 s here.
    public static let defaultOpsLimit: UInt64 = 3
    public static let defaultMemLimit: UInt64 = 64 << 20

    /// The least cost simvault writes or uses: libsodium's INTERACTIVE
    /// limits (2 passes over 64 MiB). A password slot protects the master
    /// key against whoever copies the header, at whatever guessing rate the
    /// cost allows; below this, a slot is refused when written
    /// (``KeyError/passwordKDFBelowMinimum(opsLimit:memLimit:)``) and not
    /// used when read (``KeyError/passwordSlotBelowMinimum(slotID:opsLimit:memLimit:)``),
    /// so neither a library caller nor an edited header can make one.
    public static let minimumOpsLimit = UInt64(crypto_pwhash_opslimit_interactive())
    public static let minimumMemLimit = UInt64(crypto_pwhash_memlimit_interactive())

    // A header names the cost, so a hostile header could ask for terabytes of
    // memory or hours of CPU; these bounds keep opening a vault bounded.
    static let maxOpsLimit: UInt64 = 64
    static let maxMemLimit: UInt64 = 4 << 30

    enum CodingKeys: String, CodingKey {
        case algorithm, salt
        case opsLimit = "opslimit"
        case memLimit = "memlimit"
    }

    /// Fresh parameters with a random salt.
    public init(opsLimit: UInt64 = defaultOpsLimit, memLimit: UInt64 = defaultMemLimit) {
        _ = Sodium.ready
        self.opsLimit = opsLimit
        self.memLimit = memLimit
        salt = SlotField.encode(Sodium.randomBytes(Int(crypto_pwhash_SALTBYTES)))
    }

    /// Derives the 32-byte wrapping key from `password`.
    public func deriveKey(from password: SecretBytes) throws(KeyError) -> SecretBytes {
        _ = Sodium.ready
        let saltBytes: [UInt8]
        do { saltBytes = try SlotField.bytes(salt, count: Int(crypto_pwhash_SALTBYTES), name: "salt") } catch {
            throw .cryptoFailure(detail: error.detail)
        }
        do {
            return try SecretBytes(count: 32) { out in
                let status = password.withUnsafeBytes { pass in
                    crypto_pwhash(
                        out.baseAddress!.assumingMemoryBound(to: UInt8.self), 32,
                        pass.baseAddress!.assumingMemoryBound(to: CChar.self), UInt64(pass.count),
                        saltBytes, opsLimit, Int(memLimit), crypto_pwhash_ALG_ARGON2ID13)
                }
                // > Returns 0 on success and -1 if the computation didn't
                // > complete, usually because the operating system refused to
                // > allocate the amount of requested memory.
                guard status == 0 else {
                    throw KeyError.cryptoFailure(detail: "Argon2id could not allocate \(memLimit >> 20) MiB")
                }
            }
        } catch let error as KeyError {
            throw error
        } catch {
            throw .cryptoFailure(detail: "Argon2id failed")
        }
    }

    /// Fresh parameters (a random salt) at the minimum cost: what the tests
    /// use, and the cheapest any caller may have.
    public static func minimum() -> PasswordKDF { PasswordKDF(opsLimit: minimumOpsLimit, memLimit: minimumMemLimit) }

    /// Whether the cost is at least the minimum (``minimumOpsLimit``,
    /// ``minimumMemLimit``).
    public var meetsMinimum: Bool { opsLimit >= Self.minimumOpsLimit && memLimit >= Self.minimumMemLimit }

    /// "2 passes over 64 MiB".
    static func describeCost(opsLimit: UInt64, memLimit: UInt64) -> String {
        let memory = memLimit >= 1 << 20 ? "\(memLimit >> 20) MiB" : "\(memLimit >> 10) KiB"
        return "\(opsLimit) pass\(opsLimit == 1 ? "" : "es") over \(memory)"
    }

    func validate() throws(SlotValidationError) {
        guard algorithm == Self.algorithmName else { throw SlotValidationError(detail: "unknown KDF \(algorithm)") }
        guard opsLimit >= UInt64(crypto_pwhash_opslimit_min()), opsLimit <= Self.maxOpsLimit else {
            throw SlotValidationError(detail: "KDF opslimit \(opsLimit) out of range")
        }
        guard memLimit >= UInt64(crypto_pwhash_memlimit_min()), memLimit <= Self.maxMemLimit else {
            throw SlotValidationError(detail: "KDF memlimit \(memLimit) out of range")
        }
        _ = try SlotField.bytes(salt, count: Int(crypto_pwhash_SALTBYTES), name: "salt")
    }
}
