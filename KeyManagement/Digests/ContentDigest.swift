internal import CSodium
public import Foundation

/// Unkeyed digests of public content, as lowercase hex: attachment and
/// bundle checksums (SHA-256) and migration checksums (BLAKE2b-256). Keyed
/// hashes of key material live on ``MasterKey``.
package enum ContentDigest {
    /// libsodium's SHA-256 of `data`, as 64 lowercase hex digits.
    package static func sha256Hex(_ data: Data) -> String {
        _ = Sodium.ready
        var digest = [UInt8](repeating: 0, count: Int(crypto_hash_sha256_BYTES))
        data.withUnsafeBytes { bytes in
            _ = crypto_hash_sha256(&digest, bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), UInt64(bytes.count))
        }
        return hex(digest)
    }

    /// libsodium's unkeyed BLAKE2b (`crypto_generichash`) of `bytes` with a
    /// 32-byte output, as 64 lowercase hex digits.
    package static func blake2b256Hex(_ bytes: [UInt8]) -> String {
        _ = Sodium.ready
        var digest = [UInt8](repeating: 0, count: 32)
        _ = crypto_generichash(&digest, 32, bytes, UInt64(bytes.count), nil, 0)
        return hex(digest)
    }

    private static func hex(_ bytes: [UInt8]) -> String {
        bytes.map { byte in
            let digits = String(byte, radix: 16)
            return byte < 16 ? "0" + digits : digits
        }.joined()
    }
}
