/// SQLCipher parameters that every opener must set because the file does not
/// record them (docs/DESIGN.md §1). The key header stores them; every connection
/// applies them explicitly, on whichever SQLCipher it runs (3.4 or 4.x),
/// before the first read.
///
/// A compatibility level names SQLCipher's own complete set of settings for
/// that major version (`PRAGMA cipher_compatibility = N` in SQLCipher 4):
///
/// | compatibility | cipher | HMAC | KDF | reserved bytes per page |
/// |---|---|---|---|---|
/// | 3 | AES-256-CBC | HMAC-SHA1 | PBKDF2-HMAC-SHA1 | 48 (16 IV, 20 HMAC, 12 padding) |
/// | 4 | AES-256-CBC | HMAC-SHA512 | PBKDF2-HMAC-SHA512 | 80 (16 IV, 64 HMAC) |
///
/// simvault always applies a raw key, so the KDF only derives the HMAC key
/// (2 iterations); the page size is set explicitly after the compatibility
/// level (which would otherwise choose 1024 for level 3).
///
/// SQLCipher: https://www.zetetic.net/sqlcipher/sqlcipher-api/#cipher_compatibility
public struct CipherSettings: Codable, Sendable, Equatable, Hashable {
    /// `PRAGMA cipher_page_size`.
    public var pageSize: Int = 4096
    /// Always true: the master key is applied as a raw key (`x'<hex>'`), so no
    /// PBKDF2 runs at open.
    public var rawKey: Bool = true
    /// The SQLCipher major version whose settings the file uses: 3 (the
    /// default, readable by SQLCipher 3.4 and 4.x) or 4 (SQLCipher 4 only).
    public var compatibility: Int = 3

    enum CodingKeys: String, CodingKey {
        case pageSize = "page_size"
        case rawKey = "raw_key"
        case compatibility
    }

    /// The compatibility levels this simvault can write and read.
    public static let supportedCompatibilities = [3, 4]
    /// The page sizes SQLite accepts.
    public static let validPageSizes = [512, 1024, 2048, 4096, 8192, 16384, 32768, 65536]

    /// simvault's default: compatibility 3, 4096-byte pages, raw key. Files
    /// with these settings open on every SQLCipher from 3.4 on.
    public init() {}

    /// Settings of compatibility level `compatibility` with `pageSize`.
    public init(compatibility: Int, pageSize: Int = 4096) {
        self.compatibility = compatibility
        self.pageSize = pageSize
    }

    /// SQLCipher's name of the page HMAC (`PRAGMA cipher_hmac_algorithm`).
    public var hmacAlgorithm: String { compatibility >= 4 ? "HMAC_SHA512" : "HMAC_SHA1" }
    /// SQLCipher's name of the key derivation (`PRAGMA cipher_kdf_algorithm`).
    public var kdfAlgorithm: String { compatibility >= 4 ? "PBKDF2_HMAC_SHA512" : "PBKDF2_HMAC_SHA1" }
    /// Bytes SQLCipher reserves at the end of every page: the IV and HMAC,
    /// rounded up to the AES block size.
    public var reservedBytesPerPage: Int { compatibility >= 4 ? 80 : 48 }

    /// The statements an outside SQLCipher 4 client runs after `PRAGMA key`
    /// (the interop contract).
    public var sqlcipher4Pragmas: [String] {
        ["PRAGMA cipher_compatibility = \(compatibility)", "PRAGMA cipher_page_size = \(pageSize)"]
    }

    /// The statements an outside SQLCipher 3 client runs after `PRAGMA key`,
    /// or nil when SQLCipher 3 cannot read these settings.
    public var sqlcipher3Pragmas: [String]? {
        compatibility == 3 ? ["PRAGMA cipher_page_size = \(pageSize)"] : nil
    }

    /// One line for people: "SQLCipher 3 settings (HMAC-SHA1), page size 4096".
    public var summary: String {
        "compatibility \(compatibility) (SQLCipher \(compatibility) settings: AES-256-CBC, \(hmacAlgorithm.replacingOccurrences(of: "_", with: "-"))), page size \(pageSize), raw key"
    }

    /// The lowest key header format that can record these settings. A header
    /// with anything but compatibility 3 needs format 3, so a simvault that
    /// knows only compatibility 3 says "upgrade" (exit 14) instead of calling
    /// the vault damaged.
    public var requiredHeaderVersion: Int { compatibility == 3 ? 1 : 3 }

    /// Why these settings cannot be used, or nil.
    public var problem: String? {
        guard Self.validPageSizes.contains(pageSize) else { return "cipher page_size \(pageSize) is not a valid page size" }
        guard rawKey else { return "unsupported cipher settings: raw_key must be true" }
        guard Self.supportedCompatibilities.contains(compatibility) else {
            return "unsupported cipher settings: compatibility \(compatibility) (this simvault knows \(Self.supportedCompatibilities.map(String.init).joined(separator: " and ")))"
        }
        return nil
    }
}

extension KeyHeader {
    /// The cipher settings of the database while it uses the key of
    /// `generation`: a rotation that changes the settings (`rekey
    /// --cipher-compat`) records the new key's settings beside it.
    public func cipher(for generation: KeyGeneration) -> CipherSettings {
        switch generation {
        case .current: return cipher
        case .pending: return rotation?.cipher ?? cipher
        }
    }

    /// The checks of ``KeyHeader/decode(_:path:)`` for the cipher settings
    /// of the header and of a pending rotation.
    func cipherProblem() -> String? {
        for (settings, what) in [(cipher, "cipher"), (rotation?.cipher, "rotation cipher")] {
            guard let settings else { continue }
            if let problem = settings.problem { return what == "cipher" ? problem : "\(what): \(problem)" }
            if settings.requiredHeaderVersion > version {
                return "\(what) compatibility \(settings.compatibility) is recorded in a version \(version) header"
            }
        }
        return nil
    }
}
