internal import CSQLCipher
import VaultKeys

extension Connection {
    /// Copies this connection's database into the new, empty file at `path`,
    /// encrypted with `key` and `cipher` (which may differ from this file's:
    /// another HMAC algorithm and page layout), with `sqlcipher_export()`.
    ///
    /// `PRAGMA rekey` cannot change the HMAC algorithm or the bytes reserved
    /// per page, so a change of cipher compatibility is a copy. The copy is
    /// attached with the key bound as a parameter from guarded memory (never
    /// in the SQL text), its settings applied and read back before its first
    /// page is written, written without a journal (a copy that fails is
    /// thrown away), and given this file's `user_version` and
    /// `application_id`, which `sqlcipher_export()` does not copy (measured
    /// on SQLCipher 4.12). Rowids of every simvault table survive: each table
    /// with a full-text index has an explicit `INTEGER PRIMARY KEY`.
    ///
    /// The caller syncs and verifies the copy before trusting it.
    ///
    /// SQLCipher: https://www.zetetic.net/sqlcipher/sqlcipher-api/#sqlcipher_export
    func exportEncryptedCopy(to path: String, key: MasterKey, cipher: CipherSettings) throws {
        guard let engine else { throw VaultError.engineUnsupported(detail: "PRAGMA cipher_version is not a version number") }
        guard engine.supports(cipher) else { throw engine.refusal(for: cipher) }
        let schema = "simvault_copy"
        let attach = try Statement(connectionHandle: handle, sql: "ATTACH DATABASE ? AS \(schema) KEY ?")
        try attach.bind(path, at: 1)
        // > SQLITE_STATIC: the content pointer is constant and will never
        // > change (sqlite.org/c3ref/bind_blob.html). The buffer outlives the
        // > step; SQLCipher copies the key into its own wiped memory.
        try key.withRawKeySpecifier { specifier in
            let status = sqlite3_bind_text(
                attach.handle, 2, specifier.baseAddress?.assumingMemoryBound(to: CChar.self), Int32(specifier.count), simvault_sqlite_static())
            guard status == SQLITE_OK else { throw SQLiteError(code: status, handle: handle, sql: "ATTACH ... KEY <redacted>") }
            // Unbound before the buffer is wiped and freed on return.
            defer { sqlite3_clear_bindings(attach.handle) }
            _ = try attach.step()
        }
        defer { try? execute("DETACH DATABASE \(schema)") }

        for pragma in engine.pragmas(applying: cipher, schema: schema) { try execute(pragma) }
        for reading in engine.expectedReadings(for: cipher) {
            let value: String? = try scalar("PRAGMA \(schema).\(reading.pragma)")
            guard value == reading.value else {
                throw VaultError.engineUnsupported(detail: "\(engine) did not take the settings of the copy (\(cipher.summary)): PRAGMA \(reading.pragma) is \(value ?? "nothing"), expected \(reading.value)")
            }
        }
        try execute("PRAGMA \(schema).journal_mode = OFF; PRAGMA \(schema).synchronous = OFF")
        try execute("SELECT sqlcipher_export('\(schema)')")
        let userVersion: Int = try scalar("PRAGMA main.user_version") ?? 0
        let applicationID: Int = try scalar("PRAGMA main.application_id") ?? 0
        try execute("PRAGMA \(schema).user_version = \(userVersion); PRAGMA \(schema).application_id = \(applicationID)")
    }
}
