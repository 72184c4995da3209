import CSQLCipher
import Glibc
import SQLiteReaderProtocol

/// `simvault-sqlite-reader`: opens another app's SQLite file for simvault
/// in a process of its own, so that a crafted file (SQLite 3.15.2 has
/// public crashes on crafted schemas) can crash, hang or exhaust only this
/// process. It is given no key and opens nothing else; it limits itself
/// (address space, CPU time, no core file) before it opens the file, and
/// answers requests on stdin/stdout in the protocol of ``ReaderProtocol``.
///
///     simvault-sqlite-reader [--memory-limit BYTES] [--cpu-limit SECONDS] [--max-row-bytes BYTES] PATH
///
/// Exit status: 0 after `X` or the end of input, 64 bad arguments, 66 the
/// file did not open (an `E` frame says why), 70 a protocol violation.
@main
struct SQLiteReader {
    static func main() {
        guard let (path, limits) = parseArguments(Array(CommandLine.arguments.dropFirst())) else {
            let usage = "usage: simvault-sqlite-reader [--memory-limit BYTES] [--cpu-limit SECONDS] [--max-row-bytes BYTES] PATH\n"
            _ = usage.withCString { write(STDERR_FILENO, $0, strlen($0)) }
            exit(64)
        }
        limits.apply()
        var channel = FrameChannel()
        let source: SourceDatabase
        do {
            source = try SourceDatabase(path: path, limits: limits)
        } catch {
            channel.sendError(code: error.code, error.message)
            exit(66)
        }
        var hello = FrameEncoder(.hello)
        hello.u16(ReaderProtocol.version)
        hello.string(String(cString: sqlite3_libversion()))
        channel.send(hello.finish())
        channel.flush()

        while let (kind, payload) = channel.receive() {
            switch kind {
            case .query: answerQuery(payload, source: source, limits: limits, channel: &channel)
            case .rehearse: answerRehearsal(payload, limits: limits, channel: &channel)
            default: exit(0)
            }
            channel.flush()
        }
    }

    private static func answerQuery(_ payload: [UInt8], source: SourceDatabase, limits: ReaderLimits, channel: inout FrameChannel) {
        var decoder = FrameDecoder(payload)
        let sql: String, parameters: [ReaderValue]
        do {
            sql = try decoder.string()
            parameters = try decoder.values()
            try decoder.expectEnd()
        } catch {
            return channel.sendError(code: ReaderErrorCode.protocolViolation.rawValue, "a malformed query request: \(error)")
        }
        do {
            let rows = try source.run(sql, parameters, maximumRowBytes: limits.maximumRowBytes, columns: { names in
                var frame = FrameEncoder(.columns)
                frame.u16(UInt16(truncatingIfNeeded: names.count))
                for name in names { frame.string(name) }
                channel.send(frame.finish())
            }, row: { channel.send($0) })
            var done = FrameEncoder(.done)
            done.u64(rows)
            channel.send(done.finish())
        } catch {
            channel.sendError(code: error.code, error.message)
        }
    }

    private static func answerRehearsal(_ payload: [UInt8], limits: ReaderLimits, channel: inout FrameChannel) {
        var decoder = FrameDecoder(payload)
        var statements: [SchemaRehearsal.Statement] = []
        do {
            let count = Int(try decoder.u32())
            guard count <= decoder.remaining / 9 else { throw FrameDecodingError("\(count) statements announced") }
            for _ in 0..<count {
                let flags = try decoder.u8()
                statements.append(SchemaRehearsal.Statement(
                    onlyIfAbsent: flags & ReaderProtocol.rehearseOnlyIfAbsent != 0, name: try decoder.string(), sql: try decoder.string()))
            }
            try decoder.expectEnd()
        } catch {
            return channel.sendError(code: ReaderErrorCode.protocolViolation.rawValue, "a malformed rehearsal request: \(error)")
        }
        let ran: Int
        switch SchemaRehearsal.run(statements, limits: limits) {
        case .success(let count): ran = count
        case .failure(let failure): return channel.sendError(code: failure.error.code, statement: UInt32(failure.index), failure.error.message)
        }
        var done = FrameEncoder(.done)
        done.u64(UInt64(ran))
        channel.send(done.finish())
    }

    private static func parseArguments(_ arguments: [String]) -> (String, ReaderLimits)? {
        var limits = ReaderLimits()
        var path: String?
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            if argument.hasPrefix("--") {
                guard index + 1 < arguments.count, let number = Int(arguments[index + 1]), number > 0 else { return nil }
                switch argument {
                case "--memory-limit": limits.memoryBytes = number
                case "--cpu-limit": limits.cpuSeconds = number
                case "--max-row-bytes": limits.maximumRowBytes = number
                default: return nil
                }
                index += 2
            } else {
                guard path == nil else { return nil }
                path = argument
                index += 1
            }
        }
        return path.map { ($0, limits) }
    }
}
