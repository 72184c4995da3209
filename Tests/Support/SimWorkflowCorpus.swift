public import Foundation

/// Realistic Sim workflow export files, written the way Sim writes them
/// (`JSON.stringify(value, null, 2)` without a final newline, here Python's
/// `json.dumps(indent=2, ensure_ascii=False)`, which lays out the same), so
/// they are fixtures made outside the code under test.
///
/// Each has 5 to 8 blocks (a starter, a loop and a parallel container with a
/// child each, agents, functions, conditions), edges with Sim's handles,
/// `loops`, `parallels`, variables, metadata, long prompts with quotes,
/// backslashes, tabs, control characters and non-ASCII text, a number
/// written as `1e-7`, and members Sim may add later (`xFutureField` in the
/// state, `xExporter` at the top). Sizes: about 12, 23, 33, 46 and 58 KB.
public enum SimWorkflowCorpus {
    /// Writes the corpus into `directory`; returns (path, block count).
    public static func write(into directory: String) throws -> [(path: String, blocks: Int)] {
        let result = try ExternalTools.python(script, [directory])
        return result.stdout.split(separator: "\n").map { line in
            let parts = line.split(separator: " ")
            return (String(parts[0]), Int(parts[2]) ?? 0)
        }
    }

    /// `text` with the value of every `"exportedAt"` member replaced, for
    /// comparing an export with the file it came from (pretty or compact).
    public static func withoutExportTimes(_ text: String) -> String {
        text.replacingOccurrences(of: #""exportedAt":( ?)"[^"]*""#, with: "\"exportedAt\":$1\"-\"", options: .regularExpression)
    }

    static let script = #"""
import json, random, sys, os, uuid
out = sys.argv[1]
WORDS = ("summarize the incoming ticket and classify its urgency then draft a reply for the customer using the "
         "knowledge base articles provided keep the tone friendly précis naïve café 東京 données über straße "
         "escape \"quotes\" and back\\slashes and tabs\there and a </script> tag").split(" ")
def text(rng, n):
    parts = []
    size = 0
    while size < n:
        line = " ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 16)))
        parts.append(line)
        size += len(line) + 1
    return "\n".join(parts)
def uid(rng):
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))
def block(rng, kind, name, x, y, target, parent=None):
    b = {"id": None, "type": kind, "name": name, "position": {"x": x, "y": y}, "subBlocks": {}, "outputs": {}, "enabled": True,
         "horizontalHandles": True, "isWide": False, "advancedMode": False, "triggerMode": False, "height": 0}
    if kind == "agent":
        b["subBlocks"] = {
            "systemPrompt": {"id": "systemPrompt", "type": "long-input", "value": text(rng, target)},
            "userPrompt": {"id": "userPrompt", "type": "long-input", "value": "<start.input>"},
            "model": {"id": "model", "type": "combobox", "value": rng.choice(["gpt-4o", "claude-sonnet-4-5", "gemini-2.5-pro"])},
            "temperature": {"id": "temperature", "type": "slider", "value": 0.7},
            "apiKey": {"id": "apiKey", "type": "short-input", "value": "{{OPENAI_API_KEY}}"},
            "tools": {"id": "tools", "type": "tool-input", "value": [{"type": "http_request", "title": "HTTP", "usageControl": "auto"}]},
            "responseFormat": {"id": "responseFormat", "type": "code", "value": None},
        }
        b["outputs"] = {"content": "string", "model": "string", "tokens": "any"}
    elif kind == "api":
        b["subBlocks"] = {"url": {"id": "url", "type": "short-input", "value": "https://api.example.com/v1/items?limit=50&q=%20x"},
                          "method": {"id": "method", "type": "dropdown", "value": "POST"},
                          "headers": {"id": "headers", "type": "table", "value": [{"id": uid(rng), "cells": {"Key": "Accept", "Value": "application/json"}}]},
                          "body": {"id": "body", "type": "code", "value": json.dumps({"n": 3, "items": [1, 2.5, -4]})}}
        b["outputs"] = {"data": "any", "status": "number", "headers": "json"}
    elif kind == "function":
        b["subBlocks"] = {"code": {"id": "code", "type": "code", "value": "return input.items.map(i => i * 2) // " + text(rng, target // 4)}}
        b["outputs"] = {"result": "any", "stdout": "string"}
    elif kind == "condition":
        b["subBlocks"] = {"conditions": {"id": "conditions", "type": "condition-input",
                          "value": json.dumps([{"id": uid(rng), "title": "if", "value": "<agent.content>.length > 10"}, {"id": uid(rng), "title": "else", "value": ""}])}}
    elif kind == "starter":
        b["subBlocks"] = {"startWorkflow": {"id": "startWorkflow", "type": "dropdown", "value": "manual"},
                          "inputFormat": {"id": "inputFormat", "type": "input-format", "value": [{"id": uid(rng), "name": "input", "type": "string", "value": ""}]}}
        b["outputs"] = {"input": "any"}
    b["height"] = rng.choice([95, 120, 180.5])
    b["data"] = {"parentId": parent, "extent": "parent"} if parent else {}
    return b
def workflow(seed, target, nblocks):
    rng = random.Random(seed)
    blocks = {}
    def add(kind, name, parent=None, size=0):
        bid = uid(rng)
        b = block(rng, kind, name, rng.randint(0, 1600), rng.randint(0, 900), size, parent)
        b["id"] = bid
        blocks[bid] = b
        return bid
    start = add("starter", "Start")
    loop = add("loop", "Loop 1")
    blocks[loop]["data"] = {"width": 500, "height": 300, "type": "subflowNode", "count": 5, "loopType": "forEach", "collection": "<start.input>"}
    inner = add("agent", "Per item", parent=loop, size=target // 2)
    par = add("parallel", "Parallel 1")
    blocks[par]["data"] = {"width": 500, "height": 300, "type": "subflowNode", "count": 3, "parallelType": "count"}
    pinner = add("api", "Fetch", parent=par)
    chain = [start, loop, par]
    extra_kinds = ["agent", "function", "condition"]
    for i in range(nblocks - 5):
        k = extra_kinds[i % 3]
        chain.append(add(k, f"{k.title()} {i + 1}", size=target // 3))
    edges = []
    def edge(a, b, sh="source", th="target"):
        edges.append({"id": uid(rng), "source": a, "target": b, "sourceHandle": sh, "targetHandle": th, "type": "workflowEdge", "data": {}})
    for a, b in zip(chain, chain[1:]):
        edge(a, b, "loop-end-source" if a == loop else ("parallel-end-source" if a == par else "source"))
    edge(loop, inner, "loop-start-source")
    edge(par, pinner, "parallel-start-source")
    state = {
        "blocks": blocks, "edges": edges,
        "loops": {loop: {"id": loop, "nodes": [inner], "iterations": 5, "loopType": "forEach", "forEachItems": "<start.input>"}},
        "parallels": {par: {"id": par, "nodes": [pinner], "distribution": "", "count": 3, "parallelType": "count"}},
        "lastSaved": 1732350000123,
        "isDeployed": False,
        "metadata": {"name": f"Flow {seed}: triage \"{WORDS[seed % 10]}\" ✓", "description": text(rng, 120), "color": "#3972F6",
                     "exportedAt": "2025-11-20T08:00:00.000Z"},
        "variables": {uid(rng): {"id": "v1", "workflowId": "wf", "name": "threshold", "type": "number", "value": "__NUM_1e-7__"},
                      uid(rng): {"id": "v2", "workflowId": "wf", "name": "label", "type": "string", "value": "a\u0001b\u001fc"}},
        "xFutureField": {"kept": [1, 2, {"deep": None}]},
    }
    doc = {"version": "1.0", "exportedAt": "2025-11-20T08:00:00.000Z", "state": state, "xExporter": {"app": "sim", "build": 1234}}
    # Sim's "Export as JSON" downloads JSON.stringify(value, null, 2) as it is: no final newline.
    return json.dumps(doc, indent=2, ensure_ascii=False).replace('"__NUM_1e-7__"', "1e-7")
plan = [(1, 8_000, 5), (2, 14_000, 6), (3, 22_000, 7), (4, 34_000, 8), (5, 46_000, 8)]
for seed, size, n in plan:
    path = os.path.join(out, f"flow-{seed}.json")
    with open(path, "w", encoding="utf-8") as f:
        f.write(workflow(seed, size, n))
    print(path, os.path.getsize(path), n)
"""#
}
