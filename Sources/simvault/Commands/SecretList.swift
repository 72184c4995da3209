import ArgumentParser
import SimVault

extension SimVaultCommand.Secret {
    /// `simvault secret list`: names only, never values.
    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List stored secrets: scope, name and kind, never values.")

        @OptionGroup var global: GlobalOptions
        @OptionGroup var keys: KeyOptions

        @Option(name: .long, help: ArgumentHelp("Only this scope.", valueName: "scope"))
        var scope: String?

        func run() throws {
            try keys.withVault(global) { vault in
                let secrets = try vault.secrets.list(scope: scope)
                if global.json { return try Terminal.printJSON(secrets) }
                guard !secrets.isEmpty else { return Terminal.say("No secrets stored.") }
                for secret in secrets {
                    Terminal.say("\(TerminalText.visible(secret.scope))/\(TerminalText.visible(secret.name))  \(secret.kind.rawValue)  updated \(Terminal.isoDate(milliseconds: secret.updatedAt))")
                }
            }
        }
    }
}
