import ArgumentParser
import SimVault

extension SimVaultCommand.Settings {
    /// `simvault settings reset NAME`.
    struct Reset: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a setting's stored value, so its default applies.")

        @OptionGroup var global: GlobalOptions
        @OptionGroup var keys: KeyOptions

        @Argument(help: "The setting's name.")
        var name: String

        func run() throws {
            try keys.withVault(global) { vault in
                let removed = try vault.settings.reset(named: name)
                print(removed ? "Reset \(name) to its default." : "\(name) had no stored value.")
            }
        }
    }
}
