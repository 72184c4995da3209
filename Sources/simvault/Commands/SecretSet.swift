import ArgumentParser
import SimVault

extension SimVaultCommand.Secret {
    /// `simvault secret set NAME --value-file FILE|-`.
    struct Set: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Store a secret (replacing any with the same scope and name).",
            discussion: "One trailing newline of the value file is dropped. Values up to 64 KiB.")

        @OptionGroup var global: GlobalOptions
        @OptionGroup var keys: KeyOptions
        @OptionGroup var scopeOption: SecretScopeOption

        @Argument(help: "The secret's name, e.g. OPENAI_API_KEY.")
        var name: String

        @Option(name: .long, help: ArgumentHelp("Read the value from this file ('-' for stdin).", valueName: "file"))
        var valueFile: String

        @Option(name: .long, help: ArgumentHelp("What the secret is for.", valueName: "api-key|env"))
        var kind = "api-key"

        private var secretKind: SecretKind? { SecretKind(rawValue: kind.replacingOccurrences(of: "-", with: "_")) }

        func validate() throws {
            if secretKind == nil { throw ValidationError("--kind must be api-key or env.") }
            if valueFile == "-", keys.passwordFile == "-" || keys.recoveryCodeFile == "-" {
                throw ValidationError("Only one option can read stdin ('-'); put the value or the password in a file.")
            }
        }

        func run() throws {
            let value = try SecretInput.read(file: valueFile, what: "secret value", limit: 64 * 1024)
            try keys.withVault(global) { vault in
                try vault.secrets.set(name, value: value, scope: scopeOption.scope, kind: secretKind ?? .apiKey)
                if global.json {
                    try Terminal.printJSON(vault.secrets.list(scope: scopeOption.scope).first { $0.name == name })
                } else {
                    Terminal.say("Stored secret \(TerminalText.visible(scopeOption.scope))/\(TerminalText.visible(name)) (\(value.count) bytes, sealed).")
                }
            }
        }
    }
}
