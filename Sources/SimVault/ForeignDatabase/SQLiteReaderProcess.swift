internal import CSpawn
import Foundation
import SQLiteReaderProtocol

/// Why the reader process could not answer: it crashed, hung, hit a limit
/// or sent what the protocol does not allow. Each is reported as the
/// file being malformed or hostile.
enum ReaderFailure: Error, Equatable, CustomStringConvertible {
    case crashed(signal: Int32)
    case exited(status: Int32)
    case timedOut(seconds: Double)
    case cpuLimit(seconds: Int)
    case protocolViolation(String)
    /// Used after ``SQLiteReaderProcess/close()``: a simvault bug.
    case closed

    var description: String {
        switch self {
        case .crashed(let signal):
            let name = [SIGSEGV: "SIGSEGV", SIGBUS: "SIGBUS", SIGABRT: "SIGABRT", SIGILL: "SIGILL", SIGFPE: "SIGFPE", SIGTRAP: "SIGTRAP"][signal].map { ", \($0)" } ?? ""
            return "it crashed the process reading it (signal \(signal)\(name)): SQLite 3.15.2 has known crashes on crafted databases"
        case .exited(let status):
            return "the process reading it ended unexpectedly (exit status \(status))"
        case .timedOut(let seconds):
            return "reading it made no progress for \(Int(seconds)) s (the reader was stopped)"
        case .cpuLimit(let seconds):
            return "reading it used more than \(seconds) s of CPU time (the reader was stopped)"
        case .protocolViolation(let why):
            return "the process reading it sent garbage (\(why))"
        case .closed:
            return "its reader was already closed"
        }
    }
}

/// One running `simvault-sqlite-reader`, and the parent's end of its
/// socket: frames out, frames in, each bounded in size, each awaited for at
/// most the configured idle time; a reader that dies, hangs or sends
/// garbage is killed and reaped, and reported as a ``ReaderFailure``.
///
/// Started with `posix_spawn` (Foundation's `Process` reaps through a
/// shared run loop, which the tests saw hang): a socket pair as its stdin
/// and stdout (so a write to a dead reader fails with EPIPE instead of
/// raising SIGPIPE in the app: `MSG_NOSIGNAL`), stderr to /dev/null, every
/// other descriptor of the app closed, signal dispositions reset, and an
/// environment of one variable (no Swift backtrace on a crash).
final class SQLiteReaderProcess {
    let pid: pid_t
    private let socket: Int32
    private let configuration: ForeignReaderConfiguration
    private var buffer: [UInt8] = []
    private var bufferStart = 0
    private var failure: ReaderFailure?
    private var isReaped = false
    private var isClosed = false

    /// Largest frame accepted: a row, plus room for its framing.
    private var maximumFrameBytes: Int { configuration.maximumRowBytes + (1 << 20) }

    /// Starts `executable` on `sourcePath`.
    ///
    /// - Throws: ``VaultError/io(detail:)`` when it cannot be started.
    init(executable: String, sourcePath: String, configuration: ForeignReaderConfiguration) throws {
        self.configuration = configuration
        var pair: [Int32] = [-1, -1]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &pair) == 0 else {
            throw VaultError.io(detail: "cannot start \(executable): socketpair: \(String(cString: strerror(errno)))")
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, pair[1], 0)
        posix_spawn_file_actions_adddup2(&actions, pair[1], 1)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        simvault_spawn_addclosefrom(&actions, 3)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        // An app may ignore SIGPIPE (ignored dispositions survive exec): the
        // reader must die when its parent goes away.
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGXCPU] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)

        let arguments = [
            executable, "--memory-limit", String(configuration.memoryLimitBytes), "--cpu-limit", String(configuration.cpuLimitSeconds),
            "--max-row-bytes", String(configuration.maximumRowBytes), Self.absolute(sourcePath),
        ]
        let argv = arguments.map { strdup($0) } + [nil]
        let envp = [strdup("SWIFT_BACKTRACE=enable=no"), nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var child: pid_t = 0
        let status = posix_spawn(&child, executable, &actions, &attributes, argv, envp)
        Glibc.close(pair[1])
        guard status == 0 else {
            Glibc.close(pair[0])
            throw VaultError.io(detail: "cannot start \(executable): \(String(cString: strerror(status)))")
        }
        pid = child
        socket = pair[0]
    }

    deinit { close() }

    // MARK: - Frames

    /// Sends one request frame.
    func send(_ frame: [UInt8]) throws(ReaderFailure) {
        if let failure { throw failure }
        var offset = 0
        while offset < frame.count {
            let sent = frame.withUnsafeBytes { Glibc.send(socket, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL)) }
            if sent < 0 {
                if errno == EINTR { continue }
                throw fail(nil)
            }
            offset += sent
        }
    }

    /// The next frame from the reader: a kind the reader may send, no
    /// larger than the configured row size (plus framing).
    func receive() throws(ReaderFailure) -> (kind: FrameKind, payload: [UInt8]) {
        if let failure { throw failure }
        try fill(ReaderProtocol.frameHeaderBytes)
        let header = buffer[bufferStart..<(bufferStart + ReaderProtocol.frameHeaderBytes)]
        let length = header.dropFirst().reduce(0) { $0 << 8 | Int($1) }
        guard let kind = FrameKind(rawValue: header.first!), [.hello, .columns, .row, .done, .error].contains(kind) else {
            throw fail(.protocolViolation("a frame of unknown kind \(header.first!)"))
        }
        guard length <= maximumFrameBytes else {
            throw fail(.protocolViolation("a frame of \(length) bytes, more than the \(maximumFrameBytes) allowed"))
        }
        try fill(ReaderProtocol.frameHeaderBytes + length)
        let start = bufferStart + ReaderProtocol.frameHeaderBytes
        let payload = Array(buffer[start..<(start + length)])
        bufferStart = start + length
        return (kind, payload)
    }

    /// Marks the reader as broken and kills it: a frame the caller cannot
    /// use (garbage inside a well-sized frame).
    func reject(_ why: String) -> ReaderFailure {
        fail(.protocolViolation(why))
    }

    /// Asks the reader to exit, then reaps it (killing it if it does not
    /// go within a second). Idempotent.
    func close() {
        guard !isClosed else { return }
        isClosed = true
        if failure == nil {
            try? send(FrameEncoder(.close).finish())
        }
        Glibc.shutdown(socket, Int32(SHUT_RDWR))
        _ = reap(waitingAtMost: 1)
        Glibc.close(socket)
        if failure == nil { failure = .closed }
    }

    // MARK: - Internals

    /// Reads until `count` bytes are buffered, waiting at most the idle
    /// timeout for each chunk.
    private func fill(_ count: Int) throws(ReaderFailure) {
        if bufferStart > 0, bufferStart >= buffer.count / 2 {
            buffer.removeFirst(bufferStart)
            bufferStart = 0
        }
        while buffer.count - bufferStart < count {
            var poller = pollfd(fd: socket, events: Int16(POLLIN), revents: 0)
            let timeout = Int32(clamping: Int(configuration.idleTimeoutSeconds * 1000))
            let ready = poll(&poller, 1, timeout)
            if ready < 0 {
                if errno == EINTR { continue }
                throw fail(.protocolViolation("poll: \(String(cString: strerror(errno)))"))
            }
            if ready == 0 { throw fail(.timedOut(seconds: configuration.idleTimeoutSeconds)) }
            let wanted = max(count - (buffer.count - bufferStart), 256 << 10)
            let old = buffer.count
            buffer.append(contentsOf: repeatElement(0, count: wanted))
            let got = buffer.withUnsafeMutableBytes { recv(socket, $0.baseAddress! + old, wanted, 0) }
            buffer.removeLast(wanted - max(got, 0))
            if got < 0 {
                if errno == EINTR { continue }
                throw fail(nil)
            }
            if got == 0 { throw fail(nil) }
        }
    }

    /// Kills the reader (if `reason` is known) or waits for its end, and
    /// works out what happened from its exit status.
    private func fail(_ reason: ReaderFailure?) -> ReaderFailure {
        if let failure { return failure }
        if reason != nil { kill(pid, SIGKILL) }
        let status = reap(waitingAtMost: 2)
        let result: ReaderFailure
        if let reason {
            result = reason
        } else if let status, status.signal == SIGXCPU {
            result = .cpuLimit(seconds: configuration.cpuLimitSeconds)
        } else if let status, status.signal != 0 {
            result = .crashed(signal: status.signal)
        } else {
            result = .exited(status: status?.exit ?? -1)
        }
        failure = result
        return result
    }

    /// Waits up to `seconds` for the reader to end, then kills it; returns
    /// how it ended (nil when it was already reaped or cannot be).
    private func reap(waitingAtMost seconds: Double) -> (signal: Int32, exit: Int32)? {
        guard !isReaped else { return nil }
        let deadline = Date().addingTimeInterval(seconds)
        var raw: Int32 = 0
        while true {
            let result = waitpid(pid, &raw, WNOHANG)
            if result == pid { break }
            if result < 0, errno != EINTR { isReaped = true; return nil }
            if Date() >= deadline {
                kill(pid, SIGKILL)
                while waitpid(pid, &raw, 0) < 0, errno == EINTR {}
                break
            }
            usleep(2_000)
        }
        isReaped = true
        // WIFEXITED / WTERMSIG are macros Swift cannot import.
        return (raw & 0x7F, (raw >> 8) & 0xFF)
    }

    private static func absolute(_ path: String) -> String {
        path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
    }
}
