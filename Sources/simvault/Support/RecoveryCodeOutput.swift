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

    /// Prints `report` as ``Terminal/printJSON(_:)`` does, with `code` as the
    /// value of its `field` (which `report` encodes as an empty string). The
    /// code is spliced in from secret memory and written with one
    /// `write(2)` from secret memory, so it never becomes a Swift `String`
    /// (which nobody can wipe): `--json` output is for programs, and a
    /// program asked for it. The code's characters (Crockford base32 and
    /// dashes) need no JSON escaping.
    static func printJSON<T: Encodable>(_ report: T, code: SecretBytes, field: String) throws {
        let json = [UInt8](try Terminal.jsonData(report))
        // Quotes inside JSON strings are escaped, so this sequence can only
        // be the field itself.
        let empty = Array("\"\(field)\" : \"\"".utf8)
        guard let start = (0...(json.count - empty.count)).first(where: { json[$0..<($0 + empty.count)].elementsEqual(empty) }) else {
            throw CLIError("internal error: the JSON report has no \(field) field")
        }
        let split = start + empty.count - 1   // at the closing quote
        let output = SecretBytes(count: json.count + code.count) { out in
            out.copyBytes(from: json[..<split])
            code.withUnsafeBytes { UnsafeMutableRawBufferPointer(rebasing: out[split..<(split + code.count)]).copyMemory(from: $0) }
            UnsafeMutableRawBufferPointer(rebasing: out[(split + code.count)...]).copyBytes(from: json[split...])
        }
        output.withUnsafeBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = Glibc.write(STDOUT_FILENO, bytes.baseAddress! + offset, bytes.count - offset)
                if written < 0 { if errno == EINTR { continue } else { return } }
                offset += written
            }
        }
    }
}
