internal import CSodium
import Foundation

/// A fixed-size buffer of secret bytes (master keys, derived keys, passwords,
/// recovery seeds) held in libsodium's guarded memory.
///
/// The buffer comes from `sodium_malloc`: it sits between guard pages, is
/// `mlock`ed where the system allows it, and `sodium_free` zeroes it before
/// releasing it when the last reference goes away. The bytes are reachable
/// only through ``withUnsafeBytes(_:)``; the value never prints its contents.
///
/// ```swift
/// let key = SecretBytes.random(count: 32)
/// key.withUnsafeBytes { bytes in /* hand to a C API, do not copy out */ }
/// ```
///
/// libsodium: https://doc.libsodium.org/memory_management
public final class SecretBytes: @unchecked Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    // @unchecked Sendable: the buffer is written only inside the initialisers
    // (before the value is shared) and is read-only afterwards.
    private let base: UnsafeMutableRawPointer
    /// Number of secret bytes.
    public let count: Int

    /// Allocates `count` bytes and lets `initialize` fill them.
    ///
    /// The buffer is zeroed first, so bytes `initialize` does not write are 0.
    /// If `initialize` throws, the buffer is wiped and freed.
    public init(count: Int, initialize: (UnsafeMutableRawBufferPointer) throws -> Void) rethrows {
        _ = Sodium.ready
        // sodium_malloc(0) is legal but returns a pointer that cannot be
        // written; a one-byte allocation keeps every path uniform.
        guard let pointer = sodium_malloc(Swift.max(count, 1)) else {
            fatalError("sodium_malloc(\(count)) failed: out of memory for secret buffers")
        }
        sodium_memzero(pointer, Swift.max(count, 1))
        base = pointer
        self.count = count
        // If `initialize` throws, every stored property is already set, so
        // Swift runs `deinit`, which wipes and frees the buffer.
        try initialize(UnsafeMutableRawBufferPointer(start: pointer, count: count))
    }

    /// `count` bytes from the OS CSPRNG.
    public static func random(count: Int) -> SecretBytes {
        SecretBytes(count: count) { buffer in
            randombytes_buf(buffer.baseAddress!, buffer.count)
        }
    }

    /// Copies `bytes` into secret memory and wipes the source array in
    /// place.
    ///
    /// The array is read through the caller's own reference and no copy of
    /// it is made, so the wipe lands on its storage: a second reference
    /// (even a temporary `let`) would make the wipe copy-on-write a fresh
    /// buffer, zero that, and free the original with the secret still in
    /// it. Copies the caller made before are its own to wipe.
    public convenience init(consuming bytes: inout [UInt8]) {
        self.init(count: bytes.count) { buffer in
            bytes.withUnsafeBytes { buffer.copyMemory(from: $0) }
        }
        Sodium.wipe(&bytes)
    }

    deinit {
        // > sodium_free() [...] the memory is filled with zeros before the
        // > deallocation.
        sodium_free(base)
    }

    /// Calls `body` with a read-only view of the secret. Do not let the
    /// pointer escape, and do not copy the bytes into ordinary memory.
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(UnsafeRawBufferPointer(start: base, count: count))
    }

    /// Constant-time equality (`sodium_memcmp`): comparing keys must not leak
    /// how many leading bytes matched.
    public func constantTimeEquals(_ other: SecretBytes) -> Bool {
        guard count == other.count else { return false }
        return sodium_memcmp(base, other.base, count) == 0
    }

    /// Constant-time comparison with public bytes (e.g. a stored key check).
    public func constantTimeEquals(_ bytes: [UInt8]) -> Bool {
        guard count == bytes.count else { return false }
        return bytes.withUnsafeBytes { sodium_memcmp(base, $0.baseAddress!, count) == 0 }
    }

    /// A new secret holding `range` of this one.
    public func slice(_ range: Range<Int>) -> SecretBytes {
        precondition(range.lowerBound >= 0 && range.upperBound <= count, "SecretBytes.slice out of bounds")
        return SecretBytes(count: range.count) { buffer in
            buffer.copyMemory(from: UnsafeRawBufferPointer(start: base + range.lowerBound, count: range.count))
        }
    }

    public var description: String { "SecretBytes(\(count) secret bytes)" }
    public var debugDescription: String { description }
}
