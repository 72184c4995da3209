import ArgumentParser
import Foundation
import SimVault

extension SimVaultCommand {
    /// `simvault info`: describe a vault, with or without its key.
    struct Info: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show a vault's path, id, page size, key slots and sizes.",
            discussion: """
                Needs no key: everything but the schema version comes from the key header. \
                The schema version is shown when the keyring (or --password-file) opens the \
                vault, and so is whether the header is authenticated: without a key, "header \
                auth" says "not verified", since only the key can tell a header a key holder \
                wrote from an edited one (exit 12 when the key shows it was edited). Info never \
                prompts.
                """)

        @OptionGroup var global: GlobalOptions
        @OptionGroup var keys: KeyOptions

        func run() throws {
            let location = global.location
            let (info, keyError) = try VaultInfo.read(location: location, unlock: keys.unlockRequest(location: location, prompts: false), configuration: global.configuration)
            if global.json {
                try Terminal.printJSON(info)
            } else {
                print(render(info))
            }
            if let keyError { throw keyError }
        }

        private func render(_ info: VaultInfo) -> String {
            let slots = info.slots.map { "      \($0.id)  \($0.type.padding(toLength: 9, withPad: " ", startingAt: 0)) created \(Terminal.isoDate(milliseconds: $0.createdAt))" }
            let schema = info.kind == .appDatabase ? "the app's own (see `simvault migrate --status`)"
                : info.schemaVersion.map { "version \($0) (this simvault supports \(info.supportedSchemaVersion))" }
                ?? "unknown: \(info.keyUnavailable ?? "no key")"
            return """
                path           \(info.path)
                kind           \(info.kind?.description ?? "unknown without a key")
                key header     \(info.headerPath)
                vault id       \(info.vaultID)
                created        \(Terminal.isoDate(milliseconds: info.createdAt))
                cipher         SQLCipher raw key, page size \(info.pageSize), compatibility \(info.cipherCompatibility) (\(info.cipher.hmacAlgorithm.replacingOccurrences(of: "_", with: "-")))
                key id         \(info.keyID)
                header auth    \(describe(info.headerAuthentication, version: info.headerVersion))
                database       \(ByteCount.format(info.databaseBytes)) (WAL \(ByteCount.format(info.walBytes)))
                schema         \(schema)
                key source     \(info.keySource ?? "none")
                key slots
                \(slots.joined(separator: "\n"))
                """
        }

        private func describe(_ authentication: VaultInfo.HeaderAuthentication, version: Int) -> String {
            switch authentication {
            case .verified: return "verified: format \(version), its MAC checks out under the master key"
            case .notVerified: return "not verified without the key: format \(version); a header edited by someone who can write the file looks the same until a key checks its MAC"
            case .unauthenticatedFormat: return "format \(version), no MAC: upgraded to the authenticated format by the next command that writes"
            case .forged: return "FAILED: changed by someone without the key (see the error below)"
            }
        }
    }
}
