import Foundation
import SimVault
import Testing
import VaultTestSupport

/// Workflows: compressed state, history, and their runs.
@Suite("workflows and runs")
struct WorkflowStoreTests {
    @Test("workflow state round-trips byte for byte, and a 50 KB state is stored in well under half its size")
    func stateRoundTripAndCompression() throws {
        let test = try TestVault()
        let vault = test.vault
        let state = workflowStateJSON(blocks: 140)
        #expect(state.count >= 50_000, "fixture should be at least 50 KB, is \(state.count)")
        let saved = try vault.workflows.save(Workflow(name: "Big flow", tags: ["etl"], state: state))
        let loaded = try #require(try vault.workflows.load(id: saved.id))
        #expect(loaded.state == state)
        #expect(saved.stateBytes == state.count)
        // Measured in the database itself, not just reported by the store.
        let stored = try #require(try vault.rawScalar("SELECT length(state) FROM workflows WHERE id = ?", [saved.id], as: Int.self))
        #expect(stored == saved.storedBytes)
        #expect(stored * 4 < state.count, "stored \(stored) bytes for \(state.count) bytes of JSON")

        // Exact bytes survive, including whitespace and key order a JSON
        // round trip would change.
        let odd = Data("{ \"b\" : 1,\n  \"a\":[1, 2 ,3], \"é\":\"\\u00e9\" }".utf8)
        let oddSaved = try vault.workflows.save(Workflow(name: "odd", state: odd))
        #expect(try vault.workflows.load(id: oddSaved.id)?.state == odd)
        #expect(throws: VaultError.self) { try vault.workflows.save(Workflow(name: "bad", state: Data("not json".utf8))) }
    }

    @Test("saving a changed state bumps the version and keeps the old one; metadata alone updates in place")
    func history() throws {
        let test = try TestVault()
        let vault = test.vault
        var flow = Workflow(name: "Digest", description: "daily news", tags: ["news"], state: workflowStateJSON(blocks: 3, seed: 1))
        #expect(try vault.workflows.save(flow).version == 1)
        flow.description = "daily news, shorter"
        #expect(try vault.workflows.save(flow).version == 1, "a metadata change must not create a version")
        flow.state = workflowStateJSON(blocks: 4, seed: 2)
        #expect(try vault.workflows.save(flow).version == 2)
        flow.name = "Digest v3"
        flow.state = workflowStateJSON(blocks: 5, seed: 3)
        #expect(try vault.workflows.save(flow).version == 3)

        let history = try vault.workflows.history(of: flow.id)
        #expect(history.map(\.version) == [3, 2, 1])
        #expect(history.map(\.isCurrent) == [true, false, false])
        #expect(try vault.workflows.load(id: flow.id, version: 1)?.state == workflowStateJSON(blocks: 3, seed: 1))
        #expect(try vault.workflows.load(id: flow.id, version: 2)?.name == "Digest")
        #expect(try vault.workflows.load(id: flow.id, version: 9) == nil)

        #expect(try vault.workflows.pruneHistory(of: flow.id, keepingLatest: 1) == 1)
        #expect(try vault.workflows.history(of: flow.id).map(\.version) == [3, 2])
        #expect(try vault.workflows.load(id: flow.id)?.state == workflowStateJSON(blocks: 5, seed: 3))
    }

    @Test("a state stored at another zlib level (an older simvault's 6) saved again unchanged is no new version")
    func unchangedStateAcrossCompressionLevels() throws {
        let test = try TestVault()
        let vault = test.vault
        let flow = Workflow(name: "Levels", state: workflowStateJSON(blocks: 20, seed: 4))
        try vault.workflows.save(flow)
        try vault.rawWrite("UPDATE workflows SET state = ? WHERE id = ?", [try Zlib.compress(flow.state, level: 6), flow.id])
        #expect(try vault.workflows.save(flow).version == 1)
        #expect(try vault.workflows.load(id: flow.id)?.state == flow.state)
        var edited = flow
        edited.state = workflowStateJSON(blocks: 20, seed: 5)
        #expect(edited.state.count == flow.state.count, "same size, other bytes: compared inflated")
        #expect(try vault.workflows.save(edited).version == 2)
    }

    @Test("list returns metadata only, newest first, by category")
    func listing() throws {
        let test = try TestVault()
        let vault = test.vault
        let a = try vault.workflows.save(Workflow(name: "A", category: "mail", state: Data("{}".utf8)))
        let b = try vault.workflows.save(Workflow(name: "B", category: "etl", state: Data("[]".utf8)))
        try vault.rawWrite("UPDATE workflows SET updated_at = updated_at + 1000 WHERE id = ?", [a.id])
        #expect(try vault.workflows.list().map(\.id) == [a.id, b.id])
        #expect(try vault.workflows.list(category: "etl").map(\.id) == [b.id])
    }

    @Test("updating a workflow does not delete its runs; deleting it does")
    func updateKeepsRuns() throws {
        let test = try TestVault()
        let vault = test.vault
        var flow = Workflow(name: "Runner", state: workflowStateJSON(blocks: 2))
        try vault.workflows.save(flow)
        let run = try vault.runs.start(workflowID: flow.id, trigger: .manual, input: Data(#"{"q":"go"}"#.utf8))
        try vault.runs.finish(run.id, status: .success, output: Data(#"{"ok":true}"#.utf8))
        let before = try vault.runs.get(id: run.id)

        flow.state = workflowStateJSON(blocks: 3)
        flow.name = "Runner renamed"
        try vault.workflows.save(flow)
        flow.description = "metadata only"
        try vault.workflows.save(flow)

        #expect(try vault.runs.get(id: run.id) == before)
        #expect(try vault.runs.list(RunFilter(workflowID: flow.id)).count == 1)
        #expect(try vault.runs.output(of: run.id) == Data(#"{"ok":true}"#.utf8))
        #expect(try vault.rawScalar("SELECT count(*) FROM runs WHERE workflow_id = ?", [flow.id], as: Int.self) == 1)
        let second = try vault.runs.start(workflowID: flow.id, trigger: .schedule)
        #expect(second.workflowVersion == 2)

        #expect(try vault.workflows.delete(id: flow.id))
        #expect(try vault.count("runs") == 0)
        #expect(try vault.count("workflow_versions") == 0)
        try vault.checkSearchIndexes()
    }

    @Test("runs: start, finish with metrics, duration computed, filters by workflow, agent, status and time")
    func runs() throws {
        let test = try TestVault()
        let vault = test.vault
        let flow = try vault.workflows.save(Workflow(name: "F", state: Data("{}".utf8)))
        let agent = try vault.agents.create(Agent(name: "Agent"))
        let chat = try vault.conversations.create(Conversation(title: "c"))
        let flowRun = try vault.runs.start(workflowID: flow.id, trigger: .api, input: Data(#"[1,2,3]"#.utf8))
        #expect(flowRun.status == .running && flowRun.durationMilliseconds == nil)
        let agentRun = try vault.runs.start(agentID: agent.id, trigger: .chat, conversationID: chat.id)
        let failed = try vault.runs.start(workflowID: flow.id, trigger: .webhook)

        let done = try vault.runs.finish(flowRun.id, status: .success, metrics: RunMetrics(blocksExecuted: 4, tokensUsed: 1200, apiCalls: 3))
        #expect(done.metrics == RunMetrics(blocksExecuted: 4, tokensUsed: 1200, apiCalls: 3))
        #expect(done.durationMilliseconds == done.completedAt! - done.startedAt)
        try vault.runs.finish(failed.id, status: .error, errorMessage: "timeout")
        #expect(throws: VaultError.self) { try vault.runs.finish(failed.id, status: .success) }
        #expect(throws: VaultError.self) { try vault.runs.finish(agentRun.id, status: .running) }
        #expect(throws: VaultError.recordNotFound(kind: "workflow", id: "nope")) { try vault.runs.start(workflowID: "nope", trigger: .manual) }

        #expect(Set(try vault.runs.list(RunFilter(workflowID: flow.id)).map(\.id)) == [flowRun.id, failed.id])
        #expect(try vault.runs.list(RunFilter(agentID: agent.id)).map(\.id) == [agentRun.id])
        #expect(try vault.runs.list(RunFilter(status: .error)).map(\.errorMessage) == ["timeout"])
        #expect(try vault.runs.list(RunFilter(status: .running)).map(\.id) == [agentRun.id])
        #expect(try vault.runs.list(RunFilter(startedFrom: done.startedAt + 3_600_000)).isEmpty)
        #expect(try vault.runs.list(RunFilter(startedBefore: done.startedAt + 3_600_000)).count == 3)
        #expect(try vault.runs.input(of: flowRun.id) == Data("[1,2,3]".utf8))
        #expect(try vault.runs.output(of: agentRun.id) == nil)

        // The schema itself refuses inconsistent rows.
        #expect(throws: SQLiteError.self) {
            try vault.rawWrite("UPDATE runs SET completed_at = NULL WHERE id = ?", [flowRun.id])
        }
        #expect(throws: SQLiteError.self) {
            try vault.rawWrite("UPDATE runs SET agent_id = ? WHERE id = ?", [agent.id, flowRun.id])
        }
        try vault.conversations.delete(id: chat.id)
        #expect(try vault.runs.get(id: agentRun.id)?.conversationID == nil, "a run outlives its conversation, unlinked")
    }
}

extension WorkflowStoreTests {
    @Test("tags come back exactly, whether stored plainly, with escapes, or spaced by hand; a damaged array is an error")
    func tagsRoundTrip() throws {
        let test = try TestVault()
        let vault = test.vault
        let tags = ["plain", "with \"quotes\"", "back\\slash", "tab\there", "ünïcödé", "emoji 🦔", "", "slash/ok"]
        let flow = try vault.workflows.save(Workflow(name: "Tags", tags: tags, state: Data("{}".utf8)))
        #expect(try vault.workflows.list().first { $0.id == flow.id }?.tags == tags)
        #expect(try vault.workflows.load(id: flow.id)?.tags == tags)

        try vault.rawWrite("UPDATE workflows SET tags = ? WHERE id = ?", [" [ \"a\" ,\n\"b\" ] ", flow.id])
        #expect(try vault.workflows.list().first?.tags == ["a", "b"])
        try vault.rawWrite("UPDATE workflows SET tags = ? WHERE id = ?", ["[\"\\u00e9t\\u00e9\"]", flow.id])
        #expect(try vault.workflows.list().first?.tags == ["été"])
        for damaged in ["[\"a\"", "\"a\"", "[1]", "[\"a\"] x"] {
            try vault.rawWrite("UPDATE workflows SET tags = ? WHERE id = ?", [damaged, flow.id])
            #expect(throws: RowDecodingError.self, "\(damaged)") { try vault.workflows.list() }
        }
    }
}
