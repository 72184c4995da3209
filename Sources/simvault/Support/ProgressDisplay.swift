import Foundation
import SimVault

/// Draws ``TransferProgress`` on stderr when stderr is a terminal: one line,
/// redrawn in place at most ten times a second, cleared at the end. Nothing
/// at all when stderr is not a terminal (scripts, logs).
final class ProgressDisplay {
    private var lastDraw = Date.distantPast
    private var drewSomething = false
    private let label: String

    private init(label: String) { self.label = label }

    /// A handler for `label` (e.g. "backup"), or nil when stderr is not a
    /// terminal. Call ``finish()`` on the display when the work is done.
    static func start(_ label: String) -> ProgressDisplay? {
        Terminal.stderrIsTTY ? ProgressDisplay(label: label) : nil
    }

    var handler: ProgressHandler { { [self] update in draw(update) } }

    private func draw(_ update: TransferProgress) {
        let now = Date()
        guard now.timeIntervalSince(lastDraw) >= 0.1 || (update.total > 0 && update.completed >= update.total) else { return }
        lastDraw = now
        var line = "\(label): \(TerminalText.visible(update.phase))"
        let amount = { (value: Int64) in update.unit == .bytes ? ByteCount.format(value) : "\(value)" }
        if update.total > 0 {
            let percent = min(100, update.completed * 100 / max(update.total, 1))
            line += " \(percent)% (\(amount(update.completed)) of \(amount(update.total)))"
        } else if update.completed > 0 {
            line += " \(amount(update.completed))"
        }
        Terminal.writeError("\r\u{1B}[K" + line)
        drewSomething = true
    }

    /// Clears the progress line.
    func finish() {
        if drewSomething { Terminal.writeError("\r\u{1B}[K") }
    }
}

/// Where a command writes what the user asked to export: a new file (0600,
/// created atomically, never replacing one) or stdout.
enum ExportOutput {
    /// Writes `data` to a new file at `path`, or to stdout (made safe for a
    /// terminal when stdout is one: see ``TerminalText``).
    static func write(_ data: Data, to path: String?) throws {
        guard let path else {
            FileHandle.standardOutput.write(Terminal.stdoutIsTTY ? data.withUnsafeBytes(TerminalText.visible) : data)
            return
        }
        try NewPrivateFile.create(at: path) { fd in try NewPrivateFile.write(data, to: fd) }
    }

    /// Streams into `path` (or stdout) through `body`'s writer.
    static func stream(to path: String?, _ body: ((UnsafeRawBufferPointer) throws -> Void) throws -> Void) throws {
        guard let path else {
            let isTerminal = Terminal.stdoutIsTTY
            try body { bytes in FileHandle.standardOutput.write(isTerminal ? TerminalText.visible(bytes) : Data(bytes)) }
            return
        }
        try NewPrivateFile.create(at: path) { fd in
            try body { bytes in
                var offset = 0
                while offset < bytes.count {
                    let written = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
                    if written < 0 {
                        if errno == EINTR { continue }
                        throw CLIError("cannot write \(path): \(String(cString: strerror(errno)))")
                    }
                    offset += written
                }
            }
        }
    }
}
