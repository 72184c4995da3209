/// A JSON value that keeps what a round trip must not lose: the order of an
/// object's members and every number exactly as it was written.
///
/// Foundation's `JSONSerialization` forgets member order and turns `1.0`
/// into `1`; simvault must give a Sim workflow back as it came in, and keep
/// fields it does not know about, so it reads and writes JSON with this type.
///
/// ```swift
/// var value = try JSONReader(data: bytes).readDocument()
/// value.object?["exportedAt"] = .string("2025-11-23T10:00:00.000Z")
/// let text = JSONWriter.serialize(value, style: .pretty)
/// ```
public indirect enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    /// A number as written in the source (or produced by ``number(_:)``).
    case number(String)
    case string(String)
    case array([JSONValue])
    case object(JSONObject)

    /// A number value from an integer.
    public static func number(_ value: Int64) -> JSONValue { .number(String(value)) }

    /// The string, if this is one.
    public var string: String? { if case .string(let text) = self { return text } else { return nil } }
    /// The object, if this is one.
    public var object: JSONObject? {
        get { if case .object(let object) = self { return object } else { return nil } }
        set { if let newValue { self = .object(newValue) } }
    }
    /// The array, if this is one.
    public var array: [JSONValue]? { if case .array(let items) = self { return items } else { return nil } }
    /// The number as an integer, if it is one written without fraction or exponent.
    public var int64: Int64? { if case .number(let text) = self { return Int64(text) } else { return nil } }
    /// The Boolean, if this is one.
    public var bool: Bool? { if case .bool(let value) = self { return value } else { return nil } }
    public var isNull: Bool { self == .null }

    /// A short name of the value's type, for error messages.
    public var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "a Boolean"
        case .number: return "a number"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        }
    }
}

/// A JSON object: members in the order they were read or added. Keys are
/// unique (the reader refuses duplicates).
public struct JSONObject: Sendable, Equatable {
    /// One member.
    public struct Member: Sendable, Equatable {
        public var key: String
        public var value: JSONValue
        public init(_ key: String, _ value: JSONValue) {
            self.key = key
            self.value = value
        }
    }

    public private(set) var members: [Member]

    public init(_ members: [Member] = []) { self.members = members }

    /// An object from key-value pairs, in order.
    public init(_ pairs: KeyValuePairs<String, JSONValue>) {
        members = pairs.map { Member($0.key, $0.value) }
    }

    public var keys: [String] { members.map(\.key) }
    public var isEmpty: Bool { members.isEmpty }

    /// The value of `key`; setting replaces it in place, or appends a new
    /// member; setting nil removes it.
    public subscript(key: String) -> JSONValue? {
        get { members.first { $0.key == key }?.value }
        set {
            if let index = members.firstIndex(where: { $0.key == key }) {
                if let newValue { members[index].value = newValue } else { members.remove(at: index) }
            } else if let newValue {
                members.append(Member(key, newValue))
            }
        }
    }

    /// Appends a member whose key the caller knows is new (the reader, which
    /// checks duplicates with a set), without the linear search of the
    /// subscript.
    mutating func appendNew(_ key: String, _ value: JSONValue) {
        members.append(Member(key, value))
    }

    /// Appends a member whose value is not nil (for building records with
    /// optional fields).
    public mutating func append(_ key: String, _ value: JSONValue?) {
        guard let value else { return }
        self[key] = value
    }
}

extension JSONValue {
    /// A string value, or null for nil.
    static func string(_ text: String?) -> JSONValue { text.map(JSONValue.string) ?? .null }
    /// A number value, or null for nil.
    static func number(_ value: Int64?) -> JSONValue { value.map { JSONValue.number($0) } ?? .null }
    static func number(_ value: Int?) -> JSONValue { value.map { JSONValue.number(Int64($0)) } ?? .null }
}
