import Foundation

/// The identifiers simvault makes for new records.
enum RecordID {
    /// A new random identifier: a lowercase UUID.
    static func make() -> String { UUID().uuidString.lowercased() }
}
