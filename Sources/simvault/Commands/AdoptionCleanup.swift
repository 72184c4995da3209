import ArgumentParser
import Foundation
import SimVault

/// `--then-encrypt` / `--then-remove` of `import aionui|libreollama`: what
/// to do with the app's plaintext files once their data is in the vault.
/// Never done by default.
struct AdoptionCleanupOptions: ParsableArguments {
    static let discussion = """
        \n\nAfter a successful import the report names the plaintext copies that remain (the \
        database, its -wal/-shm, llm_settings.json). --then-encrypt turns the database into an \
        encrypted file <path>.vault.db (as `simvault encrypt --remove-original` does, with the key \
        sources the vault was opened with: the keyring unless --no-keyring, the password of \
        --password-file, and a new recovery code; the plaintext is overwritten and deleted after \
        verification); --then-remove overwrites every plaintext copy with zeros and deletes it. On \
        SSDs and copy-on-write file systems (btrfs, ZFS, APFS), and in snapshots or backups, \
        overwriting does not guarantee the old blocks are gone; only full-disk encryption does.
        """

    @Flag(name: .long, help: "After the import, turn the app's database into an encrypted file (<path>.vault.db) and remove the plaintext.")
    var thenEncrypt = false

    @Flag(name: .long, help: "After the import, overwrite the app's plaintext files (database, -wal/-shm, llm_settings.json) with zeros and delete them.")
    var thenRemove = false

    func validate() throws {
        if thenEncrypt && thenRemove { throw ValidationError("Choose one of --then-encrypt and --then-remove.") }
    }

    /// Imports, then deals with the plaintext copies as asked, then shows
    /// the report.
    func run(_ global: GlobalOptions, _ keys: KeyOptions, _ body: (Vault, ProgressHandler?) throws -> ImportReport) throws {
        var output: AdoptionOutput?
        try keys.withVault(global) { vault in
            let display = ProgressDisplay.start("import")
            let report = try body(vault, display?.handler)
            display?.finish()
            output = AdoptionOutput(report: report)
        }
        guard var output else { return }
        var recoveryCode: SecretBytes?
        if thenEncrypt {
            // The copy is protected as the vault was opened: the keyring
            // unless --no-keyring, the password of --password-file (a file
            // can be read again; stdin cannot), and a new recovery code.
            var options = VaultCreationOptions()
            options.configuration = global.configuration
            options.usesKeyring = !keys.noKeyring
            options.keyring = keys.keyring
            if let file = keys.passwordFile, file != "-" { options.password = try SecretInput.read(file: file, what: "password") }
            let destination = VaultLocation(path: (output.report.source as NSString).deletingPathExtension + ".vault.db")
            let result: PlaintextEncryptionResult
            do {
                result = try PlaintextEncryption.encrypt(output.report.source, to: destination, options: options, removingOriginal: true)
            } catch {
                // The import itself is committed: show it, then say that
                // only the encryption failed and the plaintext is still there.
                try show(output, json: global.json, recoveryCode: nil)
                Terminal.warn("the import above is complete, but turning \(output.report.source) into an encrypted file failed (below); the plaintext copies remain (--then-remove deletes them).")
                throw error
            }
            if let failure = result.keyringFailure {
                Terminal.warn("the encrypted copy's key was not stored in the keyring (\(failure.reason)); it opens with its recovery code only.")
            }
            output.encrypted = result.report
            recoveryCode = result.recoveryCode
        } else if thenRemove {
            for path in output.report.plaintextCopies where FileManager.default.fileExists(atPath: path) {
                try PlaintextRemoval.overwriteAndDelete(path, context: "the import is complete, but ")
                output.removed.append(path)
            }
        }
        output.report.plaintextCopies = output.report.plaintextCopies.filter { FileManager.default.fileExists(atPath: $0) }
        try show(output, json: global.json, recoveryCode: recoveryCode)
    }

    private func show(_ output: AdoptionOutput, json: Bool, recoveryCode: SecretBytes?) throws {
        if json {
            if let recoveryCode {
                try RecoveryCodeOutput.printJSON(output, code: recoveryCode, field: AdoptionOutput.CodingKeys.recoveryCode.rawValue)
            } else {
                try Terminal.printJSON(output)
            }
            return
        }
        var lines = [ImportOutput.text(output.report)]
        if let encrypted = output.encrypted {
            lines.append("  encrypted        \(TerminalText.visible(encrypted.source)) → \(TerminalText.visible(encrypted.path)) (key header \(TerminalText.visible(encrypted.headerPath)), \(encrypted.slots.joined(separator: ", "))); the plaintext was overwritten with zeros and deleted")
        }
        lines += output.removed.map { "  removed          \(TerminalText.visible($0)) (overwritten with zeros, deleted)" }
        if !output.report.plaintextCopies.isEmpty {
            lines.append("  plaintext copies of the imported data, credentials included, remain:")
            lines += output.report.plaintextCopies.map { "    \(TerminalText.visible($0))" }
            if output.encrypted == nil && output.removed.isEmpty {
                lines.append("  run the import again with --then-encrypt or --then-remove (see --help), or delete them yourself")
            }
        }
        let text = lines.joined(separator: "\n")
        if let recoveryCode {
            RecoveryCodeOutput.print(after: TerminalText.visible(text, keepingLineBreaks: true), code: recoveryCode, opening: "the encrypted copy of the app's database")
        } else {
            Terminal.say(text)
        }
    }
}

/// The import report, plus what `--then-encrypt` / `--then-remove` did.
struct AdoptionOutput: Encodable {
    var report: ImportReport
    var encrypted: EncryptionReport?
    var removed: [String] = []

    enum CodingKeys: String, CodingKey {
        case encrypted, removed
        case recoveryCode = "recovery_code"
    }

    /// The report's own members, then these.
    func encode(to encoder: any Encoder) throws {
        try report.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encodeIfPresent(encrypted, forKey: .encrypted)
        try container.encode(removed, forKey: .removed)
        if encrypted != nil, encrypted?.removedOriginal == true { try container.encode("", forKey: .recoveryCode) }
    }
}
