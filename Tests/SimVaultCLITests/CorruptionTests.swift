import Foundation
import Testing
import VaultTestSupport

/// Damage to the database or the header is reported as corruption (exit 12,
/// `health` 2) or absence (exit 15), never as a wrong key (exit 10).
@Suite("corruption")
struct CorruptionTests {
    static let pageSize = 4096
    /// SQLCipher 3 reserves 48 bytes per page: a 16-byte IV, a 20-byte
    /// HMAC-SHA1 and 12 bytes of random padding that no check covers.
    static let authenticatedEnd = 4096 - 12

    /// Copies the pristine database and header to a new directory.
    private func copy(_ fixture: CLIFixture, into directory: TemporaryDirectory, name: String) throws -> String {
        let target = directory.file("\(name).db")
        try FileManager.default.copyItem(atPath: fixture.vaultPath, toPath: target)
        try FileManager.default.copyItem(atPath: fixture.headerPath, toPath: target + ".keys")
        return target
    }

    @Test("a flipped bit in any page: health exits 2 naming the damage, other commands exit 12 or are unaffected, never 10")
    func flippedPageBytes() throws {
        let session = try KeyringSession(.unlocked)
        let fixture = try CLIFixture(session: session, password: true)
        let passwordFile = try #require(fixture.passwordFile)
        let size = try #require(FileManager.default.attributesOfItem(atPath: fixture.vaultPath)[.size] as? Int)
        let pages = size / Self.pageSize
        try #require(pages >= 5, "expected a few pages, got \(pages)")
        let scratch = try TemporaryDirectory("corrupt")

        var reportedCorrupt = 0
        for page in 0..<pages {
            // Page header area, middle, the IV and the HMAC in the reserve.
            for offset in [24, Self.pageSize / 2, Self.authenticatedEnd - 36, Self.authenticatedEnd - 1] {
                let damaged = try copy(fixture, into: scratch, name: "p\(page)-\(offset)")
                try ExternalTools.flipByte(in: damaged, at: page * Self.pageSize + offset)

                let health = try session.simvault(["health", "--vault", damaged])
                #expect(health.status == 2, "page \(page)+\(offset): \(health)")
                let failed = health.stdout.split(separator: "\n").filter { $0.contains("failed") }
                #expect(failed.contains { $0.contains("integrity") || $0.contains("decrypt") },
                        "page \(page)+\(offset): health does not name integrity/decrypt: \(health)")
                #expect(!health.stdout.contains("wrong"), "page \(page)+\(offset): \(health)")

                for arguments in [["key", "check"], ["key", "check", "--no-keyring", "--password-file", passwordFile], ["info"]] {
                    let result = try session.simvault(arguments + ["--vault", damaged])
                    #expect(result.status == 0 || result.status == 12, "page \(page)+\(offset) \(arguments): \(result)")
                    #expect(result.status != 10)
                    if result.status == 12 {
                        #expect(result.stderr.contains("corrupt"), "\(result)")
                        reportedCorrupt += 1
                    }
                }
                // Page 1 holds the schema and is read by every open.
                if page == 0 {
                    let check = try session.simvault(["key", "check", "--vault", damaged])
                    #expect(check.status == 12, "page 1 damage must fail the open with 12: \(check)")
                }
            }
        }
        #expect(reportedCorrupt > 0)
    }

    @Test("a flipped bit in a page's unused padding changes no data: the vault stays healthy and reads the same")
    func flippedPaddingIsHarmless() throws {
        let session = try KeyringSession(.unlocked)
        let fixture = try CLIFixture(session: session)
        let key = try fixture.keyringKey(in: session)
        let query = "SELECT key, value FROM vault_meta ORDER BY key; SELECT version, checksum FROM schema_migrations;"
        let before = try ExternalTools.sqlcipher(path: fixture.vaultPath, hexKey: key, sql: query)
        try #require(before.status == 0)
        let size = try #require(FileManager.default.attributesOfItem(atPath: fixture.vaultPath)[.size] as? Int)
        for page in 0..<(size / Self.pageSize) {
            try ExternalTools.flipByte(in: fixture.vaultPath, at: page * Self.pageSize + Self.authenticatedEnd + page % 12)
        }
        let health = try session.simvault(["health"] + fixture.vault)
        #expect(health.status == 0, "\(health)")
        let after = try ExternalTools.sqlcipher(path: fixture.vaultPath, hexKey: key, sql: query)
        #expect(after.stdout == before.stdout)
    }

    @Test("a deleted key header: exit 15 naming it; health fails the header check")
    func headerDeleted() throws {
        let session = try KeyringSession(.unlocked)
        let fixture = try CLIFixture(session: session)
        try FileManager.default.removeItem(atPath: fixture.headerPath)
        for command in [["key", "check"], ["info"]] {
            let result = try session.simvault(command + fixture.vault)
            #expect(result.status == 15, "\(command): \(result)")
            #expect(result.stderr.contains("key header"), "\(result)")
            #expect(result.stderr.contains("missing"))
        }
        let health = try session.simvault(["health"] + fixture.vault)
        #expect(health.status == 2)
        #expect(health.stdout.contains("failed  header"))
    }

    @Test("a garbled key header: exit 12, never 10", arguments: ["truncate", "flip-slot", "flip-check", "not-json", "other-vault-id"])
    func headerGarbled(damage: String) throws {
        let session = try KeyringSession(.unlocked)
        let fixture = try CLIFixture(session: session, password: true)
        var text = try String(contentsOfFile: fixture.headerPath, encoding: .utf8)
        switch damage {
        case "truncate": text = String(text.prefix(text.count / 2))
        case "flip-slot":
            // Change one character of the wrapped key (valid base64 stays valid).
            let range = try #require(text.range(of: "\"wrapped_key\" : \""))
            let index = text.index(range.upperBound, offsetBy: 5)
            text.replaceSubrange(index...index, with: text[index] == "A" ? "B" : "A")
        case "flip-check":
            let range = try #require(text.range(of: "\"key_check\" : \"blake2b-256:"))
            let index = text.index(range.upperBound, offsetBy: 3)
            text.replaceSubrange(index...index, with: text[index] == "A" ? "B" : "A")
        case "not-json": text = "this is not a key header\n"
        default:
            text = text.replacingOccurrences(of: fixture.vaultID, with: UUID().uuidString.lowercased())
        }
        try text.write(toFile: fixture.headerPath, atomically: false, encoding: .utf8)

        let passwordFile = try #require(fixture.passwordFile)
        for arguments in [["key", "check"], ["key", "check", "--no-keyring", "--password-file", passwordFile], ["info"]] {
            let result = try session.simvault(arguments + fixture.vault)
            #expect(result.status == 12, "\(damage) \(arguments): \(result)")
            #expect(result.stderr.contains("header") || result.stderr.contains("corrupt"), "\(result)")
        }
        let health = try session.simvault(["health"] + fixture.vault)
        #expect(health.status == 2, "\(health)")
    }

    @Test("a missing database with its header present: exit 15 and a hint")
    func databaseMissing() throws {
        let session = try KeyringSession(.unlocked)
        let fixture = try CLIFixture(session: session)
        try FileManager.default.removeItem(atPath: fixture.vaultPath)
        let result = try session.simvault(["key", "check"] + fixture.vault)
        #expect(result.status == 15, "\(result)")
        #expect(result.stderr.contains("vault not found"))
        #expect(result.stderr.contains("key header exists"))
    }
}
