import ArgumentParser
import Foundation
import SimVault

extension SimVaultCommand.Key {
    /// `simvault key add --type password|keyring|recovery`.
    struct Add: ParsableCommand {
        enum SlotType: String, ExpressibleByArgument, CaseIterable {
            case password, keyring, recovery
        }

        static let configuration = CommandConfiguration(
            abstract: "Add a key slot, unlocked by any existing slot.",
            discussion: """
                password: wraps the master key under a new password (--new-password-file, or \
                prompted twice). keyring: stores the key in the Secret Service; this is how a \
                vault moves to a new machine or keyring backend, or gets its keyring item back \
                after it was deleted (open with --password-file or --recovery-code-file). \
                recovery: a new recovery code, printed once (or written to \
                --new-recovery-code-file); older codes keep working until their slot is removed.
                """)

        @OptionGroup var global: GlobalOptions
        @OptionGroup var keys: KeyOptions
        @OptionGroup var waiting: WaitOption

        @Option(name: .long, help: "The kind of slot to add.")
        var type: SlotType

        @Option(name: .long, help: ArgumentHelp("Read the new slot's password from this file ('-' for stdin).", valueName: "file"))
        var newPasswordFile: String?

        @Option(name: .long, help: ArgumentHelp("Write the new recovery code to this new file (0600) instead of printing it.", valueName: "file"))
        var newRecoveryCodeFile: String?

        func validate() throws {
            if newPasswordFile != nil, type != .password {
                throw ValidationError("--new-password-file applies to --type password only.")
            }
            if newRecoveryCodeFile != nil, type != .recovery {
                throw ValidationError("--new-recovery-code-file applies to --type recovery only.")
            }
            if newPasswordFile == "-", keys.passwordFile == "-" || keys.recoveryCodeFile == "-" {
                throw ValidationError("Only one option can read stdin ('-').")
            }
        }

        func run() throws {
            let location = global.location
            let manager = VaultKeyManager(location: location, keyring: keys.keyring, configuration: global.configuration, wait: waiting.wait)
            let unlock = keys.unlockRequest(location: location)
            let change: KeySlotChange
            var code: SecretBytes?
            switch type {
            case .password:
                let password = try SecretInput.newPassword(file: newPasswordFile, fileOption: "--new-password-file", prompt: "Password for the new slot: ")
                change = try manager.addPasswordSlot(password: password, unlock: unlock)
            case .keyring:
                change = try manager.addKeyringSlot(unlock: unlock)
            case .recovery:
                try RecoveryCodeOutput.ensureAbsent(newRecoveryCodeFile)
                let added = try manager.addRecoverySlot(unlock: unlock)
                change = added.change
                code = added.recoveryCode
            }
            KeySlotChangeOutput.warn(change)
            if let code, let newRecoveryCodeFile { try RecoveryCodeOutput.write(code, to: newRecoveryCodeFile) }
            let codeForStdout = newRecoveryCodeFile == nil ? code : nil
            if global.json {
                let output = KeySlotChangeOutput(
                    path: location.path, action: "added", change: change,
                    // Filled in from secret memory as it is printed.
                    recoveryCode: codeForStdout == nil ? nil : "", recoveryCodeFile: code == nil ? nil : newRecoveryCodeFile)
                if let codeForStdout {
                    try RecoveryCodeOutput.printJSON(output, code: codeForStdout, field: KeySlotChangeOutput.CodingKeys.recoveryCode.rawValue)
                } else {
                    try Terminal.printJSON(output)
                }
                return
            }
            let text = "Added key slot \(change.slot.id) (\(change.slot.type.rawValue)) to \(location.path)\n  \(change.slot.detail)"
            if let codeForStdout {
                RecoveryCodeOutput.print(after: text + "\n", code: codeForStdout)
            } else {
                print(text + (newRecoveryCodeFile.map { "\nRecovery code written to \($0). Store it offline, then delete the file." } ?? ""))
            }
        }
    }
}

/// The `--json` output of `key add`, `key remove` and `key change-password`.
struct KeySlotChangeOutput: Encodable {
    let path: String
    let action: String
    let slot: KeySlotSummary
    let repairedRotation: String?
    let warnings: [String]
    let recoveryCode: String?
    let recoveryCodeFile: String?

    init(path: String, action: String, change: KeySlotChange, recoveryCode: String? = nil, recoveryCodeFile: String? = nil) {
        self.path = path
        self.action = action
        slot = change.slot
        repairedRotation = change.repairedRotation?.summary
        warnings = change.warnings
        self.recoveryCode = recoveryCode
        self.recoveryCodeFile = recoveryCodeFile
    }

    /// Prints the change's warnings (and a repaired rotation) on stderr.
    static func warn(_ change: KeySlotChange) {
        if let repaired = change.repairedRotation { Terminal.warn(repaired.summary) }
        for warning in change.warnings { Terminal.warn(warning) }
    }

    enum CodingKeys: String, CodingKey {
        case path, action, slot, warnings
        case repairedRotation = "repaired_rotation"
        case recoveryCode = "recovery_code"
        case recoveryCodeFile = "recovery_code_file"
    }
}
