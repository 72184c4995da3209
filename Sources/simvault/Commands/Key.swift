import ArgumentParser

extension SimVaultCommand {
    /// `simvault key ...`: key slot commands. Slot changes never re-encrypt
    /// the database; `rekey` rotates the master key itself.
    struct Key: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Inspect and manage the vault's key slots.",
            subcommands: [Check.self])
    }
}
