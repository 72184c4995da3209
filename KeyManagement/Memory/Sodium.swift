internal import CSodium

/// One-time libsodium initialisation.
///
/// > sodium_init() initializes the library and should be called before any
/// > other function provided by Sodium. [...] the function can be called more
/// > than once, and can be called simultaneously from multiple threads.
///
/// A global `let` is initialised once, lazily and thread-safely by Swift, so
/// touching `Sodium.ready` before any libsodium call is enough. This is the
/// only `sodium_init` call in simvault: every module that uses libsodium
/// (VaultKeys, VaultSchema's migration checksums, SimVault's wiping) goes
/// through it.
///
/// A failing `sodium_init` is a documented precondition failure, not a
/// typed error: it means libsodium could not set itself up (no usable
/// random source), which no user, file or key can cause or fix, and which
/// leaves no key, nonce or salt safe to make. The calls that need it sit in
/// non-throwing constructors (``SecretBytes``, random bytes, digests); a
/// `throws` on each of them for a condition the process cannot recover from
/// would only push the stop further from its cause. So the process stops,
/// naming the cause, before any key is made or any file is touched.
package enum Sodium {
    package static let ready: Void = {
        // A negative return means the library could not initialise (no
        // entropy source); nothing in simvault is safe without it.
        guard sodium_init() >= 0 else {
            fatalError("libsodium failed to initialise (sodium_init < 0): no secure random source")
        }
    }()

    /// Fills `count` bytes with random data from the OS CSPRNG.
    static func randomBytes(_ count: Int) -> [UInt8] {
        _ = ready
        var bytes = [UInt8](repeating: 0, count: count)
        bytes.withUnsafeMutableBytes { randombytes_buf($0.baseAddress!, count) }
        return bytes
    }

    /// Constant-time equality of two public byte strings of equal length
    /// (stored key checks and MACs against freshly computed ones): the time
    /// does not depend on where they differ, so a forger learns nothing from
    /// how long a rejection took.
    static func constantTimeEquals(_ first: [UInt8], _ second: [UInt8]) -> Bool {
        _ = ready
        guard first.count == second.count else { return false }
        guard !first.isEmpty else { return true }
        return sodium_memcmp(first, second, first.count) == 0
    }

    /// Overwrites a Swift array in place, for the few places where a library
    /// boundary forces key-adjacent bytes into ordinary memory.
    package static func wipe(_ bytes: inout [UInt8]) {
        bytes.withUnsafeMutableBytes { buffer in
            if let base = buffer.baseAddress { sodium_memzero(base, buffer.count) }
        }
    }
}
