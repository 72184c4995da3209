internal import CSodium
package import Foundation

/// Opening what another app "encrypted" under a key it published in its
/// own source code, so an import can seal the value properly (the CSodium
/// call site for AES-256-GCM; ``SecretSealer`` keeps the others).
package enum PublishedKeyCipher {
    /// Whether this CPU has the AES instructions libsodium's AES-256-GCM
    /// needs (`crypto_aead_aes256gcm_is_available`).
    package static var isAES256GCMAvailable: Bool {
        _ = Sodium.ready
        return crypto_aead_aes256gcm_is_available() == 1
    }

    /// LibreOllama's Gmail tokens: base64 of `nonce (12) || ciphertext ||
    /// tag (16)`, AES-256-GCM under 32 zero bytes (the key its
    /// `lib.rs` passes to its Gmail service), no associated data. Nil when
    /// the text is not that or does not authenticate under that key.
    package static func openLibreOllamaToken(_ text: String) -> SecretBytes? {
        guard isAES256GCMAvailable, let data = Data(base64Encoded: text) else { return nil }
        let nonceBytes = Int(crypto_aead_aes256gcm_NPUBBYTES), tagBytes = Int(crypto_aead_aes256gcm_ABYTES)
        let bytes = [UInt8](data)
        guard bytes.count >= nonceBytes + tagBytes else { return nil }
        let nonce = Array(bytes[..<nonceBytes])
        let ciphertext = Array(bytes[nonceBytes...])
        let key = [UInt8](repeating: 0, count: Int(crypto_aead_aes256gcm_KEYBYTES))
        return try? SecretBytes(count: ciphertext.count - tagBytes) { out in
            var length: UInt64 = 0
            let status = crypto_aead_aes256gcm_decrypt(
                out.baseAddress?.assumingMemoryBound(to: UInt8.self), &length, nil, ciphertext, UInt64(ciphertext.count), nil, 0, nonce, key)
            // > returns -1 if the verification fails.
            guard status == 0 else { throw NotAuthentic() }
        }
    }

    /// Thrown inside ``openLibreOllamaToken(_:)`` only, to discard the output.
    private struct NotAuthentic: Error {}
}
