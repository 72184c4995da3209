import Foundation
import Testing
import VaultTestSupport

/// Files outside the vault's directory that an attack tries to make
/// simvault overwrite, move or delete (a stand-in for `~/.ssh/id_ed25519`),
/// and proof afterwards that nothing there changed: every decoy byte for
/// byte (with its SHA-256 printed on failure) and the directory's listing.
struct Decoys {
    let directory: String
    private var files: [String: Data] = [:]

    /// A fresh `outside/` directory beside the vault's.
    init(in test: TemporaryDirectory) throws {
        directory = test.file("outside")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    /// Writes a decoy and returns its path.
    @discardableResult
    mutating func make(_ name: String, _ content: String = "") throws -> String {
        try make(name, data: Data((content.isEmpty ? "decoy \(name): must never change\n" : content).utf8))
    }

    /// Writes a decoy with these bytes and returns its path.
    @discardableResult
    mutating func make(_ name: String, data: Data) throws -> String {
        let path = directory + "/" + name
        try data.write(to: URL(fileURLWithPath: path))
        files[path] = data
        return path
    }

    /// A path in the decoy directory that must never come into existence.
    func absent(_ name: String) -> String { directory + "/" + name }

    /// Every decoy is there with its bytes, and nothing else appeared.
    func expectUnchanged(_ context: String, sourceLocation: SourceLocation = #_sourceLocation) {
        for (path, data) in files {
            let now = FileManager.default.contents(atPath: path)
            #expect(now == data, "\(context): \(path) changed (sha256 now \(now.map(Self.sha256) ?? "missing"), was \(Self.sha256(data)))", sourceLocation: sourceLocation)
        }
        let listing = Set((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [])
        let expected = Set(files.keys.map { ($0 as NSString).lastPathComponent })
        #expect(listing == expected, "\(context): the decoy directory now holds \(listing.sorted())", sourceLocation: sourceLocation)
    }

    static func sha256(_ data: Data) -> String {
        let result = try? ExternalTools.python("import hashlib,sys; print(hashlib.sha256(sys.stdin.buffer.read()).hexdigest())", stdin: data)
        return result?.stdout.trimmingCharacters(in: .whitespacesAndNewlines) ?? "?"
    }
}
