import ArgumentParser
import Foundation
import SimVault

extension SimVaultCommand.Key {
    /// `simvault key change-password ID`.
    struct ChangePassword: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "change-password",
            abstract: "Re-wrap one password slot under a new password (instant, no re-encryption).",
            discussion: """
                The current password of that slot (--password-file, or a prompt) must open it: \
                otherwise the exit status is 10 and nothing is changed. The new password comes \
                from --new-password-file or is prompted for twice. The superseded header file, \
                which holds the key wrapped under the old password, is overwritten.
                """)

        @OptionGroup var global: GlobalOptions
        @OptionGroup var waiting: WaitOption

        @Argument(help: "The password slot's id (see `simvault key list`).")
        var id: Int

        @Option(name: .long, help: ArgumentHelp("Read the slot's current password from this file ('-' for stdin).", valueName: "file"))
        var passwordFile: String?

        @Option(name: .long, help: ArgumentHelp("Read the new password from this file ('-' for stdin).", valueName: "file"))
        var newPasswordFile: String?

        @Option(name: .long, help: ArgumentHelp("Seconds to wait for the Secret Service before giving up.", valueName: "seconds"))
        var keyringTimeout: Double = 5

        func validate() throws {
            if passwordFile == "-", newPasswordFile == "-" {
                throw ValidationError("Only one of --password-file and --new-password-file can read stdin ('-').")
            }
            guard keyringTimeout > 0, keyringTimeout <= 600 else {
                throw ValidationError("--keyring-timeout must be between 0 and 600 seconds.")
            }
        }

        func run() throws {
            let location = global.location
            let old: SecretBytes
            if let passwordFile {
                old = try SecretInput.read(file: passwordFile, what: "password")
            } else if let typed = try SecretInput.prompt("Current password of key slot \(id): ", what: "password") {
                old = typed
            } else {
                throw VaultError.noKeySource(reasons: ["the current password of key slot \(id) was not given (--password-file FILE, or run in a terminal to be prompted)"])
            }
            let new = try SecretInput.newPassword(file: newPasswordFile, fileOption: "--new-password-file")
            let manager = VaultKeyManager(
                location: location, keyring: SecretServiceKeyring(timeout: keyringTimeout),
                configuration: global.configuration, wait: waiting.wait)
            let change = try manager.changePassword(slotID: id, oldPassword: old, newPassword: new)
            KeySlotChangeOutput.warn(change)
            if global.json {
                try Terminal.printJSON(KeySlotChangeOutput(path: location.path, action: "password changed", change: change))
            } else {
                print("Changed the password of key slot \(change.slot.id) of \(location.path)")
            }
        }
    }
}
