import Foundation
import Testing
@testable import SimVault
import VaultTestSupport

/// `JSONReader.validate`, the check in front of every JSON column: it accepts
/// exactly what `readDocument()` accepts (so whatever is stored, an export
/// reads back), and its one-pass fast path is never certain of a text the
/// reader refuses.
@Suite("JSON validation")
struct JSONValidationTests {
    static let valid = [
        "{}", "[]", "\"\"", "0", "-0", "12.5", "-3.25", "1e5", "-0.0E-0", "1E400", "true", "false", "null",
        " \n\t{ \"a\" : [ 1 , 2.0 , null ] } ", "{\"é\":\"ünï 🦔\",\"esc\":\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\uFFFD\\ud83d\\ude00\"}",
        "[[[[[]]]]]", "{\"a\":{\"a\":{\"a\":1}},\"b\":{\"a\":2}}",
    ]
    static let refused = [
        "", " ", "{", "}", "[1", "[1 2]", "{\"a\" 1}", "{a:1}", "'a'", "01", "1.", ".5", "-", "+1", "1e", "tru", "nul",
        "\"a", "\"\\x\"", "\"\\u12\"", "\"tab\there\"", "[1]]", "{} {}", "NaN", "[1,]", "{\"a\":1,}", "\"\\ud800\"",
        "{\"a\":1,\"a\":2}", "{\"a\":1,\"\\u0061\":2}", "{\"\u{e9}\":1,\"e\u{301}\":2}",
    ]

    private func readerAccepts(_ data: Data) -> Bool { (try? JSONReader(data: data).readDocument()) != nil }
    private func validates(_ data: Data) -> Bool { (try? JSONReader.validate(data)) != nil }

    @Test("plain JSON validates; broken JSON, trailing commas and duplicate member names do not")
    func knownInputs() {
        for text in Self.valid {
            #expect(validates(Data(text.utf8)), "\(text)")
            #expect(readerAccepts(Data(text.utf8)), "\(text)")
        }
        for text in Self.refused {
            #expect(!validates(Data(text.utf8)), "\(text)")
            #expect(!readerAccepts(Data(text.utf8)), "\(text)")
        }
        #expect(!validates(Data([0xFF, 0xFE, 0x7B, 0x00, 0x7D, 0x00])), "UTF-16")
        #expect(!validates(Data([0x22, 0xC0, 0xAF, 0x22])), "overlong UTF-8")
        #expect(!validates(Data([0x22, 0xED, 0xA0, 0x80, 0x22])), "encoded surrogate")
    }

    @Test("duplicates in large objects (sorted, not compared pairwise) and nesting at the reader's depth limit")
    func largeObjectsAndDepth() {
        let names = (0..<40).map { "\"k\(($0 * 7) % 40)\":\($0)" }
        #expect(validates(Data("{\(names.joined(separator: ","))}".utf8)))
        #expect(!validates(Data("{\(names.joined(separator: ",")),\"k17\":0}".utf8)))
        let limit = JSONReader.Limits().maximumDepth
        #expect(validates(Data((String(repeating: "[", count: limit) + String(repeating: "]", count: limit)).utf8)))
        #expect(!validates(Data((String(repeating: "[", count: limit + 1) + String(repeating: "]", count: limit + 1)).utf8)))
    }

    @Test("on thousands of damaged workflow states, validate agrees with readDocument and the fast path is never wrongly certain")
    func agreesWithTheReader() {
        let original = Array(workflowStateJSON(blocks: 4, seed: 3))
        var seed: UInt64 = 7
        func next(_ bound: Int) -> Int {
            seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((seed >> 33) % UInt64(bound))
        }
        let alphabet = Array("{}[]\",:\\ 0123456789.-+eEtruefalsnu\u{7}é".utf8)
        var certain = 0
        for _ in 0..<3_000 {
            var bytes = original
            for _ in 0..<(1 + next(3)) {
                let position = next(bytes.count)
                switch next(3) {
                case 0: bytes[position] = alphabet[next(alphabet.count)]
                case 1: bytes.remove(at: position)
                default: bytes.insert(alphabet[next(alphabet.count)], at: position)
                }
            }
            let data = Data(bytes)
            let accepted = readerAccepts(data)
            #expect(validates(data) == accepted, "\(String(decoding: bytes, as: UTF8.self))")
            if JSONScan.isCertainlyValid(data, limits: JSONReader.Limits()) {
                certain += 1
                #expect(accepted, "\(String(decoding: bytes, as: UTF8.self))")
            }
        }
        #expect(certain > 0, "some damage (inside a string) leaves valid JSON")
    }

    @Test("the fast path is certain of a real workflow state, and leaves escaped or non-ASCII member names to the reader")
    func fastPathCoverage() {
        let limits = JSONReader.Limits()
        #expect(JSONScan.isCertainlyValid(workflowStateJSON(blocks: 140), limits: limits))
        #expect(!JSONScan.isCertainlyValid(Data("{\"\\u0061\":1}".utf8), limits: limits))
        #expect(!JSONScan.isCertainlyValid(Data("{\"é\":1}".utf8), limits: limits))
        #expect(validates(Data("{\"\\u0061\":1,\"é\":2}".utf8)))
    }

    @Test("a state the exporter could not read back is refused when saved, saying where it is wrong")
    func storeRefusesWhatExportCannotRead() throws {
        let test = try TestVault()
        let refused = Data(#"{"blocks": {"a": 1,}}"#.utf8)
        #expect(throws: VaultError.self) { try test.vault.workflows.save(Workflow(name: "Trailing comma", state: refused)) }
        do {
            try test.vault.workflows.save(Workflow(name: "Duplicate", state: Data(#"{"a": 1, "a": 2}"#.utf8)))
            Issue.record("a duplicate member name was accepted")
        } catch let error as VaultError {
            #expect(error.localizedDescription.contains("duplicate member"))
        }
        let saved = try test.vault.workflows.save(Workflow(name: "Fine", state: workflowStateJSON(blocks: 3)))
        _ = try test.vault.exportSimWorkflow(id: saved.id)
    }
}
