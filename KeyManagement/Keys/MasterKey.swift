internal import CSodium
import Foundation

/// The vault's 256-bit master key: the raw SQLCipher key of the database.
///
/// It is random, never derived from a password, and lives only in
/// ``SecretBytes``. Key slots (keyring, password, recovery) each store a copy
/// of it, the way LUKS key slots store the volume key.
public struct MasterKey: Sendable, CustomStringConvertible {
    /// Length of the key in bytes (AES-256).
    public static let byteCount = 32

    let bytes: SecretBytes

    /// Wraps existing secret bytes; they must be exactly 32 bytes long.
    public init(_ bytes: SecretBytes) throws(KeyError) {
        guard bytes.count == Self.byteCount else {
            throw .malformedKey(detail: "a master key is \(Self.byteCount) bytes, got \(bytes.count)")
        }
        self.bytes = bytes
    }

    /// A fresh key from the OS CSPRNG.
    public static func generate() -> MasterKey {
        // Force-try is safe: the count is the one the initialiser requires.
        try! MasterKey(SecretBytes.random(count: byteCount))
    }

    /// Parses the keyring representation: exactly 64 lowercase hex characters.
    ///
    /// Uppercase is accepted too, since a person may have stored the item by
    /// hand with `secret-tool`; anything else is rejected without echoing it.
    public init(hexCharacters hex: UnsafeRawBufferPointer) throws(KeyError) {
        guard hex.count == Self.byteCount * 2 else {
            throw .malformedKey(detail: "expected \(Self.byteCount * 2) hex characters, got \(hex.count)")
        }
        let parsed: SecretBytes? = try? SecretBytes(count: Self.byteCount) { out in
            var binLength = 0
            let status = sodium_hex2bin(
                out.baseAddress!.assumingMemoryBound(to: UInt8.self), out.count,
                hex.baseAddress!.assumingMemoryBound(to: CChar.self), hex.count,
                nil, &binLength, nil)
            guard status == 0, binLength == Self.byteCount else { throw KeyError.malformedKey(detail: "") }
        }
        guard let parsed else { throw .malformedKey(detail: "the value is not hexadecimal") }
        self.bytes = parsed
    }

    /// Calls `body` with the key as 64 lowercase hex characters followed by a
    /// NUL, in secret memory: the form the keyring item holds.
    public func withHexCString<R>(_ body: (UnsafePointer<CChar>) throws -> R) rethrows -> R {
        let hex = hexText(prefix: "", suffix: "")
        return try hex.withUnsafeBytes { try body($0.baseAddress!.assumingMemoryBound(to: CChar.self)) }
    }

    /// Calls `body` with the SQLCipher raw-key specifier `x'<64 hex>'` (no NUL),
    /// in secret memory.
    ///
    /// SQLCipher treats key material of exactly this form as a raw key and
    /// skips PBKDF2: "if key material is of the form x'hexkey', use it
    /// directly" (crypto_impl.c, sqlcipher_cipher_ctx_key_derive). Passing
    /// this text to `sqlite3_key` avoids building a `PRAGMA key` SQL string,
    /// which the SQL parser would copy into memory nobody wipes.
    public func withRawKeySpecifier<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        let text = hexText(prefix: "x'", suffix: "'")
        // hexText appends a NUL; SQLCipher wants the exact length without it.
        return try text.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0.dropLast())) }
    }

    /// A keyed BLAKE2b hash of `message` under this key (a PRF). Used for the
    /// key check value and key identifiers; reveals nothing about the key.
    public func keyedHash(_ message: [UInt8], outputLength: Int = 32) -> [UInt8] {
        _ = Sodium.ready
        var out = [UInt8](repeating: 0, count: outputLength)
        bytes.withUnsafeBytes { key in
            _ = crypto_generichash(
                &out, outputLength, message, UInt64(message.count),
                key.baseAddress!.assumingMemoryBound(to: UInt8.self), key.count)
        }
        return out
    }

    /// Derives an independent 32-byte subkey (libsodium `crypto_kdf`), e.g.
    /// for sealing stored secrets, so the master key itself is used only by
    /// SQLCipher.
    public func deriveSubkey(id: UInt64, context: String) -> SecretBytes {
        precondition(context.utf8.count == Int(crypto_kdf_CONTEXTBYTES), "crypto_kdf context must be 8 bytes")
        return SecretBytes(count: 32) { out in
            bytes.withUnsafeBytes { key in
                _ = crypto_kdf_derive_from_key(
                    out.baseAddress!.assumingMemoryBound(to: UInt8.self), 32, id, context,
                    key.baseAddress!.assumingMemoryBound(to: UInt8.self))
            }
        }
    }

    /// A 32-byte MAC of `message`: keyed BLAKE2b-256 under the subkey
    /// ``deriveSubkey(id:context:)`` gives for `context` (id 1), so each use
    /// of a MAC has a key of its own and the master key itself never keys a
    /// MAC over attacker-chosen bytes. Used to authenticate the key header.
    public func authenticationTag(of message: [UInt8], context: String) -> [UInt8] {
        let subkey = deriveSubkey(id: 1, context: context)
        var tag = [UInt8](repeating: 0, count: 32)
        subkey.withUnsafeBytes { key in
            _ = crypto_generichash(
                &tag, tag.count, message, UInt64(message.count),
                key.baseAddress!.assumingMemoryBound(to: UInt8.self), key.count)
        }
        return tag
    }

    /// Constant-time comparison.
    public func isSameKey(as other: MasterKey) -> Bool { bytes.constantTimeEquals(other.bytes) }

    /// Gives `body` the raw 32 bytes. Only key-wrapping code needs this.
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try bytes.withUnsafeBytes(body)
    }

    public var description: String { "MasterKey(<redacted>)" }

    private func hexText(prefix: String, suffix: String) -> SecretBytes {
        let prefixBytes = Array(prefix.utf8), suffixBytes = Array(suffix.utf8)
        let hexCount = Self.byteCount * 2
        return SecretBytes(count: prefixBytes.count + hexCount + suffixBytes.count + 1) { out in
            let base = out.baseAddress!.assumingMemoryBound(to: UInt8.self)
            base.update(from: prefixBytes, count: prefixBytes.count)
            bytes.withUnsafeBytes { key in
                // sodium_bin2hex writes lowercase hex and a terminating NUL.
                _ = sodium_bin2hex(
                    UnsafeMutableRawPointer(base + prefixBytes.count).assumingMemoryBound(to: CChar.self),
                    hexCount + 1, key.baseAddress!.assumingMemoryBound(to: UInt8.self), key.count)
            }
            (base + prefixBytes.count + hexCount).update(from: suffixBytes, count: suffixBytes.count)
            base[out.count - 1] = 0
        }
    }
}
