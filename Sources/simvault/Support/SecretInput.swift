import CTerminal
import Foundation
import SimVault

/// Reads passwords and recovery codes into secret memory: from a file given
/// with `--password-file FILE` (`-` is stdin), or from a no-echo prompt when
/// stdin is a terminal. Never from argv or the environment, and never by
/// prompting when stdin is not a terminal.
enum SecretInput {
    /// Longest secret accepted (a password file is not a place for a novel).
    static let maximumLength = 4096

    /// Reads a whole file (or stdin for `-`), dropping one trailing newline.
    /// `-` on a terminal reads one line with echo off, as a prompt does. A
    /// file that group or others may read gets a warning (as ssh gives for
    /// a private key): whoever can read it holds the secret.
    /// - Parameter limit: longest secret accepted.
    static func read(file: String, what: String, limit: Int = maximumLength) throws -> SecretBytes {
        if file == "-", Terminal.stdinIsTTY {
            let secret = try promptOnce("\(what.prefix(1).uppercased() + what.dropFirst()) (from the terminal, not echoed): ", what: what, limit: limit)
            guard secret.count > 0 else { throw CLIError("the \(what) read from stdin is empty") }
            return secret
        }
        let fd = file == "-" ? STDIN_FILENO : open(file, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw CLIError("cannot read the \(what) file \(file): \(String(cString: strerror(errno)))")
        }
        defer { if fd != STDIN_FILENO { close(fd) } }
        if fd != STDIN_FILENO { warnIfOthersCanRead(fd, file: file, what: what) }
        let secret = try readSecret(from: fd, stopAtNewline: false, what: what, limit: limit)
        guard secret.count > 0 else { throw CLIError("the \(what) file \(file) is empty") }
        return secret
    }

    /// Prompts on the terminal with echo off. Returns nil when stdin is not a
    /// terminal (the caller then reports that no secret was given).
    static func prompt(_ message: String, confirm: Bool = false, what: String) throws -> SecretBytes? {
        guard Terminal.stdinIsTTY else { return nil }
        let first = try promptOnce(message, what: what)
        guard first.count > 0 else { throw CLIError("the \(what) must not be empty") }
        if confirm {
            let second = try promptOnce("Repeat \(what): ", what: what)
            guard first.constantTimeEquals(second) else { throw CLIError("the two \(what)s do not match; nothing was changed") }
        }
        return first
    }

    /// A new password (for a new or changed password slot): from `file`,
    /// else prompted for twice on a terminal.
    ///
    /// - Parameter fileOption: the option that names the file, for the
    ///   error when neither is possible (exit 64).
    static func newPassword(file: String?, fileOption: String, prompt message: String = "New password: ") throws -> SecretBytes {
        if let file { return try read(file: file, what: "new password") }
        guard let password = try prompt(message, confirm: true, what: "password") else {
            throw CLIError("a new password is needed: give \(fileOption) FILE ('-' for stdin), or run in a terminal to be prompted.", exitCode: ExitCodes.usage)
        }
        return password
    }

    private static func promptOnce(_ message: String, what: String, limit: Int = maximumLength) throws -> SecretBytes {
        // Echo goes off before the prompt appears, so nothing typed in
        // answer to the prompt is ever shown or discarded (input already
        // typed is kept, as a person may type ahead). Ctrl-C, Ctrl-\, a
        // SIGTERM or a hang-up while it is off put the terminal back first
        // (CTerminal's guard), so the shell never keeps a terminal without
        // echo.
        let hasTerminal = simvault_echo_off(STDIN_FILENO) == 0
        defer { if hasTerminal { simvault_echo_restore() } }
        Terminal.writeError(message)
        return try readSecret(from: STDIN_FILENO, stopAtNewline: true, what: what, limit: limit)
    }

    /// Warns when group or others may read the secret file `file`.
    private static func warnIfOthersCanRead(_ fd: Int32, file: String, what: String) {
        var status = stat()
        guard fstat(fd, &status) == 0, status.st_mode & S_IFMT == S_IFREG, status.st_mode & 0o044 != 0 else { return }
        let mode = String(status.st_mode & 0o777, radix: 8)
        Terminal.warn("the \(what) file \(file) is readable by group or others (mode \(mode)): anyone who can read it has the \(what). Restrict it with `chmod 600 \(file)`.")
    }

    /// Reads byte by byte into a secret buffer (no Swift String, no Data),
    /// then trims the line ending.
    private static func readSecret(from fd: Int32, stopAtNewline: Bool, what: String, limit: Int) throws -> SecretBytes {
        var length = 0
        var overflow = false
        var failure: Int32 = 0
        let buffer = SecretBytes(count: limit + 1) { out in
            while length <= limit {
                let got = Glibc.read(fd, out.baseAddress! + length, stopAtNewline ? 1 : limit + 1 - length)
                if got < 0 {
                    if errno == EINTR { continue }
                    failure = errno
                    return
                }
                if got == 0 { return }
                if stopAtNewline, out[length] == 0x0A { return }
                length += got
            }
            overflow = true
        }
        if failure != 0 { throw CLIError("cannot read the \(what): \(String(cString: strerror(failure)))") }
        if overflow { throw CLIError("the \(what) is longer than \(limit) bytes") }
        var end = length
        buffer.withUnsafeBytes { bytes in
            if end > 0, bytes[end - 1] == 0x0A { end -= 1 }
            if end > 0, bytes[end - 1] == 0x0D { end -= 1 }
        }
        return buffer.slice(0..<end)
    }
}
