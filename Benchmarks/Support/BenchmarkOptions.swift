import Foundation

/// How big the data set is and how often each operation runs.
struct Scale: Sendable {
    var conversations: Int
    var messages: Int
    /// Messages per bulk-import transaction.
    var importBatch: Int
    var workflows: Int
    var runs: Int
    /// Size the rekey and backup vault is grown to, in bytes.
    var largeVaultBytes: Int
    /// Streamed replies, and chunks in each.
    var replies: Int
    var replyChunks: Int
    var iterations: Iterations

    struct Iterations: Sendable {
        var append: Int
        var page: Int
        var list: Int
        var searchPerQuery: Int
        var workflowSave: Int
        var workflowLoad: Int
        var runRecord: Int
        var openKeyring: Int
        var openPassword: Int
        var largeVaultRepeats: Int
    }

    /// The realistic scale docs/performance.md's table is measured at.
    static let full = Scale(
        conversations: 2_000, messages: 100_000, importBatch: 1_000, workflows: 1_000, runs: 10_000,
        largeVaultBytes: 100 << 20, replies: 3, replyChunks: 2_000,
        iterations: Iterations(
            append: 1_000, page: 1_000, list: 500, searchPerQuery: 60, workflowSave: 200, workflowLoad: 300,
            runRecord: 300, openKeyring: 30, openPassword: 8, largeVaultRepeats: 5))

    /// Small enough for CI (under a minute, even in a debug build): it
    /// checks that every workload runs, not how fast.
    static let quick = Scale(
        conversations: 40, messages: 2_000, importBatch: 250, workflows: 30, runs: 200,
        largeVaultBytes: 2 << 20, replies: 1, replyChunks: 200,
        iterations: Iterations(
            append: 30, page: 30, list: 20, searchPerQuery: 3, workflowSave: 10, workflowLoad: 10,
            runRecord: 10, openKeyring: 3, openPassword: 1, largeVaultRepeats: 1))
}

/// Command line: `simvault-bench [--quick] [--json FILE] [--directory DIR] [--keep]`.
struct BenchmarkOptions {
    var isQuick = false
    var jsonPath: String?
    /// Where the vaults are made (a fresh directory inside it).
    var directory = FileManager.default.temporaryDirectory.path
    /// Keep the vaults afterwards (for looking at them).
    var keepsFiles = false
    /// Measure only the groups whose name contains one of these (tuning;
    /// the databases are still filled).
    var onlyGroups: [String] = []

    var scale: Scale { isQuick ? .quick : .full }

    /// Whether the table group `name` is measured in this run.
    func measures(_ name: String) -> Bool {
        onlyGroups.isEmpty || onlyGroups.contains { name.lowercased().contains($0) }
    }

    static let usage = """
        usage: simvault-bench [--quick] [--json FILE] [--directory DIR] [--keep] [--only GROUP]...

          --quick          a small data set and few iterations (CI: checks that it runs)
          --json FILE      also write every measurement as JSON to FILE
          --directory DIR  make the vaults in a fresh directory inside DIR (default: $TMPDIR or /tmp)
          --keep           keep the vaults afterwards
          --only GROUP     measure only table groups whose name contains GROUP (for tuning; repeatable)

        Run it inside `scripts/with-keyring --` so the keyring workloads have a Secret Service.
        """

    init(arguments: [String]) throws {
        var remaining = arguments[...]
        while let argument = remaining.popFirst() {
            switch argument {
            case "--quick": isQuick = true
            case "--keep": keepsFiles = true
            case "--json":
                guard let value = remaining.popFirst() else { throw UsageError(message: "--json needs a file name") }
                jsonPath = value
            case "--directory":
                guard let value = remaining.popFirst() else { throw UsageError(message: "--directory needs a directory") }
                directory = value
            case "--only":
                guard let value = remaining.popFirst() else { throw UsageError(message: "--only needs a group name") }
                onlyGroups.append(value.lowercased())
            case "-h", "--help": throw UsageError(message: nil)
            default: throw UsageError(message: "unknown argument \(argument)")
            }
        }
    }
}

struct UsageError: Error {
    let message: String?
}
