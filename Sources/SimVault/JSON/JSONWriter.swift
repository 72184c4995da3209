/// Writes ``JSONValue``s as text the way JavaScript's `JSON.stringify` does,
/// so what a JavaScript app (Sim) wrote comes back byte for byte:
/// `.compact` is `JSON.stringify(value)`, `.pretty` is
/// `JSON.stringify(value, null, 2)`. Member order and numbers are kept as
/// they are in the value; strings are escaped as `JSON.stringify` escapes
/// them (`"`, `\`, `\b \f \n \r \t`, other control characters as `\u00xx`;
/// everything else, `/` and non-ASCII included, as is).
///
/// ```swift
/// let text = JSONWriter.serialize(.object(JSONObject(["a": .number(1)])), style: .pretty)
/// // {
/// //   "a": 1
/// // }
/// ```
package enum JSONWriter {
    package enum Style: Sendable {
        /// No whitespace at all.
        case compact
        /// Two-space indentation, `"key": value`, one member per line.
        case pretty
    }

    /// The text of `value`. With `.pretty`, `indentLevel` shifts every line
    /// after the first right by that many levels (to embed the value inside
    /// a larger document being streamed).
    package static func serialize(_ value: JSONValue, style: Style, indentLevel: Int = 0) -> String {
        var output = ""
        write(value, style: style, level: indentLevel, into: &output)
        return output
    }

    /// `text` as a JSON string literal, quotes included.
    package static func quoted(_ text: String) -> String {
        var output = ""
        writeString(text, into: &output)
        return output
    }

    private static func write(_ value: JSONValue, style: Style, level: Int, into output: inout String) {
        switch value {
        case .null: output += "null"
        case .bool(let flag): output += flag ? "true" : "false"
        case .number(let text): output += text
        case .string(let text): writeString(text, into: &output)
        case .array(let items):
            guard !items.isEmpty else { output += "[]"; return }
            output += "["
            for (position, item) in items.enumerated() {
                if position > 0 { output += "," }
                newline(style, level + 1, &output)
                write(item, style: style, level: level + 1, into: &output)
            }
            newline(style, level, &output)
            output += "]"
        case .object(let object):
            guard !object.isEmpty else { output += "{}"; return }
            output += "{"
            for (position, member) in object.members.enumerated() {
                if position > 0 { output += "," }
                newline(style, level + 1, &output)
                writeString(member.key, into: &output)
                output += style == .pretty ? ": " : ":"
                write(member.value, style: style, level: level + 1, into: &output)
            }
            newline(style, level, &output)
            output += "}"
        }
    }

    private static func newline(_ style: Style, _ level: Int, _ output: inout String) {
        guard style == .pretty else { return }
        output += "\n"
        output += String(repeating: "  ", count: level)
    }

    private static func writeString(_ text: String, into output: inout String) {
        output += "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": output += "\\\""
            case "\\": output += "\\\\"
            case "\u{08}": output += "\\b"
            case "\u{0C}": output += "\\f"
            case "\n": output += "\\n"
            case "\r": output += "\\r"
            case "\t": output += "\\t"
            case "\u{00}"..."\u{1F}":
                let hex = String(scalar.value, radix: 16)
                output += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: output.unicodeScalars.append(scalar)
            }
        }
        output += "\""
    }
}
