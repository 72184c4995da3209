import Foundation

/// The table docs/performance.md shows (Markdown), and the JSON beside it.
struct TableReport {
    let results: Results
    let scale: Scale
    let isQuick: Bool
    let machineBefore: Machine
    let machineAfter: Machine
    let seconds: Double

    static let ratioTarget = 1.10

    func markdown() -> String {
        var lines: [String] = []
        lines.append("Machine: \(machineBefore.cpu), \(machineBefore.cores) cores; SQLCipher \(machineBefore.sqlcipher) on SQLite \(machineBefore.sqlite).")
        lines.append("Load average (1/5/15 min) before: \(machineBefore.loadText), after: \(machineAfter.loadText). Run took \(String(format: "%.0f", seconds)) s\(isQuick ? " (--quick: these numbers only show that it runs)" : "").")
        lines.append("Data: \(scale.conversations.formatted()) conversations, \(scale.messages.formatted()) messages of \(Dataset.messageLength.lowerBound)-\(Dataset.messageLength.upperBound.formatted()) characters, \(scale.workflows.formatted()) workflows of 10-60 KB JSON, \(scale.runs.formatted()) runs.")
        lines.append("")
        lines.append("| operation | simvault p50 | p95 | plaintext p50 | p95 | raw C p50 | p95 | enc / plain | simvault / raw C | targets |")
        lines.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|")
        var group = ""
        let groups = results.operations.map(\.group).reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
        let operations = groups.flatMap { name in results.operations.filter { $0.group == name } }
        for operation in operations {
            if operation.group != group {
                group = operation.group
                lines.append("| **\(group)** | | | | | | | | | |")
            }
            var cells = [operation.name + (operation.comparesTotals ? " †" : "")]
            for variant in Variant.allCases {
                cells.append(Self.milliseconds(operation.p50(variant)))
                cells.append(Self.milliseconds(operation.p95(variant)))
            }
            cells.append(Self.ratio(operation.encryptionRatio))
            cells.append(Self.ratio(operation.libraryRatio))
            cells.append(verdicts(operation).joined(separator: ", "))
            lines.append("| " + cells.joined(separator: " | ") + " |")
        }
        lines.append("")
        lines.append("Times in milliseconds. Ratios compare p50s († totals). Targets: ✓ met, ✗ missed; \"enc\" is encrypted / plaintext ≤ 1.10 (reads and bulk import), \"lib\" is simvault / raw C ≤ 1.10.")
        lines.append("")
        lines.append("| measure | value | note |")
        lines.append("|---|---:|---|")
        for fact in results.facts {
            lines.append("| \(fact.name) | \(Self.number(fact.value)) \(fact.unit) | \(fact.note ?? "") |")
        }
        for note in results.notes { lines.append("\nNote: \(note)") }
        for disagreement in results.disagreements { lines.append("\nDISAGREEMENT: \(disagreement)") }
        return lines.joined(separator: "\n") + "\n"
    }

    private func verdicts(_ operation: OperationResult) -> [String] {
        var verdicts: [String] = []
        if let target = operation.targetMilliseconds, let p50 = operation.p50(.encrypted) {
            verdicts.append("p50 ≤ \(Self.number(target)) ms \(p50 <= target ? "✓" : "✗")")
        }
        if operation.hasEncryptionTarget, let ratio = operation.encryptionRatio {
            verdicts.append("enc \(ratio <= Self.ratioTarget ? "✓" : "✗")")
        }
        if let ratio = operation.libraryRatio {
            verdicts.append("lib \(ratio <= Self.ratioTarget ? "✓" : "✗")")
        }
        return verdicts
    }

    static func milliseconds(_ value: Double?) -> String {
        guard let value else { return "–" }
        return number(value)
    }

    static func number(_ value: Double) -> String {
        switch abs(value) {
        case 1000...: return String(format: "%.0f", value)
        case 100...: return String(format: "%.1f", value)
        case 1...: return String(format: "%.2f", value)
        default: return String(format: "%.3f", value)
        }
    }

    static func ratio(_ value: Double?) -> String {
        value.map { String(format: "%.2f", $0) } ?? "–"
    }

    // MARK: - JSON

    struct JSONReport: Codable {
        struct Operation: Codable {
            let group, name: String
            let samples: [String: Int]
            let p50Milliseconds, p95Milliseconds, totalMilliseconds: [String: Double]
            let encryptedOverPlaintext, simvaultOverRawC: Double?
            let targetMilliseconds: Double?
            let comparesTotals: Bool
        }
        let quick: Bool
        let seconds: Double
        let machineBefore, machineAfter: Machine
        let operations: [Operation]
        let facts: [Fact]
        let notes: [String]
        let disagreements: [String]
    }

    func json() throws -> Data {
        let operations = results.operations.map { operation in
            func table(_ value: (Samples) -> Double) -> [String: Double] {
                Dictionary(uniqueKeysWithValues: operation.samples.map { ($0.key.rawValue, value($0.value)) })
            }
            return JSONReport.Operation(
                group: operation.group, name: operation.name,
                samples: Dictionary(uniqueKeysWithValues: operation.samples.map { ($0.key.rawValue, $0.value.count) }),
                p50Milliseconds: table { $0.p50.milliseconds }, p95Milliseconds: table { $0.p95.milliseconds },
                totalMilliseconds: table { $0.total.milliseconds },
                encryptedOverPlaintext: operation.encryptionRatio, simvaultOverRawC: operation.libraryRatio,
                targetMilliseconds: operation.targetMilliseconds, comparesTotals: operation.comparesTotals)
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(JSONReport(
            quick: isQuick, seconds: seconds, machineBefore: machineBefore, machineAfter: machineAfter, operations: operations,
            facts: results.facts, notes: results.notes, disagreements: results.disagreements))
    }
}
