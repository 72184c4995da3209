public import Foundation
import CSpawn

/// A child process started with `posix_spawn`, with pipes for stdin, stdout
/// and stderr, reaped with `waitpid`.
///
/// The tests run many processes from parallel threads; Foundation's
/// `Process` on Linux reaps children through a shared run loop and was seen
/// to leave them as zombies while `waitUntilExit` hung. This type owns its
/// child outright: only `wait` reaps it, and every other descriptor of the
/// test process is closed in the child (`addclosefrom`), so no pipe leaks
/// into an unrelated long-lived process (a keyring daemon, say).
public final class Subprocess: @unchecked Sendable {
    // @unchecked Sendable: `pid` is immutable; `status` is written once under
    // `lock`.
    public let pid: Int32
    /// Write end of the child's stdin (nil when stdin is /dev/null).
    public let stdinFD: Int32?
    /// Read ends of the child's stdout and stderr.
    public let stdoutFD: Int32
    public let stderrFD: Int32
    private let lock = NSLock()
    private var exitStatus: Int32?

    public init(_ executable: String, _ arguments: [String], environment: [String: String], withStdin: Bool, currentDirectory: String? = nil) throws {
        var stdinPipe: [Int32] = [-1, -1], stdoutPipe: [Int32] = [-1, -1], stderrPipe: [Int32] = [-1, -1]
        guard simvault_pipe_cloexec(&stdoutPipe) == 0, simvault_pipe_cloexec(&stderrPipe) == 0 else {
            throw TestSupportError("pipe failed: \(String(cString: strerror(errno)))")
        }
        if withStdin, simvault_pipe_cloexec(&stdinPipe) != 0 { throw TestSupportError("pipe failed") }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if withStdin {
            posix_spawn_file_actions_adddup2(&actions, stdinPipe[0], 0)
        } else {
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        }
        posix_spawn_file_actions_adddup2(&actions, stdoutPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, stderrPipe[1], 2)
        simvault_spawn_addclosefrom(&actions, 3)
        if let currentDirectory { simvault_spawn_addchdir(&actions, currentDirectory) }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // A process group of its own, so a timeout can kill the whole tree.
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        posix_spawnattr_setpgroup(&attributes, 0)
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGPIPE, SIGTERM, SIGINT, SIGHUP, SIGCHLD] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var child: pid_t = 0
        let status = posix_spawn(&child, executable, &actions, &attributes, argv, envp)
        close(stdoutPipe[1])
        close(stderrPipe[1])
        if withStdin { close(stdinPipe[0]) }
        guard status == 0 else {
            close(stdoutPipe[0]); close(stderrPipe[0])
            if withStdin { close(stdinPipe[1]) }
            throw TestSupportError("cannot start \(executable): \(String(cString: strerror(status)))")
        }
        pid = child
        stdinFD = withStdin ? stdinPipe[1] : nil
        stdoutFD = stdoutPipe[0]
        stderrFD = stderrPipe[0]
    }

    /// Waits for the child; after `timeout` seconds kills its process group
    /// with SIGKILL. Returns the exit status (128 + signal when killed) and
    /// whether it timed out.
    public func wait(timeout: Double) -> (status: Int32, timedOut: Bool) {
        let deadline = Date().addingTimeInterval(timeout)
        var timedOut = false
        while true {
            if let status = poll() { return (status, timedOut) }
            if !timedOut, Date() >= deadline {
                timedOut = true
                kill(-pid, SIGKILL)
                kill(pid, SIGKILL)
            }
            usleep(2_000)
        }
    }

    /// The exit status if the child has exited (reaping it), else nil.
    public func poll() -> Int32? {
        lock.lock()
        defer { lock.unlock() }
        if let exitStatus { return exitStatus }
        var raw: Int32 = 0
        let result = waitpid(pid, &raw, WNOHANG)
        guard result == pid else { return nil }
        // WIFEXITED / WEXITSTATUS / WTERMSIG are macros Swift cannot import.
        let signal = raw & 0x7F
        exitStatus = signal == 0 ? (raw >> 8) & 0xFF : 128 + signal
        return exitStatus
    }

    /// Sends `signal` to the child.
    public func send(_ signal: Int32) { kill(pid, signal) }

    /// Reads a descriptor to EOF.
    public static func readAll(_ fd: Int32) -> Data {
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = read(fd, &buffer, buffer.count)
            if count > 0 { data.append(contentsOf: buffer[0..<count]); continue }
            if count < 0, errno == EINTR { continue }
            break
        }
        close(fd)
        return data
    }

    /// Writes all of `data` to `fd`, then closes it.
    public static func writeAll(_ data: Data, to fd: Int32) {
        data.withUnsafeBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = write(fd, bytes.baseAddress! + offset, bytes.count - offset)
                if written < 0 { if errno == EINTR { continue }; break }
                offset += written
            }
        }
        close(fd)
    }
}
