public import Foundation

/// A Sim workflow as a JSON file, in every form Sim's own importer
/// (`parseWorkflowJson` in Sim's apps/sim/lib/workflows/operations/import-export.ts)
/// accepts:
///
/// - the UI export ("Export as JSON"), `JSON.stringify(value, null, 2)`:
///   `{"version": "1.0", "exportedAt": …, "state": {"blocks", "edges", "loops", "parallels", "metadata", "variables"}}`;
/// - the API export (`GET /api/v1/workflows/{id}/export`), whose response
///   body wraps the same object as `{"data": {…, "workflow": {"id", "name", "description", "workspaceId", "folderId"}, "state": …}, "limits": …}`;
/// - a bare state `{"blocks", "edges", "loops"?, "parallels"?}`, which is
///   also the older form with `blocks` and `edges` at the root;
/// - a JSON string holding any of these (what Sim's import API takes in
///   its `workflow` field).
///
/// Everything is kept: member order, numbers as written, and members
/// simvault does not know, at every level. The vault stores ``state`` as the
/// workflow's state and the rest (``envelope``, ``wrapper``) as its source,
/// so an export in the form a file came in gives back the same document;
/// only `exportedAt` is renewed, and the name and description follow a
/// rename.
///
/// ```swift
/// let file = try SimWorkflowFile(path: "digest.json")
/// print(file.form, file.name ?? "unnamed", file.blockCount)
/// ```
public struct SimWorkflowFile: Sendable, Equatable {
    /// The shape of the file.
    public enum Form: String, Sendable, Codable, CaseIterable {
        /// `{"version", "exportedAt", "state"}`: Sim's UI export.
        case uiExport = "sim"
        /// `{"data": {"version", "exportedAt", "workflow", "state"}}`: Sim's API export.
        case apiExport = "api"
        /// The state itself, `blocks` and `edges` at the root.
        case state
    }

    /// Export format versions this simvault reads and writes.
    public static let supportedVersions = ["1.0"]
    /// Largest file accepted (Sim workflows are tens of kilobytes; Sim's own
    /// import API takes at most 10 MiB).
    public static let maximumBytes: Int64 = 64 << 20

    /// The workflow state: `blocks`, `edges`, `loops`, `parallels`,
    /// `metadata`, `variables` and whatever else the file holds there. A
    /// separate step may rewrite it between parsing and storing (for
    /// example to move credentials out of it); everything else about the
    /// file stays as read.
    public var state: JSONObject
    /// The object around `state` when the file is an export (its `state`
    /// member a null placeholder that keeps member order); nil for a bare
    /// state.
    public internal(set) var envelope: JSONObject?
    /// The response body around `data` when the file is an API response (its
    /// `data` member a null placeholder); nil otherwise.
    public internal(set) var wrapper: JSONObject?

    /// Which of Sim's forms the file has.
    public var form: Form { envelope == nil ? .state : wrapper == nil ? .uiExport : .apiExport }

    /// The workflow's name as Sim's importer resolves it: `state.metadata.name`,
    /// then `workflow.name` (API export), trimmed and not blank; nil when
    /// neither is there (then the file name is used, see
    /// ``SimWorkflowName/fromFileName(_:)``).
    public var name: String? {
        Self.nonBlank(metadata?["name"]) ?? Self.nonBlank(envelope?["workflow"]?.object?["name"])
    }
    /// The description, resolved the same way (`state.metadata.description`,
    /// then `workflow.description`), or nil.
    public var description: String? {
        Self.nonBlank(metadata?["description"]) ?? Self.nonBlank(envelope?["workflow"]?.object?["description"])
    }
    /// `state.metadata`, when it is an object.
    var metadata: JSONObject? { state["metadata"]?.object }
    /// Number of blocks and edges, for reports.
    public var blockCount: Int { state["blocks"]?.object?.members.count ?? 0 }
    public var edgeCount: Int { state["edges"]?.array?.count ?? 0 }

    /// Parses and checks a Sim workflow in any of its forms.
    ///
    /// - Parameter source: the file name, for error messages.
    /// - Throws: ``VaultError/invalidArgument(detail:)`` for invalid or
    ///   truncated JSON, an unsupported `version`, or a state Sim would
    ///   refuse (Sim's own checks and messages; docs/import-export.md).
    public init(data: Data, source: String) throws {
        guard Int64(data.count) <= Self.maximumBytes else {
            throw VaultError.invalidArgument(detail: "\(source) is \(ByteCount.format(Int64(data.count))); a workflow file may be at most \(ByteCount.format(Self.maximumBytes))")
        }
        var value = try Self.read(data, source: source, what: "is not valid JSON")
        if let text = value.string {
            // Sim's import API takes the workflow as an object or as JSON text.
            value = try Self.read(Data(text.utf8), source: source, what: "holds a JSON string that is not valid JSON")
            if value.string != nil { throw VaultError.invalidArgument(detail: "\(source) is not a Sim workflow: it holds a JSON string inside a JSON string") }
        }
        guard var root = value.object else {
            throw VaultError.invalidArgument(detail: "\(source) is not a Sim workflow export: the top level is \(value.typeName), not an object")
        }
        // Sim's `unwrapWorkflowExportEnvelope`: an API response body
        // `{"data": {…}}` whose `data` has a truthy `state`, `version` or `workflow`.
        if let inner = root["data"]?.object, ["state", "version", "workflow"].contains(where: { inner[$0]?.isTruthy == true }) {
            root["data"] = .null
            wrapper = root
            root = inner
        }
        if let nested = root["state"]?.object {
            state = nested
            root["state"] = .null
            envelope = root
        } else {
            state = root
        }
        try SimWorkflowChecks.validate(self, source: source)
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

    init(state: JSONObject, envelope: JSONObject?, wrapper: JSONObject?) {
        self.state = state
        self.envelope = envelope
        self.wrapper = wrapper
    }

    /// The whole document in the file's form.
    public var document: JSONValue {
        guard var envelope else { return wrap(.object(state)) }
        envelope["state"] = .object(state)
        return wrap(.object(envelope))
    }

    private func wrap(_ value: JSONValue) -> JSONValue {
        guard var wrapper else { return value }
        wrapper["data"] = value
        return .object(wrapper)
    }

    /// The file's text as Sim writes it: the UI export (and a bare state) as
    /// `JSON.stringify(document, null, 2)`, which Sim's "Export as JSON"
    /// downloads as it is (no final newline); the API export as
    /// `JSON.stringify(body)`, the response body of Sim's export API.
    public func serialized() -> Data {
        Data(JSONWriter.serialize(document, style: form == .apiExport ? .compact : .pretty).utf8)
    }

    /// The workflow state to store: `state`, compact.
    var stateBytes: Data { Data(JSONWriter.serialize(.object(state), style: .compact).utf8) }

    // MARK: - Helpers

    private static func read(_ data: Data, source: String, what: String) throws -> JSONValue {
        do { return try JSONReader(data: data).readDocument() } catch let error as JSONError {
            throw VaultError.invalidArgument(detail: "\(source) \(what): \(error)")
        }
    }

    /// A string value trimmed, or nil when it is missing, not a string or
    /// blank (Sim's `readString`).
    static func nonBlank(_ value: JSONValue?) -> String? {
        guard let text = value?.string?.trimmingCharacters(in: .whitespacesAndNewlines), !text.isEmpty else { return nil }
        return text
    }

    /// `Date.toISOString()` of JavaScript: UTC with milliseconds.
    static func isoTimestamp(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
    }
}

extension JSONValue {
    /// JavaScript's truthiness: false for null, false, 0, NaN and "".
    var isTruthy: Bool {
        switch self {
        case .null: return false
        case .bool(let flag): return flag
        case .number(let text): return (Double(text) ?? 1) != 0
        case .string(let text): return !text.isEmpty
        case .array, .object: return true
        }
    }

    /// Whether this is a JSON number (JavaScript `typeof value === 'number'`).
    var isNumber: Bool { if case .number = self { return true } else { return false } }
}
