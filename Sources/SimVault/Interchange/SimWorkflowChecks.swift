/// What a Sim workflow must be to be imported: first exactly what Sim's
/// importer refuses, with its messages (`parseWorkflowJson` in Sim's
/// apps/sim/lib/workflows/operations/import-export.ts collects every
/// problem: `blocks` an object, `edges` an array, each block an object
/// with `id`, `type` and a numeric `position.x`/`position.y`, each edge an
/// object with `id`, `source` and `target`), then what Sim's database would
/// refuse when it stores the graph (an edge between blocks that are not in
/// the workflow: `workflow_edges` has foreign keys to `workflow_blocks`), and
/// what simvault cannot know the meaning of (an export `version` other
/// than 1.0).
///
/// Members simvault does not check are kept as they are, whatever they hold.
enum SimWorkflowChecks {
    /// Problems listed in one message at most; the rest are counted.
    static let maximumListed = 20

    static func validate(_ file: SimWorkflowFile, source: String) throws {
        func refuse(_ problems: [String]) -> VaultError {
            var listed = problems.prefix(maximumListed).joined(separator: "; ")
            if problems.count > maximumListed { listed += "; and \(problems.count - maximumListed) more" }
            return .invalidArgument(detail: "\(source) is not a Sim workflow: \(listed)")
        }
        if let version = file.envelope?["version"], version.string.map({ !SimWorkflowFile.supportedVersions.contains($0) }) ?? true {
            throw VaultError.invalidArgument(detail: "\(source) is a Sim workflow export of format version \(JSONWriter.serialize(version, style: .compact)); this simvault reads version \(SimWorkflowFile.supportedVersions.joined(separator: ", "))")
        }
        let problems = simProblems(file.state)
        guard problems.isEmpty else { throw refuse(problems) }
        let graphProblems = graphProblems(file.state)
        guard graphProblems.isEmpty else { throw refuse(graphProblems) }
    }

    /// Sim's own checks, in its order and words.
    static func simProblems(_ state: JSONObject) -> [String] {
        guard let blocks = state["blocks"]?.object else { return ["Missing or invalid field: blocks"] }
        guard let edges = state["edges"]?.array else { return ["Missing or invalid field: edges (must be an array)"] }
        var problems: [String] = []
        for member in blocks.members {
            guard let block = member.value.object else {
                problems.append("Invalid block \(member.key): must be an object")
                continue
            }
            for field in ["id", "type"] where block[field]?.isTruthy != true {
                problems.append("Block \(member.key) missing required field: \(field)")
            }
            let position = block["position"]?.object
            if position?["x"]?.isNumber != true || position?["y"]?.isNumber != true {
                problems.append("Block \(member.key) missing or invalid position")
            }
        }
        for (index, edge) in edges.enumerated() {
            guard let edge = edge.object else {
                problems.append("Invalid edge at index \(index): must be an object")
                continue
            }
            for field in ["id", "source", "target"] where edge[field]?.isTruthy != true {
                problems.append("Edge at index \(index) missing required field: \(field)")
            }
        }
        return problems
    }

    /// Edges, loops and parallels must name blocks of the workflow.
    private static func graphProblems(_ state: JSONObject) -> [String] {
        let ids = Set(state["blocks"]?.object?.keys ?? [])
        var problems: [String] = []
        for (index, edge) in (state["edges"]?.array ?? []).enumerated() {
            let from = edge.object?["source"] ?? .null, to = edge.object?["target"] ?? .null
            if !ids.contains(from.string ?? "") || !ids.contains(to.string ?? "") {
                problems.append("edge \(index) connects \(describe(from)) to \(describe(to)), which are not both blocks of the workflow")
            }
        }
        for kind in ["loops", "parallels"] {
            guard let value = state[kind], !value.isNull else { continue }
            guard let groups = value.object else {
                problems.append("\"\(kind)\" is \(value.typeName), not an object")
                continue
            }
            for group in groups.members {
                guard let object = group.value.object else {
                    problems.append("\(kind) entry \(group.key) is not an object")
                    continue
                }
                for node in object["nodes"]?.array ?? [] where !ids.contains(node.string ?? "") {
                    problems.append("\(kind) entry \(group.key) lists \(JSONWriter.serialize(node, style: .compact)), which is not a block")
                }
            }
        }
        return problems
    }

    private static func describe(_ value: JSONValue) -> String { value.string ?? JSONWriter.serialize(value, style: .compact) }
}
