import Foundation

/// Workflow editor states shaped like Sim's (blocks keyed by UUID with
/// positions, sub-blocks holding prompts and settings, outputs; edges
/// between blocks; variables), and run inputs/outputs.
///
/// The mix of repeated keys, UUIDs, coordinates and prompt prose gives the
/// compression ratio real workflow JSON has; nothing here is tuned to make
/// zlib look good.
struct WorkflowJSON {
    let corpus: TextCorpus

    private static let blockTypes: [(type: String, outputs: String)] = [
        ("agent", #""content":"string","model":"string","tokens":"any","toolCalls":"any""#),
        ("api", #""data":"any","status":"number","headers":"json""#),
        ("function", #""result":"any","stdout":"string""#),
        ("condition", #""conditionResult":"boolean","selectedPath":"json""#),
        ("router", #""content":"string","selectedPath":"json""#),
        ("evaluator", #""content":"string","score":"number""#),
        ("knowledge", #""results":"json","query":"string""#),
    ]
    private static let models = ["gpt-4o", "gpt-4o-mini", "claude-3-7-sonnet", "gemini-2.0-flash", "llama-3.3-70b"]

    /// A state of about `bytes` bytes (never less).
    func state(bytes target: Int, _ random: inout SeededRandom) -> Data {
        var ids: [String] = []
        var blocks: [String] = []
        var size = 0
        while size < target - 600 {
            let id = random.uuid()
            let block = self.block(id: id, index: ids.count, &random)
            ids.append(id)
            blocks.append(block)
            size += block.count + 160  // the block's edge and separators
        }
        var edges: [String] = []
        for index in ids.indices.dropFirst() {
            let source = ids[Int.random(in: max(0, index - 3)..<index, using: &random)]
            edges.append(#"{"id":"\#(random.uuid())","source":"\#(source)","target":"\#(ids[index])","sourceHandle":"source","targetHandle":"target","type":"workflowEdge"}"#)
        }
        let variables = (0..<Int.random(in: 1...4, using: &random)).map { index in
            #""\#(random.uuid())":{"id":"var\#(index)","name":"\#(corpus.word(Int.random(in: 0..<2000, using: &random)))","type":"string","value":"\#(corpus.text(length: 40, &random))"}"#
        }
        let json = #"{"blocks":{\#(zip(ids, blocks).map { #""\#($0)":\#($1)"# }.joined(separator: ","))},"edges":[\#(edges.joined(separator: ","))],"loops":{},"parallels":{},"variables":{\#(variables.joined(separator: ","))},"isDeployed":false,"lastSaved":\#(1_732_000_000_000 + Int.random(in: 0..<10_000_000_000, using: &random))}"#
        return Data(json.utf8)
    }

    private func block(id: String, index: Int, _ random: inout SeededRandom) -> String {
        let kind = Self.blockTypes[Int.random(in: 0..<Self.blockTypes.count, using: &random)]
        let x = Double(Int.random(in: -2000...4000, using: &random)) / 2, y = Double(Int.random(in: -1500...1500, using: &random)) / 2
        let prompt = corpus.text(length: Int.random(in: 150...900, using: &random), &random)
        let model = Self.models[Int.random(in: 0..<Self.models.count, using: &random)]
        let temperature = Double(Int.random(in: 0...10, using: &random)) / 10
        let subBlocks = [
            #""systemPrompt":{"id":"systemPrompt","type":"long-input","value":"\#(prompt)"}"#,
            #""userPrompt":{"id":"userPrompt","type":"long-input","value":"<start.input> \#(corpus.text(length: 60, &random))"}"#,
            #""model":{"id":"model","type":"combobox","value":"\#(model)"}"#,
            #""temperature":{"id":"temperature","type":"slider","value":\#(temperature)}"#,
            #""apiKey":{"id":"apiKey","type":"short-input","value":"{{OPENAI_API_KEY}}"}"#,
            #""responseFormat":{"id":"responseFormat","type":"code","value":null}"#,
        ]
        return #"{"id":"\#(id)","type":"\#(kind.type)","name":"\#(kind.type.capitalized) \#(index + 1)","position":{"x":\#(x),"y":\#(y)},"subBlocks":{\#(subBlocks.joined(separator: ","))},"outputs":{\#(kind.outputs)},"enabled":true,"horizontalHandles":true,"isWide":false,"advancedMode":false,"height":\#(Int.random(in: 80...400, using: &random))}"#
    }

    /// A run's input: a few hundred bytes.
    func runInput(_ random: inout SeededRandom) -> Data {
        Data(#"{"input":"\#(corpus.text(length: Int.random(in: 80...400, using: &random), &random))","conversationId":"\#(random.uuid())","trigger":"manual"}"#.utf8)
    }

    /// A run's output: per-block logs, one to three KB.
    func runOutput(_ random: inout SeededRandom) -> Data {
        let logs = (0..<Int.random(in: 2...6, using: &random)).map { _ in
            #"{"blockId":"\#(random.uuid())","durationMs":\#(Int.random(in: 5...9000, using: &random)),"success":true,"output":"\#(corpus.text(length: Int.random(in: 100...400, using: &random), &random))"}"#
        }
        return Data(#"{"success":true,"logs":[\#(logs.joined(separator: ","))],"tokens":{"prompt":\#(Int.random(in: 100...5000, using: &random)),"completion":\#(Int.random(in: 50...2000, using: &random))}}"#.utf8)
    }
}
