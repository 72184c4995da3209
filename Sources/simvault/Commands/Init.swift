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

        @Option(name: .long, help: ArgumentHelp("Read the password for a password slot from this file ('-' for stdin).", valueName: "file"))
        var passwordFile: String?

        @Flag(name: .long, help: "Also protect the vault with a password, prompted for (twice) on the terminal.")
        var askPassword = false

        @Flag(name: .long, help: "Do not store the key in the Secret Service; a password is then required.")
        var noKeyring = false

        @Option(name: .long, help: ArgumentHelp("Write the recovery code to this new file (0600) instead of printing it.", valueName: "file"))
        var recoveryCodeFile: String?

        @Option(name: .long, help: ArgumentHelp("Seconds to wait for the Secret Service before giving up.", valueName: "seconds"))
        var keyringTimeout: Double = 5

        func validate() throws {
            if passwordFile != nil, askPassword {
                throw ValidationError("Use either --password-file or --ask-password, not both.")
            }
            guard keyringTimeout > 0, keyringTimeout <= 600 else {
                throw ValidationError("--keyring-timeout must be between 0 and 600 seconds.")
            }
        }

        func run() throws {
            let location = global.location
            for file in location.allFiles where FileManager.default.fileExists(atPath: file) {
                throw VaultError.alreadyExists(path: file)
            }
            try RecoveryCodeOutput.ensureAbsent(recoveryCodeFile)

            var options = VaultCreationOptions()
            options.configuration = global.configuration
            options.usesKeyring = !noKeyring
            options.keyring = SecretServiceKeyring(timeout: keyringTimeout)
            let (password, knownFailure) = try password(keyring: options.keyring)
            options.password = password
            if let knownFailure {
                // Already found unavailable: asking it again at create would
                // only wait out a second timeout.
                options.usesKeyring = false
                guard password != nil else {
                    throw VaultError.noKeySource(reasons: [knownFailure.description, "no password given"])
                }
            }

            let creation = try Vault.create(at: location, options: options)
            defer { creation.vault.close() }
            if let failure = creation.keyringFailure ?? knownFailure {
                Terminal.warn("the key was not stored in the keyring (\(failure.reason)); the vault opens with its password only.")
            }
            var recoveryShown = false
            if let code = creation.recoveryCode, let recoveryCodeFile {
                try RecoveryCodeOutput.write(code, to: recoveryCodeFile)
                recoveryShown = true
            }
            try report(creation, recoveryCodeOnStdout: recoveryShown ? nil : creation.recoveryCode)
        }

        /// The password for the password slot: from the file, or prompted
        /// for when asked to, or when the keyring cannot hold the key and a
        /// person is at the terminal.
        /// Also returns the keyring's failure when it was found unavailable.
        private func password(keyring: SecretServiceKeyring) throws -> (SecretBytes?, KeyringFailure?) {
            if let passwordFile { return (try SecretInput.read(file: passwordFile, what: "password"), nil) }
            if askPassword { return (try SecretInput.newPassword(file: nil, fileOption: "--password-file"), nil) }
            var reason = "--no-keyring", failure: KeyringFailure?
            if !noKeyring {
                do { try keyring.checkAvailable(); return (nil, nil) } catch {
                    reason = error.reason
                    failure = error
                }
            }
            guard Terminal.stdinIsTTY else { return (nil, failure) }
            return (try SecretInput.prompt("The keyring cannot hold the key (\(reason)). New password: ", confirm: true, what: "password"), failure)
        }

        private func report(_ creation: VaultCreation, recoveryCodeOnStdout code: SecretBytes?) throws {
            let vault = creation.vault
            let slots = vault.header.slots.map { "\($0.id) \($0.kind.rawValue)" }
            if global.json {
                try Terminal.printJSON(InitReport(
                    path: vault.path, headerPath: vault.location.headerPath, vaultID: vault.vaultID,
                    pageSize: vault.header.cipher.pageSize, schemaVersion: try vault.schemaVersion(),
                    slots: vault.header.slots.map { InitReport.Slot(id: $0.id, type: $0.kind.rawValue) },
                    recoveryCode: code.map(RecoveryCodeOutput.jsonText),
                    recoveryCodeFile: code == nil ? recoveryCodeFile : nil,
                    keyringWarning: creation.keyringFailure?.description))
                return
            }
            var text = """
                Created vault \(vault.path)
                  vault id     \(vault.vaultID)
                  key header   \(vault.location.headerPath)
                  key slots    \(slots.joined(separator: ", "))
                  schema       version \(try vault.schemaVersion())

                """
            if let code {
                RecoveryCodeOutput.print(after: text, code: code)
            } else {
                if let recoveryCodeFile { text += "\nRecovery code written to \(recoveryCodeFile). Store it offline, then delete the file.\n" }
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
        case schemaVersion = "schema_version"
        case recoveryCode = "recovery_code"
        case recoveryCodeFile = "recovery_code_file"
        case keyringWarning = "keyring_warning"
    }
}
