import Foundation

/// Encodes a record's properties into column values, by column name
/// (``RecordColumnName``). A nil optional is NULL (not left out), so a
/// statement's `:name` always finds its value.
enum RecordEncoder {
    static func values(of record: some Encodable) throws -> [String: DatabaseValue] {
        let storage = Storage()
        try record.encode(to: Encoder(storage: storage))
        return storage.values
    }

    static func value(of value: some Encodable) throws -> DatabaseValue {
        switch value {
        case let date as Date: return .integer(Int64((date.timeIntervalSince1970 * 1000).rounded()))
        case let convertible as any DatabaseValueConvertible: return convertible.databaseValue
        case let number as Float: return .real(Double(number))
        case let number as UInt64: return number <= UInt64(Int64.max) ? .integer(Int64(number)) : .text(String(number))
        case let number as UInt: return .integer(Int64(number))
        case let number as UInt32: return .integer(Int64(number))
        case let number as UInt16: return .integer(Int64(number))
        case let number as UInt8: return .integer(Int64(number))
        case let number as Int16: return .integer(Int64(number))
        case let number as Int8: return .integer(Int64(number))
        case let url as URL: return .text(url.absoluteString)
        case let uuid as UUID: return .text(uuid.uuidString)
        default:
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            return .text(String(decoding: try encoder.encode(value), as: UTF8.self))
        }
    }

    final class Storage {
        var values: [String: DatabaseValue] = [:]
    }

    struct Encoder: Swift.Encoder {
        let storage: Storage
        var codingPath: [any CodingKey] = []
        var userInfo: [CodingUserInfoKey: Any] = [:]

        func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
            KeyedEncodingContainer(Container(storage: storage))
        }

        func unkeyedContainer() -> any UnkeyedEncodingContainer { preconditionFailure("a record is encoded by property name, not as a list") }
        func singleValueContainer() -> any SingleValueEncodingContainer { preconditionFailure("a record is encoded by property name, not as one value") }
    }

    struct Container<Key: CodingKey>: KeyedEncodingContainerProtocol {
        let storage: Storage
        var codingPath: [any CodingKey] = []

        mutating func encodeNil(forKey key: Key) throws { storage.values[RecordColumnName.column(for: key.stringValue)] = .null }

        mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
            storage.values[RecordColumnName.column(for: key.stringValue)] = try RecordEncoder.value(of: value)
        }

        private mutating func encodeOptional<T: Encodable>(_ value: T?, _ key: Key) throws {
            if let value { try encode(value, forKey: key) } else { try encodeNil(forKey: key) }
        }

        mutating func encodeIfPresent<T: Encodable>(_ value: T?, forKey key: Key) throws { try encodeOptional(value, key) }
    mutating func encodeIfPresent(_ value: Bool?, forKey key: Key) throws { try encodeOptional(value, key) }
    mutating func encodeIfPresent(_ value: String?, forKey key: Key) throws { try encodeOptional(value, key) }
    mutating func encodeIfPresent(_ value: Double?, forKey key: Key) throws { try encodeOptional(value, key) }
    mutating func encodeIfPresent(_ value: Float?, forKey key: Key) throws { try encodeOptional(value, key) }
    mutating func encodeIfPresent(_ value: Int?, forKey key: Key) throws { try encodeOptional(value, key) }
    mutating func encodeIfPresent(_ value: Int8?, forKey key: Key) throws { try encodeOptional(value, key) }
    mutating func encodeIfPresent(_ value: Int16?, forKey key: Key) throws { try encodeOptional(value, key) }
    mutating func encodeIfPresent(_ value: Int32?, forKey key: Key) throws { try encodeOptional(value, key) }
    mutating func encodeIfPresent(_ value: Int64?, forKey key: Key) throws { try encodeOptional(value, key) }
    mutating func encodeIfPresent(_ value: UInt?, forKey key: Key) throws { try encodeOptional(value, key) }
    mutating func encodeIfPresent(_ value: UInt8?, forKey key: Key) throws { try encodeOptional(value, key) }
    mutating func encodeIfPresent(_ value: UInt16?, forKey key: Key) throws { try encodeOptional(value, key) }
    mutating func encodeIfPresent(_ value: UInt32?, forKey key: Key) throws { try encodeOptional(value, key) }
    mutating func encodeIfPresent(_ value: UInt64?, forKey key: Key) throws { try encodeOptional(value, key) }

        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
            preconditionFailure("a record's nested values are stored as JSON: give the property a Codable type")
        }

        mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
            preconditionFailure("a record's nested values are stored as JSON: give the property a Codable type")
        }

        mutating func superEncoder() -> any Swift.Encoder { Encoder(storage: storage) }
        mutating func superEncoder(forKey key: Key) -> any Swift.Encoder { Encoder(storage: storage) }
    }
}
