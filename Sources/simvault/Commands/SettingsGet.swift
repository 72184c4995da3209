import ArgumentParser
import SimVault

extension SimVaultCommand.Settings {
    /// `simvault settings get NAME`: the effective value.
    struct Get: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print a setting's value (its default when unset).")

        @OptionGroup var global: GlobalOptions
        @OptionGroup var keys: KeyOptions

        @Argument(help: "The setting's name.")
        var name: String

        func run() throws {
            try keys.withVault(global) { vault in
                guard let entry = try vault.settings.entry(named: name) else {
                    throw VaultError.recordNotFound(kind: "setting", id: name)
                }
                if global.json { try Terminal.printJSON(entry) } else { Terminal.say(TerminalText.visible(entry.value)) }
            }
        }
    }
}
