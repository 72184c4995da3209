import Foundation
import SimVault
import Testing
import VaultTestSupport

extension Vault {
    /// `count(*)` of `table`.
    func count(_ table: String) throws -> Int { try rawScalar("SELECT count(*) FROM \(table)") ?? -1 }

    /// Docids the FTS index `table` returns for `word`, without reading the
    /// content table: what the index itself holds.
    func indexedDocids(_ table: String, matching word: String) throws -> [Int64] {
        try read { db in try db.fetchAll("SELECT docid FROM \(table) WHERE \(table) MATCH ?", [word]).map { try $0.get(0) } }
    }
}

/// JSON bytes of a workflow editor state with `blocks` blocks: the shape Sim
/// saves (ids, positions, sub-blocks, edges), about 370 bytes per block.
func workflowStateJSON(blocks: Int, seed: Int = 0) -> Data {
    var parts: [String] = []
    for index in 0..<blocks {
        let id = String(format: "%08x-%04x-4%03x-a%03x-%012x", index &* 2_654_435_761 &+ seed, index, index % 4096, (index * 7) % 4096, index * 97 + seed)
        parts.append("""
            {"id":"\(id)","type":"\(["agent", "api", "condition", "function", "router"][index % 5])","name":"Block \(index)",\
            "position":{"x":\(index * 37 % 1200),"y":\(index * 53 % 800)},"enabled":true,\
            "subBlocks":{"model":{"id":"model","type":"dropdown","value":"gpt-4o"},"prompt":{"id":"prompt","type":"long-input",\
            "value":"Summarize the input for step \(index) and pass the result on."}},"outputs":{"response":{"type":"string"}}}
            """)
    }
    let edges = (1..<max(blocks, 1)).map { "{\"source\":\"b\($0 - 1)\",\"target\":\"b\($0)\"}" }
    return Data("{\"version\":\"1.0\",\"seed\":\(seed),\"blocks\":[\(parts.joined(separator: ","))],\"edges\":[\(edges.joined(separator: ","))]}".utf8)
}

/// Numbers for test corpora that are the same on every run (a 64-bit LCG).
struct SeededNumbers {
    var state: UInt64

    /// A number in `0..<bound`.
    mutating func next(_ bound: Int) -> Int {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return Int((state >> 33) % UInt64(bound))
    }
}

/// The text between `// <marker> begin` and `// <marker> end` in `file`: a
/// compiled example that a document must show as it is.
func documentedExample(in file: String, marker: String) throws -> String {
    let source = try String(contentsOfFile: file, encoding: .utf8)
    let start = try #require(source.range(of: "// \(marker) begin\n"))
    let end = try #require(source.range(of: "// \(marker) end"))
    return String(source[start.upperBound..<end.lowerBound])
}
