import ArgumentParser
import Foundation
import SimVault

extension SimVaultCommand {
    /// `simvault encrypt PLAIN.db [--out VAULT] [--remove-original]`.
    struct Encrypt: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Turn a plaintext SQLite database into an encrypted file with simvault's key management.",
            discussion: """
                Copies every table (rows with their rowids, indexes, views, triggers, user_version) into a \
                new SQLCipher file under a random key, with a key header OUT.keys holding the same slots \
                `init` makes: keyring, password (--password-file / --ask-password), recovery code. The copy \
                is opened afresh, every page read, and every table's row count compared with the source \
                before success is reported. The original is only read (close the app using it first), and \
                left in place unless --remove-original, which overwrites it with zeros and deletes it \
                after verification. The result keeps the app's own schema: apps open it with the key \
                (interop contract in docs/SECURITY.md).
                """)

        @OptionGroup var global: GlobalOptions
        @OptionGroup var keys: NewKeyOptions

        @Argument(help: ArgumentHelp("The plaintext SQLite database.", valueName: "plain.db"))
        var source: String

        @Option(name: .long, help: ArgumentHelp("The encrypted file to create (default: <plain>.vault.db beside it).", valueName: "path"))
        var out: String?

        @Flag(name: .long, help: "After verification, overwrite the plaintext original with zeros and delete it.")
        var removeOriginal = false

        func run() throws {
            let destination = VaultLocation(path: out ?? (source as NSString).deletingPathExtension + ".vault.db")
            try keys.checkRecoveryCodeFile()
            let (options, knownFailure) = try keys.creationOptions(configuration: global.configuration)
            let display = ProgressDisplay.start("encrypt")
            let result = try PlaintextEncryption.encrypt(source, to: destination, options: options, removingOriginal: removeOriginal, progress: display?.handler)
            display?.finish()
            if let failure = result.keyringFailure ?? knownFailure {
                Terminal.warn("the key was not stored in the keyring (\(failure.reason)); the file opens with its password only.")
            }
            let stored = try keys.storeRecoveryCode(result.recoveryCode)
            let report = result.report
            if global.json {
                try Terminal.printJSON(report)
                if !stored, result.recoveryCode != nil {
                    Terminal.warn("the recovery code is not part of --json output; use --recovery-code-file to keep it.")
                }
                return
            }
            let rows = report.tables.reduce(Int64(0)) { $0 + $1.rows }
            var text = """
                Encrypted \(report.source)
                  into         \(report.path)
                  key header   \(report.headerPath)
                  vault id     \(report.vaultID)
                  key slots    \(report.slots.joined(separator: ", "))
                  verified     \(report.tables.count) tables, \(rows) rows: every page read, every table's row count equal to the source's
                  original     \(report.removedOriginal ? "overwritten with zeros and deleted" : "left untouched (delete it yourself, or use --remove-original)")

                """
            if let recoveryCodeFile = keys.recoveryCodeFile, stored {
                text += "\nRecovery code written to \(recoveryCodeFile). Store it offline, then delete the file.\n"
            }
            if !stored, let code = result.recoveryCode {
                RecoveryCodeOutput.print(after: text, code: code, opening: "the file")
            } else {
                FileHandle.standardOutput.write(Data(text.utf8))
            }
        }
    }
}
