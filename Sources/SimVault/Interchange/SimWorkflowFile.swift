public import Foundation

/// A workflow in Sim's export format, the JSON file Sim's "Export workflow"
/// writes (`JSON.stringify(value, null, 2)`):
///
/// ```json
/// {
///   "version": "1.0",
///   "exportedAt": "2025-11-23T10:00:00.000Z",
///   "state": {
///     "blocks": { "<id>": { "type": "agent", ... } },
///     "edges": [ { "source": "<id>", "target": "<id>", ... } ],
///     "loops": { ... }, "parallels": { ... },
///     "metadata": { "name": "...", "description": "...", "exportedAt": "..." },
///     "variables": { ... }
///   }
/// }
/// ```
///
/// Everything is kept: member order, numbers as written, and members
/// simvault does not know, at the top level and inside `state`. The vault
/// stores `state` as the workflow's state (compact JSON) and the rest of the
/// top level as the workflow's source envelope, so an export gives back the
/// same document; only `exportedAt` (top level and `state.metadata`) is
/// renewed, and `state.metadata.name`/`description` follow a rename.
public struct SimWorkflowFile: Sendable, Equatable {
    /// Export format versions this simvault reads and writes.
    public static let supportedVersions = ["1.0"]
    /// Largest file accepted (Sim workflows are tens of kilobytes).
    public static let maximumBytes: Int64 = 64 << 20
    /// `workflows.source` marker.
    static let sourceFormat = "sim-workflow-export"

    /// The whole top-level object.
    public private(set) var document: JSONObject

    /// The `state` object.
    public var state: JSONObject { document["state"]?.object ?? JSONObject() }
    /// `state.metadata.name`, when present and not empty.
    public var name: String? { state["metadata"]?.object?["name"]?.string.flatMap { $0.isEmpty ? nil : $0 } }
    /// `state.metadata.description`.
    public var description: String? { state["metadata"]?.object?["description"]?.string }
    /// Number of blocks and edges, for reports.
    public var blockCount: Int { state["blocks"]?.object?.members.count ?? 0 }
    public var edgeCount: Int { state["edges"]?.array?.count ?? 0 }

    /// Parses and checks a Sim export.
    ///
    /// - Parameter source: the file name, for error messages.
    /// - Throws: ``VaultError/invalidArgument(detail:)`` for invalid or
    ///   truncated JSON, an unsupported `version`, or a `state` that is not a
    ///   Sim workflow (blocks, edges referring to existing blocks, loops and
    ///   parallels listing existing blocks).
    public init(data: Data, source: String) throws {
        guard Int64(data.count) <= Self.maximumBytes else {
            throw VaultError.invalidArgument(detail: "\(source) is \(ByteCount.format(Int64(data.count))); a workflow file may be at most \(ByteCount.format(Self.maximumBytes))")
        }
        let value: JSONValue
        do { value = try JSONReader(data: data).readDocument() } catch let error as JSONError {
            throw VaultError.invalidArgument(detail: "\(source) is not valid JSON: \(error)")
        }
        guard let document = value.object else {
            throw VaultError.invalidArgument(detail: "\(source) is not a Sim workflow export: the top level is \(value.typeName), not an object")
        }
        try Self.validate(document, source: source)
        self.document = document
    }

    /// Reads and checks the file at `path` (see ``init(data:source:)``).
    public init(path: String) throws {
        guard let size = VaultLocation.size(of: path) else {
            throw VaultError.io(detail: "cannot read \(path): no such file")
        }
        guard size <= Self.maximumBytes else {
            throw VaultError.invalidArgument(detail: "\(path) is \(ByteCount.format(size)); a workflow file may be at most \(ByteCount.format(Self.maximumBytes))")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw VaultError.io(detail: "cannot read \(path): \(String(cString: strerror(errno)))")
        }
        try self.init(data: data, source: path)
    }

    private init(document: JSONObject) { self.document = document }

    /// The file's text as Sim writes it: `JSON.stringify(document, null, 2)`
    /// and a final newline.
    public func serialized() -> Data {
        Data((JSONWriter.serialize(.object(document), style: .pretty) + "\n").utf8)
    }

    // MARK: - Vault storage

    /// The workflow state to store: `state`, compact.
    var stateBytes: Data { Data(JSONWriter.serialize(.object(state), style: .compact).utf8) }

    /// What `workflows.source` keeps: the top level with `state` set to null.
    var sourceText: String {
        var envelope = document
        envelope["state"] = .null
        return JSONWriter.serialize(.object(JSONObject(["format": .string(Self.sourceFormat), "envelope": .object(envelope)])), style: .compact)
    }

    /// The export of a stored workflow: its envelope (or a fresh one for a
    /// workflow made by an app) around its state, `exportedAt` set to
    /// `exportedAt`, and the metadata's name and description set to the
    /// workflow's when it was renamed.
    static func assemble(state stateBytes: Data, source: String?, name: String, description: String, exportedAt: Date) throws -> SimWorkflowFile {
        let timestamp = JSONValue.string(isoTimestamp(exportedAt))
        var state: JSONValue
        do { state = try JSONReader(data: stateBytes).readDocument() } catch {
            throw VaultError.corrupt(detail: "the stored state of workflow \"\(name)\" is not JSON: \(error)")
        }
        var envelope = JSONObject(["version": .string(supportedVersions[0]), "exportedAt": timestamp, "state": .null])
        let imported = source.flatMap { try? JSONReader(data: Data($0.utf8)).readDocument().object }
            .flatMap { $0["format"]?.string == sourceFormat ? $0["envelope"]?.object : nil }
        if let imported { envelope = imported }
        if envelope["exportedAt"] != nil { envelope["exportedAt"] = timestamp }
        if var object = state.object {
            if var metadata = object["metadata"]?.object {
                // A file imported without a metadata name got its name from
                // the file name; that name is not written into it.
                if metadata["name"]?.string.map({ $0 != name }) ?? (imported == nil) { metadata["name"] = .string(name) }
                if (metadata["description"]?.string ?? "") != description { metadata["description"] = .string(description) }
                if metadata["exportedAt"] != nil { metadata["exportedAt"] = timestamp }
                object["metadata"] = .object(metadata)
            } else if imported == nil {
                var metadata = JSONObject(["name": .string(name)])
                if !description.isEmpty { metadata["description"] = .string(description) }
                object["metadata"] = .object(metadata)
            }
            state = .object(object)
        }
        envelope["state"] = state
        return SimWorkflowFile(document: envelope)
    }

    /// `Date.toISOString()` of JavaScript: UTC with milliseconds.
    static func isoTimestamp(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
    }

    // MARK: - Checks

    private static func validate(_ document: JSONObject, source: String) throws {
        func refuse(_ why: String) -> VaultError { .invalidArgument(detail: "\(source) is not a Sim workflow export: \(why)") }
        guard let version = document["version"] else { throw refuse("it has no \"version\"") }
        guard let text = version.string, supportedVersions.contains(text) else {
            throw VaultError.invalidArgument(detail: "\(source) is a Sim workflow export of format version \(JSONWriter.serialize(version, style: .compact)); this simvault reads version \(supportedVersions.joined(separator: ", "))")
        }
        guard let state = document["state"]?.object else { throw refuse("it has no \"state\" object") }
        guard let blocks = state["blocks"]?.object else { throw refuse("\"state\" has no \"blocks\" object") }
        for member in blocks.members {
            guard let block = member.value.object else { throw refuse("block \(member.key) is \(member.value.typeName), not an object") }
            guard block["type"]?.string != nil else { throw refuse("block \(member.key) has no \"type\"") }
        }
        let ids = Set(blocks.keys)
        guard let edges = state["edges"]?.array else { throw refuse("\"state\" has no \"edges\" array") }
        for (position, edge) in edges.enumerated() {
            guard let edge = edge.object, let from = edge["source"]?.string, let to = edge["target"]?.string else {
                throw refuse("edge \(position) has no \"source\" and \"target\"")
            }
            guard ids.contains(from), ids.contains(to) else { throw refuse("edge \(position) connects \(from) to \(to), which are not both blocks of the workflow") }
        }
        for kind in ["loops", "parallels"] {
            guard let value = state[kind] else { continue }
            guard let groups = value.object else { throw refuse("\"\(kind)\" is \(value.typeName), not an object") }
            for group in groups.members {
                guard let object = group.value.object else { throw refuse("\(kind) entry \(group.key) is not an object") }
                for node in object["nodes"]?.array ?? [] where !ids.contains(node.string ?? "") {
                    throw refuse("\(kind) entry \(group.key) lists \(JSONWriter.serialize(node, style: .compact)), which is not a block")
                }
            }
        }
    }
}
