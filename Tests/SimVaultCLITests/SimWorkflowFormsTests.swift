import Foundation
import SimVault
import Testing
import VaultTestSupport

/// `import workflow` takes every JSON form Sim's own importer takes, and Sim's
/// ZIP archives; `export workflow --format api|sim-zip` writes what Sim
/// imports. Fixtures are made by Python the way Sim makes them
/// (``SimWorkflowForms``, ``SimWorkflowCorpus``).
@Suite("Sim workflow forms and ZIP archives")
struct SimWorkflowFormsTests {
    @Test("the API export, a bare state, the legacy form and a JSON string import; each goes back in its own form, unknown members kept")
    func everyForm() throws {
        let test = try TestVault(label: "sim-forms")
        test.vault.close()
        let corpus = try SimWorkflowCorpus.write(into: test.directory.path)
        let forms = try SimWorkflowForms.write(from: corpus[2].path, into: test.directory.path)
        let uiName = try ExternalTools.python("import json,sys; print(json.load(open(sys.argv[1]))['state']['metadata']['name'])", [corpus[2].path]).stdout
            .trimmingCharacters(in: .newlines)

        // The API response body: `--format api` gives it back byte for byte
        // but the exportedAt values; `limits` (unknown to simvault) is kept.
        let api = try importOne(test, try #require(forms["api"]))
        #expect(api["name"] as? String == uiName && api["form"] as? String == "api" && api["blocks"] as? Int == 7)
        let apiID = try #require(api["id"] as? String)
        let apiOut = test.directory.file("api-out.json")
        try test.cliOK(["export", "workflow", apiID, "--format", "api", "-o", apiOut])
        let original = try String(contentsOfFile: try #require(forms["api"]), encoding: .utf8)
        let exported = try String(contentsOfFile: apiOut, encoding: .utf8)
        #expect(exported != original, "exportedAt must be renewed")
        #expect(SimWorkflowCorpus.withoutExportTimes(exported) == SimWorkflowCorpus.withoutExportTimes(original))
        #expect(try SimWorkflowForms.simAccepts(apiOut) == "ok 7 6")
        // The same workflow as Sim's UI export: the payload's state, no `workflow` record.
        let uiOut = test.directory.file("api-as-ui.json")
        try test.cliOK(["export", "workflow", apiID, "-o", uiOut])
        let shape = try ExternalTools.python("""
            import json, sys
            ui = json.load(open(sys.argv[1])); api = json.load(open(sys.argv[2]))["data"]
            for d in (ui["state"]["metadata"], api["state"]["metadata"]): d.pop("exportedAt")
            print(list(ui), ui["state"] == api["state"])
            """, [uiOut, try #require(forms["api"])])
        #expect(shape.stdout == "['version', 'exportedAt', 'state'] True\n")
        #expect(try SimWorkflowForms.simAccepts(uiOut) == "ok 7 6")

        // A bare state and the legacy form: the state is stored as it is;
        // the legacy file has no metadata, so Sim's name for its file name.
        for (form, expectedName) in [("state", uiName), ("legacy", "Morning Digest V2")] {
            let path = try #require(forms[form])
            let item = try importOne(test, path)
            #expect(item["name"] as? String == expectedName, "\(form): \(item)")
            #expect(item["form"] as? String == "state")
            let out = test.directory.file("\(form)-out.json")
            try test.cliOK(["export", "workflow", try #require(item["id"] as? String), "-o", out])
            let same = try ExternalTools.python("""
                import json, sys
                out = json.load(open(sys.argv[1])); original = json.load(open(sys.argv[2]))
                out["state"].get("metadata", {}).pop("exportedAt", None); original.get("metadata", {}).pop("exportedAt", None)
                print(list(out)[:2], out["state"] == original)
                """, [out, path])
            #expect(same.stdout == "['version', 'exportedAt'] True\n", "\(form): \(same.stdout)")
            #expect(try SimWorkflowForms.simAccepts(out) == "ok 7 6")
        }

        // A JSON string holding the API payload.
        let string = try importOne(test, try #require(forms["string"]))
        #expect(string["name"] as? String == uiName && string["form"] as? String == "sim")

        // A workflow imported from a UI export, written in the API form.
        let fromUI = try importOne(test, corpus[2].path)
        let fromUIID = try #require(fromUI["id"] as? String)
        let apiFromUI = test.directory.file("ui-as-api.json")
        try test.cliOK(["export", "workflow", fromUIID, "--format", "api", "-o", apiFromUI])
        let record = try ExternalTools.python("""
            import json, sys
            body = json.load(open(sys.argv[1])); ui = json.load(open(sys.argv[2]))
            data = body["data"]
            print(list(body), list(data), data["workflow"]["id"] == sys.argv[3], data["workflow"]["name"] == ui["state"]["metadata"]["name"],
                  data["state"]["blocks"] == ui["state"]["blocks"], data["state"]["xFutureField"] == ui["state"]["xFutureField"])
            """, [apiFromUI, corpus[2].path, fromUIID])
        #expect(record.stdout == "['data'] ['version', 'exportedAt', 'workflow', 'state', 'xExporter'] True True True True\n", "\(record.stdout)")
        #expect(try SimWorkflowForms.simAccepts(apiFromUI) == "ok 7 6")
    }

    @Test("names as Sim resolves them: state.metadata.name, then workflow.name, then the file name; blank ones skipped; a rename reaches both")
    func nameResolution() throws {
        let test = try TestVault(label: "sim-names")
        test.vault.close()
        let made = try ExternalTools.python("""
            import json, os, sys
            out = sys.argv[1]
            state = {"blocks": {"b1": {"id": "b1", "type": "starter", "name": "Start", "position": {"x": 0, "y": 0}}}, "edges": []}
            def write(name, doc):
                path = os.path.join(out, name); open(path, "w").write(json.dumps(doc, indent=2)); print(path)
            write("both.json", {"data": {"version": "1.0", "exportedAt": "x", "workflow": {"id": "w1", "name": "Record name", "description": "record"},
                                          "state": dict(state, metadata={"name": "  Metadata name ", "description": "meta"})}})
            write("blank-meta.json", {"data": {"version": "1.0", "workflow": {"id": "w2", "name": "Record name", "description": None},
                                                "state": dict(state, metadata={"name": "   "})}})
            write("weekly_report-3f2504e0-4f89-41d3-9a0c-0305e82c3301.json", state)
            """, [test.directory.path])
        let paths = made.stdout.split(separator: "\n").map(String.init)
        let both = try importOne(test, paths[0])
        #expect(both["name"] as? String == "Metadata name")
        #expect(try importOne(test, paths[1])["name"] as? String == "Record name")
        #expect(try importOne(test, paths[2])["name"] as? String == "Weekly Report")
        let id = try #require(both["id"] as? String)
        #expect(try test.sqlValue("SELECT description FROM workflows WHERE id = '\(id)'") == "meta")

        // Renamed in the vault: the API form carries the new name in both places.
        try test.cliOK(["sql", "--write", "UPDATE workflows SET name = 'Renamed' WHERE id = '\(id)'"])
        let out = test.directory.file("renamed.json")
        try test.cliOK(["export", "workflow", id, "--format", "api", "-o", out])
        let names = try ExternalTools.python("import json,sys; d = json.load(open(sys.argv[1]))['data']; print(d['workflow']['name'], '|', d['state']['metadata']['name'])", [out])
        #expect(names.stdout == "Renamed | Renamed\n")
    }

    @Test("a Sim workspace ZIP (folders as directories) and a folder ZIP import with their folder paths as categories and Sim's ids")
    func simZipImport() throws {
        let test = try TestVault(label: "sim-zip")
        test.vault.close()
        let (corpus, zip) = try Self.workspaceZip(in: test)
        let (ids, folders) = (Self.zipIDs, Self.zipFolders)
        let report = try ExternalTools.json(try test.cliOK(["import", "workflow", zip, "--json"]))
        let items = try #require(report["workflows"] as? [[String: Any]])
        #expect(items.count == 5)
        for (index, item) in items.sorted(by: { ($0["id"] as? String ?? "") < ($1["id"] as? String ?? "") }).enumerated() {
            #expect(item["id"] as? String == ids[index], "Sim's id from the file name")
            #expect(item["category"] as? String == (folders[index].isEmpty ? "general" : folders[index]), "\(item)")
        }
        // Each workflow exports as the file it was in the archive.
        let out = test.directory.file("one.json")
        try test.cliOK(["export", "workflow", ids[3], "-o", out])
        #expect(SimWorkflowCorpus.withoutExportTimes(try String(contentsOfFile: out, encoding: .utf8))
            == SimWorkflowCorpus.withoutExportTimes(try String(contentsOfFile: corpus[3].path, encoding: .utf8)))

        // A folder export (`_folder.json`): the same into another vault.
        let other = try TestVault(label: "sim-zip-folder")
        other.vault.close()
        let folderZip = test.directory.file("folder-export.zip")
        try SimWorkflowForms.writeSimZip(files: [corpus[0].path, corpus[1].path], folders: ["Triage", "Triage/Nightly"], ids: Array(ids.prefix(2)), to: folderZip, kind: "folder")
        let folderReport = try ExternalTools.json(try other.cliOK(["import", "workflow", folderZip, "--json"]))
        let categories = (folderReport["workflows"] as? [[String: Any]])?.compactMap { $0["category"] as? String }.sorted()
        #expect(categories == ["Triage", "Triage/Nightly"])
    }

    @Test("export --all --format sim-zip writes Sim's workspace layout: _workspace.json folders, <name>-<id>.json files Sim accepts; it imports back the same")
    func simZipExport() throws {
        let test = try TestVault(label: "sim-zip-out")
        test.vault.close()
        let source = try Self.workspaceZip(in: test).path
        let (ids, folders) = (Self.zipIDs, Self.zipFolders)
        try test.cliOK(["import", "workflow", source])

        let archive = test.directory.file("out.zip")
        let written = try ExternalTools.json(try test.cliOK(["export", "workflow", "--all", "--format", "sim-zip", "-o", archive, "--json"]))
        #expect((written["workflows"] as? [Any])?.count == 5)
        #expect(ExternalTools.mode(of: archive) == 0o600)
        // Read as Sim's importer does (extractWorkflowsFromZip), with Python's zipfile.
        let layout = try ExternalTools.python("""
            import json, re, sys, zipfile
            z = zipfile.ZipFile(sys.argv[1]); assert z.testzip() is None
            meta = json.loads(z.read("_workspace.json"))
            folders = {f["id"]: f for f in meta["folders"]}
            def seg(n): return re.sub(r"-+", "-", "".join(c if (c.isalnum() or c in "-_") else "-" for c in n))
            def path(fid):
                parts = []
                while fid: parts.insert(0, seg(folders[fid]["name"])); fid = folders[fid]["parentId"]
                return "/".join(parts)
            known = {path(f) for f in folders}
            for name in sorted(n for n in z.namelist() if n.endswith(".json") and n != "_workspace.json"):
                directory, _, file = name.rpartition("/")
                assert directory == "" or directory in known, name
                doc = json.loads(z.read(name))
                assert re.fullmatch(seg(doc["state"]["metadata"]["name"]) + r"-[0-9a-f-]{36}\\.json", file), file
                print(directory, file[-41:-5])
            """, [archive])
        let lines = Set(layout.stdout.split(separator: "\n").map(String.init))
        #expect(lines == Set(zip(folders, ids).map { folder, id in
            "\(folder.split(separator: "/").map { SimWorkflowName.pathSegment(String($0)) }.joined(separator: "/")) \(id)"
        }), "\(layout.stdout)")
        let entries = try ExternalTools.python("""
            import sys, zipfile
            z = zipfile.ZipFile(sys.argv[1])
            for n in z.namelist():
                if n.endswith(".json") and n != "_workspace.json":
                    open(sys.argv[2] + "/" + n.replace("/", "_"), "wb").write(z.read(n)); print(sys.argv[2] + "/" + n.replace("/", "_"))
            """, [archive, test.directory.path])
        for entry in entries.stdout.split(separator: "\n") {
            #expect(try SimWorkflowForms.simAccepts(String(entry)).hasPrefix("ok "), "\(entry)")
        }

        let other = try TestVault(label: "sim-zip-back")
        other.vault.close()
        let back = try ExternalTools.json(try other.cliOK(["import", "workflow", archive, "--json"]))
        let pairs = (back["workflows"] as? [[String: Any]] ?? []).map { "\($0["id"] as? String ?? "") \($0["category"] as? String ?? "")" }
        #expect(Set(pairs) == Set(zip(ids, folders).map { "\($0) \($1.isEmpty ? "general" : $1)" }))
    }

    @Test("a Sim ZIP with one workflow Sim would refuse is refused whole, naming the entry; the vault is not changed")
    func simZipWithBadWorkflow() throws {
        let test = try TestVault(label: "sim-zip-bad")
        test.vault.close()
        let corpus = try SimWorkflowCorpus.write(into: test.directory.path)
        let broken = test.directory.file("broken.json")
        try ExternalTools.python("""
            import json, sys
            doc = json.load(open(sys.argv[1])); first = next(iter(doc["state"]["blocks"]))
            del doc["state"]["blocks"][first]["position"]
            open(sys.argv[2], "w").write(json.dumps(doc, indent=2))
            """, [corpus[1].path, broken])
        let zip = test.directory.file("bad.zip")
        try SimWorkflowForms.writeSimZip(files: [corpus[0].path, broken], folders: ["A", "B"],
                                         ids: ["0a1b2c3d-0000-4000-8000-000000000001", "0a1b2c3d-0000-4000-8000-000000000002"], to: zip)
        try test.expectRefused(["import", "workflow", zip], status: 64, mentioning: "missing or invalid position")
        let result = try test.cli(["import", "workflow", zip])
        #expect(result.stderr.contains("bad.zip:B/"), "the entry is named: \(result.stderr)")
    }

    @Test("what Sim's importer refuses is refused with Sim's words, every problem listed; the vault is not changed", arguments: SimRefusal.allCases)
    func refusedAsSimRefuses(_ refusal: SimRefusal) throws {
        let test = try TestVault(label: "sim-refused")
        test.vault.close()
        let path = test.directory.file("refused-\(refusal.rawValue).json")
        try ExternalTools.python(SimRefusal.script, [refusal.rawValue, path])
        try test.expectRefused(["import", "workflow", path], status: 64, mentioning: refusal.expectedMessage)
        if let sim = refusal.simsOwnMessage {
            // The same file through the Python statement of Sim's checks.
            #expect(try SimWorkflowForms.simAccepts(path) == sim)
        }
    }

    /// Sim's ids and folder paths of the five corpus workflows in ``workspaceZip(in:)``.
    static let zipIDs = (1...5).map { String(format: "0a1b2c3d-0000-4000-8000-%012d", $0) }
    static let zipFolders = ["", "Customer Support", "Customer Support/Tier 2 — urgent", "Données", ""]

    /// The corpus written into `test`'s directory, and a Sim workspace ZIP of it.
    static func workspaceZip(in test: TestVault) throws -> (corpus: [(path: String, blocks: Int)], path: String) {
        let corpus = try SimWorkflowCorpus.write(into: test.directory.path)
        let path = test.directory.file("workspace-export.zip")
        try SimWorkflowForms.writeSimZip(files: corpus.map(\.path), folders: zipFolders, ids: zipIDs, to: path)
        return (corpus, path)
    }

    /// Imports `path` and returns the one report item.
    private func importOne(_ test: TestVault, _ path: String) throws -> [String: Any] {
        let report = try ExternalTools.json(try test.cliOK(["import", "workflow", path, "--json"]))
        return try #require((report["workflows"] as? [[String: Any]])?.first)
    }
}

/// Files Sim's importer refuses, and what it says.
enum SimRefusal: String, CaseIterable, CustomTestStringConvertible {
    case blocksMissing, edgesNotArray, blockNotObject, blockIncomplete, edgeNotObject, edgeIncomplete, stringInString, stringNotJSON

    var testDescription: String { rawValue }

    var simsOwnMessage: String? {
        switch self {
        case .blocksMissing: return "Missing or invalid field: blocks"
        case .edgesNotArray: return "Missing or invalid field: edges (must be an array)"
        case .blockNotObject: return "Invalid block b2: must be an object"
        case .blockIncomplete:
            return "Block b2 missing required field: id; Block b2 missing required field: type; Block b2 missing or invalid position"
        case .edgeNotObject: return "Invalid edge at index 0: must be an object"
        case .edgeIncomplete: return "Edge at index 0 missing required field: id; Edge at index 1 missing required field: target"
        case .stringInString, .stringNotJSON: return nil
        }
    }

    var expectedMessage: String {
        switch self {
        case .stringInString: return "a JSON string inside a JSON string"
        case .stringNotJSON: return "holds a JSON string that is not valid JSON"
        default: return "is not a Sim workflow: \(simsOwnMessage ?? "")"
        }
    }

    static let script = #"""
import json, sys
kind, path = sys.argv[1:3]
good = {"id": "b1", "type": "starter", "name": "Start", "position": {"x": 10, "y": 20.5}, "subBlocks": {}, "outputs": {}}
blocks = {"b1": good, "b2": dict(good, id="b2", type="agent", name="Agent")}
edges = [{"id": "e1", "source": "b1", "target": "b2"}]
state = {"blocks": blocks, "edges": edges, "loops": {}, "parallels": {}}
if kind == "blocksMissing": state = {"edges": edges}
elif kind == "edgesNotArray": state["edges"] = {"e1": edges[0]}
elif kind == "blockNotObject": blocks["b2"] = "agent"
elif kind == "blockIncomplete": blocks["b2"] = {"name": "Agent", "id": "", "position": {"x": "10", "y": 20}}
elif kind == "edgeNotObject": state["edges"] = ["e1"]
elif kind == "edgeIncomplete": state["edges"] = [{"source": "b1", "target": "b2"}, {"id": "e2", "source": "b1", "target": None}]
doc = {"version": "1.0", "exportedAt": "2025-11-21T09:30:00.000Z", "state": state}
text = json.dumps(doc, indent=2)
if kind == "stringInString": text = json.dumps(json.dumps(text))
elif kind == "stringNotJSON": text = json.dumps(text[:-3])
open(path, "w").write(text)
"""#
}
