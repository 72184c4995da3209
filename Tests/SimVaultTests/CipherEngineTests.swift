import Foundation
import Testing
@testable import SimVault
import VaultTestSupport

/// `PRAGMA cipher_version` parsed and judged, and the settings applied on
/// this process's engine (the linked SQLCipher 3.4.1; the same code on
/// SQLCipher 4 is run by the CLI tests through scripts/with-sqlcipher4).
@Suite("cipher engine")
struct CipherEngineTests {
    @Test("versions as engines report them are parsed; older than 3.4 and unknown majors are named, not guessed at", arguments: [
        ("3.4.1", true, 3, 4), ("3.4.2 community", true, 3, 4), ("4.6.1 community", true, 4, 6), ("4.12.0 community", true, 4, 12),
        ("3.3.1", false, 3, 3), ("2.2.1", false, 2, 2), ("5.0.0 community", false, 5, 0),
    ])
    func versions(text: String, supported: Bool, major: Int, minor: Int) throws {
        let engine = try #require(CipherEngine(cipherVersion: text))
        #expect(engine.major == major && engine.minor == minor)
        #expect((engine.unsupportedReason == nil) == supported, "\(engine.unsupportedReason ?? "supported")")
        if let reason = engine.unsupportedReason { #expect(reason.contains("SQLCipher \(text)")) }
        #expect(CipherEngine(cipherVersion: "") == nil && CipherEngine(cipherVersion: "community") == nil)
    }

    @Test("SQLCipher 3 reads only compatibility 3; SQLCipher 4 both, each applied explicitly before the page size")
    func supportAndPragmas() throws {
        let three = try #require(CipherEngine(cipherVersion: "3.4.1")), four = try #require(CipherEngine(cipherVersion: "4.12.0 community"))
        let compat3 = CipherSettings(), compat4 = CipherSettings(compatibility: 4)
        #expect(three.supports(compat3) && !three.supports(compat4))
        #expect(four.supports(compat3) && four.supports(compat4))
        #expect(three.refusal(for: compat4) == .cipherNewerThanEngine(compatibility: 4, engine: "3.4.1"))
        #expect(four.pragmas(applying: compat3) == [
            "PRAGMA main.cipher_compatibility = 3", "PRAGMA main.cipher_plaintext_header_size = 0", "PRAGMA main.cipher_page_size = 4096",
        ])
        #expect(three.pragmas(applying: compat3) == ["PRAGMA main.cipher_use_hmac = ON", "PRAGMA main.cipher_page_size = 4096"])
        #expect(four.expectedReadings(for: compat4).contains { $0.pragma == "cipher_hmac_algorithm" && $0.value == "HMAC_SHA512" })
    }

    @Test("on this engine: a compatibility-4 file is refused before any page is read, naming both versions; defaults are reported")
    func thisEngine() throws {
        let check = EngineCheck.inspect()
        let engine = try #require(check.engine)
        #expect(check.unsupportedReason == nil && check.isSafe)
        #expect(check.defaultCompatibility == engine.nativeCompatibility)
        if engine.major == 3 {
            #expect(check.defaultPageSize == 1024)
            #expect(check.differences(from: CipherSettings()) == ["page size 1024"])

            let directory = try TemporaryDirectory("engine")
            let path = directory.file("c.db")
            var options = Connection.Options()
            options.createsFile = true
            try Connection(path: path, key: MasterKey.generate(), options: options).close()
            let before = try Data(contentsOf: URL(fileURLWithPath: path))
            options.cipher = CipherSettings(compatibility: 4)
            #expect(throws: VaultError.cipherNewerThanEngine(compatibility: 4, engine: check.cipherVersion)) {
                _ = try Connection(path: path, key: MasterKey.generate(), options: options)
            }
            #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
            let message = VaultError.cipherNewerThanEngine(compatibility: 4, engine: check.cipherVersion).errorDescription ?? ""
            #expect(message.contains("SQLCipher 4 settings") && message.contains("SQLCipher \(check.cipherVersion)") && message.contains("--cipher-compat 3"))
            #expect(throws: VaultError.self) { try check.requireSupport(forCreating: CipherSettings(compatibility: 4)) }
        }
        try check.requireSupport(forCreating: CipherSettings())
    }
}
