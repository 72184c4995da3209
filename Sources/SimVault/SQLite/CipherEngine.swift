public import VaultKeys

/// The SQLCipher library this process runs, from `PRAGMA cipher_version`
/// ("3.4.1" on Debian 12, "4.6.1 community" on Debian 13, "4.12.0
/// community" in the `sqlcipher3-binary` wheel), and what simvault must do
/// on it to read and write a file with given ``CipherSettings``.
///
/// simvault supports SQLCipher 3.4 and every 4.x. An older engine, or one of
/// a major version this simvault does not know, is named and refused: its
/// defaults and pragmas cannot be assumed.
public struct CipherEngine: Sendable, Equatable, CustomStringConvertible {
    /// `PRAGMA cipher_version`, as the engine says it.
    public let version: String
    /// The leading numbers of the version (0 where absent).
    public let major: Int, minor: Int, patch: Int

    /// The oldest SQLCipher simvault runs on.
    public static let oldestSupported = (major: 3, minor: 4)
    /// The newest major version simvault knows.
    public static let newestKnownMajor = 4

    /// Parses `PRAGMA cipher_version`; nil when it holds no version number.
    public init?(cipherVersion: String) {
        let numbers = cipherVersion.prefix { $0.isNumber || $0 == "." }.split(separator: ".").map { Int($0) }
        guard let major = numbers.first ?? nil, major > 0 else { return nil }
        version = cipherVersion
        self.major = major
        minor = numbers.count > 1 ? numbers[1] ?? 0 : 0
        patch = numbers.count > 2 ? numbers[2] ?? 0 : 0
    }

    public var description: String { "SQLCipher \(version)" }

    /// Why simvault cannot run on this engine at all, or nil.
    public var unsupportedReason: String? {
        if major < Self.oldestSupported.major || (major == Self.oldestSupported.major && minor < Self.oldestSupported.minor) {
            return "\(self) is older than SQLCipher \(Self.oldestSupported.major).\(Self.oldestSupported.minor), the oldest simvault supports"
        }
        if major > Self.newestKnownMajor {
            return "\(self) is a major version this simvault does not know (it knows SQLCipher 3.4 to \(Self.newestKnownMajor).x), so it cannot tell which settings that engine applies"
        }
        return nil
    }

    /// The compatibility level of this engine's own defaults.
    public var nativeCompatibility: Int { major }

    /// Whether this engine reads and writes files with `settings`: SQLCipher
    /// 3 knows only its own settings; SQLCipher 4 reads both levels.
    public func supports(_ settings: CipherSettings) -> Bool {
        unsupportedReason == nil && settings.compatibility <= major
    }

    /// The statements that apply `settings` to a connection whose key was
    /// just set, before its first read; every setting SQLCipher does not
    /// store in the file is set, so no process-wide default
    /// (`cipher_default_*`) can change what is read or written.
    ///
    /// SQLCipher 4: `cipher_compatibility` sets KDF iterations, page size,
    /// HMAC use and algorithm and KDF algorithm at once, but not the
    /// plaintext header size (measured on 4.12: a process default of 32
    /// survives it), so that is set too, and the page size after it.
    /// SQLCipher 3.4 has no compatibility pragma (it ignores it): its own
    /// settings are level 3; HMAC use and the page size are set.
    public func pragmas(applying settings: CipherSettings, schema: String = "main") -> [String] {
        if major >= 4 {
            return [
                "PRAGMA \(schema).cipher_compatibility = \(settings.compatibility)",
                "PRAGMA \(schema).cipher_plaintext_header_size = 0",
                "PRAGMA \(schema).cipher_page_size = \(settings.pageSize)",
            ]
        }
        return ["PRAGMA \(schema).cipher_use_hmac = ON", "PRAGMA \(schema).cipher_page_size = \(settings.pageSize)"]
    }

    /// What the engine must answer, after ``pragmas(applying:schema:)``, for
    /// each read-back pragma: the proof that the settings took effect.
    public func expectedReadings(for settings: CipherSettings) -> [(pragma: String, value: String)] {
        var readings = [(pragma: "cipher_page_size", value: String(settings.pageSize)), (pragma: "cipher_use_hmac", value: "1")]
        if major >= 4 {
            readings.append((pragma: "cipher_hmac_algorithm", value: settings.hmacAlgorithm))
            readings.append((pragma: "cipher_kdf_algorithm", value: settings.kdfAlgorithm))
            readings.append((pragma: "cipher_plaintext_header_size", value: "0"))
        }
        return readings
    }

    /// The error for a file with `settings` this engine cannot read.
    public func refusal(for settings: CipherSettings) -> VaultError {
        if let reason = unsupportedReason { return .engineUnsupported(detail: reason) }
        return .cipherNewerThanEngine(compatibility: settings.compatibility, engine: version)
    }
}
