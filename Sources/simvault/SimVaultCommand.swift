import ArgumentParser
import Foundation
import SimVault

/// The `simvault` root command: configuration only (swift-argument-parser's
/// Math.swift shape). Subcommands live in `Commands/`, one file each.
@main
struct SimVaultCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simvault",
        abstract: "An encrypted vault for an AI desktop app's conversations, agents, workflows and API keys.",
        discussion: """
            The vault is one SQLCipher database with its key in the Secret Service \
            (GNOME Keyring, KWallet, KeePassXC), a password slot, and a recovery code.

            """ + ExitCodes.summary,
        version: SimVaultVersion.current,
        subcommands: [
            Init.self, Info.self, Health.self, Key.self, Rekey.self, Migrate.self, Search.self, Secret.self, Settings.self, SQL.self,
            Backup.self, Restore.self, Import.self, Export.self, Encrypt.self,
        ]
    )

    /// Parses, runs, and turns every error into the documented exit code.
    static func main() {
        // Whatever the caller's umask, nothing simvault creates is readable
        // by others (files are also created 0600 explicitly).
        umask(0o077)
        ProcessHardening.apply()
        do {
            var command = try parseAsRoot(GlobalOptionOrder.normalized(Array(CommandLine.arguments.dropFirst())))
            try command.run()
        } catch {
            if let code = ExitCodes.code(for: error) {
                Terminal.printError(error)
                Foundation.exit(code)
            }
            exit(withError: error)
        }
    }
}
