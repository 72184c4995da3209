package import Foundation

/// Writes a ZIP archive (PKWARE APPNOTE 6.3) with deflated entries: the
/// subset simvault needs for `.simworkflow` bundles, written by hand on top
/// of zlib (see ``RawDeflate``).
///
/// Entries are written one after the other, each with its CRC-32 and sizes
/// in the local header, then the central directory. Names are UTF-8 (flag
/// bit 11). No ZIP64: an archive is limited to 65,535 entries and 4 GiB,
/// which a workflow bundle never comes near.
///
/// ```swift
/// let writer = try ZipArchiveWriter(fileDescriptor: fd)
/// try writer.add("manifest.json", data: manifest)
/// try writer.finish()
/// ```
///
/// The caller owns the descriptor (and creates the file 0600, atomically:
/// see ``PrivateFile``).
package final class ZipArchiveWriter {
    private struct CentralEntry {
        let name: [UInt8]
        let crc: UInt32
        let compressedSize: UInt32
        let size: UInt32
        let offset: UInt32
        let time: UInt16
        let date: UInt16
    }

    private let output: FileHandle
    private var offset: UInt64 = 0
    private var entries: [CentralEntry] = []
    private var names = Set<String>()
    private let modified: Date

    /// - Parameter modified: the time stamped on every entry.
    package init(fileDescriptor: Int32, modified: Date = Date()) {
        output = FileHandle(fileDescriptor: fileDescriptor, closeOnDealloc: false)
        self.modified = modified
    }

    /// Adds an entry holding `data`, deflated.
    ///
    /// - Throws: ``VaultError/invalidArgument(detail:)`` for a name that is
    ///   not a safe relative path or is used twice, or an archive past the
    ///   format's limits; ``VaultError/io(detail:)`` when writing fails.
    package func add(_ name: String, data: Data) throws {
        try ZipPath.validate(name)
        guard names.insert(name).inserted else { throw VaultError.invalidArgument(detail: "the archive already has an entry \(name)") }
        guard entries.count < 0xFFFF, data.count < 0xFFFF_FFFF else {
            throw VaultError.invalidArgument(detail: "too many or too large entries for a ZIP archive without ZIP64")
        }
        let compressed = try RawDeflate.Compressor().compress(data, isLast: true)
        let crc = RawDeflate.crc32(data)
        let (time, date) = Self.dosTimeAndDate(modified)
        guard offset + UInt64(compressed.count) + 1024 < 0xFFFF_FFFF else {
            throw VaultError.invalidArgument(detail: "the archive would be larger than 4 GiB")
        }
        let nameBytes = Array(name.utf8)
        var header = ZipBytes()
        header.u32(0x0403_4b50)
        header.u16(20)                       // version needed: 2.0 (deflate)
        header.u16(1 << 11)                  // UTF-8 names
        header.u16(8)                        // deflate
        header.u16(time)
        header.u16(date)
        header.u32(crc)
        header.u32(UInt32(compressed.count))
        header.u32(UInt32(data.count))
        header.u16(UInt16(nameBytes.count))
        header.u16(0)                        // no extra field
        header.bytes(nameBytes)
        entries.append(CentralEntry(
            name: nameBytes, crc: crc, compressedSize: UInt32(compressed.count), size: UInt32(data.count),
            offset: UInt32(offset), time: time, date: date))
        try write(header.data)
        try write(compressed)
    }

    /// Writes the central directory and the end record.
    package func finish() throws {
        let start = offset
        for entry in entries {
            var record = ZipBytes()
            record.u32(0x0201_4b50)
            record.u16(0x0314)                   // made by: Unix, 2.0
            record.u16(20)
            record.u16(1 << 11)
            record.u16(8)
            record.u16(entry.time)
            record.u16(entry.date)
            record.u32(entry.crc)
            record.u32(entry.compressedSize)
            record.u32(entry.size)
            record.u16(UInt16(entry.name.count))
            record.u16(0)                        // extra
            record.u16(0)                        // comment
            record.u16(0)                        // disk
            record.u16(0)                        // internal attributes
            record.u32(UInt32(0o100600) << 16)   // regular file, 0600
            record.u32(entry.offset)
            record.bytes(entry.name)
            try write(record.data)
        }
        var end = ZipBytes()
        end.u32(0x0605_4b50)
        end.u16(0)
        end.u16(0)
        end.u16(UInt16(entries.count))
        end.u16(UInt16(entries.count))
        end.u32(UInt32(offset - start))
        end.u32(UInt32(start))
        end.u16(0)
        try write(end.data)
    }

    private func write(_ data: Data) throws {
        do { try output.write(contentsOf: data) } catch {
            let code = (error as NSError).code
            let text = "cannot write the archive: \(error.localizedDescription)"
            throw code == Int(ENOSPC) ? VaultError.diskFull(detail: text) : VaultError.io(detail: text)
        }
        offset += UInt64(data.count)
    }

    /// MS-DOS time and date (2-second resolution, local fields taken in UTC).
    static func dosTimeAndDate(_ date: Date) -> (UInt16, UInt16) {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        let year = max((parts.year ?? 1980) - 1980, 0)
        let time = UInt16((parts.hour ?? 0) << 11 | (parts.minute ?? 0) << 5 | (parts.second ?? 0) / 2)
        let day = UInt16(min(year, 127) << 9 | (parts.month ?? 1) << 5 | (parts.day ?? 1))
        return (time, day)
    }
}

/// Little-endian byte building for ZIP records.
struct ZipBytes {
    private(set) var data = Data()
    mutating func u16(_ value: UInt16) { data.append(UInt8(value & 0xFF)); data.append(UInt8(value >> 8)) }
    mutating func u32(_ value: UInt32) { u16(UInt16(value & 0xFFFF)); u16(UInt16(value >> 16)) }
    mutating func bytes(_ values: [UInt8]) { data.append(contentsOf: values) }
}

/// Entry names that may be written or read: relative paths that stay inside
/// the archive's root once extracted (no zip-slip).
enum ZipPath {
    static let maximumLength = 1024

    /// - Throws: ``VaultError/invalidArgument(detail:)`` naming the problem.
    static func validate(_ name: String) throws {
        func refuse(_ why: String) -> VaultError {
            .invalidArgument(detail: "unsafe entry name \(JSONWriter.quoted(name)) in the archive: \(why)")
        }
        guard !name.isEmpty else { throw refuse("it is empty") }
        guard name.utf8.count <= maximumLength else { throw refuse("it is longer than \(maximumLength) bytes") }
        guard !name.unicodeScalars.contains(where: { $0.value < 0x20 || $0 == "\u{7F}" }) else { throw refuse("it contains control characters") }
        guard !name.contains("\\") else { throw refuse("it contains a backslash") }
        guard !name.hasPrefix("/") else { throw refuse("it is an absolute path") }
        if name.count >= 2, name.dropFirst().first == ":", name.first?.isLetter == true { throw refuse("it starts with a drive letter") }
        let components = name.split(separator: "/", omittingEmptySubsequences: false)
        for (position, component) in components.enumerated() {
            if component == ".." { throw refuse("it leads outside the target directory (..)") }
            if component == "." { throw refuse("it contains a '.' component") }
            if component.isEmpty, position != components.count - 1 { throw refuse("it contains an empty path component") }
        }
    }
}
