import ArgumentParser
import Foundation
import SimVault

extension SimVaultCommand.Key {
    /// `simvault key check`: open the vault with the available key sources
    /// and report which slot worked (like `cryptsetup open --test-passphrase`).
    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check that a key source opens the vault, and say which one.",
            discussion: """
                Tries the keyring, then --password-file (or a prompt on a terminal), then \
                --recovery-code-file. Exit 0 when the vault opens, 10 for a wrong password or \
                key, 11 when no key source is available, 12 when the vault or header is \
                corrupt, 15 when it is not found. Changes nothing but the slot's "last used" time \
                (see `key list`).
                """)

        @OptionGroup var global: GlobalOptions
        @OptionGroup var keys: KeyOptions

        /// Crashes on purpose once the key is in memory, so the tests can
        /// check that crash output never contains it (argument-parser's
        /// examples keep such hidden flags for testing exit paths).
        @Flag(name: .customLong("test-crash-after-unlock"), help: .hidden)
        var testCrashAfterUnlock = false

        func run() throws {
            let location = global.location
            let vault = try EncryptedDatabase.open(at: location, unlock: keys.unlockRequest(location: location), configuration: global.configuration)
            defer { vault.close() }
            if testCrashAfterUnlock {
                // A real fault with the key live in this process's memory.
                let address = UnsafeMutablePointer<UInt8>(bitPattern: 8)!
                address.pointee = UInt8(truncatingIfNeeded: vault.databaseID.count)
            }
            // Best effort: a busy vault must not make a working key look broken.
            try? vault.recordKeySlotUse()
            let result = vault.unlockResult
            let skipped = result.skipped.map(\.description)
            if global.json {
                try Terminal.printJSON(KeyCheckReport(
                    path: vault.path, vaultID: vault.databaseID, source: result.source.kind.rawValue,
                    slotID: result.source.slotID, skipped: skipped))
                return
            }
            print("\(vault.path): opened with \(result.source)")
            for reason in skipped { print("  skipped \(reason)") }
        }
    }
}

private struct KeyCheckReport: Encodable {
    let path: String
    let vaultID: String
    let source: String
    let slotID: Int?
    let skipped: [String]

    enum CodingKeys: String, CodingKey {
        case path, source, skipped
        case vaultID = "vault_id"
        case slotID = "slot_id"
    }
}
