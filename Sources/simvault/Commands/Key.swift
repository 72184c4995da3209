import ArgumentParser

extension SimVaultCommand {
    /// `simvault key ...`: key slot commands. Slot changes never re-encrypt
    /// the database; `rekey` rotates the master key itself.
    struct Key: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Inspect and manage the vault's key slots.",
            discussion: """
                Slot changes rewrite only the key header (atomically; the superseded file is \
                overwritten) and the keyring; they are instant and never re-encrypt the database. \
                `simvault rekey` replaces the master key itself.
                """,
            subcommands: [Check.self, List.self, Add.self, Remove.self, ChangePassword.self])
    }
}
