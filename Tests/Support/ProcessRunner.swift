public import Foundation

/// The outcome of running a program.
public struct ProcessResult: Sendable, CustomStringConvertible {
    public let arguments: [String]
    public let status: Int32
    public let stdout: String
    public let stderr: String
    public let stdoutData: Data
    /// True when the process was killed for exceeding its timeout.
    public let timedOut: Bool

    public var description: String {
        "`\(arguments.joined(separator: " "))` exited \(status)\(timedOut ? " (TIMED OUT)" : "")\n--- stdout\n\(stdout)--- stderr\n\(stderr)"
    }
}

/// Runs programs with an explicit environment, optional stdin bytes and a
/// timeout, capturing stdout and stderr. Never inherits the test process's
/// environment unless asked: each test controls exactly what the program
/// sees (no stray DBUS_SESSION_BUS_ADDRESS pointing at a real keyring).
public enum ProcessRunner {
    /// A minimal environment: PATH and locale only.
    public static var baseEnvironment: [String: String] {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        return ["PATH": path, "LANG": "C.UTF-8", "TMPDIR": NSTemporaryDirectory()]
    }

    @discardableResult
    public static func run(
        _ executable: String, _ arguments: [String], environment: [String: String] = baseEnvironment,
        stdin: Data? = nil, currentDirectory: String? = nil, timeout: Double = 120
    ) throws -> ProcessResult {
        let child = try Subprocess(executable, arguments, environment: environment, withStdin: stdin != nil, currentDirectory: currentDirectory)
        let collected = Collected()
        let group = DispatchGroup()
        for (fd, isStdout) in [(child.stdoutFD, true), (child.stderrFD, false)] {
            group.enter()
            Thread.detachNewThread {
                collected.set(Subprocess.readAll(fd), stdout: isStdout)
                group.leave()
            }
        }
        if let stdin, let fd = child.stdinFD {
            Thread.detachNewThread { Subprocess.writeAll(stdin, to: fd) }
        }
        let (status, timedOut) = child.wait(timeout: timeout)
        // A grandchild that kept stdout open must not hang the test forever.
        if group.wait(timeout: .now() + 10) == .timedOut { kill(-child.pid, SIGKILL) }
        group.wait()
        let (stdoutData, stderrData) = collected.get()
        return ProcessResult(
            arguments: [executable] + arguments, status: status,
            stdout: String(decoding: stdoutData, as: UTF8.self), stderr: String(decoding: stderrData, as: UTF8.self),
            stdoutData: stdoutData, timedOut: timedOut)
    }

    /// Finds a program on PATH.
    public static func which(_ name: String) -> String? {
        for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let candidate = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }
}

/// @unchecked Sendable: all access under `lock`.
private final class Collected: @unchecked Sendable {
    private let lock = NSLock()
    private var stdout = Data(), stderr = Data()
    func set(_ data: Data, stdout isStdout: Bool) { lock.withLock { if isStdout { stdout = data } else { stderr = data } } }
    func get() -> (Data, Data) { lock.withLock { (stdout, stderr) } }
}
