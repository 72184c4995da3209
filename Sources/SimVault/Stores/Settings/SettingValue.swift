import Foundation

/// The types a setting can hold, as recorded in `settings.value_type`.
public enum SettingType: String, Sendable, Codable, CaseIterable {
    case string, integer, double, boolean, json
}

/// A Swift type a setting can hold. `String`, `Int`, `Double`, `Bool` and
/// ``SettingJSON`` conform.
public protocol SettingValue: Sendable, Equatable {
    /// The type recorded in the vault.
    static var settingType: SettingType { get }
    /// The value as stored (`settings.value`).
    var settingText: String { get }
    /// Parses a stored value; nil when it is not a valid value of this type.
    init?(settingText: String)
}

extension String: SettingValue {
    public static var settingType: SettingType { .string }
    public var settingText: String { self }
    public init?(settingText: String) { self = settingText }
}

extension Int: SettingValue {
    public static var settingType: SettingType { .integer }
    public var settingText: String { String(self) }
    public init?(settingText: String) { self.init(settingText.trimmingCharacters(in: .whitespaces)) }
}

extension Double: SettingValue {
    public static var settingType: SettingType { .double }
    public var settingText: String { String(self) }
    public init?(settingText: String) {
        guard let value = Double(settingText.trimmingCharacters(in: .whitespaces)), value.isFinite else { return nil }
        self = value
    }
}

extension Bool: SettingValue {
    public static var settingType: SettingType { .boolean }
    public var settingText: String { self ? "true" : "false" }
    /// Accepts true/false, yes/no, on/off, 1/0 (any case).
    public init?(settingText: String) {
        switch settingText.trimmingCharacters(in: .whitespaces).lowercased() {
        case "true", "yes", "on", "1": self = true
        case "false", "no", "off", "0": self = false
        default: return nil
        }
    }
}

/// A setting holding JSON text (checked to parse).
public struct SettingJSON: SettingValue, Hashable {
    public static var settingType: SettingType { .json }
    /// The JSON text.
    public let settingText: String

    /// Nil when `settingText` is not JSON.
    public init?(settingText: String) {
        guard (try? JSONSerialization.jsonObject(with: Data(settingText.utf8), options: [.fragmentsAllowed])) != nil else {
            return nil
        }
        self.settingText = settingText
    }
}

extension SettingType {
    /// Whether `text` is a valid value of this type; returns it normalized
    /// (e.g. `yes` → `true`).
    func normalize(_ text: String) -> String? {
        switch self {
        case .string: return text
        case .integer: return Int(settingText: text)?.settingText
        case .double: return Double(settingText: text)?.settingText
        case .boolean: return Bool(settingText: text)?.settingText
        case .json: return SettingJSON(settingText: text)?.settingText
        }
    }
}
