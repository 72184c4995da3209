import ArgumentParser
import Foundation
import SimVault

/// How a command finds the vault's key: keyring first, then a password, then
/// a recovery code (docs/DESIGN.md §3).
struct KeyOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "Read the password from this file ('-' for stdin).",
        discussion: "Without it, a password is prompted for only when stdin is a terminal and the keyring cannot be used.",
        valueName: "file"))
    var passwordFile: String?

    @Option(name: .long, help: ArgumentHelp("Read the recovery code from this file ('-' for stdin).", valueName: "file"))
    var recoveryCodeFile: String?

    @Flag(name: .long, help: "Do not use the Secret Service (keyring).")
    var noKeyring = false

    @Option(name: .long, help: ArgumentHelp("Seconds to wait for the Secret Service before giving up.", valueName: "seconds"))
    var keyringTimeout: Double = 5

    func validate() throws {
        guard keyringTimeout > 0, keyringTimeout <= 600 else {
            throw ValidationError("--keyring-timeout must be between 0 and 600 seconds.")
        }
        if passwordFile == "-", recoveryCodeFile == "-" {
            throw ValidationError("Only one of --password-file and --recovery-code-file can read stdin ('-').")
        }
    }

    /// The Secret Service client. An unlock prompt is allowed only on a
    /// desktop (a display) with a person at the terminal.
    var keyring: SecretServiceKeyring {
        let environment = ProcessInfo.processInfo.environment
        let hasDisplay = environment["DISPLAY"] != nil || environment["WAYLAND_DISPLAY"] != nil
        return SecretServiceKeyring(timeout: keyringTimeout, allowsUnlockPrompt: hasDisplay && Terminal.stdinIsTTY)
    }

    /// The unlock request: the password and recovery code are read only when
    /// the keyring did not give the key.
    /// - Parameter prompts: whether a password may be prompted for on a TTY.
    func unlockRequest(location: VaultLocation, prompts: Bool = true) -> UnlockRequest {
        let passwordFile = passwordFile, recoveryCodeFile = recoveryCodeFile
        let hasRecoveryFile = recoveryCodeFile != nil
        let path = location.path
        return UnlockRequest(
            usesKeyring: !noKeyring,
            keyring: keyring,
            password: { (reason: String) throws(KeyError) -> SecretBytes? in
                do {
                    if let passwordFile { return try SecretInput.read(file: passwordFile, what: "password") }
                    // A recovery code given explicitly means the user does not
                    // expect a password prompt.
                    guard prompts, !hasRecoveryFile else { return nil }
                    let why = reason.isEmpty ? "" : " (\(reason))"
                    return try SecretInput.prompt("Password for \(path)\(why): ", what: "password")
                } catch let error as KeyError {
                    throw error
                } catch {
                    throw KeyError.secretInputFailed(detail: (error as? CLIError)?.message ?? "\(error)")
                }
            },
            recoveryCode: { (_: String) throws(KeyError) -> SecretBytes? in
                guard let recoveryCodeFile else { return nil }
                do { return try SecretInput.read(file: recoveryCodeFile, what: "recovery code") } catch {
                    throw KeyError.secretInputFailed(detail: (error as? CLIError)?.message ?? "\(error)")
                }
            })
    }
}
