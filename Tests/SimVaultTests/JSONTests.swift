import Foundation
import SimVault
import Testing
import VaultTestSupport

/// The order-preserving JSON reader and writer the imports and exports use.
@Suite("JSON reader and writer")
struct JSONTests {
    /// A text in `JSON.stringify(value, null, 2)` layout, with what that
    /// layout does to strings (control characters as \u00xx, `/` and
    /// non-ASCII as is), numbers as written, empty containers inline.
    static let stringifyText = """
        {
          "version": "1.0",
          "z": 1,
          "a": [
            1.50,
            -0.0,
            1e-7,
            12345678901234567890,
            true,
            false,
            null
          ],
          "text": "tab\\there \\"q\\" back\\\\slash\\nline \\u0001\\u001f / é 東京 😀",
          "empty": {},
          "none": [],
          "nested": {
            "b": {
              "c": [
                {}
              ]
            }
          }
        }
        """

    @Test("text in JSON.stringify's layout reads and writes back byte for byte: member order, numbers as written, escapes")
    func stringifyRoundTrip() throws {
        let value = try JSONReader(data: Data(Self.stringifyText.utf8)).readDocument()
        #expect(JSONWriter.serialize(value, style: .pretty) == Self.stringifyText)
        #expect(value.object?.keys == ["version", "z", "a", "text", "empty", "none", "nested"])
        #expect(JSONWriter.serialize(value, style: .compact).hasPrefix(#"{"version":"1.0","z":1,"a":[1.50,-0.0,1e-7,12345678901234567890,true"#))
    }

    @Test("chunk boundaries do not matter: a reader fed one byte at a time reads the same value")
    func oneByteChunks() throws {
        let bytes = Array(Self.stringifyText.utf8)
        var position = 0
        let reader = JSONReader { () -> Data? in
            guard position < bytes.count else { return nil }
            defer { position += 1 }
            return Data([bytes[position]])
        }
        #expect(try reader.readDocument() == (try JSONReader(data: Data(bytes)).readDocument()))
    }

    @Test("walking a document member by member, skipping values still checks them")
    func streamingWalk() throws {
        let reader = JSONReader(data: Data(#"{"skip": {"deep": [1, {"x": "y"}]}, "items": [{"id": 1}, {"id": 2}], "tail": true}"#.utf8))
        try reader.beginObject()
        var seen: [String] = []
        var ids: [Int64] = []
        while let key = try reader.nextMember() {
            seen.append(key)
            if key == "items" {
                try reader.beginArray()
                while try reader.nextElement() { ids.append(try reader.readValue().object?["id"]?.int64 ?? -1) }
            } else {
                try reader.skipValue()
            }
        }
        try reader.expectEnd()
        #expect(seen == ["skip", "items", "tail"] && ids == [1, 2])

        let bad = JSONReader(data: Data(#"{"skip": [1 2], "b": 1}"#.utf8))
        try bad.beginObject()
        _ = try bad.nextMember()
        #expect(throws: JSONError.self) { try bad.skipValue() }
    }

    @Test("invalid texts are refused with what and where", arguments: [
        (#"{"a": 1"#, "truncated"),
        (#"{"a": "b"#, "truncated"),
        (#"{"a": 1, "a": 2}"#, "duplicate member \"a\""),
        (#"["\ud800"]"#, "lone UTF-16 surrogate"),
        (#"["\x"]"#, "invalid escape"),
        ("[\"a\u{01}b\"]", "unescaped control character"),
        ("[01]", "leading zero"),
        ("[1.]", "malformed number"),
        (#"{"a": tru}"#, "expected true"),
        ("{} {}", "after the end"),
        ("{\n\n  'a': 1}", "line 3, column 3"),
    ])
    func refusals(_ text: String, _ message: String) {
        do {
            _ = try JSONReader(data: Data(text.utf8)).readDocument()
            Issue.record("accepted \(text)")
        } catch {
            #expect("\(error)".contains(message), "\(error)")
        }
    }

    @Test("nesting and value size are bounded")
    func limits() {
        let deep = String(repeating: "[", count: 600) + String(repeating: "]", count: 600)
        #expect(throws: JSONError.self) { try JSONReader(data: Data(deep.utf8)).readDocument() }
        var limits = JSONReader.Limits()
        limits.maximumValueBytes = 1000
        let large = "[" + Array(repeating: "\"0123456789\"", count: 500).joined(separator: ",") + "]"
        #expect(throws: JSONError.self) { try JSONReader(data: Data(large.utf8), limits: limits).readDocument() }
        limits.maximumStringBytes = 5
        #expect(throws: JSONError.self) { try JSONReader(data: Data(#"["123456"]"#.utf8), limits: limits).readDocument() }
    }
}
