import Foundation
import Testing
import VaultKeys

@Suite("key header")
struct KeyHeaderTests {
    /// A header with one slot of each kind, authenticated with `key`
    /// (password cost at the minimum: these are format tests, not KDF
    /// tests).
    static func sampleHeader(key: MasterKey = MasterKey.generate(), password: String = "pw") throws -> KeyHeader {
        var header = KeyHeader(vaultID: UUID().uuidString.lowercased(), masterKey: key)
        header.slots.append(KeySlot(id: 1, material: .keyring(KeyringSlot(keyID: header.keyID))))
        let secret = SecretBytes(count: password.utf8.count) { $0.copyBytes(from: Array(password.utf8)) }
        let slot = try PasswordSlot.wrap(key, password: secret, vaultID: header.vaultID, slotID: 2, kdf: PasswordKDF.minimum())
        header.slots.append(KeySlot(id: 2, material: .password(slot)))
        header.slots.append(KeySlot(id: 3, material: .recovery(RecoverySlot.seal(key, for: RecoveryCode.generate()))))
        return try header.authenticated(with: HeaderKeys(current: key))
    }

    @Test("encode then decode gives the same header, with a valid checksum")
    func roundTrip() throws {
        let header = try Self.sampleHeader()
        let data = try header.encoded()
        let decoded = try KeyHeader.decode(data, path: "h")
        #expect(decoded.slots == header.slots)
        #expect(decoded.vaultID == header.vaultID)
        #expect(decoded.keyCheck == header.keyCheck)
        #expect(decoded.checksum.hasPrefix("blake2b-256:"))
        #expect(try decoded.encoded() == data)
    }

    @Test("every single-bit flip is rejected as damage or leaves an identical header, never anything else")
    func everyFlipIsCaught() throws {
        let header = try Self.sampleHeader()
        let data = try header.encoded()
        let original = try KeyHeader.decode(data, path: "h")
        var rejected = 0
        for offset in 0..<data.count {
            for bit in [0, 5] {
                var damaged = data
                damaged[offset] ^= UInt8(1 << bit)
                do {
                    let decoded = try KeyHeader.decode(damaged, path: "h")
                    #expect(decoded == original, "flip at \(offset) bit \(bit) produced a different header")
                } catch KeyError.headerDamaged, KeyError.headerUnsupported {
                    rejected += 1
                }
            }
        }
        #expect(rejected > data.count, "most flips must be rejected (\(rejected) of \(data.count * 2))")
    }

    @Test("a header from a newer simvault is reported as unsupported, not damaged")
    func newerVersion() throws {
        let text = #"{"format": "simvault-key-header", "version": 9, "something_new": true}"#
        #expect(throws: KeyError.headerUnsupported(path: "h", version: 9, supported: KeyHeader.currentVersion)) {
            _ = try KeyHeader.decode(Data(text.utf8), path: "h")
        }
    }

    @Test("hostile KDF parameters are refused before any derivation")
    func hostileKDFCost() throws {
        var header = try Self.sampleHeader()
        guard case .password(var slot) = header.slots[1].material else { Issue.record("no password slot"); return }
        slot.kdf.memLimit = 1 << 40
        header.slots[1].material = .password(slot)
        let data = try header.encoded()
        #expect(throws: KeyError.self) { _ = try KeyHeader.decode(data, path: "h") }
    }

    @Test("the key check accepts the master key only")
    func keyCheck() throws {
        let key = MasterKey.generate()
        let header = try Self.sampleHeader(key: key)
        #expect(header.accepts(key))
        #expect(!header.accepts(MasterKey.generate()))
        // Same key, another vault id: different check value.
        let other = KeyHeader(vaultID: UUID().uuidString.lowercased(), masterKey: key)
        #expect(other.keyCheck != header.keyCheck)
    }

    @Test("the header file is written 0600 and refuses to overwrite when creating")
    func headerFile() throws {
        let directory = NSTemporaryDirectory() + "/simvault-header-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let file = KeyHeaderFile(vaultPath: directory + "/v.db")
        let key = MasterKey.generate()
        let header = try Self.sampleHeader(key: key)
        try file.write(header, authenticatedWith: HeaderKeys(current: key), creating: true)
        var info = stat()
        stat(file.path, &info)
        #expect(info.st_mode & 0o777 == 0o600)
        #expect(throws: KeyError.headerExists(path: file.path)) { try file.write(header, authenticatedWith: HeaderKeys(current: key), creating: true) }
        #expect(try file.load().vaultID == header.vaultID)
        #expect(throws: KeyError.headerNotFound(path: directory + "/missing.keys")) {
            _ = try KeyHeaderFile(vaultPath: directory + "/missing").load()
        }
        // No temp files left behind.
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == ["v.db.keys"])
    }
}
