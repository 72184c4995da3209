import Foundation
import SimVault
import Testing
import VaultTestSupport

/// `simvault import workflow` / `export workflow`: Sim's export format and
/// `.simworkflow` bundles.
@Suite("workflow import and export")
struct WorkflowTransferTests {
    @Test("Sim workflows (5-8 blocks, loops, parallels, 12-58 KB) come back byte for byte apart from exportedAt, alone and through a bundle")
    func roundTrip() throws {
        let test = try TestVault(label: "workflows")
        test.vault.close()
        let corpus = try SimWorkflowCorpus.write(into: test.directory.path)
        try #require(corpus.count == 5)
        var ids: [String] = []
        for (path, blocks) in corpus {
            let size = try #require(VaultLocation.size(of: path))
            #expect((10_000...60_000).contains(size), "fixture size \(size)")
            let report = try ExternalTools.json(try test.cliOK(["import", "workflow", path, "--json"]))
            let item = try #require((report["workflows"] as? [[String: Any]])?.first)
            #expect(item["blocks"] as? Int == blocks)
            let id = try #require(item["id"] as? String)
            ids.append(id)

            let exported = test.directory.file("export-\(ids.count).json")
            try test.cliOK(["export", "workflow", id, "-o", exported])
            let original = try String(contentsOfFile: path, encoding: .utf8)
            let copy = try String(contentsOfFile: exported, encoding: .utf8)
            #expect(copy != original, "exportedAt must be renewed")
            #expect(SimWorkflowCorpus.withoutExportTimes(copy) == SimWorkflowCorpus.withoutExportTimes(original), "\(path) changed in the round trip")
            #expect(ExternalTools.mode(of: exported) == 0o600)
        }
        // The stored state is Sim's `state` object: the app can load it directly.
        let blocks = try test.sqlValue("SELECT count(*) FROM workflows WHERE source LIKE '%\"xExporter\"%'")
        #expect(blocks == "5", "the top-level envelope (with its unknown member) is kept in workflows.source")

        // All five in one bundle, read by Python's zipfile as well.
        let bundle = test.directory.file("all.simworkflow")
        let written = try ExternalTools.json(try test.cliOK(["export", "workflow", "--all", "-o", bundle, "--json"]))
        #expect((written["workflows"] as? [Any])?.count == 5)
        let check = try ExternalTools.python("""
            import json, sys, zipfile
            z = zipfile.ZipFile(sys.argv[1])
            assert z.testzip() is None
            manifest = json.loads(z.read("manifest.json"))
            assert manifest["format"] == "simworkflow" and manifest["version"] == 1
            assert all(i.compress_type == zipfile.ZIP_DEFLATED for i in z.infolist())
            print(len(manifest["workflows"]), len(z.namelist()))
            """, [bundle])
        #expect(check.stdout == "5 6\n")

        let other = try TestVault(label: "workflows-other")
        other.vault.close()
        let imported = try ExternalTools.json(try other.cliOK(["import", "workflow", bundle, "--json"]))
        let importedIDs = try #require((imported["workflows"] as? [[String: Any]])?.compactMap { $0["id"] as? String })
        #expect(Set(importedIDs) == Set(ids), "a workflow keeps its id in a vault that does not have it")
        for (index, id) in ids.enumerated() {
            let again = other.directory.file("again-\(index).json")
            try other.cliOK(["export", "workflow", id, "-o", again])
            let original = try String(contentsOfFile: corpus[index].path, encoding: .utf8)
            #expect(SimWorkflowCorpus.withoutExportTimes(try String(contentsOfFile: again, encoding: .utf8)) == SimWorkflowCorpus.withoutExportTimes(original))
        }
        // Importing the bundle again into the first vault makes copies with new ids.
        let copies = try ExternalTools.json(try test.cliOK(["import", "workflow", bundle, "--json"]))
        let copyIDs = (copies["workflows"] as? [[String: Any]])?.compactMap { $0["id"] as? String } ?? []
        #expect(copyIDs.count == 5 && Set(copyIDs).isDisjoint(with: ids))
    }

    @Test("a minified Sim file comes back in Sim's layout, semantically equal with the same member order")
    func minifiedInput() throws {
        let test = try TestVault(label: "workflows-min")
        test.vault.close()
        let corpus = try SimWorkflowCorpus.write(into: test.directory.path)
        let minified = test.directory.file("minified.json")
        try ExternalTools.python("""
            import json, sys
            doc = json.load(open(sys.argv[1]), object_pairs_hook=lambda p: p)
            def back(v):
                if isinstance(v, list) and v and all(isinstance(x, tuple) for x in v): return {k: back(x) for k, x in v}
                if isinstance(v, list): return [back(x) for x in v]
                return v
            open(sys.argv[2], "w").write(json.dumps(back(doc), separators=(",", ":"), ensure_ascii=True))
            """, [corpus[0].path, minified])
        let report = try ExternalTools.json(try test.cliOK(["import", "workflow", minified, "--json"]))
        let id = try #require((report["workflows"] as? [[String: Any]])?.first?["id"] as? String)
        let exported = test.directory.file("out.json")
        try test.cliOK(["export", "workflow", id, "-o", exported])
        // Equal to what was imported, member order included (Python keeps
        // members as ordered pairs), and in Sim's layout.
        let compare = try ExternalTools.python("""
            import json, sys
            def load(p):
                def pairs(items): return [(k, "-" if k == "exportedAt" else v) for k, v in items]
                return json.load(open(p), object_pairs_hook=pairs)
            print(load(sys.argv[1]) == load(sys.argv[2]))
            """, [minified, exported])
        #expect(compare.stdout == "True\n")
        let text = try String(contentsOfFile: exported, encoding: .utf8)
        #expect(text.hasPrefix("{\n  \"version\": \"1.0\",\n  \"exportedAt\": ") && text.hasSuffix("\n}"), "not in JSON.stringify(value, null, 2) layout (which has no final newline)")
    }

    @Test("malformed workflow files and bundles: exit 64 naming the problem, the vault not changed by a byte", arguments: MalformedWorkflow.allCases)
    func malformed(_ kind: MalformedWorkflow) throws {
        let test = try TestVault(label: "workflows-bad")
        try test.vault.workflows.save(Workflow(name: "existing", state: Data(#"{"blocks":{},"edges":[]}"#.utf8)))
        test.vault.close()
        let corpus = try SimWorkflowCorpus.write(into: test.directory.path)
        let path = try kind.make(in: test.directory, from: corpus[1].path)
        try test.expectRefused(["import", "workflow", path], status: 64, mentioning: kind.expectedMessage)
        #expect(try test.sqlValue("SELECT count(*) FROM workflows") == "1")
    }

    @Test("a workflow file larger than 64 MiB is refused before it is read")
    func hugeFileRefused() throws {
        let test = try TestVault(label: "workflows-huge")
        test.vault.close()
        let path = test.directory.file("huge.json")
        #expect(FileManager.default.createFile(atPath: path, contents: nil))
        let handle = try #require(FileHandle(forWritingAtPath: path))
        try handle.truncate(atOffset: 100 << 20)  // sparse: no disk used
        try handle.close()
        let result = try test.cli(["import", "workflow", path])
        #expect(result.status == 64 && result.stderr.contains("at most 64.0 MiB"), "\(result)")
    }
}

/// Broken inputs for `import workflow`.
enum MalformedWorkflow: String, CaseIterable, CustomTestStringConvertible {
    case truncated, invalidJSON, wrongVersion, notAnObject, duplicateKey, danglingEdge, loopOfUnknownBlock
    case zipSlip, absolutePath, zipBomb, zipBombLyingAboutSize, crcMismatch, truncatedZip, bundleManifestMismatch, bundleWithBadWorkflow

    var testDescription: String { rawValue }

    var expectedMessage: String {
        switch self {
        case .truncated: return "truncated"
        case .invalidJSON: return "not valid JSON"
        case .wrongVersion: return "format version \"2.0\""
        case .notAnObject: return "the top level is an array"
        case .duplicateKey: return "duplicate member"
        case .danglingEdge: return "which are not both blocks"
        case .loopOfUnknownBlock: return "which is not a block"
        case .zipSlip: return "leads outside the target directory"
        case .absolutePath: return "is an absolute path"
        case .zipBomb: return "more than the 64.0 MiB allowed"
        case .zipBombLyingAboutSize: return "inflates to more than"
        case .crcMismatch: return "CRC-32"
        case .truncatedZip: return "not a usable ZIP archive"
        case .bundleManifestMismatch: return "does not match the size and SHA-256"
        case .bundleWithBadWorkflow: return "format version \"9\""
        }
    }

    /// Writes the broken input; `valid` is a good Sim export to start from.
    func make(in directory: TemporaryDirectory, from valid: String) throws -> String {
        let text = try String(contentsOfFile: valid, encoding: .utf8)
        let target = directory.file("bad-\(rawValue)")
        switch self {
        case .truncated: try directory.write(String(text.prefix(text.count / 2)), to: "bad-\(rawValue)")
        case .invalidJSON: try directory.write(text.replacingOccurrences(of: "\"edges\": [", with: "\"edges\": [,"), to: "bad-\(rawValue)")
        case .wrongVersion: try directory.write(text.replacingOccurrences(of: "\"version\": \"1.0\"", with: "\"version\": \"2.0\""), to: "bad-\(rawValue)")
        case .notAnObject: try directory.write("[\(text)]", to: "bad-\(rawValue)")
        case .duplicateKey: try directory.write(text.replacingOccurrences(of: "\"version\": \"1.0\",", with: "\"version\": \"1.0\", \"version\": \"1.0\","), to: "bad-\(rawValue)")
        case .danglingEdge, .loopOfUnknownBlock:
            try ExternalTools.python("""
                import json, sys
                doc = json.load(open(sys.argv[1]))
                if sys.argv[3] == "edge": doc["state"]["edges"][0]["target"] = "no-such-block"
                else: list(doc["state"]["loops"].values())[0]["nodes"].append("no-such-block")
                json.dump(doc, open(sys.argv[2], "w"), indent=2)
                """, [valid, target, self == .danglingEdge ? "edge" : "loop"])
        default:
            try ExternalTools.python(Self.zipScript, [rawValue, valid, target])
        }
        return target
    }

    /// Hostile and damaged bundles, made with Python's zipfile.
    static let zipScript = #"""
import hashlib, json, sys, zipfile, zlib
kind, valid, target = sys.argv[1:4]
data = open(valid, "rb").read()
def manifest(name, payload):
    return json.dumps({"format": "simworkflow", "version": 1, "createdAt": "x", "createdBy": "test",
                       "workflows": [{"id": "w1", "name": "n", "file": name, "bytes": len(payload), "sha256": hashlib.sha256(payload).hexdigest()}]})
if kind in ("zipSlip", "absolutePath"):
    name = "../../escaped.json" if kind == "zipSlip" else "/tmp/escaped.json"
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("manifest.json", manifest(name, data))
        z.writestr(name, data)
elif kind in ("zipBomb", "zipBombLyingAboutSize"):
    bomb = b"{" + b" " * (100 << 20) + b"}"
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("manifest.json", manifest("workflows/bomb.json", bomb))
        z.writestr("workflows/bomb.json", bomb)
    if kind == "zipBombLyingAboutSize":
        import struct
        raw = bytearray(open(target, "rb").read())
        name = b"workflows/bomb.json"
        central = raw.rfind(b"PK\x01\x02", 0, raw.rfind(name))
        struct.pack_into("<I", raw, central + 24, 1000)
        local = raw.find(b"PK\x03\x04" , raw.find(b"PK\x03\x04") + 4)
        struct.pack_into("<I", raw, local + 22, 1000)
        open(target, "wb").write(bytes(raw))
elif kind == "crcMismatch" or kind == "truncatedZip":
    with zipfile.ZipFile(target, "w", zipfile.ZIP_STORED) as z:
        z.writestr("manifest.json", manifest("workflows/a.json", data))
        z.writestr("workflows/a.json", data)
    raw = bytearray(open(target, "rb").read())
    if kind == "crcMismatch":
        at = raw.find(b'"blocks"')
        raw[at + 1] ^= 0x01
    else:
        raw = raw[: len(raw) // 2]
    open(target, "wb").write(bytes(raw))
elif kind == "bundleManifestMismatch":
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("manifest.json", manifest("workflows/a.json", data + b" "))
        z.writestr("workflows/a.json", data)
elif kind == "bundleWithBadWorkflow":
    bad = data.replace(b'"version": "1.0"', b'"version": "9"')
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("manifest.json", json.dumps({"format": "simworkflow", "version": 1, "createdAt": "x", "createdBy": "t", "workflows": [
            {"id": "w1", "name": "good", "file": "workflows/good.json", "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()},
            {"id": "w2", "name": "bad", "file": "workflows/bad.json", "bytes": len(bad), "sha256": hashlib.sha256(bad).hexdigest()}]}))
        z.writestr("workflows/good.json", data)
        z.writestr("workflows/bad.json", bad)
"""#
}
