import Foundation
import SimVault

/// Hands a new recovery code to the user exactly once: printed on stdout
/// straight from secret memory, or written to a new `0600` file.
enum RecoveryCodeOutput {
    /// The sentence shown before a printed code that opens `what`.
    static func notice(opening what: String) -> String {
        "Recovery code (shown once; store it offline: it opens \(what) if the keyring and password are lost):"
    }

    /// Refuses early when `path` exists, before any key work is done.
    static func ensureAbsent(_ path: String?) throws {
        if let path, FileManager.default.fileExists(atPath: path) {
            throw CLIError("\(path) already exists; refusing to overwrite it with the recovery code.")
        }
    }

    /// Writes `code` and a newline to the new file `path` (mode 0600,
    /// fsynced); fails if the file exists.
    static func write(_ code: SecretBytes, to path: String) throws {
        do {
            let fd = try PrivateFile.createExclusive(path)
            defer { close(fd) }
            var status = code.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if status >= 0 { status = Glibc.write(fd, "\n", 1) }
            guard status >= 0, fsync(fd) == 0 else {
                throw CLIError("cannot write the recovery code to \(path): \(String(cString: strerror(errno)))")
            }
        } catch let error as PrivateFile.Failure {
            throw CLIError("cannot create \(path) for the recovery code: \(error.description)")
        }
    }

    /// Prints `text`, then the code indented on its own line, never copying
    /// the code into a Swift string.
    static func print(after text: String, code: SecretBytes, opening what: String = "the vault") {
        FileHandle.standardOutput.write(Data((text + "\n" + notice(opening: what) + "\n\n    ").utf8))
        code.withUnsafeBytes { _ = Glibc.write(STDOUT_FILENO, $0.baseAddress, $0.count) }
        FileHandle.standardOutput.write(Data("\n\n".utf8))
    }

    /// The code as a JSON string value: `--json` output is for programs, and
    /// a program asked for it.
    static func jsonText(_ code: SecretBytes) -> String {
        String(decoding: code.withUnsafeBytes { Array($0) }, as: UTF8.self)
    }
}
