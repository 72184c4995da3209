import Foundation
import Testing
@testable import VaultKeys

/// Cipher settings in the key header: compatibility 3 (the default) and 4
/// (which a format 1/2 header cannot claim), and a rotation that changes them.
@Suite("cipher settings in the key header")
struct CipherSettingsTests {
    /// `header` with `edit` applied to its JSON and the checksum renewed, as
    /// a careful hand (or another program) would write it.
    static func rewritten(_ header: KeyHeader, _ edit: (String) -> String) throws -> Data {
        let text = edit(String(decoding: try header.encoded(), as: UTF8.self))
        var parsed = try JSONDecoder().decode(KeyHeader.self, from: Data(text.utf8))
        parsed.checksum = try parsed.computeChecksum()
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(parsed)
    }

    @Test("the default is compatibility 3 with 4096-byte pages")
    func defaults() throws {
        let header = try KeyHeaderTests.sampleHeader()
        #expect(header.cipher == CipherSettings(compatibility: 3, pageSize: 4096))
        #expect(header.cipher.hmacAlgorithm == "HMAC_SHA1" && header.cipher.reservedBytesPerPage == 48)
        let decoded = try KeyHeader.decode(try header.encoded(), path: "h")
        #expect(decoded.version == 3 && decoded.cipher == header.cipher)
        #expect(!String(decoding: try header.encoded(), as: UTF8.self).contains("rotation"))
    }

    @Test("compatibility 4 round-trips, and a format 1 header claiming it is damage")
    func compatibilityFour() throws {
        let key = MasterKey.generate()
        var header = KeyHeader(vaultID: UUID().uuidString.lowercased(), masterKey: key, cipher: CipherSettings(compatibility: 4))
        header.slots.append(KeySlot(id: 1, material: .recovery(RecoverySlot.seal(key, for: RecoveryCode.generate()))))
        header = try header.authenticated(with: HeaderKeys(current: key))
        let data = try header.encoded()
        let decoded = try KeyHeader.decode(data, path: "h")
        #expect(decoded.version == 3 && decoded.cipher.compatibility == 4)
        #expect(decoded.cipher.hmacAlgorithm == "HMAC_SHA512" && decoded.cipher.reservedBytesPerPage == 80)
        #expect(try decoded.encoded() == data)

        // The same settings claimed by a format 1 header (with a valid
        // checksum): refused as damaged, never read as compatibility 3.
        let downgraded = try Self.rewritten(header) { $0.replacingOccurrences(of: "\"version\" : 3", with: "\"version\" : 1") }
        #expect(throws: KeyError.headerDamaged(path: "h", detail: "cipher compatibility 4 is recorded in a version 1 header")) {
            _ = try KeyHeader.decode(downgraded, path: "h")
        }
    }

    @Test("unknown compatibility levels, page sizes and passphrase keys are refused as damage")
    func refusedSettings() throws {
        let header = try KeyHeaderTests.sampleHeader()
        for (from, to, detail) in [
            ("\"compatibility\" : 3", "\"compatibility\" : 2", "unsupported cipher settings: compatibility 2"),
            ("\"page_size\" : 4096", "\"page_size\" : 3000", "cipher page_size 3000 is not a valid page size"),
            ("\"raw_key\" : true", "\"raw_key\" : false", "unsupported cipher settings: raw_key must be true"),
        ] {
            let data = try Self.rewritten(header) { $0.replacingOccurrences(of: from, with: to) }
            let result = Result { try KeyHeader.decode(data, path: "h") }
            guard case .failure(KeyError.headerDamaged(_, let message)) = result else {
                Issue.record("\(to): \(result)")
                continue
            }
            #expect(message.hasPrefix(detail), "\(message)")
        }
    }

    @Test("a rotation that changes the settings records the new key's and its promotion makes them current")
    func rotationWithNewSettings() throws {
        let oldKey = MasterKey.generate(), newKey = MasterKey.generate()
        var header = try KeyRotationTests.rotatingHeader(oldKey: oldKey, newKey: newKey)
        header.rotation?.cipher = CipherSettings(compatibility: 4)
        let decoded = try KeyHeader.decode(try header.encoded(), path: "h")
        #expect(decoded.version == 3 && decoded.rotation?.cipher?.compatibility == 4)
        #expect(decoded.cipher(for: .current).compatibility == 3)
        #expect(decoded.cipher(for: .pending).compatibility == 4)

        let promoted = decoded.promotingRotation()
        #expect(promoted.cipher.compatibility == 4 && promoted.rotation == nil)
        let dropped = decoded.droppingRotation()
        #expect(dropped.cipher.compatibility == 3)

        // A rotation without its own settings keeps the header's.
        let plain = try KeyRotationTests.rotatingHeader(oldKey: oldKey, newKey: newKey)
        #expect(plain.cipher(for: .pending) == plain.cipher && plain.promotingRotation().cipher == plain.cipher)
    }
}
