import Foundation

extension KeyHeader {
    /// What differs between this header and `recorded`, the header as
    /// simvault last wrote it (kept inside the encrypted database): field
    /// names and slots, never values, e.g. `slot 4 (recovery) added`,
    /// `slot 2 (password) changed: kdf.opslimit`, `key_check`.
    ///
    /// Compared on the headers' whole Codable encoding, so a field added to
    /// the format later is named without changing this code. Used only to
    /// say what a forged header changed.
    public func differences(from recorded: KeyHeader) -> [String] {
        guard let ours = try? Self.jsonObject(canonicalBody()), let theirs = try? Self.jsonObject(recorded.canonicalBody()) else {
            return []
        }
        return Self.differences(theirs, ours, path: "")
    }

    private static func jsonObject(_ data: Data) throws -> Any {
        try JSONSerialization.jsonObject(with: data)
    }

    /// `old` → `new` at `path`: dictionaries key by key, slot lists slot by
    /// slot (by id), anything else as a whole.
    private static func differences(_ old: Any?, _ new: Any?, path: String) -> [String] {
        switch (old, new) {
        case (nil, nil):
            return []
        case (nil, _):
            return ["\(describe(path)) added"]
        case (_, nil):
            return ["\(describe(path)) removed"]
        case (let old as [String: Any], let new as [String: Any]):
            return Set(old.keys).union(new.keys).sorted().flatMap { key in
                differences(old[key], new[key], path: path.isEmpty ? key : "\(path).\(key)")
            }
        case (let old as [[String: Any]], let new as [[String: Any]]) where path.hasSuffix("slots"):
            return slotDifferences(old, new, path: path)
        default:
            guard canonical(old) != canonical(new) else { return [] }
            if path == "version", let old = old as? Int, let new = new as? Int {
                return ["format version \(old) → \(new)"]
            }
            return [describe(path)]
        }
    }

    private static func slotDifferences(_ old: [[String: Any]], _ new: [[String: Any]], path: String) -> [String] {
        let prefix = path == "slots" ? "slot" : "\(describe(String(path.dropLast("slots".count + 1)))) slot"
        func label(_ slot: [String: Any]) -> String {
            "\(prefix) \(slot["id"].map { "\($0)" } ?? "?") (\(slot["type"].map { "\($0)" } ?? "?"))"
        }
        let oldByID = Dictionary(old.map { (canonical($0["id"]), $0) }, uniquingKeysWith: { first, _ in first })
        let newByID = Dictionary(new.map { (canonical($0["id"]), $0) }, uniquingKeysWith: { first, _ in first })
        var found: [String] = []
        for slot in old where newByID[canonical(slot["id"])] == nil { found.append("\(label(slot)) removed") }
        for slot in new {
            guard let before = oldByID[canonical(slot["id"])] else {
                found.append("\(label(slot)) added")
                continue
            }
            let fields = Set(before.keys).union(slot.keys).sorted().flatMap { key in
                differences(before[key], slot[key], path: key)
            }
            if !fields.isEmpty { found.append("\(label(slot)) changed: \(fields.joined(separator: ", "))") }
        }
        return found
    }

    private static func describe(_ path: String) -> String {
        path == "rotation" ? "key rotation record" : path
    }

    private static func canonical(_ value: Any?) -> Data {
        guard let value else { return Data() }
        return (try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .fragmentsAllowed])) ?? Data()
    }
}
