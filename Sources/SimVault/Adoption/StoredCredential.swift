import Foundation

/// Credentials as AionUi stores them in its own columns: `b64:<base64>`
/// (its current form), and the legacy `plain:<text>` and `enc:<base64>`
/// of older builds, which hold the value itself or its base64; anything
/// else is the value as it is. None of these is encryption.
enum StoredCredential {
    /// The credential held by `text`. A legacy `enc:` value that does not
    /// decode to text (encrypted by the OS keychain of the machine that
    /// wrote it) is returned as it is: it is sealed as it was found.
    static func aionUi(_ text: String) -> String {
        if text.hasPrefix("plain:") { return String(text.dropFirst(6)) }
        for prefix in ["b64:", "enc:"] where text.hasPrefix(prefix) {
            if let data = Data(base64Encoded: String(text.dropFirst(prefix.count))), let decoded = String(data: data, encoding: .utf8),
               !decoded.isEmpty, !decoded.unicodeScalars.contains(where: { $0.value < 0x20 && $0 != "\n" }) {
                return decoded
            }
        }
        return text
    }
}
