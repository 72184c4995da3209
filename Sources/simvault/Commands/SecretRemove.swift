import ArgumentParser
import SimVault

extension SimVaultCommand.Secret {
    /// `simvault secret remove NAME`.
    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete a secret (its bytes are overwritten in the database).")

        @OptionGroup var global: GlobalOptions
        @OptionGroup var keys: KeyOptions
        @OptionGroup var scopeOption: SecretScopeOption

        @Argument(help: "The secret's name.")
        var name: String

        func run() throws {
            try keys.withVault(global) { vault in
                guard try vault.secrets.remove(name, scope: scopeOption.scope) else {
                    throw VaultError.recordNotFound(kind: "secret", id: "\(scopeOption.scope)/\(name)")
                }
                Terminal.say("Removed secret \(TerminalText.visible(scopeOption.scope))/\(TerminalText.visible(name)).")
            }
        }
    }
}
