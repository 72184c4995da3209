import Foundation

/// A ZIP archive of Sim workflows as Sim writes it when exporting a
/// workspace or a folder (`exportWorkspaceToZip`, `exportFolderToZip` in
/// Sim's apps/sim/lib/workflows/operations/import-export.ts), and as its
/// importer reads it (`extractWorkflowsFromZip`):
///
/// ```
/// _workspace.json                          {"workspace": {"name", "exportedAt"}, "folders": [{"id", "name", "parentId", "sortOrder"}]}
/// <name>-<workflowId>.json                 a workflow at the top level (UI export form)
/// <Folder>/<Sub-folder>/<name>-<id>.json   a workflow in a folder
/// ```
///
/// A folder export has `_folder.json` (`{"folder": {…}, "folders": […]}`)
/// instead of `_workspace.json`; an export of selected workflows has only
/// `<name>.json` files. Names in paths are Sim's path segments (see
/// ``SimWorkflowName/pathSegment(_:)``). Every other `.json` file is a
/// workflow; directories and other files are skipped, as Sim skips them.
///
/// Reading follows ``ZipArchiveReader``'s rules (no zip-slip, bounded sizes,
/// CRC-checked). Unlike Sim, which skips a workflow it cannot parse, simvault
/// refuses the whole archive naming the entry: an import is all or nothing.
public enum SimWorkflowArchive {
    public static let workspaceMetadataName = "_workspace.json"
    public static let folderMetadataName = "_folder.json"
    /// The workspace name written into `_workspace.json` (Sim's importer
    /// makes a folder of that name and puts the workflows under it).
    public static let workspaceName = "simvault"

    /// One workflow read from an archive.
    struct Entry {
        let entry: String
        let file: SimWorkflowFile
        /// Sim's workflow id, from a `<name>-<id>.json` file name.
        let id: String?
        let name: String
        /// The folder path (folder names joined by `/`), nil at the top level.
        let category: String?
    }

    /// A stored workflow on its way out, with the vault's name for it (a
    /// file imported without a name in it keeps none).
    struct Exported {
        let id: String
        let name: String
        let category: String
        let file: SimWorkflowFile
    }

    /// Reads and checks every workflow of the archive.
    static func read(_ archive: ZipArchiveReader) throws -> [Entry] {
        let folderNames = try realFolderPaths(archive)
        var entries: [Entry] = []
        for entry in archive.entries where !entry.isDirectory && entry.name.lowercased().hasSuffix(".json") {
            if entry.name == workspaceMetadataName || entry.name == folderMetadataName { continue }
            var segments = entry.name.split(separator: "/").map(String.init)
            let fileName = segments.removeLast()
            let file = try SimWorkflowFile(data: try archive.read(entry), source: "\(archive.path):\(entry.name)")
            let stem = fileName.lowercased().hasSuffix(".json") ? String(fileName.dropLast(5)) : fileName
            let folderPath = segments.joined(separator: "/")
            entries.append(Entry(
                entry: entry.name, file: file, id: SimWorkflowName.trailingWorkflowID(of: stem),
                name: file.name ?? SimWorkflowName.fromFileName(fileName),
                category: segments.isEmpty ? nil : folderNames[folderPath] ?? folderPath))
        }
        guard !entries.isEmpty else {
            throw VaultError.invalidArgument(detail: "\(archive.path) holds no Sim workflow (.json files) and is not a .simworkflow bundle")
        }
        return entries
    }

    /// The folder paths of `_workspace.json` or `_folder.json` as they
    /// appear in the archive (path segments) mapped to the folders' real
    /// names. Sim ignores metadata it cannot parse; so does simvault (the
    /// path segments are then the folder names).
    private static func realFolderPaths(_ archive: ZipArchiveReader) throws -> [String: String] {
        guard let metadata = archive.entries.first(where: { $0.name == workspaceMetadataName || $0.name == folderMetadataName }),
              let folders = (try? JSONReader(data: try archive.read(metadata)).readDocument())?.object?["folders"]?.array
        else { return [:] }
        var byID: [String: (name: String, parent: String?)] = [:]
        for folder in folders {
            guard let object = folder.object, let id = object["id"]?.string, let name = object["name"]?.string else { continue }
            byID[id] = (name, object["parentId"]?.string)
        }
        var paths: [String: String] = [:]
        for id in byID.keys {
            var segments: [String] = [], names: [String] = []
            var current: String? = id
            var seen = Set<String>()
            while let at = current, let folder = byID[at], seen.insert(at).inserted {
                segments.insert(SimWorkflowName.pathSegment(folder.name), at: 0)
                names.insert(folder.name, at: 0)
                current = folder.parent
            }
            paths[segments.joined(separator: "/")] = names.joined(separator: "/")
        }
        return paths
    }

    /// Writes `workflows` (UI exports) into a new archive at `path` as Sim's
    /// workspace export lays it out: `_workspace.json` with the folders made
    /// from the categories (`a/b` is folder `b` inside folder `a`; the
    /// default category `general` is the top level), then
    /// `<folders>/<name>-<id>.json` for each workflow.
    static func write(_ workflows: [Exported], to path: String, createdAt: Date) throws -> WorkflowBundleReport {
        var folders: [String: (id: String, name: String, parent: String?)] = [:]
        var folderOrder: [String] = []
        func folderID(_ names: [String]) -> String? {
            guard !names.isEmpty else { return nil }
            let key = names.joined(separator: "/")
            if let known = folders[key] { return known.id }
            let parent = folderID(Array(names.dropLast()))
            let id = RecordID.make()
            folders[key] = (id, names[names.count - 1], parent)
            folderOrder.append(key)
            return id
        }
        var items: [WorkflowBundle.Manifest.Item] = []
        var contents: [(String, Data)] = []
        for workflow in workflows {
            let names = folderNames(of: workflow.category)
            _ = folderID(names)
            // Sim names a workflow without a name inside from its file name.
            let fileName = "\(SimWorkflowName.pathSegment(workflow.name))-\(workflow.id).json"
            let entry = (names.map(SimWorkflowName.pathSegment) + [fileName]).joined(separator: "/")
            let data = workflow.file.serialized()
            items.append(WorkflowBundle.Manifest.Item(
                id: workflow.id, name: workflow.name, file: entry, bytes: data.count, sha256: ContentDigest.sha256Hex(data)))
            contents.append((entry, data))
        }
        let folderList = folderOrder.enumerated().map { position, key -> JSONValue in
            let folder = folders[key]!
            return .object(JSONObject([
                "id": .string(folder.id), "name": .string(folder.name), "parentId": .string(folder.parent), "sortOrder": .number(Int64(position)),
            ]))
        }
        let metadata = JSONObject([
            "workspace": .object(JSONObject(["name": .string(workspaceName), "exportedAt": .string(SimWorkflowFile.isoTimestamp(createdAt))])),
            "folders": .array(folderList),
        ])
        try NewPrivateFile.create(at: path) { fd in
            let writer = ZipArchiveWriter(fileDescriptor: fd, modified: createdAt)
            try writer.add(workspaceMetadataName, data: Data(JSONWriter.serialize(.object(metadata), style: .pretty).utf8))
            for (entry, data) in contents { try writer.add(entry, data: data) }
            try writer.finish()
        }
        return WorkflowBundleReport(path: path, bytes: VaultLocation.size(of: path) ?? 0, workflows: items)
    }

    /// The folder names of a category: none for the default one.
    static func folderNames(of category: String) -> [String] {
        guard category != Workflow.defaultCategory else { return [] }
        return category.split(separator: "/").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }
}
