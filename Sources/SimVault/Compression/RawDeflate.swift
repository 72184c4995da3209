internal import CZlib
import Foundation

/// Raw DEFLATE streams (RFC 1951, no zlib header or trailer) and CRC-32:
/// what ZIP entries use (method 8). Streaming in both directions, so a
/// bundle entry is never held in memory twice, and inflating stops as soon
/// as the output would pass a limit (a zip bomb fails fast).
///
/// zlib: https://zlib.net/manual.html (`deflateInit2`/`inflateInit2` with
/// `windowBits` = -15 for raw streams).
enum RawDeflate {
    /// CRC-32 (ISO 3309, as ZIP uses it) of `data`, continuing from `crc`.
    static func crc32(_ data: Data, continuing crc: UInt32 = 0) -> UInt32 {
        data.withUnsafeBytes { bytes in
            guard let base = bytes.baseAddress, !bytes.isEmpty else { return crc }
            return UInt32(CZlib.crc32(uLong(crc), base.assumingMemoryBound(to: Bytef.self), uInt(bytes.count)))
        }
    }

    /// Gives `body` the bytes of `chunk` as zlib's input pointer and count
    /// (zlib wants a valid pointer even for no bytes).
    private static func withInput(_ chunk: Data, _ body: (UnsafeMutablePointer<Bytef>, uInt) throws -> Void) rethrows {
        let input = chunk.isEmpty ? Data([0]) : chunk
        try input.withUnsafeBytes { raw in
            try body(UnsafeMutablePointer(mutating: raw.baseAddress!.assumingMemoryBound(to: Bytef.self)), uInt(chunk.count))
        }
    }

    /// Compresses a stream chunk by chunk.
    final class Compressor {
        private var stream = z_stream()
        private var isFinished = false

        init(level: Int32 = Zlib.archiveLevel) throws {
            // deflateInit2 is a macro; deflateInit2_ is what it expands to.
            let status = deflateInit2_(&stream, level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
            guard status == Z_OK else { throw VaultError.io(detail: "zlib could not start compressing (status \(status))") }
        }

        deinit { deflateEnd(&stream) }

        /// Compresses `chunk`; with `isLast`, also flushes the end of the
        /// stream. Returns the compressed bytes produced so far.
        func compress(_ chunk: Data, isLast: Bool) throws -> Data {
            precondition(!isFinished, "compress after the last chunk")
            var output = Data()
            var buffer = [UInt8](repeating: 0, count: 64 << 10)
            try RawDeflate.withInput(chunk) { input, count in
                stream.next_in = input
                stream.avail_in = count
                var status: Int32 = Z_OK
                repeat {
                    status = buffer.withUnsafeMutableBufferPointer { out in
                        stream.next_out = out.baseAddress
                        stream.avail_out = uInt(out.count)
                        return deflate(&stream, isLast ? Z_FINISH : Z_NO_FLUSH)
                    }
                    guard status == Z_OK || status == Z_STREAM_END || status == Z_BUF_ERROR else {
                        throw VaultError.io(detail: "zlib failed while compressing (status \(status))")
                    }
                    output.append(contentsOf: buffer[0..<(buffer.count - Int(stream.avail_out))])
                } while stream.avail_out == 0 || (isLast && status != Z_STREAM_END)
            }
            if isLast { isFinished = true }
            return output
        }
    }

    /// Inflates a stream chunk by chunk, refusing to produce more than
    /// `limit` bytes in all.
    final class Decompressor {
        private var stream = z_stream()
        private let limit: Int64
        private(set) var produced: Int64 = 0
        private(set) var isFinished = false

        init(limit: Int64) throws {
            self.limit = limit
            guard inflateInit2_(&stream, -15, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
                throw VaultError.io(detail: "zlib could not start inflating")
            }
        }

        deinit { inflateEnd(&stream) }

        /// Inflates `chunk`, returning the bytes it decodes to.
        ///
        /// - Throws: ``VaultError/invalidArgument(detail:)`` for damaged
        ///   data, or output beyond the limit.
        func decompress(_ chunk: Data) throws -> Data {
            guard !isFinished else {
                if chunk.isEmpty { return Data() }
                throw VaultError.invalidArgument(detail: "compressed data continues after the end of its stream")
            }
            var output = Data()
            var buffer = [UInt8](repeating: 0, count: 64 << 10)
            try RawDeflate.withInput(chunk) { input, count in
                stream.next_in = input
                stream.avail_in = count
                while true {
                    let status = buffer.withUnsafeMutableBufferPointer { out in
                        stream.next_out = out.baseAddress
                        stream.avail_out = uInt(out.count)
                        return inflate(&stream, Z_NO_FLUSH)
                    }
                    let count = buffer.count - Int(stream.avail_out)
                    produced += Int64(count)
                    guard produced <= limit else {
                        throw VaultError.invalidArgument(detail: "an entry inflates to more than \(ByteCount.format(limit))")
                    }
                    output.append(contentsOf: buffer[0..<count])
                    if status == Z_STREAM_END { isFinished = true; return }
                    if status == Z_BUF_ERROR || (status == Z_OK && stream.avail_in == 0 && stream.avail_out > 0) { return }
                    guard status == Z_OK else {
                        throw VaultError.invalidArgument(detail: "compressed data is damaged (zlib status \(status))")
                    }
                }
            }
            return output
        }
    }
}
