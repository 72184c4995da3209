import Foundation
import SimVault
import Testing
import VaultTestSupport

/// The ZIP writer and reader behind `.simworkflow` bundles.
@Suite("zip archives")
struct ZipTests {
    @Test("entries written are read back intact, and Python's zipfile reads them too")
    func roundTrip() throws {
        let directory = try TemporaryDirectory("zip")
        let path = directory.file("a.zip")
        var generator = SystemRandomNumberGenerator()
        let entries: [(String, Data)] = [
            ("manifest.json", Data(#"{"a":1}"#.utf8)),
            ("empty.txt", Data()),
            ("dir/random.bin", Data((0..<300_000).map { _ in UInt8.random(in: 0...255, using: &generator) })),
            ("dir/ünïcode name.json", Data(String(repeating: "compressible ", count: 50_000).utf8)),
        ]
        try NewPrivateFile.create(at: path) { fd in
            let writer = ZipArchiveWriter(fileDescriptor: fd)
            for (name, data) in entries { try writer.add(name, data: data) }
            try writer.finish()
        }
        #expect(ExternalTools.mode(of: path) == 0o600)
        let archive = try ZipArchiveReader(path: path)
        #expect(archive.entries.map(\.name) == entries.map(\.0))
        for (name, data) in entries { #expect(try archive.read(archive.entry(named: name)) == data, "\(name)") }
        let python = try ExternalTools.python("import sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); print(z.testzip(), len(z.read('dir/random.bin')))", [path])
        #expect(python.stdout == "None 300000\n")
    }

    @Test("archives made by Python (stored and deflated entries, a directory entry) are read")
    func readsPythonArchives() throws {
        let directory = try TemporaryDirectory("zip-py")
        let path = directory.file("p.zip")
        try ExternalTools.python("""
            import sys, zipfile
            with zipfile.ZipFile(sys.argv[1], "w") as z:
                z.writestr(zipfile.ZipInfo("folder/"), b"")
                z.writestr("stored.txt", b"plain stored bytes", compress_type=zipfile.ZIP_STORED)
                z.writestr("deflated.txt", b"x" * 100000, compress_type=zipfile.ZIP_DEFLATED)
            """, [path])
        #expect(ZipArchiveReader.looksLikeArchive(path))
        let archive = try ZipArchiveReader(path: path)
        #expect(archive.entries.filter(\.isDirectory).map(\.name) == ["folder/"])
        #expect(try archive.read(archive.entry(named: "stored.txt")) == Data("plain stored bytes".utf8))
        #expect(try archive.read(archive.entry(named: "deflated.txt")).count == 100_000)
    }

    @Test("names that could escape the target directory are never written", arguments: [
        "../up.json", "a/../../up.json", "/etc/passwd", "C:/windows.json", "a\\b.json", "a//b.json", "./a.json", "", "bad\u{01}name",
    ])
    func unsafeNames(_ name: String) throws {
        let directory = try TemporaryDirectory("zip-names")
        #expect(throws: VaultError.self) {
            try NewPrivateFile.create(at: directory.file("x.zip")) { fd in try ZipArchiveWriter(fileDescriptor: fd).add(name, data: Data("x".utf8)) }
        }
        #expect(!FileManager.default.fileExists(atPath: directory.file("x.zip")), "a failed archive leaves no file")
    }

    @Test("reading one entry again and again counts toward the archive's total: a manifest naming it many times cannot inflate past the limit")
    func rereadsCountTowardTheTotal() throws {
        let directory = try TemporaryDirectory("zip-reread")
        let path = directory.file("a.zip")
        let entry = Data(String(repeating: "compressible ", count: 80_000).utf8)  // ~1 MiB, deflates to a few KiB
        try NewPrivateFile.create(at: path) { fd in
            let writer = ZipArchiveWriter(fileDescriptor: fd)
            try writer.add("workflows/a.json", data: entry)
            try writer.finish()
        }
        var limits = ZipArchiveReader.Limits()
        limits.maximumTotalBytes = Int64(entry.count) * 3
        let archive = try ZipArchiveReader(path: path, limits: limits)
        let file = try archive.entry(named: "workflows/a.json")
        for _ in 0..<3 { #expect(try archive.read(file) == entry) }
        #expect(throws: VaultError.invalidArgument(detail: "\(path): reading its entries inflates more than \(ByteCount.format(limits.maximumTotalBytes)) in all")) {
            try archive.read(file)
        }
    }
}
