import Foundation
import SimVault

/// Output helpers. The CLI is the only layer that writes to the terminal.
enum Terminal {
    /// Whether stdin is a terminal (prompts are allowed only then).
    static var stdinIsTTY: Bool { isatty(STDIN_FILENO) == 1 }
    /// Whether stderr is a terminal (progress and colour only then).
    static var stderrIsTTY: Bool { isatty(STDERR_FILENO) == 1 }
    static var stdoutIsTTY: Bool { isatty(STDOUT_FILENO) == 1 }

    static func printError(_ error: any Error) {
        let text: String
        if let localized = error as? any LocalizedError, let description = localized.errorDescription {
            text = description
        } else {
            text = String(describing: error)
        }
        writeError("Error: \(TerminalText.visible(text, keepingLineBreaks: true))\n")
    }

    static func warn(_ text: String) { writeError("Warning: \(TerminalText.visible(text, keepingLineBreaks: true))\n") }

    static func writeError(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }

    /// Pretty, stable JSON (sorted keys) on stdout. Keys are snake_case:
    /// library records (`conversationID`) print as `conversation_id`, like
    /// the reports that spell their keys out.
    static func printJSON<T: Encodable>(_ value: T) throws {
        FileHandle.standardOutput.write(try jsonData(value))
    }

    /// What ``printJSON(_:)`` prints, with its final newline.
    static func jsonData<T: Encodable>(_ value: T) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        var data = try encoder.encode(value)
        data.append(0x0A)
        return data
    }

    /// A unix-millisecond timestamp as ISO 8601 (UTC).
    static func isoDate(milliseconds: Int64) -> String {
        let formatter = ISO8601DateFormatter()
        return formatter.string(from: Date(timeIntervalSince1970: Double(milliseconds) / 1000))
    }
}
