import ArgumentParser
import SimVault

extension SimVaultCommand.Settings {
    /// `simvault settings list`.
    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List built-in settings and every stored one.")

        @OptionGroup var global: GlobalOptions
        @OptionGroup var keys: KeyOptions

        func run() throws {
            try keys.withVault(global) { vault in
                let entries = try vault.settings.list()
                if global.json { try Terminal.printJSON(entries) } else { entries.forEach { Terminal.say(TerminalText.visible($0.line)) } }
            }
        }
    }
}
