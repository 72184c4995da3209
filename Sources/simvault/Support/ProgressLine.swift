import Foundation

/// A one-line progress display on stderr, redrawn in place; only when
/// stderr is a terminal (scripts and logs get no carriage returns).
///
/// @unchecked Sendable: `isShowing` is only touched under `lock`; updates
/// may come from a monitoring thread.
final class ProgressLine: @unchecked Sendable {
    private let lock = NSLock()
    private var isShowing = false
    private let isEnabled: Bool

    init(enabled: Bool = Terminal.stderrIsTTY) { isEnabled = enabled }

    /// Replaces the line with `text`.
    func show(_ text: String) {
        guard isEnabled else { return }
        lock.withLock {
            // \r, the text, then clear to the end of the line.
            Terminal.writeError("\r\(text)\u{1B}[K")
            isShowing = true
        }
    }

    /// Ends the line so later output starts on a fresh one.
    func finish() {
        lock.withLock {
            if isShowing { Terminal.writeError("\n") }
            isShowing = false
        }
    }

    /// A text bar: `[#####.....]  52%`.
    static func bar(done: Int, of total: Int, width: Int = 30) -> String {
        let fraction = total > 0 ? min(1, Double(done) / Double(total)) : 1
        let filled = Int((fraction * Double(width)).rounded(.down))
        return "[" + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled) + "] "
            + String(format: "%3.0f%%", fraction * 100)
    }
}
