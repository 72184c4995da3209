import Foundation
import SimVault
import Testing

@Suite("zlib")
struct CompressionTests {
    @Test("round-trips empty, small, large and incompressible data byte for byte", arguments: [0, 1, 1000, 3_000_000])
    func roundTrip(size: Int) throws {
        var generator = SystemRandomNumberGenerator()
        let random = Data((0..<size).map { _ in UInt8.random(in: 0...255, using: &generator) })
        #expect(try Zlib.decompress(try Zlib.compress(random)) == random)
        let text = Data(String(repeating: "{\"k\":\"value\"},", count: size / 14 + 1).utf8)
        #expect(try Zlib.decompress(try Zlib.compress(text)) == text)
    }

    @Test("is deterministic, so an unchanged workflow state compares equal once compressed")
    func deterministic() throws {
        let state = workflowStateJSON(blocks: 20)
        #expect(try Zlib.compress(state) == (try Zlib.compress(state)))
    }

    @Test("a damaged or truncated stream is reported as corrupt, never returned as data")
    func damage() throws {
        let packed = try Zlib.compress(workflowStateJSON(blocks: 20))
        var flipped = packed
        flipped[packed.count / 2] ^= 0x40
        #expect(throws: VaultError.self) { try Zlib.decompress(flipped) }
        #expect(throws: VaultError.self) { try Zlib.decompress(packed.prefix(packed.count - 5)) }
        #expect(throws: VaultError.self) { try Zlib.decompress(Data("plain text".utf8)) }
    }
}
