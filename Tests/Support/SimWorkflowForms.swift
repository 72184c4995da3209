public import Foundation

/// The other forms of Sim workflows, made by Python from a UI export of
/// ``SimWorkflowCorpus`` the way Sim makes them, so the fixtures come from
/// outside the code under test:
///
/// - `api`: the response body of `GET /api/v1/workflows/{id}/export`
///   (`buildWorkflowExportPayload` + `createApiResponse` in Sim):
///   `{"data": {"version", "exportedAt", "workflow": {…}, "state": {…}}, "limits": {…}}`,
///   written by `NextResponse.json` as `JSON.stringify(body)`, so compact;
///   the state holds what Sim's `sanitizeForExport` keeps (blocks, edges
///   projected like `toExportedEdge`, loops, parallels, metadata,
///   variables);
/// - `state`: the bare state of the file;
/// - `legacy`: blocks and edges at the root with runtime members
///   (`lastSaved`, `isDeployed`) and no metadata, as older Sim files were;
/// - `string`: a JSON string holding the API payload (Sim's import API
///   takes the workflow as JSON text too).
public enum SimWorkflowForms {
    /// Writes the four forms of `uiExport` into `directory`; returns their
    /// paths by form name, and the id and workspace id used.
    public static func write(from uiExport: String, into directory: String, stem: String = "flow") throws -> [String: String] {
        let result = try ExternalTools.python(script, [uiExport, directory, stem])
        var paths: [String: String] = [:]
        for line in result.stdout.split(separator: "\n") {
            let parts = line.split(separator: " ", maxSplits: 1)
            paths[String(parts[0])] = String(parts[1])
        }
        return paths
    }

    static let script = #"""
import json, re, sys, os
ui, out, stem = sys.argv[1:4]
# Numbers stay as written (JavaScript writes 1e-7 where Python would write 1e-07).
doc = json.load(open(ui, encoding="utf-8"), parse_float=lambda text: f"__NUM_{text}__")
def numbers(text):
    return re.sub(r'"__NUM_([^"]*)__"', r"\1", text)
state = doc["state"]
meta = state["metadata"]
workflow_id = "5f0c2d1e-8a7b-4c3d-9e2f-1a0b9c8d7e6f"
workspace_id = "ws-2b7e4c1a"
def edge(e):
    # toExportedEdge: the defined fields only (JSON.stringify drops undefined).
    return {k: e[k] for k in ("id", "source", "target", "sourceHandle", "targetHandle", "type", "data") if e.get(k) is not None}
exported_at = "2025-11-21T09:30:00.000Z"
sanitized = {k: state[k] for k in ("blocks", "edges", "loops", "parallels", "metadata", "variables")}
sanitized["edges"] = [edge(e) for e in state["edges"]]
sanitized["metadata"] = dict(meta, name=meta["name"], description=meta["description"], exportedAt=exported_at)
payload = {"version": "1.0", "exportedAt": exported_at,
           "workflow": {"id": workflow_id, "name": meta["name"], "description": meta["description"],
                        "workspaceId": workspace_id, "folderId": None},
           "state": sanitized}
limits = {"workflowExecutionRateLimit": {"sync": {"requestsPerMinute": 60, "maxBurst": 10, "remaining": 59, "resetAt": "2025-11-21T09:31:00.000Z"},
                                         "async": {"requestsPerMinute": 200, "maxBurst": 40, "remaining": 200, "resetAt": "2025-11-21T09:31:00.000Z"}},
          "usage": {"currentPeriodCost": 1.25, "limit": 10, "plan": "free", "isExceeded": False}}
def compact(value):
    return numbers(json.dumps(value, separators=(",", ":"), ensure_ascii=False))
def write(name, text):
    path = os.path.join(out, name)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    return path
print("api", write(f"{stem}-api.json", compact({"data": payload, "limits": limits})))
print("state", write(f"{stem}-state.json", numbers(json.dumps(state, indent=2, ensure_ascii=False))))
legacy = {"blocks": state["blocks"], "edges": state["edges"], "loops": state["loops"], "parallels": state["parallels"],
          "lastSaved": 1700000000000, "isDeployed": False}
print("legacy", write(f"morning-digest_v2-{workflow_id}.json", numbers(json.dumps(legacy, indent=2, ensure_ascii=False))))
print("string", write(f"{stem}-string.json", json.dumps(compact(payload), ensure_ascii=False)))
"""#

    /// Sim's importer checks, stated in Python from `parseWorkflowJson` and
    /// `unwrapWorkflowExportEnvelope` (Sim's
    /// apps/sim/lib/workflows/operations/import-export.ts): prints `ok
    /// <blocks> <edges>` for a file Sim would import, else the errors Sim
    /// would report. Used on what simvault exports.
    public static func simAccepts(_ path: String) throws -> String {
        try ExternalTools.python(simCheckScript, [path]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static let simCheckScript = #"""
import json, sys
def truthy(v):
    return not (v is None or v is False or v == 0 or v == "")
data = json.loads(open(sys.argv[1], encoding="utf-8").read())
errors = []
if not isinstance(data, (dict, list)):
    print("Invalid JSON: Root must be an object"); sys.exit(0)
if isinstance(data, dict) and isinstance(data.get("data"), dict) and any(truthy(data["data"].get(k)) for k in ("state", "version", "workflow")):
    data = data["data"]
wf = data["state"] if isinstance(data, dict) and isinstance(data.get("state"), dict) else data
blocks = wf.get("blocks") if isinstance(wf, dict) else None
if not truthy(blocks) or not isinstance(blocks, (dict, list)):
    print("Missing or invalid field: blocks"); sys.exit(0)
if not isinstance(wf.get("edges"), list):
    print("Missing or invalid field: edges (must be an array)"); sys.exit(0)
for bid, b in blocks.items():
    if not isinstance(b, (dict, list)) or not truthy(b): errors.append(f"Invalid block {bid}: must be an object"); continue
    for f in ("id", "type"):
        if not truthy(b.get(f)): errors.append(f"Block {bid} missing required field: {f}")
    p = b.get("position")
    if not truthy(p) or not isinstance(p, dict) or type(p.get("x")) not in (int, float) or type(p.get("y")) not in (int, float):
        errors.append(f"Block {bid} missing or invalid position")
for i, e in enumerate(wf["edges"]):
    if not isinstance(e, dict): errors.append(f"Invalid edge at index {i}: must be an object"); continue
    for f in ("id", "source", "target"):
        if not truthy(e.get(f)): errors.append(f"Edge at index {i} missing required field: {f}")
print("; ".join(errors) if errors else f"ok {len(blocks)} {len(wf['edges'])}")
"""#

    /// Writes a ZIP archive laid out as Sim's workspace export (JSZip:
    /// stored entries, a directory entry per folder, `_workspace.json` with
    /// the folders, `<folder path>/<name>-<id>.json`), holding the UI
    /// exports `files` placed in `folders` (a folder path of real names per
    /// file, "" for the top level). `kind` `folder` writes `_folder.json`
    /// instead, as Sim's folder export does.
    public static func writeSimZip(files: [String], folders: [String], ids: [String], to target: String, kind: String = "workspace") throws {
        var arguments = [target, kind]
        for index in files.indices { arguments += [files[index], folders[index], ids[index]] }
        try ExternalTools.python(zipScript, arguments)
    }

    static let zipScript = #"""
import json, re, sys, zipfile
target, kind = sys.argv[1:3]
rest = sys.argv[3:]
items = [(rest[i], rest[i + 1], rest[i + 2]) for i in range(0, len(rest), 3)]
def segment(name):
    # Sim's sanitizePathSegment: not a letter, digit, - or _ becomes -, runs collapse.
    return re.sub(r"-+", "-", "".join(c if (c.isalnum() or c in "-_") else "-" for c in name))
folders, ids = [], {}
for _, path, _ in items:
    parts = [p for p in path.split("/") if p]
    for depth in range(1, len(parts) + 1):
        key = "/".join(parts[:depth])
        if key not in ids:
            ids[key] = f"fold-{len(ids) + 1:04d}"
            parent = "/".join(parts[:depth - 1])
            folders.append({"id": ids[key], "name": parts[depth - 1], "parentId": ids.get(parent), "sortOrder": len(folders)})
with zipfile.ZipFile(target, "w", zipfile.ZIP_STORED) as z:
    if kind == "workspace":
        meta = {"workspace": {"name": "Support team", "exportedAt": "2025-11-21T09:30:00.000Z"}, "folders": folders}
        z.writestr("_workspace.json", json.dumps(meta, indent=2, ensure_ascii=False))
    else:
        meta = {"folder": {"name": "Support", "exportedAt": "2025-11-21T09:30:00.000Z"},
                "folders": [{"id": f["id"], "name": f["name"], "parentId": f["parentId"]} for f in folders]}
        z.writestr("_folder.json", json.dumps(meta, indent=2, ensure_ascii=False))
    made = set()
    for source, path, wid in items:
        parts = [segment(p) for p in path.split("/") if p]
        for depth in range(1, len(parts) + 1):
            d = "/".join(parts[:depth]) + "/"
            if d not in made:
                made.add(d)
                z.writestr(zipfile.ZipInfo(d), b"")
        doc = json.load(open(source, encoding="utf-8"))
        name = doc["state"]["metadata"]["name"]
        text = open(source, encoding="utf-8").read()
        z.writestr("/".join(parts + [f"{segment(name)}-{wid}.json"]), text.encode("utf-8"))
"""#
}
