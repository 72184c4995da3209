import Foundation
import SimVault

extension BenchmarkRun {
    /// Workflows whose state is about 50 KB.
    var fiftyKilobyteWorkflows: [WorkflowRecord] {
        let near = dataset.workflows.filter { (45_000...55_000).contains($0.state.count) }
        return near.isEmpty ? Array(dataset.workflows.prefix(3)) : near
    }

    func measureWorkflowReads() throws {
        progress("workflow loads and lists, run lists")
        let workflows = fiftyKilobyteWorkflows
        try measure("Workflows", "load a 50 KB workflow", iterations: scale.iterations.workflowLoad, target: 2) { subject, round in
            try subject.loadWorkflow(id: workflows[round % workflows.count].id)
        }
        try measure("Workflows", "list workflows (100, metadata)", iterations: scale.iterations.list) { subject, _ in
            try subject.listWorkflows(limit: 100)
        }
        var random = SeededRandom(seed: 0xBE4C_0004)
        let all = dataset.workflows
        let picks = (0..<(scale.iterations.list + 3)).map { _ in all[Int.random(in: 0..<all.count, using: &random)].id }
        try measure("Runs", "list a workflow's last 20 runs", iterations: scale.iterations.list) { subject, round in
            try subject.listRuns(workflowID: picks[round], limit: 20)
        }
    }

    func measureWorkflowWrites(_ random: inout SeededRandom) throws {
        let workflows = fiftyKilobyteWorkflows
        try measure(
            "Workflows", "save a 50 KB workflow (edited state)", iterations: scale.iterations.workflowSave, target: 3,
            encryptionTarget: false
        ) { subject, round in
            var record = workflows[round % workflows.count]
            record.state = Dataset.edited(record.state, revision: round)
            return try subject.saveWorkflow(record)
        }
        let json = WorkflowJSON(corpus: dataset.corpus)
        let all = dataset.workflows
        let runs = (0..<(scale.iterations.runRecord + 3)).map { _ in
            RunRecord(
                id: random.uuid(), workflowID: all[Int.random(in: 0..<all.count, using: &random)].id,
                input: json.runInput(&random), output: json.runOutput(&random), succeeded: true)
        }
        try measure(
            "Runs", "record a run (start + finish)", iterations: scale.iterations.runRecord, encryptionTarget: false
        ) { subject, round in
            try subject.recordRun(runs[round])
            return 0
        }
    }

    /// On-disk size of the workflow store against the raw JSON, and what
    /// each zlib level would give.
    func measureStorage() throws {
        progress("workflow store size")
        let rawJSON = Double(dataset.workflowJSONBytes)
        let vault = try createVault("workflow-store")
        try vault.writeWithoutTransaction { db in try db.execute("PRAGMA wal_checkpoint(TRUNCATE)") }
        let empty = Double(VaultLocation.size(of: vault.path) ?? 0)
        for workflow in dataset.workflows {
            try vault.workflows.save(Workflow(
                id: workflow.id, name: workflow.name, description: workflow.description, category: workflow.category,
                tags: workflow.tags, state: workflow.state))
        }
        try vault.writeWithoutTransaction { db in try db.execute("PRAGMA wal_checkpoint(TRUNCATE)") }
        let full = Double(VaultLocation.size(of: vault.path) ?? 0)
        vault.close()
        results.add(Fact(group: "Storage", name: "raw workflow JSON (\(dataset.workflows.count) workflows)", value: rawJSON / 1_048_576, unit: "MiB"))
        results.add(Fact(
            group: "Storage", name: "workflow store on disk (encrypted vault growth)", value: (full - empty) / 1_048_576, unit: "MiB"))
        results.add(Fact(
            group: "Storage", name: "workflow store / raw JSON", value: (full - empty) / rawJSON * 100, unit: "%",
            note: "target ≤ 40%"))

        // zlib levels: size of all states, time for the 50 KB ones.
        let fifty = fiftyKilobyteWorkflows.map(\.state)
        for level: Int32 in 1...9 {
            let packed = try dataset.workflows.reduce(0) { $0 + (try Zlib.compress($1.state, level: level)).count }
            var samples = Samples()
            for state in fifty.prefix(20) {
                samples.add(try Clock.measure { _ = try Zlib.compress(state, level: level) }.nanoseconds)
            }
            results.add(Fact(
                group: "Storage", name: "zlib level \(level): compressed / raw JSON", value: Double(packed) / rawJSON * 100, unit: "%",
                note: "compressing 50 KB: p50 \(String(format: "%.3f", samples.p50.milliseconds)) ms"))
        }
    }
}
