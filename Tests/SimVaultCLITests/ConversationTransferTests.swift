import Foundation
import SimVault
import Testing
import VaultTestSupport

/// `simvault export conversation|all` and `simvault import conversations`.
@Suite("conversation export and import")
struct ConversationTransferTests {
    /// A vault with a user, an agent, two conversations (one with an
    /// attachment, and replies that failed, were cancelled or interrupted),
    /// a workflow with a run, a setting and a secret.
    static func populatedVault(label: String) throws -> (TestVault, chatID: String) {
        let test = try TestVault(label: label)
        let vault = test.vault
        let ada = try vault.users.create(username: "ada", displayName: "Ada L.")
        let helper = try vault.agents.create(Agent(name: "Helper", provider: "openai", model: "gpt-4o", systemPrompt: "Be brief.", config: #"{"temperature":0.2}"#))
        let chat = try vault.conversations.create(Conversation(title: "Trip planning", userID: ada.id, agentID: helper.id, extra: #"{"pinnedNote":"ünïcode"}"#))
        try vault.messages.append(to: chat.id, role: .system, content: "You plan trips.")
        let question = try vault.messages.append(to: chat.id, role: .user, content: "Find me a night train to Vienna — \"quoted\"\n\tand a tab")
        try vault.messages.append(to: chat.id, role: .assistant, content: "The **Nightjet** leaves at 19:40.", model: "gpt-4o", tokens: 12, metadata: #"{"finish":"stop"}"#)
        let failing = try vault.messages.beginReply(in: chat.id, model: "gpt-4o")
        try failing.append("The Railjet ")
        try failing.fail(error: "the provider closed the connection")
        let cancelled = try vault.messages.beginReply(in: chat.id, model: "gpt-4o")
        try cancelled.append("Let me check the ")
        try cancelled.cancel()
        do {
            let interrupted = try vault.messages.beginReply(in: chat.id, model: "gpt-4o")
            try interrupted.append("Trains to Vienna run ")
        }
        try vault.attachments.add(to: question.id, fileName: "ticket.png", mediaType: "image/png", data: Data((0..<2000).map { UInt8($0 % 251) }))
        var other = try vault.conversations.create(Conversation(title: "Archived", isPinned: true))
        other.isArchived = true
        try vault.conversations.update(other)
        try vault.messages.append(to: other.id, role: .tool, content: #"{"call":"x"}"#, contentType: "tool_call")
        let flow = try vault.workflows.save(Workflow(name: "Digest", tags: ["news"], state: Data(#"{"blocks":{},"edges":[],"n":1.50}"#.utf8)))
        let run = try vault.runs.start(workflowID: flow.id, trigger: .schedule, input: Data(#"{"a":1}"#.utf8))
        try vault.runs.finish(run.id, status: .success, output: Data(#"{"sent":3}"#.utf8))
        try vault.settings.set(.theme, "dark")
        var secret = Array("sk-EXPORT-SECRET-VALUE-123456789".utf8)
        try vault.secrets.set("OPENAI_API_KEY", value: SecretBytes(consuming: &secret), scope: "provider:openai")
        vault.close()
        return (test, chat.id)
    }

    /// The document without what changes from export to export.
    static func normalized(_ path: String, dropping keys: [String] = []) throws -> String {
        try ExternalTools.python("""
            import json, sys
            doc = json.load(open(sys.argv[1]))
            for key in ["exported_at", "vault_id"] + sys.argv[2:]: doc.pop(key, None)
            print(json.dumps(doc, sort_keys=True))
            """, [path] + keys).stdout
    }

    @Test("a conversation exported as JSON, imported into another vault and exported again gives the same document; Markdown reads well")
    func conversationRoundTrip() throws {
        let (test, chatID) = try Self.populatedVault(label: "conv-a")
        let first = test.directory.file("chat.json")
        try test.cliOK(["export", "conversation", chatID, "--format", "json", "-o", first])
        #expect(ExternalTools.mode(of: first) == 0o600)
        let document = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: first))) as? [String: Any])
        #expect(document["format"] as? String == "simvault-export" && document["version"] as? Int == 2)
        #expect((document["users"] as? [Any])?.count == 1 && (document["agents"] as? [Any])?.count == 1)
        let statuses = try ExternalTools.python("""
            import json, sys
            doc = json.load(open(sys.argv[1]))
            print([(m["status"], m["error_message"]) for m in doc["conversations"][0]["messages"]])
            """, [first]).stdout
        #expect(statuses == "[('complete', None), ('complete', None), ('complete', None), ('failed', 'the provider closed the connection'), ('cancelled', None), ('interrupted', None)]\n")

        let other = try TestVault(label: "conv-b")
        other.vault.close()
        let report = try ExternalTools.json(try other.cliOK(["import", "conversations", first, "--json"]))
        #expect((report["imported"] as? [String: Int]) == ["users": 1, "agents": 1, "conversations": 1, "messages": 6, "attachments": 1, "runs": 0, "settings": 0, "secrets": 0])
        let second = other.directory.file("chat-again.json")
        try other.cliOK(["export", "conversation", chatID, "-o", second])
        #expect(try Self.normalized(first) == Self.normalized(second), "the round trip changed the conversation")
        let again = try ExternalTools.json(try other.cliOK(["import", "conversations", first, "--json"]))
        #expect((again["already_present"] as? [String: Int])?["conversations"] == 1 && (again["imported"] as? [String: Int])?["messages"] == 0)

        let markdown = try test.cliOK(["export", "conversation", chatID, "--format", "markdown"]).stdout
        #expect(markdown.hasPrefix("# Trip planning\n"))
        #expect(markdown.contains("- Agent: Helper (openai gpt-4o)"))
        #expect(markdown.contains("## assistant (gpt-4o) · ") && markdown.contains("The **Nightjet** leaves at 19:40."))
        #expect(markdown.contains(" · failed: the provider closed the connection\n\nThe Railjet \n"))
        #expect(markdown.contains(" · cancelled\n\nLet me check the \n") && markdown.contains(" · interrupted\n\nTrains to Vienna run \n"))
        #expect(!markdown.contains(" · complete"), "a complete message says nothing about its status")
        #expect(markdown.contains("Attachment: ticket.png (image/png, 2.0 KiB)"))
        let missing = try test.cli(["export", "conversation", "no-such-id"])
        #expect(missing.status == 1 && missing.stderr.contains("no conversation \"no-such-id\""), "\(missing)")
    }

    @Test("export all holds everything but secret values; importing it fills an empty vault with the same conversations")
    func everythingRoundTrip() throws {
        let (test, _) = try Self.populatedVault(label: "all-a")
        let all = test.directory.file("all.json")
        try test.cliOK(["export", "all", "--format", "json", "-o", all])
        let summary = try ExternalTools.python("""
            import json, sys
            doc = json.load(open(sys.argv[1]))
            print(doc["scope"], len(doc["users"]), len(doc["agents"]), len(doc["conversations"]), len(doc["workflows"]), len(doc["runs"]),
                  len(doc["settings"]), len(doc["secrets"]), sorted(doc["secrets"][0].keys()), doc["workflows"][0]["state"]["n"], doc["runs"][0]["output"])
            """, [all]).stdout
        #expect(summary == "all 1 1 2 1 1 1 1 ['created_at', 'kind', 'name', 'scope', 'updated_at'] 1.5 {'sent': 3}\n")
        #expect(!ExternalTools.fileContains(all, "sk-EXPORT-SECRET-VALUE"), "a secret value was exported without being asked for")

        let empty = try TestVault(label: "all-b")
        empty.vault.close()
        try empty.cliOK(["import", "conversations", all])
        let copy = empty.directory.file("all-again.json")
        try empty.cliOK(["export", "all", "-o", copy])
        let conversations = { (path: String) in
            try ExternalTools.python("import json, sys; d = json.load(open(sys.argv[1])); print(json.dumps([d['users'], d['agents'], d['conversations']], sort_keys=True))", [path]).stdout
        }
        #expect(try conversations(all) == conversations(copy))
    }

    @Test("--include-secrets: refused off a terminal without --yes; with it the values are written and each read audited; on a terminal only 'yes' confirms")
    func includeSecrets() throws {
        let (test, _) = try Self.populatedVault(label: "secrets-export")
        let refused = try test.cli(["export", "all", "--include-secrets", "-o", test.directory.file("x.json")])
        #expect(refused.status == 64 && refused.stderr.contains("--yes"), "\(refused)")
        #expect(!FileManager.default.fileExists(atPath: test.directory.file("x.json")))

        let withSecrets = test.directory.file("with-secrets.json")
        let done = try test.cliOK(["export", "all", "--include-secrets", "--yes", "-o", withSecrets])
        #expect(done.stderr.contains("1 secret values (in plaintext!)"))
        let value = try ExternalTools.python("import json, sys; print(json.load(open(sys.argv[1]))['secrets'][0]['value'])", [withSecrets]).stdout
        #expect(value == "sk-EXPORT-SECRET-VALUE-123456789\n")
        #expect(try test.sqlValue("SELECT count(*) FROM access_log WHERE action = 'secret.read' AND detail LIKE '%export%'") == "1")
        #expect(try test.sqlValue("SELECT count(*) FROM access_log WHERE action = 'export.secrets'") == "1")

        for (answer, confirmed) in [("no", false), ("yes", true)] {
            let output = test.directory.file("tty-\(answer).json")
            let transcript = try PseudoTerminal.run(
                ProjectPaths.simvaultBinary, ["export", "all", "--include-secrets", "-o", output] + test.cliArguments,
                environment: ProcessRunner.baseEnvironment, answers: [("Type 'yes' to continue: ", answer)])
            #expect((transcript.status == 0) == confirmed, "\(transcript.screen)")
            #expect(FileManager.default.fileExists(atPath: output) == confirmed)
        }
    }

    @Test("a reply exported while it streams carries its text so far and imports as interrupted; version 1 files import as complete messages")
    func statusesAcrossVersions() throws {
        let test = try TestVault(label: "status-src")
        let vault = test.vault
        let chat = try vault.conversations.create(Conversation(title: "Streaming now"))
        try vault.messages.append(to: chat.id, role: .user, content: "Tell me about ferries")
        let reply = try vault.messages.beginReply(in: chat.id)
        try reply.append("Ferries to Helsinki ")
        let file = test.directory.file("streaming.json")
        // Another process exports while this one streams: it leaves the reply alone.
        try test.cliOK(["export", "conversation", chat.id, "-o", file])
        let markdown = try test.cliOK(["export", "conversation", chat.id, "--format", "markdown"]).stdout
        #expect(markdown.contains(" · streaming\n\nFerries to Helsinki \n"), "\(markdown)")
        #expect(try vault.messages.get(id: reply.messageID)?.status == .streaming)
        let exported = try ExternalTools.python("""
            import json, sys
            doc = json.load(open(sys.argv[1]))
            print([(m["status"], m["content"]) for m in doc["conversations"][0]["messages"]])
            """, [file]).stdout
        #expect(exported == "[('complete', 'Tell me about ferries'), ('streaming', 'Ferries to Helsinki ')]\n")
        try reply.append("leave at nine.")
        try reply.finish()

        let other = try TestVault(label: "status-dst")
        other.vault.close()
        try other.cliOK(["import", "conversations", file])
        // The same conversation as a version 1 file (no statuses), under other ids.
        let old = other.directory.file("version-1.json")
        try ExternalTools.python("""
            import json, sys
            doc = json.load(open(sys.argv[1]))
            doc["version"] = 1
            for c in doc["conversations"]:
                c["id"] += "-v1"
                for m in c["messages"]:
                    m["id"] += "-v1"
                    del m["status"], m["error_message"]
            json.dump(doc, open(sys.argv[2], "w"))
            """, [file, old])
        try other.cliOK(["import", "conversations", old])
        let vaultB = try other.reopen()
        defer { vaultB.close() }
        let imported = try vaultB.messages.page(in: chat.id).messages
        #expect(imported.map(\.status) == [.complete, .interrupted] && imported.last?.content == "Ferries to Helsinki ")
        #expect(try vaultB.messages.page(in: chat.id + "-v1").messages.map(\.status) == [.complete, .complete])
        #expect(try vaultB.search("helsinki").count == 2)
    }

    @Test("a broken export is refused at the first problem and nothing of it is kept", arguments: BrokenExport.allCases)
    func brokenExport(_ kind: BrokenExport) throws {
        let (source, _) = try Self.populatedVault(label: "broken-src")
        let all = source.directory.file("all.json")
        try source.cliOK(["export", "all", "-o", all])
        let broken = source.directory.file("broken.json")
        try kind.make(from: all, to: broken)

        let test = try TestVault(label: "broken-dst")
        test.vault.close()
        try test.expectRefused(["import", "conversations", broken], status: 64, mentioning: kind.message)
    }

    @Test("a large export is read as a stream: the importer's peak memory stays far below the file's size")
    func boundedMemory() throws {
        let test = try TestVault(label: "big")
        test.vault.close()
        let small = test.directory.file("small.json"), big = test.directory.file("big.json")
        // The same 400 conversations: without messages in the small file;
        // with 60 messages of 4 KB each (about 100 MB) and a 20 MB array the
        // import skips in the big one.
        try ExternalTools.python("""
            import json, sys
            small, big = sys.argv[1:3]
            head = '{"format": "simvault-export", "version": 1, '
            with open(small, "w") as f:
                f.write(head + '"conversations": [' + ",".join(json.dumps({"id": f"c{i}", "title": f"t{i}"}) for i in range(400)) + "]}")
            text = "lorem ipsum dolor sit amet " * 150
            with open(big, "w") as f:
                f.write(head + '"workflows": [' + ",".join(json.dumps({"id": f"w{i}", "state": {"pad": text}}) for i in range(5000)) + '], "conversations": [')
                for i in range(400):
                    messages = [{"id": f"c{i}-m{n}", "role": "user", "content": text} for n in range(60)]
                    f.write(("," if i else "") + json.dumps({"id": f"c{i}", "title": f"t{i}", "messages": messages}))
                f.write("]}")
            """, [small, big])
        let size = try #require(VaultLocation.size(of: big))
        #expect(size > 100_000_000)
        try test.cliOK(["import", "conversations", small])
        // Opened with the recovery code: the password's Argon2id (64 MiB at
        // the minimum cost) would count in the peak, and is not the importer.
        let measured = try ExternalTools.python("""
            import resource, subprocess, sys
            result = subprocess.run(sys.argv[1:], capture_output=True, text=True)
            print(result.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
            print(result.stdout, result.stderr)
            """, [ProjectPaths.simvaultBinary, "import", "conversations", big, "--json"] + test.cliArgumentsWithRecoveryCode)
        let numbers = measured.stdout.split(separator: "\n")[0].split(separator: " ").compactMap { Int($0) }
        try #require(numbers.count == 2 && numbers[0] == 0, "\(measured.stdout)")
        #expect(measured.stdout.contains("\"conversations\" : 400"), "every conversation was read: \(measured.stdout)")
        let peakBytes = numbers[1] * 1024
        #expect(peakBytes < Int(size) / 2, "peak memory \(peakBytes) bytes for a \(size)-byte file")
    }
}

/// Broken simvault export files.
enum BrokenExport: String, CaseIterable, CustomTestStringConvertible {
    case truncated, notJSON, wrongFormat, wrongVersion, recordsBeforeFormat, badRoleLate, unknownUser

    var testDescription: String { rawValue }

    var message: String {
        switch self {
        case .truncated: return "truncated"
        case .notJSON: return "not valid JSON"
        case .wrongFormat: return "is not a simvault export"
        case .wrongVersion: return "format version 3; this simvault reads versions 1 to 2"
        case .recordsBeforeFormat: return "must come before the records"
        case .badRoleLate: return "unknown role \"narrator\""
        case .unknownUser: return "refers to user nobody"
        }
    }

    func make(from valid: String, to target: String) throws {
        try ExternalTools.python("""
            import json, sys
            kind, src, dst = sys.argv[1:4]
            text = open(src).read()
            doc = json.loads(text)
            if kind == "truncated": out = text[: len(text) * 2 // 3]
            elif kind == "notJSON": out = text.replace('"conversations": [', '"conversations": [}', 1)
            else:
                if kind == "wrongFormat": doc["format"] = "something-else"
                if kind == "wrongVersion": doc["version"] = 3
                if kind == "badRoleLate": doc["conversations"][-1]["messages"][-1]["role"] = "narrator"
                if kind == "unknownUser": doc["conversations"][-1]["user_id"] = "nobody"
                if kind == "recordsBeforeFormat":
                    doc = {"conversations": doc["conversations"], "format": doc["format"], "version": doc["version"]}
                out = json.dumps(doc, indent=2)
            open(dst, "w").write(out)
            """, [rawValue, valid, target])
    }
}
