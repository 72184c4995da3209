public import Foundation

/// A value stored in or read from SQLite: one of its five storage classes.
public enum DatabaseValue: Sendable, Equatable, Hashable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob(Data)

    public var isNull: Bool { if case .null = self { return true } else { return false } }
}

/// A Swift type that converts to and from a ``DatabaseValue``, so it can be
/// bound to a statement and read from a row.
public protocol DatabaseValueConvertible: Sendable {
    var databaseValue: DatabaseValue { get }
    /// Nil when `value` has an incompatible storage class.
    init?(databaseValue value: DatabaseValue)
}

extension DatabaseValue: DatabaseValueConvertible {
    public var databaseValue: DatabaseValue { self }
    public init?(databaseValue value: DatabaseValue) { self = value }
}

extension Int64: DatabaseValueConvertible {
    public var databaseValue: DatabaseValue { .integer(self) }
    public init?(databaseValue value: DatabaseValue) {
        switch value {
        case .integer(let v): self = v
        case .real(let v) where v == v.rounded() && abs(v) < 9.2e18: self = Int64(v)
        default: return nil
        }
    }
}

extension Int: DatabaseValueConvertible {
    public var databaseValue: DatabaseValue { .integer(Int64(self)) }
    public init?(databaseValue value: DatabaseValue) {
        guard let v = Int64(databaseValue: value) else { return nil }
        self = Int(v)
    }
}

extension Int32: DatabaseValueConvertible {
    public var databaseValue: DatabaseValue { .integer(Int64(self)) }
    public init?(databaseValue value: DatabaseValue) {
        guard let v = Int64(databaseValue: value), let narrowed = Int32(exactly: v) else { return nil }
        self = narrowed
    }
}

extension Double: DatabaseValueConvertible {
    public var databaseValue: DatabaseValue { .real(self) }
    public init?(databaseValue value: DatabaseValue) {
        switch value {
        case .real(let v): self = v
        case .integer(let v): self = Double(v)
        default: return nil
        }
    }
}

extension Bool: DatabaseValueConvertible {
    public var databaseValue: DatabaseValue { .integer(self ? 1 : 0) }
    public init?(databaseValue value: DatabaseValue) {
        guard let v = Int64(databaseValue: value) else { return nil }
        self = v != 0
    }
}

extension String: DatabaseValueConvertible {
    public var databaseValue: DatabaseValue { .text(self) }
    public init?(databaseValue value: DatabaseValue) {
        switch value {
        case .text(let v): self = v
        case .integer(let v): self = String(v)
        case .real(let v): self = String(v)
        case .blob(let v): guard let text = String(data: v, encoding: .utf8) else { return nil }; self = text
        case .null: return nil
        }
    }
}

extension Data: DatabaseValueConvertible {
    public var databaseValue: DatabaseValue { .blob(self) }
    public init?(databaseValue value: DatabaseValue) {
        switch value {
        case .blob(let v): self = v
        case .text(let v): self = Data(v.utf8)
        default: return nil
        }
    }
}

extension Optional: DatabaseValueConvertible where Wrapped: DatabaseValueConvertible {
    public var databaseValue: DatabaseValue { self?.databaseValue ?? .null }
    public init?(databaseValue value: DatabaseValue) {
        if case .null = value { self = .none; return }
        guard let wrapped = Wrapped(databaseValue: value) else { return nil }
        self = .some(wrapped)
    }
}
