import ArgumentParser
import Foundation
import SimVault

extension SimVaultCommand.Key {
    /// `simvault key remove ID`.
    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove a key slot (never the last one that can open the vault).",
            discussion: """
                Unlock with any slot. A keyring slot's item is deleted from the Secret Service \
                first; then the header is rewritten without the slot and the superseded header \
                file is overwritten, so the removed slot's wrapped key does not stay on disk. \
                Removing the last slot that can open the vault is refused (a keyring slot counts \
                only when its item is there).
                """)

        @OptionGroup var global: GlobalOptions
        @OptionGroup var keys: KeyOptions
        @OptionGroup var waiting: WaitOption

        @Argument(help: "The slot id (see `simvault key list`).")
        var id: Int

        @Flag(name: .long, help: "Remove a keyring slot even when the keyring cannot be reached to delete its item (the item then stays in that keyring).")
        var force = false

        func run() throws {
            let location = global.location
            let manager = VaultKeyManager(location: location, keyring: keys.keyring, configuration: global.configuration, wait: waiting.wait)
            let change = try manager.removeSlot(id: id, unlock: keys.unlockRequest(location: location), allowsUnreachableKeyring: force)
            KeySlotChangeOutput.warn(change)
            if global.json {
                try Terminal.printJSON(KeySlotChangeOutput(path: location.path, action: "removed", change: change))
            } else {
                print("Removed key slot \(change.slot.id) (\(change.slot.type.rawValue)) from \(location.path)")
            }
        }
    }
}
