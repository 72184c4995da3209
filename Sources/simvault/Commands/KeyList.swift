import ArgumentParser
import Foundation
import SimVault

extension SimVaultCommand.Key {
    /// `simvault key list`: the slots, never a secret.
    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the key slots: id, type, created, last used.",
            discussion: """
                Needs no key. "Last used" is kept inside the encrypted database (to the hour), \
                so it is shown when the keyring or --password-file opens the vault; list never \
                prompts. Never shows a key, a wrapped key or a password.
                """)

        @OptionGroup var global: GlobalOptions
        @OptionGroup var keys: KeyOptions

        func run() throws {
            let location = global.location
            let manager = VaultKeyManager(location: location, keyring: keys.keyring, configuration: global.configuration)
            let listing = try manager.listSlots(unlock: keys.unlockRequest(location: location, prompts: false))
            if global.json {
                try Terminal.printJSON(listing)
                return
            }
            print(render(listing))
        }

        private func render(_ listing: KeySlotListing) -> String {
            func date(_ milliseconds: Int64?) -> String {
                milliseconds.map { Terminal.isoDate(milliseconds: $0) } ?? "-"
            }
            func column(_ text: String, _ width: Int) -> String { text.padding(toLength: width, withPad: " ", startingAt: 0) }
            var lines = [
                "Key slots of \(listing.path)",
                "  vault \(listing.vaultID), master key id \(listing.keyID)",
                "",
                "  " + column("id", 4) + column("type", 10) + column("created", 22) + column("last used", 22) + "how",
            ]
            for slot in listing.slots {
                var how = slot.detail
                if slot.type == .keyring, let item = listing.keyringItem { how += " (item \(item))" }
                lines.append("  " + column(String(slot.id), 4) + column(slot.type.rawValue, 10) + column(date(slot.createdAt), 22)
                    + column(date(slot.lastUsedAt), 22) + how)
            }
            if let reason = listing.lastUseUnavailable { lines.append("\nLast use unknown: \(reason)") }
            if let rotation = listing.pendingRotation {
                lines.append("\nAn interrupted key rotation to key \(rotation.keyID) (started \(date(rotation.startedAt))) is pending: run `simvault health` to finish or roll it back.")
            }
            return lines.joined(separator: "\n")
        }
    }
}
