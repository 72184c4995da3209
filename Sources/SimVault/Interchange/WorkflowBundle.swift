import Foundation

/// A `.simworkflow` bundle: one or many workflows in one ZIP file.
///
/// ```
/// manifest.json                        what the bundle holds (below)
/// workflows/<nn>-<name>.json           each workflow in Sim's export format
/// ```
///
/// `manifest.json`:
///
/// ```json
/// {
///   "format": "simworkflow",
///   "version": 1,
///   "createdAt": "2025-11-23T10:00:00.000Z",
///   "createdBy": "simvault 0.1.0",
///   "workflows": [
///     { "id": "…", "name": "Morning digest", "file": "workflows/01-morning-digest.json",
///       "bytes": 18231, "sha256": "…" }
///   ]
/// }
/// ```
///
/// Every workflow file is an ordinary Sim export, so it can be taken out of
/// the bundle and imported into Sim itself. Entries are deflated; the bundle
/// is not encrypted (it is an export meant for sharing). Reading follows
/// ``ZipArchiveReader``'s rules (no zip-slip, bounded sizes, CRC-checked)
/// and also checks each file's size and SHA-256 against the manifest.
public enum WorkflowBundle {
    public static let manifestName = "manifest.json"
    public static let format = "simworkflow"
    public static let version = 1

    /// The manifest's content.
    public struct Manifest: Sendable, Codable, Equatable {
        public struct Item: Sendable, Codable, Equatable {
            public let id: String
            public let name: String
            public let file: String
            public let bytes: Int
            public let sha256: String
        }
        public let format: String
        public let version: Int
        public let createdAt: String
        public let createdBy: String
        public let workflows: [Item]
    }

    /// One workflow read from a bundle.
    struct Entry {
        let id: String
        let name: String
        let entry: String
        let file: SimWorkflowFile
    }

    static func write(_ workflows: [(id: String, name: String, file: SimWorkflowFile)], to path: String, createdAt: Date) throws -> WorkflowBundleReport {
        var items: [Manifest.Item] = []
        var contents: [(String, Data)] = []
        for (position, workflow) in workflows.enumerated() {
            let name = workflow.name
            let entry = String(format: "workflows/%02d-%@.json", position + 1, slug(name))
            let data = workflow.file.serialized()
            items.append(Manifest.Item(id: workflow.id, name: name, file: entry, bytes: data.count, sha256: ContentDigest.sha256Hex(data)))
            contents.append((entry, data))
        }
        let manifest = Manifest(
            format: format, version: version, createdAt: SimWorkflowFile.isoTimestamp(createdAt),
            createdBy: "simvault \(SimVaultVersion.current)", workflows: items)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .withoutEscapingSlashes]
        let manifestData = try encoder.encode(manifest)
        try NewPrivateFile.create(at: path) { fd in
            let writer = ZipArchiveWriter(fileDescriptor: fd, modified: createdAt)
            try writer.add(manifestName, data: manifestData)
            for (entry, data) in contents { try writer.add(entry, data: data) }
            try writer.finish()
        }
        return WorkflowBundleReport(path: path, bytes: VaultLocation.size(of: path) ?? 0, workflows: items)
    }

    /// What a workflow archive (a bundle, or a Sim ZIP archive) may hold:
    /// entries no larger than a workflow file may be, and 256 MiB inflated
    /// in all, counted over every read (Sim workflows are tens of KB).
    static var archiveLimits: ZipArchiveReader.Limits {
        var limits = ZipArchiveReader.Limits()
        limits.maximumEntryBytes = SimWorkflowFile.maximumBytes
        limits.maximumTotalBytes = 256 << 20
        return limits
    }

    /// Whether `archive` is a bundle: its `manifest.json` says so (a Sim ZIP
    /// archive may hold a workflow file of that name).
    static func isBundle(_ archive: ZipArchiveReader) throws -> Bool {
        guard let manifest = archive.entries.first(where: { $0.name == manifestName }) else { return false }
        let data = try archive.read(manifest)
        return (try? JSONReader(data: data).readDocument())?.object?["format"]?.string == format
    }

    /// Reads and checks every workflow of the bundle `archive`. A manifest
    /// naming one file (or one id) twice is refused: each entry is read
    /// once.
    static func read(_ archive: ZipArchiveReader) throws -> [Entry] {
        let path = archive.path
        func refuse(_ why: String) -> VaultError { .invalidArgument(detail: "\(path) is not a valid .simworkflow bundle: \(why)") }
        guard let manifestEntry = archive.entries.first(where: { $0.name == manifestName }) else { throw refuse("it has no \(manifestName)") }
        // 10,000 workflows (the archive's entry limit) take about 3 MB.
        guard manifestEntry.size <= 4 << 20 else { throw refuse("its \(manifestName) is \(ByteCount.format(manifestEntry.size)), more than a manifest needs") }
        let manifestData = try archive.read(manifestEntry)
        let manifest: Manifest
        do {
            let probe = try JSONReader(data: manifestData).readDocument()
            guard probe.object?["format"]?.string == format else { throw refuse("\(manifestName) is not a simworkflow manifest") }
            guard let found = probe.object?["version"]?.int64, found == version else {
                throw VaultError.invalidArgument(detail: "\(path) is a .simworkflow bundle of format version \(JSONWriter.serialize(probe.object?["version"] ?? .null, style: .compact)); this simvault reads version \(version)")
            }
            manifest = try JSONDecoder().decode(Manifest.self, from: manifestData)
        } catch let error as VaultError {
            throw error
        } catch {
            throw refuse("\(manifestName) is damaged (\(error))")
        }
        guard !manifest.workflows.isEmpty else { throw refuse("its manifest lists no workflows") }
        var files = Set<String>(), ids = Set<String>()
        for item in manifest.workflows {
            guard files.insert(item.file).inserted else { throw refuse("its manifest lists \(item.file) more than once") }
            guard ids.insert(item.id).inserted else { throw refuse("its manifest lists the workflow id \(item.id) more than once") }
        }
        return try manifest.workflows.map { item in
            let data = try archive.read(try archive.entry(named: item.file))
            guard data.count == item.bytes, ContentDigest.sha256Hex(data) == item.sha256 else {
                throw refuse("\(item.file) does not match the size and SHA-256 in the manifest")
            }
            let file = try SimWorkflowFile(data: data, source: "\(path):\(item.file)")
            return Entry(id: item.id, name: item.name, entry: item.file, file: file)
        }
    }

    /// A file-name-safe form of a workflow name.
    static func slug(_ name: String) -> String {
        let allowed = name.lowercased().unicodeScalars.map { CharacterSet.alphanumerics.contains($0) && $0.isASCII ? Character($0) : "-" }
        let collapsed = String(allowed).split(separator: "-").joined(separator: "-")
        return collapsed.isEmpty ? "workflow" : String(collapsed.prefix(48))
    }
}
