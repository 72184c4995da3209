package import Foundation

/// Reads a ZIP archive defensively: the archive comes from elsewhere and may
/// be damaged or hostile.
///
/// The central directory is the authority (as in every careful unzip); each
/// local header must agree with it. Refused, naming the reason: encrypted
/// entries, methods other than stored (0) and deflate (8), ZIP64, entry
/// names that are absolute, contain `..`, backslashes or control characters
/// (zip-slip), duplicate names, symbolic links, more than
/// ``Limits/maximumEntries`` entries, an entry larger than
/// ``Limits/maximumEntryBytes`` or an archive inflating to more than
/// ``Limits/maximumTotalBytes`` (zip bombs: inflating stops as soon as the
/// output passes the declared size), and CRC-32 or size mismatches. The
/// total also bounds what ``read(_:)`` inflates over the reader's life, so
/// an entry read again and again (a manifest naming it many times) cannot
/// get past it.
///
/// Nothing is ever extracted to disk: entries are read into memory (bounded
/// by the limits) for the caller to parse.
///
/// ```swift
/// let archive = try ZipArchiveReader(path: "flows.simworkflow")
/// let manifest = try archive.read(try archive.entry(named: "manifest.json"))
/// ```
package final class ZipArchiveReader {
    package struct Limits: Sendable {
        package var maximumEntries = 10_000
        package var maximumEntryBytes: Int64 = 64 << 20
        package var maximumTotalBytes: Int64 = 1 << 30
        package init() {}
    }

    /// One file in the archive, as the central directory describes it.
    package struct Entry: Sendable, Equatable {
        package let name: String
        let method: UInt16
        let crc: UInt32
        package let compressedSize: Int64
        package let size: Int64
        let localHeaderOffset: Int64
        /// Whether the name ends with `/` (a directory; it holds no data).
        package var isDirectory: Bool { name.hasSuffix("/") }
    }

    package let path: String
    package let entries: [Entry]
    private let handle: FileHandle
    private let fileSize: Int64
    private let limits: Limits
    /// Bytes ``read(_:)`` has inflated so far, checked against
    /// ``Limits/maximumTotalBytes``.
    private var inflatedTotal: Int64 = 0

    /// Opens the archive and reads its central directory.
    ///
    /// - Throws: ``VaultError/invalidArgument(detail:)`` when the file is not
    ///   an acceptable ZIP archive; ``VaultError/io(detail:)`` when it
    ///   cannot be read.
    package init(path: String, limits: Limits = Limits()) throws {
        self.path = path
        self.limits = limits
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw VaultError.io(detail: "cannot read \(path): \(String(cString: strerror(errno)))")
        }
        self.handle = handle
        fileSize = Int64((try? handle.seekToEnd()) ?? 0)
        entries = try Self.readCentralDirectory(handle, fileSize: fileSize, limits: limits, path: path)
    }

    deinit { try? handle.close() }

    /// Whether the file at `path` starts like a ZIP archive.
    package static func looksLikeArchive(_ path: String) -> Bool {
        guard let handle = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? handle.close() }
        return (try? handle.read(upToCount: 4)) == Data([0x50, 0x4B, 0x03, 0x04])
    }

    /// The entry called `name`.
    package func entry(named name: String) throws -> Entry {
        guard let entry = entries.first(where: { $0.name == name }) else {
            throw VaultError.invalidArgument(detail: "\(path) has no entry \(name)")
        }
        return entry
    }

    /// The bytes of `entry`, inflated and checked against its CRC-32 and size.
    package func read(_ entry: Entry) throws -> Data {
        func damaged(_ why: String) -> VaultError { .invalidArgument(detail: "\(path): entry \(entry.name) \(why)") }
        try seek(to: entry.localHeaderOffset)
        let header = ZipRecord(try readExactly(30, what: "local header of \(entry.name)"))
        guard header.u32(0) == 0x0403_4b50 else { throw damaged("has no local header where the directory points") }
        let nameLength = Int(header.u16(26)), extraLength = Int(header.u16(28))
        let localName = try readExactly(nameLength, what: "name of \(entry.name)")
        guard String(decoding: localName, as: UTF8.self) == entry.name else {
            throw damaged("is named differently in its local header")
        }
        try seek(to: entry.localHeaderOffset + 30 + Int64(nameLength) + Int64(extraLength))
        guard entry.localHeaderOffset + 30 + Int64(nameLength + extraLength) + entry.compressedSize <= fileSize else {
            throw damaged("runs past the end of the file (the archive is truncated)")
        }
        var remaining = entry.compressedSize
        var output = Data()
        var crc: UInt32 = 0
        let inflater = entry.method == 8 ? try RawDeflate.Decompressor(limit: entry.size) : nil
        while remaining > 0 {
            let chunk = try readExactly(Int(min(remaining, 256 << 10)), what: entry.name)
            remaining -= Int64(chunk.count)
            let plain = try inflater.map { try $0.decompress(chunk) } ?? chunk
            guard Int64(output.count + plain.count) <= entry.size else { throw damaged("holds more data than its declared size") }
            inflatedTotal += Int64(plain.count)
            guard inflatedTotal <= limits.maximumTotalBytes else {
                throw VaultError.invalidArgument(detail: "\(path): reading its entries inflates more than \(ByteCount.format(limits.maximumTotalBytes)) in all")
            }
            crc = RawDeflate.crc32(plain, continuing: crc)
            output.append(plain)
        }
        if let inflater, !inflater.isFinished { throw damaged("has a truncated compressed stream") }
        guard Int64(output.count) == entry.size else { throw damaged("is shorter than its declared size") }
        guard crc == entry.crc else { throw damaged("fails its CRC-32 check (the archive is damaged)") }
        return output
    }

    // MARK: - Central directory

    private static func readCentralDirectory(_ handle: FileHandle, fileSize: Int64, limits: Limits, path: String) throws -> [Entry] {
        func refuse(_ why: String) -> VaultError { .invalidArgument(detail: "\(path) is not a usable ZIP archive: \(why)") }
        guard fileSize >= 22 else { throw refuse("it is too short") }
        // The end record is in the last 22 + 65,535 (comment) bytes.
        let tailLength = min(fileSize, 22 + 0xFFFF)
        try handle.seek(toOffset: UInt64(fileSize - tailLength))
        let tail = [UInt8](try handle.read(upToCount: Int(tailLength)) ?? Data())
        guard let endIndex = stride(from: tail.count - 22, through: 0, by: -1).first(where: {
            tail[$0] == 0x50 && tail[$0 + 1] == 0x4B && tail[$0 + 2] == 0x05 && tail[$0 + 3] == 0x06
        }) else { throw refuse("no end of central directory record (truncated, or not a ZIP file)") }
        let end = ZipRecord(Data(tail[endIndex..<(endIndex + 22)]))
        guard end.u16(4) == 0, end.u16(6) == 0 else { throw refuse("multi-disk archives are not supported") }
        let count = Int(end.u16(10))
        let directorySize = Int64(end.u32(12)), directoryOffset = Int64(end.u32(16))
        guard count != 0xFFFF, directorySize != 0xFFFF_FFFF, directoryOffset != 0xFFFF_FFFF else { throw refuse("ZIP64 archives are not supported") }
        guard count <= limits.maximumEntries else { throw refuse("more than \(limits.maximumEntries) entries") }
        guard directoryOffset + directorySize <= fileSize - Int64(tail.count - endIndex) else {
            throw refuse("the central directory lies outside the file (truncated or damaged)")
        }
        try handle.seek(toOffset: UInt64(directoryOffset))
        let directory = try handle.read(upToCount: Int(directorySize)) ?? Data()
        guard directory.count == directorySize else { throw refuse("the central directory is truncated") }

        var entries: [Entry] = []
        var names = Set<String>()
        var total: Int64 = 0
        var position = 0
        for _ in 0..<count {
            guard position + 46 <= directory.count else { throw refuse("the central directory is truncated") }
            let record = ZipRecord(directory.subdata(in: directory.startIndex + position..<directory.startIndex + position + 46))
            guard record.u32(0) == 0x0201_4b50 else { throw refuse("a damaged central directory entry") }
            let flags = record.u16(8), method = record.u16(10)
            let nameLength = Int(record.u16(28)), extraLength = Int(record.u16(30)), commentLength = Int(record.u16(32))
            let nameStart = directory.startIndex + position + 46
            guard position + 46 + nameLength + extraLength + commentLength <= directory.count else { throw refuse("the central directory is truncated") }
            let nameBytes = directory.subdata(in: nameStart..<nameStart + nameLength)
            guard let name = String(data: nameBytes, encoding: .utf8) else { throw refuse("an entry name is not UTF-8") }
            position += 46 + nameLength + extraLength + commentLength

            try ZipPath.validate(name)
            guard names.insert(name).inserted else { throw refuse("the entry \(name) appears twice") }
            guard flags & 0x1 == 0 else { throw refuse("the entry \(name) is encrypted") }
            guard method == 0 || method == 8 else { throw refuse("the entry \(name) uses compression method \(method) (only stored and deflate are read)") }
            let compressedSize = Int64(record.u32(20)), size = Int64(record.u32(24)), offset = Int64(record.u32(42))
            guard compressedSize != 0xFFFF_FFFF, size != 0xFFFF_FFFF, offset != 0xFFFF_FFFF else { throw refuse("ZIP64 entries are not supported") }
            let madeBy = record.u16(4) >> 8, fileType = (record.u32(38) >> 16) & 0o170000
            if madeBy == 3, fileType == 0o120000 { throw refuse("the entry \(name) is a symbolic link") }
            guard size <= limits.maximumEntryBytes else {
                throw refuse("the entry \(name) is \(ByteCount.format(size)), more than the \(ByteCount.format(limits.maximumEntryBytes)) allowed")
            }
            if method == 0, compressedSize != size { throw refuse("the stored entry \(name) has inconsistent sizes") }
            total += size
            guard total <= limits.maximumTotalBytes else {
                throw refuse("its entries add up to more than \(ByteCount.format(limits.maximumTotalBytes))")
            }
            guard offset + 30 <= directoryOffset else { throw refuse("the entry \(name) points outside the archive") }
            entries.append(Entry(name: name, method: method, crc: record.u32(16), compressedSize: compressedSize, size: size, localHeaderOffset: offset))
        }
        return entries
    }

    // MARK: - Reading

    private func seek(to offset: Int64) throws {
        do { try handle.seek(toOffset: UInt64(offset)) } catch {
            throw VaultError.io(detail: "cannot read \(path): \(error.localizedDescription)")
        }
    }

    private func readExactly(_ count: Int, what: String) throws -> Data {
        let data: Data
        do { data = try handle.read(upToCount: count) ?? Data() } catch {
            throw VaultError.io(detail: "cannot read \(path): \(error.localizedDescription)")
        }
        guard data.count == count else { throw VaultError.invalidArgument(detail: "\(path) is truncated (in \(what))") }
        return data
    }
}

/// Little-endian fields of a ZIP record.
struct ZipRecord {
    private let bytes: [UInt8]
    init(_ data: Data) { bytes = [UInt8](data) }
    func u16(_ at: Int) -> UInt16 { UInt16(bytes[at]) | UInt16(bytes[at + 1]) << 8 }
    func u32(_ at: Int) -> UInt32 { UInt32(u16(at)) | UInt32(u16(at + 2)) << 16 }
}
