import Foundation

/// Wall-clock time as stored in the vault: integer unix milliseconds.
enum Clock {
    static func nowMilliseconds() -> Int64 { Int64((Date().timeIntervalSince1970 * 1000).rounded()) }
}
