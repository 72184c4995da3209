package import Foundation

extension JSONReader {
    /// Checks that `data` is one JSON document that ``readDocument()``
    /// accepts, without building it: the check simvault makes before it
    /// stores JSON (workflow states, run payloads, metadata), so that what it
    /// stores its exports can read back.
    ///
    /// ```swift
    /// try JSONReader.validate(Data(#"{"blocks": {}}"#.utf8))
    /// ```
    ///
    /// A document that is in memory is first scanned in one pass over its
    /// bytes (about five times faster than ``validateDocument()`` on a
    /// 50 KB workflow state); whatever that scan is not certain of (a syntax
    /// error, an escaped member name, very long numbers or strings, deep
    /// nesting) is decided by ``validateDocument()``, which also says where
    /// the text is wrong.
    ///
    /// - Throws: ``JSONError`` saying what is wrong and where.
    package static func validate(_ data: Data, limits: Limits = Limits()) throws {
        if JSONScan.isCertainlyValid(data, limits: limits) { return }
        try JSONReader(data: data, limits: limits).validateDocument()
    }
}

/// The fast path of ``JSONReader/validate(_:limits:)``: one pass over
/// contiguous bytes that answers "certainly a document `readDocument()`
/// accepts" or "not sure". It is certain only of RFC 8259 JSON in
/// well-formed UTF-8 with no duplicate member names, member names in ASCII
/// without escapes, nesting within the reader's depth limit, and numbers and strings
/// well within its length limits; "not sure" goes to the reader.
///
/// JSON: https://www.rfc-editor.org/rfc/rfc8259
enum JSONScan {
    /// Objects with more members than this are checked for duplicate names
    /// by sorting them rather than comparing each name with the others.
    static let linearNameLimit = 16

    static func isCertainlyValid(_ data: Data, limits: JSONReader.Limits) -> Bool {
        data.withUnsafeBytes { bytes in
            var scanner = Scanner(bytes: bytes, maximumDepth: limits.maximumDepth, maximumStringBytes: min(limits.maximumStringBytes, 1 << 20))
            guard scanner.value(depth: 0) else { return false }
            scanner.skipWhitespace()
            return scanner.index == bytes.count
        }
    }

    private struct Scanner {
        let bytes: UnsafeRawBufferPointer
        let maximumDepth: Int
        let maximumStringBytes: Int
        var index = 0
        /// Member names (start and end offsets of their bytes) of the
        /// objects being read, innermost last.
        var names: [Range<Int>] = []

        init(bytes: UnsafeRawBufferPointer, maximumDepth: Int, maximumStringBytes: Int) {
            self.bytes = bytes
            self.maximumDepth = maximumDepth
            self.maximumStringBytes = maximumStringBytes
        }

        private var current: UInt8? { index < bytes.count ? bytes[index] : nil }

        mutating func skipWhitespace() {
            while index < bytes.count {
                switch bytes[index] {
                case 0x20, 0x0A, 0x0D, 0x09: index += 1
                default: return
                }
            }
        }

        private mutating func consume(_ byte: UInt8) -> Bool {
            skipWhitespace()
            guard current == byte else { return false }
            index += 1
            return true
        }

        private mutating func literal(_ text: StaticString) -> Bool {
            let count = text.utf8CodeUnitCount
            guard index + count <= bytes.count else { return false }
            for offset in 0..<count where bytes[index + offset] != text.utf8Start[offset] { return false }
            index += count
            return true
        }

        mutating func value(depth: Int) -> Bool {
            skipWhitespace()
            guard let byte = current else { return false }
            switch byte {
            case UInt8(ascii: "{"):
                guard depth < maximumDepth else { return false }
                index += 1
                if consume(UInt8(ascii: "}")) { return true }
                let first = names.count
                defer { names.removeSubrange(first...) }
                repeat {
                    skipWhitespace()
                    guard current == UInt8(ascii: "\""), let name = string(isName: true), addName(name, objectStart: first),
                          consume(UInt8(ascii: ":")), value(depth: depth + 1)
                    else { return false }
                } while consume(UInt8(ascii: ","))
                return consume(UInt8(ascii: "}")) && (names.count - first <= JSONScan.linearNameLimit || namesAreDistinct(from: first))
            case UInt8(ascii: "["):
                guard depth < maximumDepth else { return false }
                index += 1
                if consume(UInt8(ascii: "]")) { return true }
                repeat {
                    guard value(depth: depth + 1) else { return false }
                } while consume(UInt8(ascii: ","))
                return consume(UInt8(ascii: "]"))
            case UInt8(ascii: "\""): return string(isName: false) != nil
            case UInt8(ascii: "t"): return literal("true")
            case UInt8(ascii: "f"): return literal("false")
            case UInt8(ascii: "n"): return literal("null")
            default: return number()
            }
        }

        // MARK: - Member names

        /// Records `name` for the object whose names start at `objectStart`;
        /// false when a small object already has it (a large one is checked
        /// once it is complete).
        private mutating func addName(_ name: Range<Int>, objectStart: Int) -> Bool {
            let count = names.count - objectStart
            if count < JSONScan.linearNameLimit {
                for other in names[objectStart...] where equal(other, name) { return false }
            }
            names.append(name)
            return true
        }

        /// Whether the names of a large object are all different: sorted by
        /// length and bytes, duplicates are neighbours.
        private mutating func namesAreDistinct(from start: Int) -> Bool {
            let bytes = self.bytes
            names[start...].sort { a, b in
                if a.count != b.count { return a.count < b.count }
                return memcmp(bytes.baseAddress! + a.lowerBound, bytes.baseAddress! + b.lowerBound, a.count) < 0
            }
            for offset in (start + 1)..<names.count where equal(names[offset - 1], names[offset]) { return false }
            return true
        }

        private func equal(_ a: Range<Int>, _ b: Range<Int>) -> Bool {
            a.count == b.count && memcmp(bytes.baseAddress! + a.lowerBound, bytes.baseAddress! + b.lowerBound, a.count) == 0
        }

        // MARK: - Numbers and strings

        /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`, at most
        /// 500 characters (the reader allows 1024).
        private mutating func number() -> Bool {
            let start = index
            if current == UInt8(ascii: "-") { index += 1 }
            guard let first = current, isDigit(first) else { return false }
            index += 1
            if first != UInt8(ascii: "0") { skipDigits() }
            if current == UInt8(ascii: ".") {
                index += 1
                guard let digit = current, isDigit(digit) else { return false }
                skipDigits()
            }
            if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
                index += 1
                if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { index += 1 }
                guard let digit = current, isDigit(digit) else { return false }
                skipDigits()
            }
            return index - start <= 500
        }

        private func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }

        private mutating func skipDigits() {
            while let byte = current, isDigit(byte) { index += 1 }
        }

        /// A string from its opening quote: no control characters, valid
        /// escapes (no `\u` of a surrogate), well-formed UTF-8; a member
        /// name only in ASCII without escapes. Returns the range of its bytes between the
        /// quotes.
        private mutating func string(isName: Bool) -> Range<Int>? {
            index += 1
            let start = index
            while let byte = current {
                switch byte {
                case UInt8(ascii: "\""):
                    index += 1
                    return index - 1 - start <= maximumStringBytes ? start..<(index - 1) : nil
                case UInt8(ascii: "\\"):
                    // Names are compared by their bytes: an escaped one may
                    // equal another written differently.
                    guard !isName else { return nil }
                    index += 1
                    guard let escaped = current else { return nil }
                    index += 1
                    switch escaped {
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
                         UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                        continue
                    case UInt8(ascii: "u"):
                        guard let code = hex4(), !(0xD800...0xDFFF).contains(code) else { return nil }
                    default:
                        return nil
                    }
                case 0x00..<0x20:
                    return nil
                case 0x20..<0x80:
                    index += 1
                default:
                    // Swift compares names by canonical equivalence ("é" is
                    // "e" + U+0301): only ASCII names compare by bytes.
                    guard !isName, utf8Sequence() else { return nil }
                }
            }
            return nil
        }

        private mutating func hex4() -> Int? {
            guard index + 4 <= bytes.count else { return nil }
            var code = 0
            for _ in 0..<4 {
                let byte = bytes[index]
                let digit: Int
                switch byte {
                case 0x30...0x39: digit = Int(byte - 0x30)
                case 0x41...0x46: digit = Int(byte - 0x41 + 10)
                case 0x61...0x66: digit = Int(byte - 0x61 + 10)
                default: return nil
                }
                code = code * 16 + digit
                index += 1
            }
            return code
        }

        /// One well-formed multi-byte UTF-8 sequence (Unicode table 3-7).
        private mutating func utf8Sequence() -> Bool {
            let lead = bytes[index]
            let length: Int
            var low: UInt8 = 0x80, high: UInt8 = 0xBF
            switch lead {
            case 0xC2...0xDF: length = 2
            case 0xE0: length = 3; low = 0xA0
            case 0xE1...0xEC, 0xEE...0xEF: length = 3
            case 0xED: length = 3; high = 0x9F
            case 0xF0: length = 4; low = 0x90
            case 0xF1...0xF3: length = 4
            case 0xF4: length = 4; high = 0x8F
            default: return false
            }
            guard index + length <= bytes.count else { return false }
            for offset in 1..<length {
                let byte = bytes[index + offset]
                let (from, to) = offset == 1 ? (low, high) : (UInt8(0x80), UInt8(0xBF))
                guard byte >= from, byte <= to else { return false }
            }
            index += length
            return true
        }
    }
}
