import Foundation
import Testing
@testable import SimVault
import VaultTestSupport

@Suite("vault")
struct VaultTests {
    @Test("write commits, a throwing write rolls back, read sees committed data")
    func readWrite() throws {
        let fixture = try TestVault()
        let vault = fixture.vault
        try vault.write { db in try db.execute("CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL)") }
        try vault.write { db in try db.execute("INSERT INTO items (name) VALUES (?)", ["first"]) }
        struct Abort: Error {}
        #expect(throws: Abort.self) {
            try vault.write { db in
                try db.execute("INSERT INTO items (name) VALUES (?)", ["never"])
                throw Abort()
            }
        }
        let names = try vault.read { db in try db.fetchAll("SELECT name FROM items").map { try $0.get(0, as: String.self) } }
        #expect(names == ["first"])
        // Readers cannot write.
        #expect(throws: SQLiteError.self) { try vault.read { db in try db.execute("INSERT INTO items (name) VALUES ('x')") } }
    }

    @Test("a reader keeps its snapshot while the writer commits")
    func snapshotIsolation() throws {
        let fixture = try TestVault()
        let vault = fixture.vault
        try vault.write { db in try db.execute("CREATE TABLE n (v INTEGER); INSERT INTO n VALUES (1)") }
        try vault.read { db in
            let before: Int = try db.scalar("SELECT count(*) FROM n") ?? -1
            try vault.write { writer in try writer.execute("INSERT INTO n VALUES (2)") }
            let during: Int = try db.scalar("SELECT count(*) FROM n") ?? -1
            #expect(before == 1)
            #expect(during == 1, "a read transaction must not see a commit made after it started")
        }
        #expect(try vault.read { db in try db.scalar("SELECT count(*) FROM n", as: Int.self) } == 2)
    }

    @Test("many threads and two Vault instances write and read concurrently without losing a row or seeing 'locked'")
    func concurrency() async throws {
        let fixture = try TestVault()
        let first = fixture.vault
        let second = try fixture.reopen()
        try await first.write { db in try db.execute("CREATE TABLE c (writer INTEGER, n INTEGER)") }
        let writers = 6, perWriter = 40
        try await withThrowingTaskGroup(of: Void.self) { group in
            for writer in 0..<writers {
                let vault = writer.isMultiple(of: 2) ? first : second
                group.addTask {
                    for n in 0..<perWriter {
                        try await vault.write { db in try db.execute("INSERT INTO c VALUES (?, ?)", [writer, n]) }
                        _ = try await vault.read { db in try db.scalar("SELECT count(*) FROM c", as: Int.self) }
                    }
                }
            }
            try await group.waitForAll()
        }
        let total = try await first.read { db in try db.scalar("SELECT count(*) FROM c", as: Int.self) }
        #expect(total == writers * perWriter)
        second.close()
    }

    @Test("the vault records its creation in the access log and its id in vault_meta")
    func creationRecorded() throws {
        let fixture = try TestVault()
        let entries = try fixture.vault.read { db in try AccessLog.recent(in: db) }
        #expect(entries.map(\.action) == ["vault.init"])
        #expect(entries.first?.resource == fixture.vault.vaultID)
        #expect(try fixture.vault.read { db in try VaultMeta.read(VaultMeta.vaultID, in: db) } == fixture.vault.vaultID)
        #expect(try fixture.vault.schemaVersion() == Vault.supportedSchemaVersion)
    }

    @Test("a page damaged after open surfaces as VaultError.corrupt, not a wrong key")
    func corruptionAfterOpen() throws {
        let fixture = try TestVault()
        try fixture.vault.write { db in
            try db.execute("CREATE TABLE big (v BLOB)")
            for _ in 0..<50 { try db.execute("INSERT INTO big VALUES (randomblob(3000))") }
        }
        try fixture.vault.writeWithoutTransaction { db in try db.execute("PRAGMA wal_checkpoint(TRUNCATE)") }
        fixture.vault.close()
        let size = try #require(FileManager.default.attributesOfItem(atPath: fixture.location.path)[.size] as? Int)
        // The last page belongs to `big`, which opening does not read.
        try ExternalTools.flipByte(in: fixture.location.path, at: size - 4096 + 100)
        let vault = try fixture.reopen()
        #expect {
            _ = try vault.read { db in try db.fetchAll("SELECT length(v) FROM big") }
        } throws: { error in
            guard case VaultError.corrupt = error else { return false }
            return true
        }
    }

    @Test("open reports a missing vault, a missing header and a wrong password distinctly")
    func openErrors() throws {
        let fixture = try TestVault()
        fixture.vault.close()
        let wrong = SecretBytes(count: 5) { $0.copyBytes(from: Array("wrong".utf8)) }
        #expect { _ = try Vault.open(at: fixture.location, unlock: .password(wrong)) } throws: {
            if case VaultError.wrongKey = $0 { return true } else { return false }
        }
        #expect { _ = try Vault.open(at: fixture.location, unlock: UnlockRequest(usesKeyring: false)) } throws: {
            if case VaultError.noKeySource = $0 { return true } else { return false }
        }
        let elsewhere = VaultLocation(path: fixture.directory.file("nope.db"))
        #expect { _ = try Vault.open(at: elsewhere, unlock: .password(fixture.password)) } throws: {
            if case VaultError.notFound = $0 { return true } else { return false }
        }
        try FileManager.default.removeItem(atPath: fixture.location.headerPath)
        #expect { _ = try Vault.open(at: fixture.location, unlock: .password(fixture.password)) } throws: {
            if case VaultError.headerMissing = $0 { return true } else { return false }
        }
    }

    @Test("a header copied from another vault is refused even though its key opens its own slots")
    func foreignHeader() throws {
        let one = try TestVault(), two = try TestVault()
        one.vault.close(); two.vault.close()
        try FileManager.default.removeItem(atPath: one.location.headerPath)
        try FileManager.default.copyItem(atPath: two.location.headerPath, toPath: one.location.headerPath)
        #expect { _ = try Vault.open(at: one.location, unlock: .password(two.password)) } throws: {
            if case VaultError.corrupt = $0 { return true } else { return false }
        }
    }

    @Test("create refuses an existing path and cleans up after itself")
    func createRefusesExisting() throws {
        let fixture = try TestVault()
        var options = VaultCreationOptions()
        options.usesKeyring = false
        options.password = fixture.password
        #expect { _ = try Vault.create(at: fixture.location, options: options) } throws: {
            if case VaultError.alreadyExists = $0 { return true } else { return false }
        }
        // No key source at all: nothing is created.
        let empty = VaultLocation(path: fixture.directory.file("empty/v.db"))
        var none = VaultCreationOptions()
        none.usesKeyring = false
        #expect { _ = try Vault.create(at: empty, options: none) } throws: {
            if case VaultError.noKeySource = $0 { return true } else { return false }
        }
        #expect(!FileManager.default.fileExists(atPath: empty.path))
        #expect(!FileManager.default.fileExists(atPath: empty.headerPath))
    }

    @Test("the benchmark's plaintext switch (package-only) writes plain SQLite; the default writes no plaintext")
    func plaintextBaselineSwitch() throws {
        var plainConfiguration = VaultConfiguration()
        plainConfiguration.unsafePlaintextDatabase = true
        let plain = try TestVault(configuration: plainConfiguration, label: "plain")
        let encrypted = try TestVault(label: "encrypted")
        let marker = "plaintext marker 7f3a"
        for fixture in [plain, encrypted] {
            let chat = try fixture.vault.conversations.create(Conversation(title: "switch"))
            try fixture.vault.messages.append(to: chat.id, role: .user, content: marker)
            try fixture.vault.writeWithoutTransaction { db in try db.execute("PRAGMA wal_checkpoint(TRUNCATE)") }
        }
        let header = Data("SQLite format 3\0".utf8)
        let plainBytes = try #require(plain.bytes(of: plain.location.path))
        let encryptedBytes = try #require(encrypted.bytes(of: encrypted.location.path))
        #expect(plainBytes.prefix(16) == header && plainBytes.range(of: Data(marker.utf8)) != nil)
        #expect(encryptedBytes.prefix(16) != header && encryptedBytes.range(of: Data(marker.utf8)) == nil)
        // The same library code reads it back; a normal open refuses it.
        #expect(try plain.reopen(configuration: plainConfiguration).search(marker).count == 1)
        #expect(throws: VaultError.self) { try plain.reopen() }
    }
}
