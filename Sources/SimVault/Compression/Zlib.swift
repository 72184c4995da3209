internal import CZlib
package import Foundation

/// zlib compression for the JSON simvault keeps in BLOBs (workflow states,
/// run inputs and outputs). The only file that calls zlib.
///
/// The stored format is a plain zlib stream (RFC 1950: header, deflate data,
/// Adler-32 trailer), so any zlib tool can read a BLOB taken out of the
/// vault, and a damaged BLOB fails its checksum instead of decoding to
/// garbage. Compression is deterministic: the same bytes at the same level
/// always give the same stream.
///
/// ```swift
/// let packed = try Zlib.compress(Data(json.utf8))
/// let unpacked = try Zlib.decompress(packed)   // == Data(json.utf8)
/// ```
///
/// zlib: https://zlib.net/manual.html
package enum Zlib {
    /// Default level: 1, zlib's fastest. Measured on 1,000 workflow states
    /// of 10-60 KB (docs/performance.md): level 1 keeps 28.1% of the JSON
    /// and compresses 50 KB in ~0.3 ms; zlib's own default, 6, keeps 25.1%
    /// in ~1.3 ms, which was over half the time of saving a workflow.
    package static let defaultLevel: Int32 = 1
    /// Level for archives that leave the vault (ZIP bundles): written once,
    /// kept and sent around, so size matters more than time.
    package static let archiveLevel: Int32 = 6
    /// Refuse to inflate more than this (a damaged or hostile BLOB must not
    /// exhaust memory): 1 GiB, SQLite's largest possible value.
    package static let maximumDecompressedBytes = 1 << 30

    /// Compresses `data` into a zlib stream.
    ///
    /// - Throws: ``VaultError/invalidArgument(detail:)`` when zlib refuses
    ///   (only for a level outside 0...9).
    package static func compress(_ data: Data, level: Int32 = defaultLevel) throws -> Data {
        var capacity = compressBound(uLong(data.count))
        var output = Data(count: Int(capacity))
        let status = output.withUnsafeMutableBytes { out in
            withInput(data) { input, count in
                compress2(out.baseAddress!.assumingMemoryBound(to: Bytef.self), &capacity, input, uLong(count), level)
            }
        }
        guard status == Z_OK else {
            throw VaultError.invalidArgument(detail: "zlib could not compress (\(describe(status)))")
        }
        output.count = Int(capacity)
        return output
    }

    /// Inflates a zlib stream made by ``compress(_:level:)``.
    ///
    /// - Throws: ``VaultError/corrupt(detail:)`` when the stream is damaged
    ///   (bad header, bad data, Adler-32 mismatch, truncated) or would exceed
    ///   ``maximumDecompressedBytes``.
    package static func decompress(_ data: Data) throws -> Data {
        var stream = z_stream()
        // inflateInit is a macro; inflateInit_ is what it expands to.
        guard inflateInit_(&stream, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw VaultError.corrupt(detail: "zlib could not start inflating")
        }
        defer { inflateEnd(&stream) }
        var output = Data()
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        var status: Int32 = Z_OK
        try withInput(data) { input, count in
            stream.next_in = UnsafeMutablePointer(mutating: input)
            stream.avail_in = uInt(count)
            while status == Z_OK {
                status = chunk.withUnsafeMutableBufferPointer { buffer in
                    stream.next_out = buffer.baseAddress
                    stream.avail_out = uInt(buffer.count)
                    return inflate(&stream, Z_NO_FLUSH)
                }
                let produced = chunk.count - Int(stream.avail_out)
                output.append(contentsOf: chunk[0..<produced])
                guard output.count <= maximumDecompressedBytes else {
                    throw VaultError.corrupt(detail: "a compressed value inflates to more than \(maximumDecompressedBytes) bytes")
                }
                // Z_BUF_ERROR with input left means no progress is possible:
                // the stream is truncated.
                if status == Z_BUF_ERROR, produced == 0 { break }
                if status == Z_BUF_ERROR { status = Z_OK }
            }
        }
        guard status == Z_STREAM_END else {
            throw VaultError.corrupt(detail: "a compressed value is damaged (zlib: \(describe(status)))")
        }
        return output
    }

    /// Gives `body` the bytes of `data` and their count; zlib wants a valid
    /// pointer even for zero bytes, so empty input points at a spare byte.
    private static func withInput<R>(_ data: Data, _ body: (UnsafePointer<Bytef>, Int) throws -> R) rethrows -> R {
        let bytes = data.isEmpty ? Data([0]) : data
        return try bytes.withUnsafeBytes { try body($0.baseAddress!.assumingMemoryBound(to: Bytef.self), data.count) }
    }

    private static func describe(_ status: Int32) -> String {
        switch status {
        case Z_OK: return "ok"
        case Z_STREAM_END: return "stream end"
        case Z_NEED_DICT: return "needs a dictionary"
        case Z_DATA_ERROR: return "data error"
        case Z_MEM_ERROR: return "out of memory"
        case Z_BUF_ERROR: return "truncated stream"
        case Z_STREAM_ERROR: return "stream error"
        default: return "status \(status)"
        }
    }
}
