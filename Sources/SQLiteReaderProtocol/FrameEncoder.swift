/// Builds one frame of the reader protocol (see ``ReaderProtocol``).
///
/// ```swift
/// var frame = FrameEncoder(.query)
/// frame.string("SELECT * FROM t WHERE id = ?")
/// frame.u16(1)
/// frame.value(.integer(7))
/// let bytes = frame.finish()
/// ```
public struct FrameEncoder {
    private var bytes: [UInt8]

    public init(_ kind: FrameKind, reservingCapacity capacity: Int = 64) {
        bytes = []
        bytes.reserveCapacity(ReaderProtocol.frameHeaderBytes + capacity)
        bytes.append(kind.rawValue)
        bytes.append(contentsOf: [0, 0, 0, 0])
    }

    /// Payload bytes written so far.
    public var payloadCount: Int { bytes.count - ReaderProtocol.frameHeaderBytes }

    public mutating func u8(_ value: UInt8) { bytes.append(value) }

    public mutating func u16(_ value: UInt16) {
        bytes.append(UInt8(value >> 8))
        bytes.append(UInt8(value & 0xFF))
    }

    public mutating func u32(_ value: UInt32) {
        for shift in stride(from: 24, through: 0, by: -8) { bytes.append(UInt8((value >> UInt32(shift)) & 0xFF)) }
    }

    public mutating func u64(_ value: UInt64) {
        for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8((value >> UInt64(shift)) & 0xFF)) }
    }

    public mutating func i32(_ value: Int32) { u32(UInt32(bitPattern: value)) }

    /// Length-prefixed bytes.
    public mutating func bytes<C: Collection>(_ data: C) where C.Element == UInt8 {
        u32(UInt32(truncatingIfNeeded: data.count))
        bytes.append(contentsOf: data)
    }

    public mutating func string(_ text: String) { bytes(Array(text.utf8)) }

    public mutating func value(_ value: ReaderValue) {
        switch value {
        case .null:
            bytes.append(ReaderValue.nullTag)
        case .integer(let number):
            bytes.append(ReaderValue.integerTag)
            u64(UInt64(bitPattern: number))
        case .real(let number):
            bytes.append(ReaderValue.realTag)
            u64(number.bitPattern)
        case .text(let text):
            bytes.append(ReaderValue.textTag)
            bytes(text)
        case .blob(let blob):
            bytes.append(ReaderValue.blobTag)
            bytes(blob)
        }
    }

    /// A value from raw column bytes, without building an array first.
    public mutating func value(tag: UInt8, raw: UnsafeRawBufferPointer) {
        bytes.append(tag)
        u32(UInt32(truncatingIfNeeded: raw.count))
        bytes.append(contentsOf: raw)
    }

    /// The frame, its length filled in.
    public consuming func finish() -> [UInt8] {
        let length = UInt32(truncatingIfNeeded: payloadCount)
        bytes[1] = UInt8(length >> 24)
        bytes[2] = UInt8((length >> 16) & 0xFF)
        bytes[3] = UInt8((length >> 8) & 0xFF)
        bytes[4] = UInt8(length & 0xFF)
        return bytes
    }
}
