import ArgumentParser
import Foundation
import SimVault

extension SimVaultCommand.Secret {
    /// `simvault secret get NAME`: print a secret's value (audited).
    struct Get: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a secret's value on stdout (recorded in the access log).",
            discussion: "The value is printed as stored, followed by a newline only when stdout is a terminal.")

        @OptionGroup var global: GlobalOptions
        @OptionGroup var keys: KeyOptions
        @OptionGroup var scopeOption: SecretScopeOption

        @Argument(help: "The secret's name.")
        var name: String

        func validate() throws {
            if global.json { throw ValidationError("`secret get` prints the raw value; --json is not supported.") }
        }

        func run() throws {
            try keys.withVault(global) { vault in
                let value = try vault.secrets.get(name, scope: scopeOption.scope)
                try Self.writeToStdout(value)
                if isatty(STDOUT_FILENO) == 1 { print() }
            }
        }

        /// Writes the bytes straight from secret memory to stdout (no String,
        /// no Data copy).
        private static func writeToStdout(_ value: SecretBytes) throws {
            let failure: Int32 = value.withUnsafeBytes { bytes in
                var offset = 0
                while offset < bytes.count {
                    let written = write(STDOUT_FILENO, bytes.baseAddress! + offset, bytes.count - offset)
                    if written < 0 {
                        if errno == EINTR { continue }
                        return errno
                    }
                    offset += written
                }
                return 0
            }
            if failure != 0 { throw CLIError("cannot write the secret to stdout: \(String(cString: strerror(failure)))") }
        }
    }
}
