import Foundation

/// Decodes a ``Row`` into a `Decodable` record, property by column name
/// (``RecordColumnName``).
struct RowDecoder: Decoder {
    let row: Row
    var codingPath: [any CodingKey] = []
    var userInfo: [CodingUserInfoKey: Any] = [:]

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        KeyedDecodingContainer(Container(row: row))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        throw RowDecodingError(column: "*", detail: "a record is read by column name, not as a list")
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        throw RowDecodingError(column: "*", detail: "a record is read by column name, not as one value")
    }

    struct Container<Key: CodingKey>: KeyedDecodingContainerProtocol {
        let row: Row
        var codingPath: [any CodingKey] = []
        var allKeys: [Key] { row.columnNames.compactMap { Key(stringValue: $0) } }

        private func column(_ key: Key) -> String { RecordColumnName.column(for: key.stringValue) }
        private func value(_ key: Key) -> DatabaseValue { row[column(key)] }

        func contains(_ key: Key) -> Bool { row.columnNames.contains(column(key)) }
        func decodeNil(forKey key: Key) throws -> Bool { value(key).isNull }

        func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
            let name = column(key)
            guard row.columnNames.contains(name) else { throw RowDecodingError(column: name, detail: "no such column") }
            return try RowDecoder.decode(T.self, from: value(key), column: name)
        }

        func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
            throw RowDecodingError(column: column(key), detail: "a record's nested values are stored as JSON: give the property a Codable type")
        }

        func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
            throw RowDecodingError(column: column(key), detail: "a record's nested values are stored as JSON: give the property a Codable type")
        }

        func superDecoder() throws -> any Decoder { RowDecoder(row: row) }
        func superDecoder(forKey key: Key) throws -> any Decoder { RowDecoder(row: row) }
    }

    /// One column's value as `T`: the ``DatabaseValueConvertible`` types
    /// directly, `Date` from unix milliseconds, anything else from JSON text.
    static func decode<T: Decodable>(_ type: T.Type, from value: DatabaseValue, column: String) throws -> T {
        let mismatch = RowDecodingError(column: column, detail: "cannot read \(value) as \(T.self)")
        if T.self == Date.self {
            guard case .integer(let milliseconds) = value else { throw mismatch }
            return Date(timeIntervalSince1970: Double(milliseconds) / 1000) as! T
        }
        if let convertible = T.self as? any DatabaseValueConvertible.Type {
            guard let converted = convertible.init(databaseValue: value) else { throw mismatch }
            return converted as! T
        }
        switch T.self {
        case is Float.Type: guard let v = Double(databaseValue: value) else { throw mismatch }; return Float(v) as! T
        case is UInt64.Type, is UInt.Type, is UInt32.Type, is UInt16.Type, is UInt8.Type, is Int16.Type, is Int8.Type:
            guard let v = Int64(databaseValue: value) else { throw mismatch }
            func exactly<N: BinaryInteger>(_ make: (Int64) -> N?) throws -> T { guard let n = make(v) else { throw mismatch }; return n as! T }
            switch T.self {
            case is UInt64.Type: return try exactly { UInt64(exactly: $0) }
            case is UInt.Type: return try exactly { UInt(exactly: $0) }
            case is UInt32.Type: return try exactly { UInt32(exactly: $0) }
            case is UInt16.Type: return try exactly { UInt16(exactly: $0) }
            case is UInt8.Type: return try exactly { UInt8(exactly: $0) }
            case is Int16.Type: return try exactly { Int16(exactly: $0) }
            default: return try exactly { Int8(exactly: $0) }
            }
        case is URL.Type: guard let text = String(databaseValue: value), let url = URL(string: text) else { throw mismatch }; return url as! T
        case is UUID.Type: guard let text = String(databaseValue: value), let uuid = UUID(uuidString: text) else { throw mismatch }; return uuid as! T
        default:
            guard let text = String(databaseValue: value) else { throw mismatch }
            do { return try JSONDecoder().decode(T.self, from: Data(text.utf8)) } catch {
                throw RowDecodingError(column: column, detail: "not JSON for \(T.self): \(error)")
            }
        }
    }
}
