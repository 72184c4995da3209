import ArgumentParser
import Foundation
import SimVault

/// How a command that makes a new encrypted file (`init`, `encrypt`)
/// protects its master key: keyring, password, recovery code.
struct NewKeyOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Read the password for a password slot from this file ('-' for stdin).", valueName: "file"))
    var passwordFile: String?

    @Flag(name: .long, help: "Also protect the key with a password, prompted for (twice) on the terminal.")
    var askPassword = false

    @Flag(name: .long, help: "Do not store the key in the Secret Service; a password is then required.")
    var noKeyring = false

    @Option(name: .long, help: ArgumentHelp("Write the recovery code to this new file (0600) instead of printing it.", valueName: "file"))
    var recoveryCodeFile: String?

    @Option(name: .long, help: ArgumentHelp("Seconds to wait for the Secret Service before giving up.", valueName: "seconds"))
    var keyringTimeout: Double = 5

    @Option(name: .long, help: ArgumentHelp(
        "SQLCipher settings of the new file: 3 (SQLCipher 3 settings, HMAC-SHA1; opens on SQLCipher 3.4 and 4.x) or 4 (SQLCipher 4 settings, HMAC-SHA512; needs SQLCipher 4 to create and to open).",
        valueName: "3|4"))
    var cipherCompat = 3

    func validate() throws {
        if passwordFile != nil, askPassword {
            throw ValidationError("Use either --password-file or --ask-password, not both.")
        }
        guard keyringTimeout > 0, keyringTimeout <= 600 else {
            throw ValidationError("--keyring-timeout must be between 0 and 600 seconds.")
        }
        guard CipherSettings.supportedCompatibilities.contains(cipherCompat) else {
            throw ValidationError("--cipher-compat must be 3 or 4.")
        }
    }

    /// Refuses before any work when the recovery code file exists.
    func checkRecoveryCodeFile() throws {
        try RecoveryCodeOutput.ensureAbsent(recoveryCodeFile)
    }

    /// Creation options: keyring unless `--no-keyring` (or already found
    /// unavailable), the password when one is given (or prompted for).
    /// The keyring failure found on the way, if any, is returned so the
    /// caller can warn about it.
    func creationOptions(configuration: VaultConfiguration) throws -> (VaultCreationOptions, KeyringFailure?) {
        var options = VaultCreationOptions()
        options.cipher = CipherSettings(compatibility: cipherCompat)
        // Before any password prompt: this engine may not write these settings.
        try EngineCheck.inspect().requireSupport(forCreating: options.cipher)
        options.configuration = configuration
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
        return (options, knownFailure)
    }

    /// The password for the password slot: from the file, or prompted for
    /// when asked to, or when the keyring cannot hold the key and a person
    /// is at the terminal. Also returns the keyring's failure when it was
    /// found unavailable.
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

    /// Writes the recovery code to `--recovery-code-file` when given.
    /// Returns whether it did (else the caller prints it once).
    func storeRecoveryCode(_ code: SecretBytes?) throws -> Bool {
        guard let code, let recoveryCodeFile else { return false }
        try RecoveryCodeOutput.write(code, to: recoveryCodeFile)
        return true
    }
}
