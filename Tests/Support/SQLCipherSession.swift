import Foundation

/// The stock `sqlcipher` shell kept running with a pipe on its stdin: another
/// process that has the vault open, sits inside a write transaction, or is
/// killed in the middle of its work. The key goes through stdin, never argv.
///
/// ```swift
/// let shell = try SQLCipherSession(path: vault, hexKey: key)
/// _ = try shell.run("BEGIN IMMEDIATE; INSERT INTO t VALUES (1);")
/// // ... the vault is now busy ...
/// shell.kill()
/// ```
public final class SQLCipherSession: @unchecked Sendable {
    // @unchecked Sendable: used from one test thread at a time.
    private let process: Subprocess
    private var stdinFD: Int32?
    private var pending = Data()
    private var markerCount = 0
    private var isFinished = false

    public init(path: String, hexKey: String, environment: [String: String] = ProcessRunner.baseEnvironment) throws {
        guard let shell = ProcessRunner.which("sqlcipher") else { throw TestSupportError("sqlcipher shell not installed (scripts/bootstrap)") }
        process = try Subprocess(shell, ["-batch", path], environment: environment, withStdin: true)
        stdinFD = process.stdinFD
        _ = try run("PRAGMA key = \"x'\(hexKey)'\";\nPRAGMA cipher_page_size = 4096;\nSELECT count(*) FROM sqlite_master;")
    }

    /// Sends `sql` and waits until the shell has run it: returns what it
    /// printed (stdout and stderr) before a marker query that follows it.
    @discardableResult
    public func run(_ sql: String, timeout: Double = 60) throws -> String {
        guard let stdinFD else { throw TestSupportError("the sqlcipher session is closed") }
        markerCount += 1
        let marker = "-- done \(markerCount) --"
        let text = "\(sql)\nSELECT '\(marker)';\n"
        let written = text.withCString { write(stdinFD, $0, strlen($0)) }
        guard written == text.utf8.count else { throw TestSupportError("cannot write to the sqlcipher shell") }
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let range = pending.range(of: Data(marker.utf8)) {
                let output = String(decoding: pending[..<range.lowerBound], as: UTF8.self)
                pending.removeSubrange(..<range.upperBound)
                return output
            }
            var fds = [pollfd(fd: process.stdoutFD, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: process.stderrFD, events: Int16(POLLIN), revents: 0)]
            guard poll(&fds, 2, 200) > 0 else { continue }
            var buffer = [UInt8](repeating: 0, count: 4096)
            for entry in fds where entry.revents != 0 {
                let count = read(entry.fd, &buffer, buffer.count)
                if count > 0 { pending.append(contentsOf: buffer[0..<count]) }
                if count == 0, process.poll() != nil {
                    throw TestSupportError("the sqlcipher shell exited: \(String(decoding: pending, as: UTF8.self))")
                }
            }
        }
        throw TestSupportError("the sqlcipher shell did not finish `\(sql)` within \(timeout) s: \(String(decoding: pending, as: UTF8.self))")
    }

    /// SIGKILL: the shell dies without committing, checkpointing or closing.
    public func kill() {
        process.send(SIGKILL)
        finish()
    }

    /// Closes stdin (the shell then exits normally) and reaps it.
    @discardableResult
    public func finish() -> Int32 {
        if let stdinFD { close(stdinFD) }
        stdinFD = nil
        let status = process.wait(timeout: 30).status
        if !isFinished {
            isFinished = true
            close(process.stdoutFD)
            close(process.stderrFD)
        }
        return status
    }

    deinit {
        if !isFinished { kill() }
    }
}
