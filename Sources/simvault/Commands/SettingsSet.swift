import ArgumentParser
import SimVault

extension SimVaultCommand.Settings {
    /// `simvault settings set NAME VALUE`.
    struct Set: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Change a setting. Not for secrets: use `simvault secret set`.")

        @OptionGroup var global: GlobalOptions
        @OptionGroup var keys: KeyOptions

        @Argument(help: "The setting's name.")
        var name: String

        @Argument(help: "The new value (true/false for booleans, JSON text for json).")
        var value: String

        @Option(name: .long, help: ArgumentHelp(
            "The type of a setting that is not built in.", valueName: "string|integer|double|boolean|json"))
        var type: String?

        func validate() throws {
            if let type, SettingType(rawValue: type) == nil {
                throw ValidationError("--type must be string, integer, double, boolean or json.")
            }
        }

        func run() throws {
            try keys.withVault(global) { vault in
                let entry = try vault.settings.set(named: name, text: value, type: type.flatMap(SettingType.init(rawValue:)))
                if global.json { try Terminal.printJSON(entry) } else { Terminal.say(TerminalText.visible(entry.line)) }
            }
        }
    }
}
