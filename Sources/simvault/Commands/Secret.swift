import ArgumentParser
import SimVault

extension SimVaultCommand {
    /// `simvault secret ...`: provider API keys and environment variables.
    struct Secret: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Store, read, list and remove sealed secrets (API keys, environment variables).",
            discussion: """
                Values are sealed under a key derived from the vault's master key, on top of the \
                database encryption: `simvault sql` and exports show only ciphertext. Values are \
                read from --value-file (or stdin with '-'), never from the command line or the \
                environment. Every `secret get` is recorded in the access log.
                """,
            subcommands: [Set.self, Get.self, List.self, Remove.self])
    }
}

/// `--scope`, shared by the secret subcommands.
struct SecretScopeOption: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The secret's scope, e.g. provider:openai or workflow:<id>.", valueName: "scope"))
    var scope: String = SecretStore.defaultScope
}
