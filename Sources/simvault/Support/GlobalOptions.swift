import ArgumentParser
import Foundation
import SimVault

/// Options every command shares.
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "Path of the vault database.",
        discussion: "Defaults to $SIMVAULT_PATH, else $XDG_DATA_HOME/simvault/vault.db, else ~/.local/share/simvault/vault.db.",
        valueName: "path"))
    var vault: String?

    @Flag(name: .long, help: "Print machine-readable JSON on stdout.")
    var json = false

    /// Vault configuration for CLI runs: audit rows name the CLI;
    /// `$SIMVAULT_SQLITE_READER` names the helper that reads other apps'
    /// databases (default: beside this executable, or in
    /// `../libexec/simvault/`).
    var configuration: VaultConfiguration {
        var configuration = VaultConfiguration()
        configuration.actor = "simvault-cli \(SimVaultVersion.current)"
        if let reader = ProcessInfo.processInfo.environment["SIMVAULT_SQLITE_READER"], !reader.isEmpty {
            configuration.foreignReader.executablePath = reader
        }
        return configuration
    }

    var location: VaultLocation {
        vault.map(VaultLocation.init(path:)) ?? VaultLocation.defaultLocation()
    }
}
