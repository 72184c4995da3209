import ArgumentParser
import Foundation
import SimVault

extension SimVaultCommand {
    /// `simvault rekey`: rotate the master key, crash-safe and verified.
    struct Rekey: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Rotate the master key: re-encrypt every page and re-wrap every key slot.",
            discussion: """
                A new random master key replaces the old one. The keyring item and recovery \
                slots are updated without asking (a recovery code keeps working); each password \
                slot needs its password (--password-file, --extra-password-file, or a prompt on a \
                terminal), or is dropped with --drop-password-slots. Afterwards the vault is \
                verified to open with the new key and no longer with the old one.

                The vault must not be open anywhere else: when it is, nothing is changed and the \
                exit status is 13 (or rekey waits, with --wait). A crash or power loss at any \
                moment leaves a vault that opens with the old or the new key, found \
                automatically; `simvault health` then finishes or rolls back the rotation.

                --cipher-compat 4 also moves the vault to SQLCipher 4's settings (HMAC-SHA512), \
                which only SQLCipher 4 reads; --cipher-compat 3 moves it back to the settings \
                SQLCipher 3.4 and 4.x both read. Either needs SQLCipher 4 and copies the database \
                into a new file that replaces it, crash-safe like any rekey.
                """)

        @OptionGroup var global: GlobalOptions
        @OptionGroup var keys: KeyOptions
        @OptionGroup var waiting: WaitOption

        @Option(name: .long, help: ArgumentHelp(
            "The password of another password slot ('-' for stdin); repeat for each slot with its own password.",
            valueName: "file"))
        var extraPasswordFile: [String] = []

        @Flag(name: .long, help: "Drop the password slots whose password is not given (each is named in a warning) instead of failing.")
        var dropPasswordSlots = false

        @Option(name: .long, help: ArgumentHelp(
            "Also move the vault to these SQLCipher settings: 3 (readable by SQLCipher 3.4 and 4.x) or 4 (SQLCipher 4 only, HMAC-SHA512). Needs SQLCipher 4.",
            valueName: "3|4"))
        var cipherCompat: Int?

        /// Databases at least this large show a progress bar on a terminal.
        static let progressThreshold: Int64 = 8 << 20

        func validate() throws {
            let stdinUsers = ([keys.passwordFile, keys.recoveryCodeFile] + extraPasswordFile.map(Optional.some)).filter { $0 == "-" }
            if stdinUsers.count > 1 {
                throw ValidationError("Only one of --password-file, --extra-password-file and --recovery-code-file can read stdin ('-').")
            }
            if let cipherCompat, !CipherSettings.supportedCompatibilities.contains(cipherCompat) {
                throw ValidationError("--cipher-compat must be 3 or 4.")
            }
        }

        func run() throws {
            let location = global.location
            let given = try keys.passwordFile.map { try SecretInput.read(file: $0, what: "password") }
            let extras = try extraPasswordFile.map { try SecretInput.read(file: $0, what: "password") }
            var unlock = keys.unlockRequest(location: location)
            // The password file is read once, above: stdin cannot be read twice.
            if let given { unlock.password = { _ in given } }

            let line = ProgressLine()
            let showsBar = (VaultLocation.size(of: location.path) ?? 0) >= Self.progressThreshold
            var options = RekeyOptions(passwords: (given.map { [$0] } ?? []) + extras, dropsPasswordSlotsWithoutPassword: dropPasswordSlots)
            options.progress = { stage in Self.show(stage, on: line, withBar: showsBar) }
            options.cipherCompatibility = cipherCompat
            if Terminal.stdinIsTTY {
                options.passwordForSlot = { slot in
                    line.finish()
                    let created = Terminal.isoDate(milliseconds: slot.createdAt)
                    return try SecretInput.prompt("Password of key slot \(slot.id) (created \(created)), to re-wrap it for the new key: ", what: "password")
                }
            }

            let manager = VaultKeyManager(location: location, keyring: keys.keyring, configuration: global.configuration, wait: waiting.wait)
            let report: RekeyReport
            do {
                report = try manager.rekey(unlock: unlock, options: options)
            } catch {
                line.finish()
                throw error
            }
            line.finish()
            for slot in report.droppedSlots {
                Terminal.warn("password slot \(slot.id) was dropped because its password was not given; that password no longer opens the vault.")
            }
            for warning in report.warnings { Terminal.warn(warning) }
            if global.json {
                try Terminal.printJSON(RekeyOutput(path: location.path, report: report))
            } else {
                print(render(report, path: location.path))
            }
        }

        private static func show(_ stage: RekeyProgress, on line: ProgressLine, withBar: Bool) {
            switch stage {
            case .waitingForOtherProcesses:
                // Said even without a terminal: a silent wait looks like a hang.
                Terminal.writeError("Waiting for other processes to close the vault...\n")
            case .wrappingSlots:
                if withBar { line.show("Re-wrapping key slots for the new key...") }
            case .reencrypting(let pages, let pageCount):
                if withBar { line.show("Re-encrypting \(ProgressLine.bar(done: pages, of: pageCount))  \(pages)/\(pageCount) pages") }
            case .verifying:
                if withBar { line.show("Verifying: reading every page with the new key...") }
            case .finishing:
                if withBar { line.show("Making the new key current...") }
            }
        }

        private func render(_ report: RekeyReport, path: String) -> String {
            let slots = report.slots.map { "\($0.id) \($0.type.rawValue)" }.joined(separator: ", ")
            var lines = [
                "Rekeyed vault \(path)",
                "  old key id   \(report.previousKeyID)",
                "  new key id   \(report.keyID)",
                "  key slots    \(slots) (re-wrapped for the new key)",
            ]
            if !report.droppedSlots.isEmpty {
                lines.append("  dropped      " + report.droppedSlots.map { "\($0.id) \($0.type.rawValue)" }.joined(separator: ", "))
            }
            lines.append("  database     \(ByteCount.format(report.databaseBytes)), \(report.pageCount) pages re-encrypted in \(String(format: "%.2f", report.reencryptionSeconds)) s")
            if report.cipher != report.previousCipher {
                lines.append("  cipher       compatibility \(report.previousCipher.compatibility) -> \(report.cipher.compatibility) (\(report.cipher.summary))")
            }
            lines.append("  verified     every page reads with the new key; the old key no longer opens the database")
            if let repaired = report.repairedRotation { lines.append("  before that  \(repaired.summary)") }
            return lines.joined(separator: "\n")
        }
    }
}

/// `rekey --json` output.
private struct RekeyOutput: Encodable {
    let path: String
    let previousKeyID: String
    let keyID: String
    let slots: [KeySlotSummary]
    let droppedSlots: [KeySlotSummary]
    let pages: Int
    let databaseBytes: Int64
    let reencryptionSeconds: Double
    let repairedRotation: String?
    let warnings: [String]
    let previousCipherCompatibility: Int
    let cipherCompatibility: Int

    init(path: String, report: RekeyReport) {
        self.path = path
        previousKeyID = report.previousKeyID
        keyID = report.keyID
        slots = report.slots
        droppedSlots = report.droppedSlots
        pages = report.pageCount
        databaseBytes = report.databaseBytes
        reencryptionSeconds = report.reencryptionSeconds
        repairedRotation = report.repairedRotation?.summary
        warnings = report.warnings
        previousCipherCompatibility = report.previousCipher.compatibility
        cipherCompatibility = report.cipher.compatibility
    }

    enum CodingKeys: String, CodingKey {
        case path, slots, pages, warnings
        case previousKeyID = "previous_key_id"
        case keyID = "key_id"
        case droppedSlots = "dropped_slots"
        case databaseBytes = "database_bytes"
        case reencryptionSeconds = "reencryption_seconds"
        case repairedRotation = "repaired_rotation"
        case previousCipherCompatibility = "previous_cipher_compatibility"
        case cipherCompatibility = "cipher_compatibility"
    }
}
