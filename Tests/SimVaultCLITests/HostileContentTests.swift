import Foundation
import SimVault
import Testing
import VaultTestSupport

/// Imported files that carry credentials, or that try to exhaust memory:
/// credentials end up sealed (and never in an export), oversized records
/// and repeated bundle entries are refused with the vault unchanged.
@Suite("hostile content")
struct HostileContentTests {
    static let apiKey = "sk-proj-ZEBRAKEY0123456789abcdefXYZ"
    static let botToken = "xoxb-ZEBRATOKEN-4711"
    static let password = "ZEBRAPASS-hunter2"

    /// A Sim export whose agent block keeps its API key, a Slack block its
    /// bot token and an HTTP block a password, in sub-blocks; and a second
    /// agent that refers to Sim's environment (`{{OPENAI_API_KEY}}`).
    static let workflowWithCredentials = #"""
import json, sys
def block(id, type, name, sub):
    return {"id": id, "type": type, "name": name, "position": {"x": 0, "y": 0}, "enabled": True,
            "subBlocks": {k: {"id": k, "type": "short-input", "value": v} for k, v in sub.items()}, "outputs": {}}
state = {
    "blocks": {
        "b1": block("b1", "agent", "Agent 1", {"model": "gpt-4o", "apiKey": sys.argv[2], "systemPrompt": "Be brief."}),
        "b2": block("b2", "slack", "Slack 1", {"botToken": sys.argv[3], "channel": "#general"}),
        "b3": block("b3", "api", "HTTP 1", {"url": "https://example.com", "password": sys.argv[4]}),
        "b4": block("b4", "agent", "Agent 2", {"apiKey": "{{OPENAI_API_KEY}}"}),
    },
    "edges": [{"id": "e1", "source": "b1", "target": "b2"}, {"id": "e2", "source": "b2", "target": "b3"}],
    "loops": {}, "parallels": {},
    "metadata": {"name": "Keys inside", "description": "credentials in sub-blocks"},
    "variables": {},
}
json.dump({"version": "1.0", "exportedAt": "2025-11-20T08:00:00.000Z", "state": state}, open(sys.argv[1], "w"), indent=2)
"""#

    @Test("a workflow's API key, token and password sub-blocks are sealed on import; no export, bundle or `sql` shows them")
    func workflowCredentials() throws {
        let test = try TestVault(label: "workflow-keys")
        test.vault.close()
        let file = test.directory.file("keys.json")
        try ExternalTools.python(Self.workflowWithCredentials, [file, Self.apiKey, Self.botToken, Self.password])

        let report = try ExternalTools.json(try test.cliOK(["import", "workflow", file, "--json"]))
        #expect(report["sealed_credentials"] as? Int == 3, "\(report)")
        let id = try #require(((report["workflows"] as? [[String: Any]])?.first)?["id"] as? String)
        let scope = "workflow:\(id)"
        #expect(try test.cliOK(["secret", "get", "API_KEY", "--scope", scope]).stdout == Self.apiKey, "the key moved, it was not lost")
        #expect(try test.cliOK(["secret", "get", "BOT_TOKEN", "--scope", scope]).stdout == Self.botToken)
        #expect(try test.cliOK(["secret", "get", "PASSWORD", "--scope", scope]).stdout == Self.password)

        let exported = try test.cliOK(["export", "workflow", id]).stdout
        #expect(exported.contains("\"value\": \"secret:\(scope)/API_KEY\""), "the state refers to the secret")
        #expect(exported.contains("{{OPENAI_API_KEY}}"), "references to Sim's environment stay")
        let bundle = test.directory.file("share.simworkflow"), all = test.directory.file("all.json")
        try test.cliOK(["export", "workflow", "--all", "-o", bundle])
        try test.cliOK(["export", "all", "-o", all])
        let unzipped = try ExternalTools.python("import sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); sys.stdout.write(''.join(z.read(n).decode() for n in z.namelist()))", [bundle]).stdout
        let vault = try test.reopen()
        let stored = String(decoding: try #require(try vault.workflows.load(id: id)).state, as: UTF8.self)
        vault.close()
        for credential in [Self.apiKey, Self.botToken, Self.password] {
            #expect(!exported.contains(credential) && !unzipped.contains(credential) && !stored.contains(credential))
            #expect(!ExternalTools.fileContains(all, credential), "\(credential) in export all")
            for vaultFile in test.existingFiles { #expect(!ExternalTools.fileContains(vaultFile, credential)) }
        }
    }

    @Test("a state an app saved with a key in it is exported redacted; only `export all --include-secrets` carries it, and the app loads it byte for byte")
    func appSavedStateIsRedacted() throws {
        let test = try TestVault(label: "app-keys")
        let state = Data(#"{"blocks":{"b1":{"type":"agent","subBlocks":{"apiKey":{"id":"apiKey","value":"sk-proj-APPKEY0123456789abcdefXYZ"}}}},"edges":[]}"#.utf8)
        let saved = try test.vault.workflows.save(Workflow(name: "App flow", state: state))
        #expect(try test.vault.workflows.load(id: saved.id)?.state == state, "saves keep the app bytes")
        test.vault.close()
        let exported = try test.cliOK(["export", "workflow", saved.id]).stdout
        #expect(!exported.contains("APPKEY") && exported.contains("[redacted by simvault]"), "\(exported)")
        let plain = test.directory.file("all.json"), full = test.directory.file("full.json")
        try test.cliOK(["export", "all", "-o", plain])
        #expect(!ExternalTools.fileContains(plain, "APPKEY"))
        try test.cliOK(["export", "all", "--include-secrets", "--yes", "-o", full])
        #expect(ExternalTools.fileContains(full, "sk-proj-APPKEY0123456789abcdefXYZ"), "--include-secrets exports states as stored")
    }

    @Test("an agent's config and a conversation's model in a conversations file: their keys are sealed on import")
    func conversationImportSealsAgentKeys() throws {
        let test = try TestVault(label: "agent-keys")
        test.vault.close()
        let file = test.directory.file("export.json")
        try ExternalTools.python("""
            import json, sys
            doc = {"format": "simvault-export", "version": 1,
                   "agents": [{"id": "a1", "name": "Helper", "config": json.dumps({"provider": {"apiKey": sys.argv[2]}, "temperature": 0.2})}],
                   "conversations": [{"id": "c1", "title": "t", "agent_id": "a1", "model": json.dumps({"name": "OpenAI", "apiKey": sys.argv[2]}),
                                      "messages": [{"id": "m1", "role": "user", "content": "hello"}]}]}
            json.dump(doc, open(sys.argv[1], "w"))
            """, [file, Self.apiKey])
        try test.cliOK(["import", "conversations", file])
        #expect(try test.sqlValue("SELECT config FROM agents WHERE id = 'a1'") == #"{"provider":{"apiKey":"secret:agent:a1/PROVIDER_API_KEY"},"temperature":0.2}"#)
        #expect(try test.sqlValue("SELECT model FROM conversations WHERE id = 'c1'") == #"{"name":"OpenAI","apiKey":"secret:conversation:c1/API_KEY"}"#)
        #expect(try test.cliOK(["secret", "get", "PROVIDER_API_KEY", "--scope", "agent:a1"]).stdout == Self.apiKey)
    }

    @Test("a bundle whose manifest names one entry many times is refused; the vault is unchanged")
    func repeatedBundleEntry() throws {
        let test = try TestVault(label: "bundle-repeat")
        test.vault.close()
        let valid = test.directory.file("keys.json"), bundle = test.directory.file("repeat.simworkflow")
        try ExternalTools.python(Self.workflowWithCredentials, [valid, Self.apiKey, Self.botToken, Self.password])
        try ExternalTools.python(Self.repeatedEntryBundle, [valid, bundle, "40"])
        try test.expectRefused(["import", "workflow", bundle], status: 64, mentioning: "its manifest lists workflows/a.json more than once")
    }

    /// A bundle with one workflow file, listed `count` times in the manifest
    /// under different ids (each listing would inflate the entry again).
    static let repeatedEntryBundle = #"""
import hashlib, json, sys, zipfile
valid, target, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
data = open(valid, "rb").read()
items = [{"id": f"w{i}", "name": "n", "file": "workflows/a.json", "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()} for i in range(count)]
with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr("manifest.json", json.dumps({"format": "simworkflow", "version": 1, "createdAt": "x", "createdBy": "t", "workflows": items}))
    z.writestr("workflows/a.json", data)
"""#

    @Test("a 48 MB conversations file whose one message holds 24 million tiny values is refused quickly, with memory far below what building it takes")
    func oversizedRecordIsRefusedWithBoundedMemory() throws {
        let test = try TestVault(label: "big-record")
        test.vault.close()
        let file = test.directory.file("junk.json")
        try ExternalTools.python("""
            import sys
            with open(sys.argv[1], "w") as f:
                f.write('{"format": "simvault-export", "version": 1, "conversations": [{"id": "c1", "title": "x", "messages": [')
                f.write('{"id": "m1", "role": "user", "content": "hi", "junk": [' + ",".join(["1"] * 24_000_000) + ']}]}]}')
            """, [file])
        let size = try #require(VaultLocation.size(of: file))
        #expect(size > 45_000_000)
        let before = test.fileBytes()
        let measured = try ExternalTools.python("""
            import resource, subprocess, sys
            result = subprocess.run(sys.argv[1:], capture_output=True, text=True)
            print(result.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
            print(result.stderr)
            """, [ProjectPaths.simvaultBinary, "import", "conversations", file] + test.cliArguments)
        let numbers = measured.stdout.split(separator: "\n")[0].split(separator: " ").compactMap { Int($0) }
        try #require(numbers.count == 2, "\(measured.stdout)")
        #expect(numbers[0] == 64, "\(measured.stdout)")
        #expect(measured.stdout.contains("a single value would take more than 64.0 MiB of memory"), "\(measured.stdout)")
        // Building the record took 1.35 GB before the bound (main, 2026-12-04).
        let peakBytes = numbers[1] * 1024
        #expect(peakBytes < 256 << 20, "peak memory \(peakBytes) bytes")
        #expect(test.fileBytes() == before)
    }
}
