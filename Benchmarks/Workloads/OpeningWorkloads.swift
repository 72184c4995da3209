import CSecret
import CSQLCipher
import CSodium
import Foundation
import SimVault
import VaultKeys

extension BenchmarkRun {
    /// Opening a vault: with the key from the keyring, with the password (and
    /// what the password KDF alone costs), and with an explicit key (no key
    /// source at all: simvault's own open steps against a bare C open).
    func measureOpening() throws {
        progress("opening")
        let encryptedLocation = location("encrypted"), plaintextLocation = location("plaintext"), rawLocation = location("raw")
        var plainConfiguration = VaultConfiguration()
        plainConfiguration.unsafePlaintextDatabase = true
        let key = try KeyUnlocker(
            header: try KeyHeaderFile(path: encryptedLocation.headerPath).load(), headerPath: encryptedLocation.headerPath
        ).unlock(.password(password)).masterKey
        let plainKey = try KeyUnlocker(
            header: try KeyHeaderFile(path: plaintextLocation.headerPath).load(), headerPath: plaintextLocation.headerPath
        ).unlock(.password(password)).masterKey
        let cache = VaultConfiguration().cacheSizeKiB

        _ = try measureEach("Opening", "open with an explicit key", repeats: scale.iterations.openKeyring, [
            (.encrypted, { Self.openAndClose(encryptedLocation, UnlockRequest(masterKey: key, usesKeyring: false)) }),
            (.plaintext, { Self.openAndClose(plaintextLocation, UnlockRequest(masterKey: plainKey, usesKeyring: false), plainConfiguration) }),
            (.rawC, { _ = try RawDatabase(path: rawLocation.path, key: self.rawKey, cacheSizeKiB: cache) }),
        ])

        if hasKeyring {
            let rawVaultID = try KeyHeaderFile(path: rawLocation.headerPath).load().vaultID
            let lookup = KeyringLookup()
            _ = try measureEach("Opening", "open with the key from the keyring", repeats: scale.iterations.openKeyring, target: 30, [
                (.encrypted, { Self.openAndClose(encryptedLocation, UnlockRequest()) }),
                (.plaintext, { Self.openAndClose(plaintextLocation, UnlockRequest(), plainConfiguration) }),
                (.rawC, { _ = try RawDatabase(path: rawLocation.path, key: try lookup.key(vaultID: rawVaultID), cacheSizeKiB: cache) }),
            ])
        } else {
            results.notes.append("No Secret Service answered: the keyring workloads were skipped (run inside scripts/with-keyring).")
        }

        // Raw C with a password: the same key model in C (Argon2id with the
        // slot's salt and cost, XChaCha20-Poly1305 unwrap, raw-key open);
        // the slot's fields are decoded beforehand.
        let rawHeader = try KeyHeaderFile(path: rawLocation.headerPath).load()
        guard let rawSlot = rawHeader.slots(ofKind: .password).first, case .password(let rawMaterial) = rawSlot.material else {
            throw BenchmarkFailure("the raw vault has no password slot")
        }
        let unwrap = PasswordUnwrap(slot: rawMaterial, vaultID: rawHeader.vaultID, slotID: rawSlot.id, password: "benchmark password")
        try measureEach("Opening", "open with the password", repeats: scale.iterations.openPassword, [
            (.encrypted, { Self.openAndClose(encryptedLocation, .password(self.password)) }),
            (.plaintext, { Self.openAndClose(plaintextLocation, .password(self.password), plainConfiguration) }),
            (.rawC, { _ = try RawDatabase(path: rawLocation.path, key: try unwrap.keyText(), cacheSizeKiB: cache) }),
        ])

        // SQLCipher's own passphrase key (PBKDF2-SHA1, 64,000 iterations in
        // 3.4.1), for comparison: what a vault keyed by a password directly
        // would pay at every connection.
        let passphrasePath = (directory as NSString).appendingPathComponent("passphrase.db")
        let passphrase = Array("benchmark password".utf8)
        do {
            let db = try RawDatabase(path: passphrasePath, key: passphrase, cacheSizeKiB: cache, creates: true)
            try db.exec("CREATE TABLE t (x)")
        }
        let header = try KeyHeaderFile(path: encryptedLocation.headerPath).load()
        guard case .password(let slot)? = header.slots(ofKind: .password).first?.material else { return }
        var kdf = Samples()
        for _ in 0..<max(1, scale.iterations.openPassword) {
            kdf.add(try Clock.measure { _ = try slot.kdf.deriveKey(from: password) }.nanoseconds)
        }
        results.add(Fact(
            group: "Opening", name: "password KDF alone: Argon2id \(slot.kdf.memLimit >> 20) MiB, \(slot.kdf.opsLimit) passes (p50)",
            value: kdf.p50.milliseconds, unit: "ms", note: "included in \"open with the password\""))
        var pbkdf2 = Samples()
        for _ in 0..<max(1, scale.iterations.openPassword) {
            let withPassphrase = try Clock.measure { _ = try RawDatabase(path: passphrasePath, key: passphrase, cacheSizeKiB: cache) }
            let withRawKey = try Clock.measure { _ = try RawDatabase(path: rawLocation.path, key: rawKey, cacheSizeKiB: cache) }
            pbkdf2.add(withPassphrase.nanoseconds > withRawKey.nanoseconds ? withPassphrase.nanoseconds - withRawKey.nanoseconds : 0)
        }
        results.add(Fact(
            group: "Opening", name: "SQLCipher passphrase KDF alone: PBKDF2-SHA1, 64,000 iterations (p50)",
            value: pbkdf2.p50.milliseconds, unit: "ms", note: "paid by every connection of a passphrase-keyed file; simvault's raw key skips it"))
    }

    private static func openAndClose(_ location: VaultLocation, _ unlock: UnlockRequest, _ configuration: VaultConfiguration = VaultConfiguration()) {
        do {
            try Vault.open(at: location, unlock: unlock, configuration: configuration).close()
        } catch {
            fatalError("cannot open \(location.path): \(error)")
        }
    }
}

/// A keyring lookup with libsecret's simplest call, as a C program would
/// make it: `secret_password_lookupv_sync` with the vault's attributes.
final class KeyringLookup {
    private let schema: UnsafeMutablePointer<SecretSchema>

    init() {
        let types = simvault_schema_table_new()
        defer { g_hash_table_unref(types) }
        for name in ["application", "vault-id", "key-id"] { simvault_schema_table_insert_string(types, name) }
        schema = secret_schema_newv(SecretServiceKeyring.schemaName, SECRET_SCHEMA_DONT_MATCH_NAME, types)
    }

    deinit { secret_schema_unref(schema) }

    /// The key as SQLCipher key text `x'<hex>'`.
    func key(vaultID: String) throws -> [UInt8] {
        let attributes = simvault_string_table_new()!
        defer { g_hash_table_unref(attributes) }
        simvault_string_table_insert(attributes, "application", SecretServiceKeyring.application)
        simvault_string_table_insert(attributes, "vault-id", vaultID)
        var error: UnsafeMutablePointer<GError>?
        guard let secret = secret_password_lookupv_sync(schema, attributes, nil, &error) else {
            if let error { g_error_free(error) }
            throw BenchmarkFailure("the keyring has no key for vault \(vaultID)")
        }
        defer { secret_password_free(secret) }
        return Array("x'".utf8) + Array(UnsafeRawBufferPointer(start: secret, count: strlen(secret))) + Array("'".utf8)
    }
}

/// A password slot opened the way a C program would: `crypto_pwhash`
/// (Argon2id) with the slot's salt and cost, then
/// `crypto_aead_xchacha20poly1305_ietf_decrypt` of the wrapped master key.
struct PasswordUnwrap {
    let salt, nonce, sealed, associated, password: [UInt8]
    let opsLimit: UInt64
    let memLimit: Int

    init(slot: PasswordSlot, vaultID: String, slotID: Int, password: String) {
        salt = Array(Data(base64Encoded: slot.kdf.salt)!)
        nonce = Array(Data(base64Encoded: slot.nonce)!)
        sealed = Array(Data(base64Encoded: slot.wrappedKey)!)
        associated = Array("simvault password slot v1\u{0}\(vaultID)\u{0}\(slotID)".utf8)
        self.password = Array(password.utf8)
        opsLimit = slot.kdf.opsLimit
        memLimit = Int(slot.kdf.memLimit)
    }

    /// The master key as SQLCipher key text `x'<hex>'`.
    func keyText() throws -> [UInt8] {
        var wrappingKey = [UInt8](repeating: 0, count: 32), key = [UInt8](repeating: 0, count: 32)
        defer { sodium_memzero(&wrappingKey, 32); sodium_memzero(&key, 32) }
        guard crypto_pwhash(&wrappingKey, 32, password.map { CChar(bitPattern: $0) }, UInt64(password.count), salt, opsLimit, memLimit,
                            crypto_pwhash_ALG_ARGON2ID13) == 0 else { throw BenchmarkFailure("crypto_pwhash failed") }
        var length: UInt64 = 0
        guard crypto_aead_xchacha20poly1305_ietf_decrypt(
            &key, &length, nil, sealed, UInt64(sealed.count), associated, UInt64(associated.count), nonce, wrappingKey) == 0
        else { throw BenchmarkFailure("the password slot did not open") }
        var hex = [CChar](repeating: 0, count: 65)
        sodium_bin2hex(&hex, 65, key, 32)
        return Array("x'".utf8) + hex.prefix(64).map { UInt8(bitPattern: $0) } + Array("'".utf8)
    }
}
