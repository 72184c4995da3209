import Foundation
import Testing
import SimVault
import VaultTestSupport

/// Random bit flips in a populated vault and in its key header, through the
/// real CLI: every case is reported as damage (exit 12, `health` 2) or not
/// noticed because nothing read the damaged bytes (exit 0), never as a wrong
/// key (10) and never as a crash. `SIMVAULT_DAMAGE_CASES` sets the number of
/// cases per file kind (default 60).
@Suite("random damage")
struct RandomDamageTests {
    static let cases = Int(ProcessInfo.processInfo.environment["SIMVAULT_DAMAGE_CASES"] ?? "") ?? 60
    static let pageSize = 4096

    /// A vault with messages, a workflow and a secret over ~100 pages.
    private func populatedVault() throws -> TestVault {
        let test = try TestVault(label: "damage")
        let chat = try test.vault.conversations.create(Conversation(title: "damage target"))
        for index in 0..<300 {
            try test.vault.messages.append(to: chat.id, role: .user, content: "message \(index) " + String(repeating: "lorem ipsum ", count: 100))
        }
        var bytes = Array("sk-damage-test".utf8)
        try test.vault.secrets.set("openai", value: SecretBytes(consuming: &bytes))
        // No free pages: health must then catch a flip anywhere (free pages'
        // contents are never read; see freePagesHoldNoData).
        try test.vault.writeWithoutTransaction { db in
            try db.execute("VACUUM")
            try db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        }
        let free = try test.vault.read { db in try db.scalar("PRAGMA freelist_count", as: Int.self) }
        guard free == 0 else { throw TestSupportError("the damage target still has \(free ?? -1) free pages") }
        test.vault.close()
        return test
    }

    private func copy(_ test: TestVault, to directory: TemporaryDirectory, name: String) throws -> VaultLocation {
        let location = VaultLocation(path: directory.file("\(name).db"))
        try FileManager.default.copyItem(atPath: test.location.path, toPath: location.path)
        try FileManager.default.copyItem(atPath: test.location.headerPath, toPath: location.headerPath)
        return location
    }

    private func run(_ arguments: [String], _ location: VaultLocation, _ test: TestVault) throws -> ProcessResult {
        try ProcessRunner.run(ProjectPaths.simvaultBinary, arguments + ["--vault", location.path, "--no-keyring", "--password-file", test.passwordFile])
    }

    @Test("random bit flips in random database pages: 12 or 0 from commands, 2 or 0 from health, never 10, never a crash")
    func databaseFlips() throws {
        let test = try populatedVault()
        let scratch = try TemporaryDirectory("damage-db")
        let size = try #require(VaultLocation.size(of: test.location.path))
        let pages = Int(size) / Self.pageSize
        try #require(pages > 50)
        var outcomes: [String: Int] = [:]
        for index in 0..<Self.cases {
            let location = try copy(test, to: scratch, name: "c\(index)")
            let page = Int.random(in: 0..<pages)
            let offset = Int.random(in: 0..<(Self.pageSize - 12))   // the last 12 bytes are unauthenticated padding
            try ExternalTools.flipByte(in: location.path, at: page * Self.pageSize + offset)

            let health = try run(["health"], location, test)
            let read = try run(["sql", "SELECT count(*), sum(length(content)) FROM messages"], location, test)
            let secret = try run(["secret", "get", "openai"], location, test)
            for result in [health, read, secret] {
                #expect(result.status < 128, "case \(index) (page \(page)+\(offset)): crashed: \(result)")
                #expect(result.status != 10 && !result.stderr.contains("wrong"), "case \(index): a damaged page was reported as a wrong key: \(result)")
            }
            #expect(health.status == 2, "case \(index) (page \(page)+\(offset)): every authenticated byte is read by health: \(health)")
            #expect([0, 12].contains(read.status) && [0, 12].contains(secret.status), "case \(index): \(read) \(secret)")
            if read.status == 0 { #expect(read.stdout.contains("300|")) }
            if secret.status == 0 { #expect(secret.stdout.hasPrefix("sk-damage-test")) }
            outcomes["sql \(read.status), secret get \(secret.status)", default: 0] += 1
            try FileManager.default.removeItem(atPath: location.path)
            try FileManager.default.removeItem(atPath: location.headerPath)
        }
        print("random damage, database: \(Self.cases) flips in a \(pages)-page vault without free pages; health exit 2 for all; " + outcomes.sorted { $0.key < $1.key }.map { "\($0.value)x (\($0.key))" }.joined(separator: ", "))
    }

    @Test("a flip in a free page is not read by anything: health says which pages it covered, and reusing the page overwrites it without error")
    func freePagesHoldNoData() throws {
        let test = try TestVault(label: "free")
        try test.vault.write { db in
            try db.execute("CREATE TABLE scratch (v BLOB)")
            for _ in 0..<50 { try db.execute("INSERT INTO scratch VALUES (randomblob(3000))") }
        }
        try test.vault.write { db in try db.execute("DELETE FROM scratch") }
        try test.vault.writeWithoutTransaction { db in try db.execute("PRAGMA wal_checkpoint(TRUNCATE)") }
        let (pages, free) = try test.vault.read { db in
            (try db.scalar("PRAGMA page_count", as: Int.self) ?? 0, try db.scalar("PRAGMA freelist_count", as: Int.self) ?? 0)
        }
        test.vault.close()
        try #require(free >= 40)
        // Freed pages sit at the end of this file (they were appended last).
        try ExternalTools.flipByte(in: test.location.path, at: (pages - 3) * Self.pageSize + 500)
        let location = test.location
        let health = try ProcessRunner.run(ProjectPaths.simvaultBinary, ["health"] + test.cliArguments)
        #expect(health.status == 0, "\(health)")
        #expect(health.stdout.contains("\(pages - free) pages in use read and authenticated (\(free) free pages hold no data and are not read)"), "\(health)")
        let vault = try Vault.open(at: location, unlock: .password(test.password))
        try vault.write { db in
            for _ in 0..<50 { try db.execute("INSERT INTO scratch VALUES (randomblob(3000))") }
        }
        #expect(try vault.read { db in try db.scalar("SELECT count(*) FROM scratch", as: Int.self) } == 50)
        vault.close()
        let after = try ProcessRunner.run(ProjectPaths.simvaultBinary, ["health"] + test.cliArguments)
        #expect(after.status == 0, "reusing the damaged free page must overwrite it: \(after)")
    }

    @Test("random bit flips in the key header: exit 12 (or 0 when the flip left the header equal), never 10, never a crash")
    func headerFlips() throws {
        let test = try populatedVault()
        let scratch = try TemporaryDirectory("damage-header")
        let size = try #require(VaultLocation.size(of: test.location.headerPath))
        var outcomes: [Int32: Int] = [:]
        for index in 0..<Self.cases {
            let location = try copy(test, to: scratch, name: "h\(index)")
            let offset = Int.random(in: 0..<Int(size))
            try ExternalTools.flipByte(in: location.headerPath, at: offset)
            let check = try run(["key", "check"], location, test)
            #expect(check.status < 128, "case \(index): crashed: \(check)")
            #expect(check.status == 12 || check.status == 0, "case \(index) (byte \(offset)): \(check)")
            #expect(!check.stderr.contains("wrong"))
            if check.status == 12 { #expect(check.stderr.contains("header"), "\(check)") }
            outcomes[check.status, default: 0] += 1
            try FileManager.default.removeItem(atPath: location.path)
            try FileManager.default.removeItem(atPath: location.headerPath)
        }
        print("random damage, key header: \(Self.cases) flips; " + outcomes.sorted { $0.key < $1.key }.map { "\($0.value)x exit \($0.key)" }.joined(separator: ", "))
        #expect((outcomes[12] ?? 0) > Self.cases / 2)
    }
}
