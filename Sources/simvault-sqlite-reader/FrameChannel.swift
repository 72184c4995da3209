import Glibc
import SQLiteReaderProtocol

/// The reader's end of the socket: requests come in on stdin, frames go
/// out on stdout, buffered and written whole.
struct FrameChannel {
    private var output: [UInt8] = []

    /// The next request, or nil at the end of input. Exits on a request
    /// that breaks the protocol (the parent is then not simvault).
    func receive() -> (kind: FrameKind, payload: [UInt8])? {
        guard let header = readExactly(ReaderProtocol.frameHeaderBytes) else { return nil }
        let length = header[1...4].reduce(0) { $0 << 8 | Int($1) }
        guard let kind = FrameKind(rawValue: header[0]), [.query, .rehearse, .close].contains(kind) else {
            fail("unknown request kind \(header[0])")
        }
        guard length <= ReaderProtocol.maximumRequestBytes else { fail("a request of \(length) bytes") }
        guard let payload = readExactly(length) else { fail("a truncated request") }
        return (kind, payload)
    }

    /// Queues a frame; sends once enough has gathered.
    mutating func send(_ frame: [UInt8]) {
        output.append(contentsOf: frame)
        if output.count >= 256 << 10 { flush() }
    }

    /// Writes everything queued.
    mutating func flush() {
        var offset = 0
        output.withUnsafeBytes { bytes in
            while offset < bytes.count {
                let written = write(STDOUT_FILENO, bytes.baseAddress! + offset, bytes.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    // The parent went away: nothing left to do.
                    exit(0)
                }
                offset += written
            }
        }
        output.removeAll(keepingCapacity: true)
    }

    /// An error frame (code, statement index, message), sent at once.
    mutating func sendError(code: Int32, statement: UInt32 = ReaderProtocol.noStatement, _ message: String) {
        var frame = FrameEncoder(.error)
        frame.i32(code)
        frame.u32(statement)
        frame.string(message)
        send(frame.finish())
        flush()
    }

    private func readExactly(_ count: Int) -> [UInt8]? {
        var buffer = [UInt8](repeating: 0, count: count)
        var got = 0
        while got < count {
            let result = buffer.withUnsafeMutableBytes { read(STDIN_FILENO, $0.baseAddress! + got, count - got) }
            if result < 0, errno == EINTR { continue }
            if result <= 0 { return nil }
            got += result
        }
        return buffer
    }

    private func fail(_ why: String) -> Never {
        var channel = self
        channel.sendError(code: ReaderErrorCode.protocolViolation.rawValue, "protocol violation: \(why)")
        exit(70)
    }
}
