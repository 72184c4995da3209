import Foundation
import Testing
import VaultKeys

@Suite("SecretBytes and MasterKey")
struct SecretBytesTests {
    @Test("description never shows the bytes")
    func descriptionIsRedacted() {
        let secret = SecretBytes(count: 4) { $0.copyBytes(from: [0xDE, 0xAD, 0xBE, 0xEF]) }
        for text in [secret.description, secret.debugDescription, String(describing: secret), "\(MasterKey.generate())"] {
            #expect(!text.lowercased().contains("dead"))
            #expect(!text.lowercased().contains("beef"))
        }
        #expect(secret.description == "SecretBytes(4 secret bytes)")
    }

    @Test("constant-time equality compares content and length")
    func equality() {
        let a = SecretBytes(count: 3) { $0.copyBytes(from: [1, 2, 3]) }
        let b = SecretBytes(count: 3) { $0.copyBytes(from: [1, 2, 3]) }
        let c = SecretBytes(count: 3) { $0.copyBytes(from: [1, 2, 4]) }
        #expect(a.constantTimeEquals(b))
        #expect(!a.constantTimeEquals(c))
        #expect(!a.constantTimeEquals(a.slice(0..<2)))
        #expect(a.constantTimeEquals([1, 2, 3]))
        #expect(a.slice(1..<3).constantTimeEquals([2, 3]))
    }

    @Test("copying from an array wipes the source")
    func consumingInitWipesSource() {
        var bytes: [UInt8] = [9, 8, 7, 6]
        let secret = SecretBytes(consuming: &bytes)
        #expect(bytes == [0, 0, 0, 0])
        #expect(secret.constantTimeEquals([9, 8, 7, 6]))
    }

    @Test("the wipe lands on the array's own storage, not on a copy-on-write copy of it")
    func consumingInitWipesInPlace() {
        // Not a literal: a buffer of its own on the heap, like a password
        // read from a file.
        var bytes = [UInt8](repeating: 0, count: 64)
        for index in bytes.indices { bytes[index] = UInt8(truncatingIfNeeded: index &* 37 &+ 11) }
        let expected = bytes.map { $0 }   // storage of its own, not a second reference
        let storage = bytes.withUnsafeBufferPointer { UInt(bitPattern: $0.baseAddress) }
        let secret = SecretBytes(consuming: &bytes)
        // A second reference during the copy would have made the wipe
        // allocate a fresh (zeroed) buffer for `bytes` and release the
        // original with the secret still in it: the address would differ.
        #expect(bytes.withUnsafeBufferPointer { UInt(bitPattern: $0.baseAddress) } == storage, "the wipe went to a copy")
        #expect(bytes.allSatisfy { $0 == 0 })
        #expect(secret.constantTimeEquals(expected))
    }

    @Test("a throwing initializer frees the buffer without crashing")
    func throwingInitializer() {
        struct Boom: Error {}
        #expect(throws: Boom.self) { _ = try SecretBytes(count: 16) { _ in throw Boom() } }
    }

    @Test("hex round trip: lowercase hex out, hex in; the raw-key specifier is x'<hex>'")
    func hexRoundTrip() throws {
        let key = MasterKey.generate()
        let hex = key.withHexCString { String(cString: $0) }
        #expect(hex.count == 64)
        #expect(hex.allSatisfy { "0123456789abcdef".contains($0) })
        let parsed = try Array(hex.utf8).withUnsafeBytes { try MasterKey(hexCharacters: $0) }
        #expect(parsed.isSameKey(as: key))
        let uppercase = try Array(hex.uppercased().utf8).withUnsafeBytes { try MasterKey(hexCharacters: $0) }
        #expect(uppercase.isSameKey(as: key))
        let specifier = key.withRawKeySpecifier { String(decoding: $0, as: UTF8.self) }
        #expect(specifier == "x'\(hex)'")
        #expect(!MasterKey.generate().isSameKey(as: key))
    }

    @Test("malformed keyring values are rejected", arguments: ["", "abc", String(repeating: "g", count: 64), String(repeating: "a", count: 63), String(repeating: "a", count: 66)])
    func malformedHex(text: String) {
        #expect(throws: KeyError.self) {
            _ = try Array(text.utf8).withUnsafeBytes { try MasterKey(hexCharacters: $0) }
        }
    }

    @Test("subkeys are deterministic per id and context and independent of each other")
    func subkeys() {
        let key = MasterKey.generate()
        let a = key.deriveSubkey(id: 1, context: "secrets_")
        #expect(a.constantTimeEquals(key.deriveSubkey(id: 1, context: "secrets_")))
        #expect(!a.constantTimeEquals(key.deriveSubkey(id: 2, context: "secrets_")))
        #expect(!a.constantTimeEquals(key.deriveSubkey(id: 1, context: "other___")))
        #expect(!key.withUnsafeBytes { raw in a.constantTimeEquals(Array(raw)) })
    }
}
