import ArgumentParser
import SimVault

extension SimVaultCommand {
    /// `simvault settings ...`: typed app settings with defaults.
    struct Settings: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Read and change app settings (typed, with defaults).",
            discussion: "Built-in settings keep their type; other names are stored as --type (default string).",
            subcommands: [Get.self, Set.self, List.self, Reset.self])
    }
}

extension SettingEntry {
    /// `name = value (type, default|set <time>)`.
    var line: String {
        let origin = isDefault ? "default" : "set \(updatedAt.map { Terminal.isoDate(milliseconds: $0) } ?? "")"
        let note = summary.map { $0.isEmpty ? "" : "  # \($0)" } ?? ""
        return "\(name) = \(value)  (\(type.rawValue), \(origin))\(note)"
    }
}
