public import Foundation

/// A private Secret Service session for one test: a real dbus-daemon and a
/// real gnome-keyring-daemon (or the failure modes), started through the
/// project's `scripts/with-keyring` and held open by `scripts/keyring-hold`.
///
/// Programs run through the session see only its environment (its bus, its
/// throwaway HOME), never the developer's own keyring. The session and its
/// HOME disappear when the value is released.
///
/// ```swift
/// let session = try KeyringSession(.unlocked)
/// let result = try session.simvault(["init", "--vault", session.home + "/v.db"])
/// ```
public final class KeyringSession: @unchecked Sendable {
    // @unchecked Sendable: immutable after init; the process handle is only
    // touched in deinit.

    /// The modes of scripts/with-keyring.
    public enum Mode: String, Sendable {
        case unlocked = ""
        case locked = "--locked"
        case noProvider = "--no-keyring"
        case noBus = "--no-bus"
    }

    public let mode: Mode
    /// The session's environment (bus address, HOME, XDG dirs) plus PATH.
    public let environment: [String: String]
    /// The session's private HOME.
    public let home: String
    private let launcher: Subprocess
    private let holdPID: pid_t

    public init(_ mode: Mode = .unlocked) throws {
        self.mode = mode
        let launcher = try Subprocess(
            ProjectPaths.script("with-keyring"),
            (mode == .unlocked ? [] : [mode.rawValue]) + ["--", ProjectPaths.script("keyring-hold")],
            environment: ProcessRunner.baseEnvironment, withStdin: false)
        close(launcher.stderrFD)

        // Read lines until READY (or EOF / 30 s).
        var text = ""
        var byte: UInt8 = 0
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline, !text.hasSuffix("READY\n") {
            var descriptor = pollfd(fd: launcher.stdoutFD, events: Int16(POLLIN), revents: 0)
            guard Glibc.poll(&descriptor, 1, 1000) > 0 else { continue }
            guard read(launcher.stdoutFD, &byte, 1) == 1 else { break }
            text.append(Character(UnicodeScalar(byte)))
        }
        var environment = ProcessRunner.baseEnvironment
        for line in text.split(separator: "\n") where line.contains("=") {
            let parts = line.split(separator: "=", maxSplits: 1)
            environment[String(parts[0])] = String(parts[1])
        }
        guard text.hasSuffix("READY\n"), let pidText = environment.removeValue(forKey: "HOLD_PID"), let pid = pid_t(pidText),
              let home = environment["HOME"] else {
            kill(-launcher.pid, SIGKILL)
            _ = launcher.wait(timeout: 5)
            throw TestSupportError("keyring session (\(mode)) did not start: \(text)")
        }
        self.environment = environment
        self.home = home
        self.launcher = launcher
        holdPID = pid
    }

    deinit {
        // Ending keyring-hold ends dbus-run-session, which stops the bus (and
        // with it the keyring daemon); with-keyring then removes the temp HOME.
        kill(holdPID, SIGTERM)
        if launcher.wait(timeout: 20).timedOut { kill(-launcher.pid, SIGKILL) }
        close(launcher.stdoutFD)
    }

    /// Runs the built simvault binary in this session.
    @discardableResult
    public func simvault(_ arguments: [String], stdin: Data? = nil, extraEnvironment: [String: String] = [:], timeout: Double = 120) throws -> ProcessResult {
        try run(ProjectPaths.simvaultBinary, arguments, stdin: stdin, extraEnvironment: extraEnvironment, timeout: timeout)
    }

    /// Runs the built simvault binary on `engine` in this session.
    @discardableResult
    public func simvault(_ arguments: [String], on engine: TestEngine, stdin: Data? = nil, timeout: Double = 120) throws -> ProcessResult {
        try run(ProjectPaths.simvault(on: engine), arguments, stdin: stdin, timeout: timeout)
    }

    /// Runs any program in this session.
    @discardableResult
    public func run(_ executable: String, _ arguments: [String], stdin: Data? = nil, extraEnvironment: [String: String] = [:], timeout: Double = 120) throws -> ProcessResult {
        let resolved = executable.hasPrefix("/") ? executable : (ProcessRunner.which(executable) ?? executable)
        return try ProcessRunner.run(
            resolved, arguments, environment: environment.merging(extraEnvironment) { $1 }, stdin: stdin, timeout: timeout)
    }

    /// `secret-tool lookup application simvault vault-id ID`: the key as an
    /// outside tool sees it.
    public func secretToolLookup(vaultID: String) throws -> ProcessResult {
        try run("secret-tool", ["lookup", "application", "simvault", "vault-id", vaultID], timeout: 20)
    }

    /// Locks the collection holding the vault's item (scripts/keyring-lock).
    public func lockKeyring() throws {
        let result = try run(ProjectPaths.script("keyring-lock"), [], timeout: 20)
        guard result.status == 0 else { throw TestSupportError("keyring-lock failed: \(result)") }
    }
}
