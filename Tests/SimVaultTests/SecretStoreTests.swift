import Foundation
@testable import SimVault
import Testing
import VaultTestSupport

/// Sealed secrets: never in plaintext on disk or in SQL output; every read
/// audited; robust to rows being swapped; ready for key rotation.
@Suite("secrets")
struct SecretStoreTests {
    private static func secret(_ text: String) -> SecretBytes {
        var bytes = Array(text.utf8)
        return SecretBytes(consuming: &bytes)
    }

    private static func text(_ secret: SecretBytes) -> String {
        secret.withUnsafeBytes { String(decoding: $0, as: UTF8.self) }
    }

    @Test("a secret round-trips; its value is in no vault file and no SQL output; each get adds an access_log row")
    func sealedAndAudited() throws {
        let test = try TestVault()
        let vault = test.vault
        let value = "sk-proj-Zq8v3TqPLAINTEXTcanary4417"
        try vault.secrets.set("OPENAI_API_KEY", value: Self.secret(value), scope: "provider:openai")
        try vault.secrets.set("DATABASE_URL", value: Self.secret("postgres://u:pw@h/db"), scope: "workflow:1", kind: .env)
        for _ in 0..<3 {
            #expect(Self.text(try vault.secrets.get("OPENAI_API_KEY", scope: "provider:openai")) == value)
        }
        let reads = try vault.rawScalar(
            "SELECT count(*) FROM access_log WHERE action = 'secret.read' AND resource = 'provider:openai/OPENAI_API_KEY'", as: Int.self)
        #expect(reads == 3)
        #expect(try vault.secrets.list().map(\.name) == ["OPENAI_API_KEY", "DATABASE_URL"])
        #expect(try vault.secrets.list(scope: "workflow:1").map(\.kind) == [.env])

        // Everything SQL can see, table by table, as text and as hex.
        let tables = try vault.executeSQL("SELECT name FROM sqlite_master WHERE type = 'table'").rows.compactMap { row -> String? in
            if case .text(let name) = row[0] { return name } else { return nil }
        }
        let hexValue = Data(value.utf8).map { String(format: "%02x", $0) }.joined()
        for table in tables {
            let dump = try vault.executeSQL("SELECT * FROM \"\(table)\"").rows.flatMap { $0.map(SQLResult.literal) }.joined(separator: "\n")
            #expect(!dump.contains(value) && !dump.contains(hexValue), "the secret shows in SELECT * FROM \(table)")
        }
        // And every file on disk, before and after a checkpoint.
        for file in test.existingFiles { #expect(!ExternalTools.fileContains(file, value), "plaintext secret in \(file)") }
        try vault.writeWithoutTransaction { db in try db.execute("PRAGMA wal_checkpoint(TRUNCATE)") }
        for file in test.existingFiles { #expect(!ExternalTools.fileContains(file, value), "plaintext secret in \(file)") }

        #expect(try vault.secrets.remove("OPENAI_API_KEY", scope: "provider:openai"))
        #expect(throws: VaultError.recordNotFound(kind: "secret", id: "provider:openai/OPENAI_API_KEY")) {
            try vault.secrets.get("OPENAI_API_KEY", scope: "provider:openai")
        }
        #expect(try vault.secrets.remove("OPENAI_API_KEY", scope: "provider:openai") == false)
        let actions = try vault.read { db in try AccessLog.recent(limit: 20, in: db).map(\.action) }
        #expect(actions.filter { $0 == "secret.write" }.count == 2 && actions.contains("secret.remove"))
    }

    @Test("replacing a secret keeps one row; a sealed value moved to another row does not open")
    func replaceAndSwap() throws {
        let test = try TestVault()
        let vault = test.vault
        try vault.secrets.set("A", value: Self.secret("alpha"))
        try vault.secrets.set("A", value: Self.secret("alpha-2"))
        try vault.secrets.set("B", value: Self.secret("bravo"))
        #expect(try vault.count("secrets") == 2)
        #expect(Self.text(try vault.secrets.get("A")) == "alpha-2")
        try vault.rawWrite("UPDATE secrets SET sealed_value = (SELECT sealed_value FROM secrets WHERE name = 'A') WHERE name = 'B'")
        #expect(throws: VaultError.self) { try vault.secrets.get("B") }
        let reads = try vault.rawScalar("SELECT count(*) FROM access_log WHERE action = 'secret.read' AND resource = 'global/B'", as: Int.self)
        #expect(reads == 0, "a failed read returns nothing and logs nothing")
    }

    @Test("key rotation hooks: prepare wraps the same secrets key for the new master key; finish drops the old wrap")
    func rotationHooks() throws {
        let test = try TestVault()
        let vault = test.vault
        try vault.secrets.set("TOKEN", value: Self.secret("t0k3n"))
        let newKey = MasterKey.generate()
        try vault.write { db in try SecretKeyRotation.prepare(from: vault.masterKey, to: newKey, vaultID: vault.vaultID, in: db) }
        #expect(try vault.count("secret_keys") == 2)
        let (old, new) = try vault.read { db in
            (try SecretKeyRotation.secretsKey(for: vault.masterKey, vaultID: vault.vaultID, creating: false, in: db),
             try SecretKeyRotation.secretsKey(for: newKey, vaultID: vault.vaultID, creating: false, in: db))
        }
        let oldKey = try #require(old), newWrapKey = try #require(new)
        #expect(oldKey.constantTimeEquals(newWrapKey), "both wraps must hold the same secrets key")
        #expect(Self.text(try vault.secrets.get("TOKEN")) == "t0k3n", "the old key still reads during a rotation")

        try vault.write { db in try SecretKeyRotation.finish(keeping: newKey, in: db) }
        #expect(try vault.count("secret_keys") == 1)
        #expect {
            try vault.secrets.get("TOKEN")
        } throws: { error in
            guard case VaultError.corrupt(let detail) = error else { return false }
            return detail.contains("another master key")
        }
    }
}
