package import Foundation

/// Why a JSON text was refused: what was wrong and where (line, column and
/// byte offset), so that a person can find it.
package struct JSONError: Error, Sendable, Equatable, CustomStringConvertible {
    package let message: String
    package let line: Int
    package let column: Int
    package let offset: Int64

    package var description: String { "\(message) (line \(line), column \(column))" }
}

/// A streaming JSON parser (RFC 8259) with bounded memory.
///
/// It reads its input in chunks and can hand out a document piece by piece:
/// ``beginObject()`` / ``nextMember()`` walk an object's members,
/// ``beginArray()`` / ``nextElement()`` an array's elements, and
/// ``readValue()`` builds one value in memory. So an import of a large file
/// holds one conversation at a time, never the whole file.
///
/// ```swift
/// let reader = try JSONReader(path: "export.json")
/// try reader.beginObject()
/// while let key = try reader.nextMember() {
///     if key == "conversations" {
///         try reader.beginArray()
///         while try reader.nextElement() { let item = try reader.readValue() /* ... */ }
///     } else {
///         try reader.skipValue()
///     }
/// }
/// try reader.expectEnd()
/// ```
///
/// Refused: invalid syntax, a truncated text, duplicate keys in an object,
/// control characters in strings, lone UTF-16 surrogates, invalid UTF-8,
/// nesting deeper than ``Limits/maximumDepth``, and strings or single values
/// larger than the limits.
package final class JSONReader {
    /// Bounds on what one reader accepts.
    package struct Limits: Sendable {
        /// Deepest nesting of arrays and objects.
        package var maximumDepth = 512
        /// Longest string, in bytes of UTF-8.
        package var maximumStringBytes = 256 << 20
        /// Largest value ``readValue()`` builds in memory, in bytes of input.
        package var maximumValueBytes: Int64 = 512 << 20
        /// Most memory one value ``readValue()`` builds may take, as
        /// estimated while it is built (``estimatedNodeBytes`` per value and
        /// member, plus the bytes of its strings, keys and numbers): a file
        /// of many tiny values (`[1,1,1,…]` takes ~50 bytes of memory per 2
        /// bytes of input) cannot exhaust memory within the input limit.
        package var maximumValueMemory: Int64 = 1 << 30
        package init() {}
    }

    /// What one built value or member costs besides its text, in bytes
    /// (an enum box, an array slot or a member's key and value).
    package static let estimatedNodeBytes: Int64 = 48

    private let refill: () throws -> Data?
    private let limits: Limits
    private var buffer: [UInt8] = []
    private var index = 0
    private var isAtEnd = false
    /// Bytes consumed before `buffer` started.
    private var consumedBefore: Int64 = 0
    private var line = 1
    private var lineStart: Int64 = 0
    /// Open containers: true for an object; and whether a member or element
    /// was already read (so a comma is expected before the next).
    private var containers: [(isObject: Bool, hasItems: Bool)] = []
    private var valueStart: Int64?
    /// The estimated memory of the value being built.
    private var valueMemory: Int64 = 0

    /// The estimated memory of the last value ``readValue()`` built (see
    /// ``Limits/maximumValueMemory``), for callers that bound a record made
    /// of several values.
    package private(set) var lastValueMemory: Int64 = 0

    /// A reader over bytes in memory.
    package convenience init(data: Data, limits: Limits = Limits()) {
        var handed = false
        self.init(limits: limits) {
            if handed { return nil }
            handed = true
            return data
        }
    }

    /// A reader over a file, read in 256 KiB chunks.
    ///
    /// - Throws: ``VaultError/io(detail:)`` when the file cannot be opened.
    package convenience init(path: String, limits: Limits = Limits()) throws {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw VaultError.io(detail: "cannot read \(path): \(String(cString: strerror(errno)))")
        }
        self.init(limits: limits) {
            let chunk = try handle.read(upToCount: 256 << 10)
            if chunk == nil || chunk?.isEmpty == true { try? handle.close(); return nil }
            return chunk
        }
    }

    /// A reader over chunks produced by `refill` (nil at the end).
    package init(limits: Limits = Limits(), refill: @escaping () throws -> Data?) {
        self.refill = refill
        self.limits = limits
    }

    /// Bytes read so far.
    package var offset: Int64 { consumedBefore + Int64(index) }

    // MARK: - Documents and values

    /// Reads a whole document: one value and nothing after it.
    package func readDocument() throws -> JSONValue {
        let value = try readValue()
        try expectEnd()
        return value
    }

    /// Checks that only whitespace is left.
    package func expectEnd() throws {
        try skipWhitespace()
        if let byte = try peek() { throw error("unexpected \(describe(byte)) after the end of the JSON value") }
    }

    /// Reads the next value completely into memory.
    package func readValue() throws -> JSONValue {
        try beforeValue()
        let outermost = valueStart == nil
        if outermost {
            valueStart = offset
            valueMemory = 0
        }
        defer {
            if outermost {
                valueStart = nil
                lastValueMemory = valueMemory
            }
        }
        return try parseValue(depth: containers.count, pass: .build)
    }

    /// Whether the next value starts with `{` (an object), without reading it.
    package func nextValueIsObject() throws -> Bool {
        try skipWhitespace()
        return try peek() == UInt8(ascii: "{")
    }

    /// Whether the next value starts with `[` (an array), without reading it.
    package func nextValueIsArray() throws -> Bool {
        try skipWhitespace()
        return try peek() == UInt8(ascii: "[")
    }

    /// Checks that the input is one document that ``readDocument()`` would
    /// accept (duplicate keys included), without building it: what simvault
    /// stores as JSON is what its exports can read back. About ten times
    /// faster than `readDocument()` on a workflow state.
    package func validateDocument() throws {
        try beforeValue()
        _ = try parseValue(depth: containers.count, pass: .validate)
        try expectEnd()
    }

    /// Skips the next value without building it (checking its syntax all
    /// the same): memory stays bounded by the longest string, however large
    /// the value.
    package func skipValue() throws {
        try beforeValue()
        _ = try parseValue(depth: containers.count, pass: .skip)
    }

    // MARK: - Walking containers

    /// Consumes the `{` of an object whose members are then read with
    /// ``nextMember()``.
    package func beginObject() throws {
        try beforeValue()
        try expect(UInt8(ascii: "{"), "an object")
        try push(isObject: true)
    }

    /// The key of the next member of the current object (the reader is then
    /// at its value), or nil when the object ended (its `}` consumed).
    package func nextMember() throws -> String? {
        guard let top = containers.last, top.isObject else { throw error("nextMember() outside an object") }
        try skipWhitespace()
        if try peek() == UInt8(ascii: "}") {
            index += 1
            containers.removeLast()
            return nil
        }
        if top.hasItems { try expect(UInt8(ascii: ","), "',' or '}'") }
        containers[containers.count - 1].hasItems = true
        try expectMemberName()
        let key = try parseString()
        try skipWhitespace()
        try expect(UInt8(ascii: ":"), "':' after a member name")
        return key
    }

    /// Consumes the `[` of an array whose elements are then read with
    /// ``nextElement()``.
    package func beginArray() throws {
        try beforeValue()
        try expect(UInt8(ascii: "["), "an array")
        try push(isObject: false)
    }

    /// Whether another element follows in the current array (the reader is
    /// then at it); false when the array ended (its `]` consumed).
    package func nextElement() throws -> Bool {
        guard let top = containers.last, !top.isObject else { throw error("nextElement() outside an array") }
        try skipWhitespace()
        if try peek() == UInt8(ascii: "]") {
            index += 1
            containers.removeLast()
            return false
        }
        if top.hasItems { try expect(UInt8(ascii: ","), "',' or ']'") }
        containers[containers.count - 1].hasItems = true
        return true
    }

    // MARK: - Parsing

    /// How much of a value a parse keeps.
    private enum Pass {
        /// Builds the value.
        case build
        /// Builds nothing (returns .null) but refuses what `build` refuses,
        /// duplicate keys included.
        case validate
        /// Checks the syntax only.
        case skip
    }

    /// Parses one value; unless `pass` is `.build`, only checks it (nothing
    /// is accumulated, and .null is returned).
    private func parseValue(depth: Int, pass: Pass) throws -> JSONValue {
        let keep = pass == .build
        try skipWhitespace()
        if keep, let start = valueStart, offset - start > limits.maximumValueBytes {
            throw error("a single value is larger than \(ByteCount.format(limits.maximumValueBytes))")
        }
        if keep { try charge(Self.estimatedNodeBytes) }
        guard let byte = try peek() else { throw truncated() }
        switch byte {
        case UInt8(ascii: "{"):
            index += 1
            guard depth < limits.maximumDepth else { throw error("nesting deeper than \(limits.maximumDepth) levels") }
            var object = JSONObject()
            var seen = MemberNames()
            try skipWhitespace()
            if try peek() == UInt8(ascii: "}") { index += 1; return .object(object) }
            while true {
                try expectMemberName()
                let key = try parseString()
                if pass != .skip {
                    guard seen.insert(key) else { throw error("duplicate member \"\(key)\" in an object") }
                }
                if keep { try charge(Self.estimatedNodeBytes + Int64(key.utf8.count)) }
                try skipWhitespace()
                try expect(UInt8(ascii: ":"), "':' after a member name")
                let value = try parseValue(depth: depth + 1, pass: pass)
                if keep { object.appendNew(key, value) }
                try skipWhitespace()
                guard let next = try peek() else { throw truncated() }
                index += 1
                if next == UInt8(ascii: "}") { return .object(object) }
                guard next == UInt8(ascii: ",") else { index -= 1; throw error("expected ',' or '}' in an object, found \(try describeNext())") }
            }
        case UInt8(ascii: "["):
            index += 1
            guard depth < limits.maximumDepth else { throw error("nesting deeper than \(limits.maximumDepth) levels") }
            var items: [JSONValue] = []
            try skipWhitespace()
            if try peek() == UInt8(ascii: "]") { index += 1; return .array(items) }
            while true {
                let item = try parseValue(depth: depth + 1, pass: pass)
                if keep { items.append(item) }
                try skipWhitespace()
                guard let next = try peek() else { throw truncated() }
                index += 1
                if next == UInt8(ascii: "]") { return .array(items) }
                guard next == UInt8(ascii: ",") else { index -= 1; throw error("expected ',' or ']' in an array, found \(try describeNext())") }
            }
        case UInt8(ascii: "\""):
            guard keep else {
                try skipString()
                return .null
            }
            let text = try parseString()
            try charge(Int64(text.utf8.count))
            return .string(text)
        case UInt8(ascii: "t"):
            try expectWord("true"); return .bool(true)
        case UInt8(ascii: "f"):
            try expectWord("false"); return .bool(false)
        case UInt8(ascii: "n"):
            try expectWord("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            let number = try parseNumber()
            if keep { try charge(Int64(number.utf8.count)) }
            return .number(number)
        default:
            throw error("expected a value, found \(describe(byte))")
        }
    }

    /// Adds `bytes` to the estimated memory of the value being built.
    private func charge(_ bytes: Int64) throws {
        valueMemory += bytes
        if valueMemory > limits.maximumValueMemory {
            throw error("a single value would take more than \(ByteCount.format(limits.maximumValueMemory)) of memory")
        }
    }

    private func parseString() throws -> String {
        index += 1  // opening quote
        // Most strings end within the buffer with no escape: made in one step.
        let run = plainRunEnd()
        if run < buffer.count, buffer[run] == UInt8(ascii: "\""), run - index <= limits.maximumStringBytes {
            let text = String(validating: buffer[index..<run], as: UTF8.self)
            index = run + 1
            guard let text else { throw error("a string is not valid UTF-8") }
            return text
        }
        var bytes: [UInt8] = []
        while true {
            let end = plainRunEnd()
            if end > index {
                bytes.append(contentsOf: buffer[index..<end])
                index = end
                if bytes.count > limits.maximumStringBytes {
                    throw error("a string is longer than \(ByteCount.format(Int64(limits.maximumStringBytes)))")
                }
            }
            guard let byte = try next() else { throw truncated() }
            switch byte {
            case UInt8(ascii: "\""):
                guard let text = String(validating: bytes, as: UTF8.self) else { throw error("a string is not valid UTF-8") }
                return text
            case UInt8(ascii: "\\"):
                guard let escape = try next() else { throw truncated() }
                switch escape {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): bytes.append(escape)
                case UInt8(ascii: "b"): bytes.append(0x08)
                case UInt8(ascii: "f"): bytes.append(0x0C)
                case UInt8(ascii: "n"): bytes.append(0x0A)
                case UInt8(ascii: "r"): bytes.append(0x0D)
                case UInt8(ascii: "t"): bytes.append(0x09)
                case UInt8(ascii: "u"):
                    var scalar = try parseHex4()
                    if (0xD800...0xDBFF).contains(scalar) {
                        guard try next() == UInt8(ascii: "\\"), try next() == UInt8(ascii: "u") else {
                            throw error("a lone UTF-16 surrogate \\u\(String(scalar, radix: 16)) in a string")
                        }
                        let low = try parseHex4()
                        guard (0xDC00...0xDFFF).contains(low) else { throw error("a lone UTF-16 surrogate in a string") }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    } else if (0xDC00...0xDFFF).contains(scalar) {
                        throw error("a lone UTF-16 surrogate \\u\(String(scalar, radix: 16)) in a string")
                    }
                    bytes.append(contentsOf: Array(String(Character(Unicode.Scalar(scalar)!)).utf8))
                default:
                    throw error("invalid escape \\\(describe(escape)) in a string")
                }
            default:
                guard byte >= 0x20 else { throw error("an unescaped control character (0x\(String(byte, radix: 16))) in a string") }
                bytes.append(byte)
            }
            if bytes.count > limits.maximumStringBytes {
                throw error("a string is longer than \(ByteCount.format(Int64(limits.maximumStringBytes)))")
            }
        }
    }

    /// Checks a string from its opening quote as ``parseString()`` does,
    /// keeping only what is needed to validate its UTF-8.
    private func skipString() throws {
        index += 1  // opening quote
        let run = plainRunEnd()
        guard run < buffer.count, buffer[run] == UInt8(ascii: "\""), run - index <= limits.maximumStringBytes else {
            index -= 1
            _ = try parseString()
            return
        }
        // Only bytes of 0x80 and above can make UTF-8 invalid.
        let isValid = buffer.withUnsafeBufferPointer { bytes in
            let text = UnsafeBufferPointer(rebasing: bytes[index..<run])
            return !text.contains { $0 >= 0x80 } || String(validating: text, as: UTF8.self) != nil
        }
        index = run + 1
        guard isValid else { throw error("a string is not valid UTF-8") }
    }

    /// The end of the run of plain string bytes (no quote, backslash or
    /// control character) that starts at `index`, within the buffer: one
    /// tight loop instead of a `next()` per byte.
    private func plainRunEnd() -> Int {
        buffer.withUnsafeBufferPointer { bytes in
            var end = index
            while end < bytes.count {
                let byte = bytes[end]
                if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") || byte < 0x20 { break }
                end += 1
            }
            return end
        }
    }

    private func parseHex4() throws -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard let byte = try next() else { throw truncated() }
            guard let digit = Self.hexValue(byte) else { throw error("invalid \\u escape in a string") }
            value = value << 4 | UInt32(digit)
        }
        return value
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`, kept as written.
    private func parseNumber() throws -> String {
        var text: [UInt8] = []
        func digits(required: Bool) throws {
            var count = 0
            while let byte = try peek(), (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) {
                text.append(byte); index += 1; count += 1
                if text.count > 1024 { throw error("a number longer than 1024 characters") }
            }
            if required, count == 0 { throw error("a malformed number") }
        }
        if try peek() == UInt8(ascii: "-") { text.append(UInt8(ascii: "-")); index += 1 }
        if try peek() == UInt8(ascii: "0") {
            text.append(UInt8(ascii: "0")); index += 1
            if let byte = try peek(), (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) { throw error("a number with a leading zero") }
        } else {
            try digits(required: true)
        }
        if try peek() == UInt8(ascii: ".") {
            text.append(UInt8(ascii: ".")); index += 1
            try digits(required: true)
        }
        if let byte = try peek(), byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E") {
            text.append(byte); index += 1
            if let sign = try peek(), sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") { text.append(sign); index += 1 }
            try digits(required: true)
        }
        return String(decoding: text, as: UTF8.self)
    }

    // MARK: - Bytes

    private func beforeValue() throws {
        try skipWhitespace()
    }

    private func push(isObject: Bool) throws {
        guard containers.count < limits.maximumDepth else { throw error("nesting deeper than \(limits.maximumDepth) levels") }
        containers.append((isObject, false))
    }

    private func expect(_ byte: UInt8, _ what: String) throws {
        try skipWhitespace()
        guard let found = try peek() else { throw truncated() }
        guard found == byte else { throw error("expected \(what), found \(describe(found))") }
        index += 1
    }

    private func expectMemberName() throws {
        try skipWhitespace()
        guard let byte = try peek() else { throw truncated() }
        guard byte == UInt8(ascii: "\"") else { throw error("expected a member name in quotes, found \(describe(byte))") }
    }

    private func expectWord(_ word: String) throws {
        for expected in word.utf8 {
            guard let byte = try next() else { throw truncated() }
            guard byte == expected else { throw error("expected \(word)") }
        }
    }

    private func skipWhitespace() throws {
        // The common case, no whitespace or a run within the buffer, without
        // a `peek()` per byte.
        let (end, newlines, lastNewline) = buffer.withUnsafeBufferPointer { bytes in
            var end = index, newlines = 0, lastNewline = -1
            scan: while end < bytes.count {
                switch bytes[end] {
                case 0x20, 0x09, 0x0D: break
                case 0x0A: newlines += 1; lastNewline = end
                default: break scan
                }
                end += 1
            }
            return (end, newlines, lastNewline)
        }
        if newlines > 0 {
            line += newlines
            lineStart = consumedBefore + Int64(lastNewline + 1)
        }
        index = end
        if index < buffer.count { return }
        while let byte = try peek() {
            switch byte {
            case 0x20, 0x09, 0x0D: index += 1
            case 0x0A:
                index += 1
                line += 1
                lineStart = offset
            default: return
            }
        }
    }

    private func peek() throws -> UInt8? {
        if index < buffer.count { return buffer[index] }
        guard try fill() else { return nil }
        return buffer[index]
    }

    private func next() throws -> UInt8? {
        guard let byte = try peek() else { return nil }
        index += 1
        return byte
    }

    /// Loads the next chunk; false at the end of the input.
    private func fill() throws -> Bool {
        while index >= buffer.count {
            if isAtEnd { return false }
            guard let chunk = try refill() else {
                isAtEnd = true
                return false
            }
            consumedBefore += Int64(buffer.count)
            buffer = [UInt8](chunk)
            index = 0
        }
        return true
    }

    // MARK: - Errors

    private func describe(_ byte: UInt8) -> String {
        (0x21...0x7E).contains(byte) ? "'\(Character(Unicode.Scalar(byte)))'" : "byte 0x\(String(byte, radix: 16))"
    }

    private func describeNext() throws -> String {
        guard let byte = try peek() else { return "the end of the file" }
        return describe(byte)
    }

    private func error(_ message: String) -> JSONError {
        JSONError(message: message, line: line, column: Int(offset - lineStart) + 1, offset: offset)
    }

    private func truncated() -> JSONError {
        error("unexpected end of the file: the JSON text is truncated")
    }
}

/// The member names of one object read so far, to refuse duplicates: a
/// linear scan while there are few (most objects), a hash set beyond.
private struct MemberNames {
    private var few: [String] = []
    private var many: Set<String> = []

    /// Adds `name`; false when it was already there.
    mutating func insert(_ name: String) -> Bool {
        if many.isEmpty {
            if few.contains(name) { return false }
            few.append(name)
            if few.count > 16 {
                many = Set(few)
                few = []
            }
            return true
        }
        return many.insert(name).inserted
    }
}
