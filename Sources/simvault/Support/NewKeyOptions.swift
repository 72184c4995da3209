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

    func validate() throws {
        if passwordFile != nil, askPassword {
            throw ValidationError("Use either --password-file or --ask-password, not both.")
        }
        guard keyringTimeout > 0, keyringTimeout <= 600 else {
            throw ValidationError("--keyring-timeout must be between 0 and 600 seconds.")
        }
    }

    /// Refuses before any work when the recovery code file exists.
    func checkRecoveryCodeFile() throws {
        if let recoveryCodeFile, FileManager.default.fileExists(atPath: recoveryCodeFile) {
            throw CLIError("\(recoveryCodeFile) already exists; refusing to overwrite it with the recovery code.")
        }
    }

    /// Creation options: keyring unless `--no-keyring`, the password when
    /// one is given (or prompted for).
    func creationOptions(configuration: VaultConfiguration) throws -> VaultCreationOptions {
        var options = VaultCreationOptions()
        options.configuration = configuration
        options.usesKeyring = !noKeyring
        options.keyring = SecretServiceKeyring(timeout: keyringTimeout)
        options.password = try password(keyring: options.keyring)
        return options
    }

    /// The password for the password slot: from the file, or prompted for
    /// when asked to, or when the keyring cannot hold the key and a person
    /// is at the terminal.
    private func password(keyring: SecretServiceKeyring) throws -> SecretBytes? {
        if let passwordFile { return try SecretInput.read(file: passwordFile, what: "password") }
        if askPassword {
            guard Terminal.stdinIsTTY else {
                throw CLIError("--ask-password needs a terminal; use --password-file FILE (or - for stdin).", exitCode: ExitCodes.usage)
            }
            return try SecretInput.prompt("New password: ", confirm: true, what: "password")
        }
        var reason = "--no-keyring"
        if !noKeyring {
            do { try keyring.checkAvailable(); return nil } catch { reason = error.reason }
        }
        guard Terminal.stdinIsTTY else { return nil }
        return try SecretInput.prompt("The keyring cannot hold the key (\(reason)). New password: ", confirm: true, what: "password")
    }

    /// Writes the recovery code to `--recovery-code-file` when given.
    /// Returns whether it did (else the caller prints it once).
    func storeRecoveryCode(_ code: SecretBytes?) throws -> Bool {
        guard let code, let recoveryCodeFile else { return false }
        do {
            let fd = try PrivateFile.createExclusive(recoveryCodeFile)
            defer { close(fd) }
            var status = code.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if status >= 0 { status = write(fd, "\n", 1) }
            guard status >= 0, fsync(fd) == 0 else {
                throw CLIError("cannot write the recovery code to \(recoveryCodeFile): \(String(cString: strerror(errno)))")
            }
        } catch let error as PrivateFile.Failure {
            throw CLIError("cannot create \(recoveryCodeFile) for the recovery code: \(error.description)")
        }
        return true
    }

    /// Prints the recovery code once, straight from secret memory.
    static func printRecoveryCode(_ code: SecretBytes, opening what: String) {
        let text = "\nRecovery code (shown once; store it offline: it opens \(what) if the keyring and password are lost):\n\n    "
        FileHandle.standardOutput.write(Data(text.utf8))
        code.withUnsafeBytes { _ = write(STDOUT_FILENO, $0.baseAddress, $0.count) }
        FileHandle.standardOutput.write(Data("\n\n".utf8))
    }
}
