import Foundation

/// Text from elsewhere (titles, names, snippets, values and error messages
/// that came from imported files) made safe to print for a person: every
/// C0 control character, DEL and C1 control character is replaced by a
/// visible form, so a crafted title cannot write the clipboard (OSC 52),
/// retitle the window (OSC 0), clear the screen or move the cursor. `^[`
/// stands for ESC (caret notation, as `cat -v`), `^?` for DEL, `<U+009B>`
/// for a C1 character. `--json` output is not touched: it is exact, and
/// JSON escapes C0 itself.
enum TerminalText {
    /// `text` with control characters made visible. Line breaks and tabs
    /// stay when `keepingLineBreaks` (multi-line text: messages, SQL values,
    /// error text); otherwise they are made visible too (one-line fields:
    /// a title must not forge lines of output).
    static func visible(_ text: String, keepingLineBreaks: Bool = false) -> String {
        guard text.unicodeScalars.contains(where: { isControl($0, keepingLineBreaks) }) else { return text }
        var result = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            guard isControl(scalar, keepingLineBreaks) else {
                result.append(scalar)
                continue
            }
            let shown: String
            switch scalar.value {
            case 0x7F: shown = "^?"
            case 0..<0x20: shown = "^" + String(UnicodeScalar(UInt8(scalar.value + 0x40)))
            default: shown = "<U+" + String(format: "%04X", scalar.value) + ">"
            }
            result.append(contentsOf: shown.unicodeScalars)
        }
        return String(result)
    }

    /// Bytes bound for a terminal (an export written to stdout), as
    /// multi-line text.
    static func visible(_ bytes: UnsafeRawBufferPointer) -> Data {
        let text = String(decoding: bytes, as: UTF8.self)
        return Data(visible(text, keepingLineBreaks: true).utf8)
    }

    private static func isControl(_ scalar: Unicode.Scalar, _ keepingLineBreaks: Bool) -> Bool {
        switch scalar.value {
        case 0x0A, 0x09: return !keepingLineBreaks
        case 0..<0x20, 0x7F, 0x80...0x9F: return true
        default: return false
        }
    }
}

extension Terminal {
    /// Prints `text` (multi-line) for a person: control characters made
    /// visible (see ``TerminalText``).
    static func say(_ text: String) {
        print(TerminalText.visible(text, keepingLineBreaks: true))
    }
}
