import ArgumentParser
import Foundation
import SimVault

extension SimVaultCommand {
    /// `simvault init`: create a vault with a keyring slot, an optional
    /// password slot and a recovery code.
    struct Init: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a new encrypted vault.",
            discussion: """
                The master key is random. It is stored in the keyring (unless --no-keyring), \
                wrapped under a password when one is given, and sealed to a recovery code that \
                is printed once. If neither the keyring nor a password can protect the key, \
                nothing is created (exit 11). An existing vault or header is never overwritten.
                """)

        @OptionGroup var global: GlobalOptions

        @OptionGroup var keys: NewKeyOptions

        func run() throws {
            let location = global.location
            for file in location.allFiles where FileManager.default.fileExists(atPath: file) {
                throw VaultError.alreadyExists(path: file)
            }
            try keys.checkRecoveryCodeFile()
            let (options, knownFailure) = try keys.creationOptions(configuration: global.configuration)

            let creation = try Vault.create(at: location, options: options)
            defer { creation.vault.close() }
            let keyringFailure = creation.keyringFailure ?? knownFailure
            if let failure = keyringFailure {
                Terminal.warn("the key was not stored in the keyring (\(failure.reason)); the vault opens with its password only.")
            }
            let recoveryShown = try keys.storeRecoveryCode(creation.recoveryCode)
            try report(creation, keyringFailure: keyringFailure, recoveryCodeOnStdout: recoveryShown ? nil : creation.recoveryCode)
        }

        private func report(_ creation: VaultCreation, keyringFailure: KeyringFailure?, recoveryCodeOnStdout code: SecretBytes?) throws {
            let vault = creation.vault
            let slots = vault.header.slots.map { "\($0.id) \($0.kind.rawValue)" }
            if global.json {
                let report = InitReport(
                    path: vault.path, headerPath: vault.location.headerPath, vaultID: vault.vaultID,
                    pageSize: vault.header.cipher.pageSize, cipherCompatibility: vault.header.cipher.compatibility,
                    schemaVersion: try vault.schemaVersion(),
                    slots: vault.header.slots.map { InitReport.Slot(id: $0.id, type: $0.kind.rawValue) },
                    // Filled in from secret memory as it is printed.
                    recoveryCode: code == nil ? nil : "",
                    recoveryCodeFile: code == nil ? keys.recoveryCodeFile : nil,
                    keyringWarning: keyringFailure?.description)
                if let code {
                    try RecoveryCodeOutput.printJSON(report, code: code, field: InitReport.CodingKeys.recoveryCode.rawValue)
                } else {
                    try Terminal.printJSON(report)
                }
                return
            }
            var text = """
                Created vault \(vault.path)
                  vault id     \(vault.vaultID)
                  key header   \(vault.location.headerPath)
                  key slots    \(slots.joined(separator: ", "))
                  cipher       \(vault.header.cipher.summary)
                  schema       version \(try vault.schemaVersion())

                """
            if let code {
                RecoveryCodeOutput.print(after: text, code: code)
            } else {
                if let recoveryCodeFile = keys.recoveryCodeFile { text += "\nRecovery code written to \(recoveryCodeFile). Store it offline, then delete the file.\n" }
                FileHandle.standardOutput.write(Data(text.utf8))
            }
        }
    }
}

/// `init --json` output.
private struct InitReport: Encodable {
    struct Slot: Encodable {
        let id: Int
        let type: String
    }
    let path: String
    let headerPath: String
    let vaultID: String
    let pageSize: Int
    let cipherCompatibility: Int
    let schemaVersion: Int
    let slots: [Slot]
    let recoveryCode: String?
    let recoveryCodeFile: String?
    let keyringWarning: String?

    enum CodingKeys: String, CodingKey {
        case path, slots
        case headerPath = "header_path"
        case vaultID = "vault_id"
        case pageSize = "page_size"
        case cipherCompatibility = "cipher_compatibility"
        case schemaVersion = "schema_version"
        case recoveryCode = "recovery_code"
        case recoveryCodeFile = "recovery_code_file"
        case keyringWarning = "keyring_warning"
    }
}
