/// Why a frame's payload could not be decoded: the other side does not
/// follow the protocol (garbage, a truncated field, a length that runs past
/// the frame).
public struct FrameDecodingError: Error, Sendable, Equatable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Reads the fields of one frame's payload, checking every length against
/// what is left: nothing a peer sends can make it read past the payload.
public struct FrameDecoder {
    private let payload: [UInt8]
    private var position = 0

    public init(_ payload: [UInt8]) { self.payload = payload }

    /// Bytes not read yet.
    public var remaining: Int { payload.count - position }

    private mutating func take(_ count: Int, _ what: String) throws -> ArraySlice<UInt8> {
        guard count >= 0, count <= remaining else {
            throw FrameDecodingError("\(what) needs \(count) bytes, \(remaining) left in the frame")
        }
        defer { position += count }
        return payload[position..<(position + count)]
    }

    public mutating func u8() throws -> UInt8 { try take(1, "a byte").first! }

    public mutating func u16() throws -> UInt16 {
        let field = try take(2, "a u16")
        return field.reduce(0) { $0 << 8 | UInt16($1) }
    }

    public mutating func u32() throws -> UInt32 {
        let field = try take(4, "a u32")
        return field.reduce(0) { $0 << 8 | UInt32($1) }
    }

    public mutating func u64() throws -> UInt64 {
        let field = try take(8, "a u64")
        return field.reduce(0) { $0 << 8 | UInt64($1) }
    }

    public mutating func i32() throws -> Int32 { Int32(bitPattern: try u32()) }

    /// Length-prefixed bytes.
    public mutating func bytes() throws -> [UInt8] {
        let count = try u32()
        return Array(try take(Int(count), "a byte string"))
    }

    /// A length-prefixed string; invalid UTF-8 is replaced (U+FFFD).
    public mutating func string() throws -> String {
        String(decoding: try bytes(), as: UTF8.self)
    }

    public mutating func value() throws -> ReaderValue {
        switch try u8() {
        case ReaderValue.nullTag: return .null
        case ReaderValue.integerTag: return .integer(Int64(bitPattern: try u64()))
        case ReaderValue.realTag: return .real(Double(bitPattern: try u64()))
        case ReaderValue.textTag: return .text(try bytes())
        case ReaderValue.blobTag: return .blob(try bytes())
        case let tag: throw FrameDecodingError("unknown value tag \(tag)")
        }
    }

    /// `count:u16` values.
    public mutating func values() throws -> [ReaderValue] {
        let count = Int(try u16())
        // Each value takes at least one byte: a count larger than what is
        // left is garbage, refused before anything is reserved.
        guard count <= remaining else { throw FrameDecodingError("\(count) values announced, \(remaining) bytes left") }
        var values: [ReaderValue] = []
        values.reserveCapacity(count)
        for _ in 0..<count { values.append(try value()) }
        return values
    }

    /// `count:u16` strings.
    public mutating func strings() throws -> [String] {
        let count = Int(try u16())
        guard count * 4 <= remaining else { throw FrameDecodingError("\(count) strings announced, \(remaining) bytes left") }
        return try (0..<count).map { _ in try string() }
    }

    /// Refuses bytes left over after the last field.
    public func expectEnd() throws {
        guard remaining == 0 else { throw FrameDecodingError("\(remaining) unexpected bytes at the end of a frame") }
    }
}
