import Foundation
import SimVault

extension BenchmarkRun {
    /// `import sim-postgres` of 1,000 workflows (30 with --quick) from a real
    /// PostgreSQL server into a fresh vault, encrypted and plaintext: seconds,
    /// and rows read per second. The server is the throwaway cluster
    /// `scripts/with-postgres` starts (`make bench` does); the Sim database
    /// is made by scripts/sim-postgres-fixture.py (Sim's current schema;
    /// 7 blocks, 8 edges, 2 subflows per workflow, and execution logs).
    func measureSimPostgresImport() throws {
        let group = "Sim import"
        guard let cluster = ProcessInfo.processInfo.environment["SIMVAULT_PG_CLUSTER"] else {
            results.notes.append("Sim import from PostgreSQL: not measured, no server (run through scripts/with-postgres, as make bench does).")
            return
        }
        let count = options.isQuick ? 30 : 1_000
        progress("making a Sim database of \(count) workflows in PostgreSQL")
        let bindir = try String(contentsOfFile: cluster + "/bindir", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let database = "simvault_bench_\(getpid())"
        let sql = (directory as NSString).appendingPathComponent("sim-bench.sql")
        try Self.runTool("/usr/bin/env", ["python3", "scripts/sim-postgres-fixture.py", "bench", sql, sql + ".expected.json", String(count)])
        let psql = bindir + "/psql"
        let connection = ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-U", "simvault"]
        var environment = ProcessInfo.processInfo.environment
        environment["PGPASSFILE"] = cluster + "/pgpass"
        environment["PGPORT"] = try String(contentsOfFile: cluster + "/port", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        try Self.runTool(psql, connection + ["-d", "postgres", "-c", "CREATE DATABASE \(database)"], environment: environment)
        defer { try? Self.runTool(psql, connection + ["-d", "postgres", "-c", "DROP DATABASE \(database)"], environment: environment) }
        try Self.runTool(psql, connection + ["-1", "-d", database, "-f", sql], environment: environment)
        let counted = try Self.runTool(psql, connection + ["-A", "-t", "-d", database, "-c", """
            SELECT (SELECT count(*) FROM workflow) + (SELECT count(*) FROM workflow_blocks) + (SELECT count(*) FROM workflow_edges)
                 + (SELECT count(*) FROM workflow_subflows) + (SELECT count(*) FROM workflow_execution_logs)
            """], environment: environment)
        let rows = Double(counted.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
        let url = try String(contentsOfFile: cluster + "/url", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let urlFile = (directory as NSString).appendingPathComponent("sim-bench.url")
        guard url.hasSuffix("/postgres") else { throw BenchmarkFailure("unexpected URL in \(cluster)/url") }
        FileManager.default.createFile(atPath: urlFile, contents: Data((url.dropLast("postgres".count) + database + "\n").utf8),
                                       attributes: [.posixPermissions: 0o600])

        var options = SimPostgresImportOptions(connection: .urlFile(urlFile))
        options.includeArchived = true
        var seconds: [Variant: [Double]] = [:]
        for round in 0..<(self.options.isQuick ? 1 : 3) {
            for (offset, variant) in [Variant.encrypted, .plaintext].enumerated() {
                let name = "sim-import-\(round)-\(offset)"
                let vault = try createVault(name, plaintext: variant == .plaintext)
                let (report, nanoseconds) = try Clock.measure { try vault.importSimPostgres(options) }
                vault.close()
                try? FileManager.default.removeItem(atPath: (directory as NSString).appendingPathComponent("\(name).db"))
                guard report.imported == count else { throw BenchmarkFailure("the import brought \(report.imported) of \(count) workflows") }
                seconds[variant, default: []].append(Double(nanoseconds) / 1e9)
            }
        }
        for variant in [Variant.encrypted, .plaintext] {
            guard let times = seconds[variant] else { continue }
            let median = times.sorted()[times.count / 2]
            results.add(Fact(
                group: group, name: "import \(count.formatted()) workflows from PostgreSQL (\(variant.rawValue))", value: median, unit: "s",
                note: "median of \(times.count); \(Int(rows).formatted()) rows: workflows, blocks, edges, subflows, execution logs"))
            results.add(Fact(group: group, name: "rows read and imported per second (\(variant.rawValue))", value: rows / median, unit: "rows/s"))
        }
    }

    /// Runs a tool, returning its standard output; throws unless it exits 0.
    @discardableResult
    static func runTool(_ executable: String, _ arguments: [String], environment: [String: String]? = nil) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment { process.environment = environment }
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw BenchmarkFailure("\(executable) \(arguments.first ?? "") exited \(process.terminationStatus)") }
        return String(decoding: data, as: UTF8.self)
    }
}
