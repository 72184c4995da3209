public import Foundation

/// A workflow with its whole editor state: the JSON the app saves and loads
/// (blocks, edges, positions...), kept byte for byte.
public struct Workflow: Sendable, Equatable, Hashable, Codable, Identifiable {
    /// The category of a workflow nobody filed anywhere.
    public static let defaultCategory = "general"

    public let id: String
    public var name: String
    public var description: String
    public var category: String
    /// Free-form labels; searchable.
    public var tags: [String]
    /// The app's JSON, exactly as given (stored zlib-compressed).
    public var state: Data
    /// 1 for the first save; +1 for each save that changed `state`.
    public let version: Int
    /// Unix milliseconds.
    public let createdAt: Int64
    /// Unix milliseconds.
    public let updatedAt: Int64

    /// A workflow to pass to ``WorkflowStore/save(_:)``. A new one gets a
    /// random id; to change a stored workflow, load it, edit, save.
    public init(
        id: String? = nil, name: String, description: String = "", category: String = Workflow.defaultCategory, tags: [String] = [],
        state: Data
    ) {
        self.id = id ?? RecordID.make()
        self.name = name
        self.description = description
        self.category = category
        self.tags = tags
        self.state = state
        version = 0
        createdAt = 0
        updatedAt = 0
    }

    init(summary: WorkflowSummary, state: Data) {
        id = summary.id
        name = summary.name
        description = summary.description
        category = summary.category
        tags = summary.tags
        self.state = state
        version = summary.version
        createdAt = summary.createdAt
        updatedAt = summary.updatedAt
    }
}

/// A workflow's metadata, without its state: what lists show.
public struct WorkflowSummary: Sendable, Equatable, Hashable, Codable, Identifiable {
    public let id: String
    public let name: String
    public let description: String
    public let category: String
    public let tags: [String]
    public let version: Int
    /// Size of the state JSON.
    public let stateBytes: Int
    /// Size of the state as stored (compressed).
    public let storedBytes: Int
    /// Unix milliseconds.
    public let createdAt: Int64
    /// Unix milliseconds.
    public let updatedAt: Int64

}

extension WorkflowSummary: StatementRecord {
    /// `length(state)` reads only the BLOB's size, not its pages.
    static let selection =
        "id, name, description, category, tags, version, state_bytes, length(state) AS stored_bytes, created_at, updated_at"
    static let columnCount = 10

    init(statement row: Statement) throws {
        id = try row.get(0)
        name = try row.get(1)
        description = try row.get(2)
        category = try row.get(3)
        tags = try WorkflowTags.decode(try row.get(4))
        version = try row.get(5)
        stateBytes = try row.get(6)
        storedBytes = try row.get(7)
        createdAt = try row.get(8)
        updatedAt = try row.get(9)
    }
}

/// One saved state in a workflow's history.
public struct WorkflowVersion: Sendable, Equatable, Hashable, Codable {
    public let workflowID: String
    public let version: Int
    /// The name the workflow had then.
    public let name: String
    public let stateBytes: Int
    public let storedBytes: Int
    /// Unix milliseconds when this state was saved.
    public let savedAt: Int64
    /// Whether this is the workflow's current state.
    public let isCurrent: Bool

    init(row: Row) throws {
        workflowID = try row.get("workflow_id")
        version = try row.get("version")
        name = try row.get("name")
        stateBytes = try row.get("state_bytes")
        storedBytes = try row.get("stored_bytes")
        savedAt = try row.get("saved_at")
        isCurrent = try row.get("is_current")
    }
}

/// Tags are stored as a JSON array of strings (the FTS tokenizer splits it
/// into words).
enum WorkflowTags {
    static func encode(_ tags: [String]) throws -> String {
        String(decoding: try JSONEncoder().encode(tags), as: UTF8.self)
    }

    /// Decodes the array; every list of workflows decodes one per row, so
    /// the common form (strings without escapes) is read directly and only
    /// anything else goes through `JSONDecoder`, which decides what it means.
    static func decode(_ text: String) throws -> [String] {
        if let tags = decodeWithoutEscapes(text) { return tags }
        do { return try JSONDecoder().decode([String].self, from: Data(text.utf8)) } catch {
            throw RowDecodingError(column: "tags", detail: "not a JSON array of strings")
        }
    }

    /// `["a", "b"]` with no backslash or control character in a string;
    /// nil for anything else.
    static func decodeWithoutEscapes(_ text: String) -> [String]? {
        var text = text
        return text.withUTF8 { bytes -> [String]? in
            var tags: [String] = []
            var index = 0
            func skipSpace() {
                while index < bytes.count, bytes[index] == 0x20 || bytes[index] == 0x09 || bytes[index] == 0x0A || bytes[index] == 0x0D {
                    index += 1
                }
            }
            func expect(_ byte: UInt8) -> Bool {
                skipSpace()
                guard index < bytes.count, bytes[index] == byte else { return false }
                index += 1
                return true
            }
            guard expect(UInt8(ascii: "[")) else { return nil }
            if !expect(UInt8(ascii: "]")) {
                repeat {
                    guard expect(UInt8(ascii: "\"")) else { return nil }
                    let start = index
                    while index < bytes.count, bytes[index] != UInt8(ascii: "\"") {
                        guard bytes[index] >= 0x20, bytes[index] != UInt8(ascii: "\\") else { return nil }
                        index += 1
                    }
                    guard index < bytes.count else { return nil }
                    tags.append(String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self))
                    index += 1
                } while expect(UInt8(ascii: ","))
                guard expect(UInt8(ascii: "]")) else { return nil }
            }
            skipSpace()
            return index == bytes.count ? tags : nil
        }
    }
}
