import Foundation

/// The key check value: proof, without touching the database, that a key is
/// this vault's master key (the role of LUKS2's digest).
///
/// It is a keyed BLAKE2b hash of a fixed label and the vault id under the
/// master key: a pseudo-random function output that reveals nothing about the
/// key. The vault id in the message ties the value to one vault, so a key from
/// another vault never passes. The key id is a shorter output of the same PRF
/// under another label, public and stable, used to tag keyring items.
package struct KeyCheck: Sendable {
    /// `blake2b-256:<base64>`, as stored in the header.
    package let value: String
    /// 16 hex characters identifying the master key.
    package let keyID: String

    package init(masterKey: MasterKey, vaultID: String) {
        let check = masterKey.keyedHash(Array("simvault key check v1\u{0}\(vaultID)".utf8))
        value = "blake2b-256:" + Data(check).base64EncodedString()
        let id = masterKey.keyedHash(Array("simvault key id v1\u{0}\(vaultID)".utf8), outputLength: 16)
        keyID = id.prefix(8).map { String(format: "%02x", $0) }.joined()
    }

    /// Constant-time comparison with a stored value.
    package func matches(storedValue: String) -> Bool {
        Sodium.constantTimeEquals(Array(value.utf8), Array(storedValue.utf8))
    }
}
