import Foundation
import SimVault
import Testing
import VaultTestSupport

/// `simvault import sim-postgres` against a real PostgreSQL server (one
/// throwaway cluster per test process, ``PostgresCluster``), with Sim
/// databases made by Python following Sim's published schema
/// (``SimPostgresFixtures``). What simvault exports for each imported
/// workflow is compared with what Sim's "Export as JSON" would contain, as
/// the fixture script states it, and checked with the Python statement of
/// Sim's importer.
@Suite("import sim-postgres", .enabled(if: PostgresCluster.shouldRun, Comment(rawValue: PostgresCluster.skipReason)))
struct SimPostgresImportTests {
    @Test("a current Sim database: every workflow exports as Sim's UI export of it would, folders become categories, finished runs become runs, a malformed block is named and skipped")
    func currentSchema() throws {
        let cluster = try PostgresCluster.shared()
        let test = try TestVault(label: "pg-current")
        test.vault.close()
        let database = "current_\(Self.unique())"
        let expectedPath = try SimPostgresFixtures.load(kind: "current", as: database, into: cluster, directory: test.directory.path)
        let expected = try Self.expected(expectedPath)
        let fingerprint = try Self.fingerprint(cluster, database)

        let result = try Self.cli(test, cluster, database, ["import", "sim-postgres", "--json"])
        try #require(result.status == 0, "\(result)")
        let report = try ExternalTools.json(result)
        let items = try #require(report["workflows"] as? [[String: Any]])
        let byID = Dictionary(uniqueKeysWithValues: items.compactMap { item in (item["id"] as? String).map { ($0, item) } })
        // Archived and malformed workflows aside, all of them, under Sim's ids.
        let importable = expected.filter { !$0.value.archived && !$0.value.malformed }
        #expect(report["imported"] as? Int == importable.count)
        #expect(report["skipped"] as? Int == 1)
        #expect(Set(byID.keys) == Set(expected.filter { !$0.value.archived }.keys))
        let broken = try #require(expected.first { $0.value.malformed })
        let skipped = try #require(byID[broken.key])
        #expect(skipped["outcome"] as? String == "skipped")
        #expect((skipped["reason"] as? String)?.contains("block \(broken.value.badBlock ?? "?")") == true, "\(skipped)")
        #expect((skipped["reason"] as? String)?.contains("sub_blocks is a string, not an object") == true)
        #expect(report["runs_in_progress"] as? Int == importable.values.map(\.inProgress).reduce(0, +))

        for (id, workflow) in importable {
            let out = test.directory.file("export-\(id).json")
            try test.cliOK(["export", "workflow", id, "-o", out])
            #expect(try Self.compare(expectedPath, id, out) == "same", "\(workflow.name)")
            #expect(try SimWorkflowForms.simAccepts(out).hasPrefix("ok "), "\(workflow.name)")
            #expect(byID[id]?["category"] as? String == workflow.category)
            #expect(try test.sqlValue("SELECT created_at || ' ' || updated_at FROM workflows WHERE id = '\(id)'") == "\(workflow.createdAt) \(workflow.updatedAt)")
            // The API form carries Sim's workflow record.
            let api = test.directory.file("api-\(id).json")
            try test.cliOK(["export", "workflow", id, "--format", "api", "-o", api])
            let record = try ExternalTools.python("import json,sys; w = json.load(open(sys.argv[1]))['data']['workflow']; print(w['id'], w['workspaceId'])", [api])
            #expect(record.stdout == "\(id) \(workflow.workspace)\n")
        }
        let big = try #require(importable.values.first { $0.name.hasPrefix("Support triage") })
        #expect(big.stateBytes > 50_000, "the large fixture is \(big.stateBytes) bytes")

        // Runs: statuses and triggers mapped, times kept, payloads as JSON.
        let vault = try test.reopen()
        defer { vault.close() }
        for (id, workflow) in importable {
            let runs = try vault.runs.list(RunFilter(workflowID: id, limit: 1000))
            #expect(runs.count == workflow.runs.count, "\(workflow.name)")
            for want in workflow.runs {
                let run = try #require(runs.first { $0.id == want.id }, "\(want.id)")
                #expect(run.status.rawValue == want.status && run.trigger.rawValue == want.trigger)
                #expect(run.startedAt == want.startedAt && run.completedAt == want.completedAt)
                #expect(run.errorMessage == want.error && run.metrics.tokensUsed == want.tokens && run.metrics.blocksExecuted == want.blocks)
                #expect(try Self.sameJSON(try vault.runs.input(of: run.id), want.input), "input of \(run.id)")
                #expect(try Self.sameJSON(try vault.runs.output(of: run.id), want.output), "output of \(run.id)")
            }
        }
        #expect(try Self.fingerprint(cluster, database) == fingerprint, "the Sim database changed")
    }

    @Test("a Sim database from before migration 0075: the graph from workflow.state (or the normalized rows when a workflow has them), workflow_folder, logs without status; unreadable states named and skipped")
    func legacySchema() throws {
        let cluster = try PostgresCluster.shared()
        let test = try TestVault(label: "pg-legacy")
        test.vault.close()
        let database = "legacy_\(Self.unique())"
        let expectedPath = try SimPostgresFixtures.load(kind: "legacy", as: database, into: cluster, directory: test.directory.path)
        let expected = try Self.expected(expectedPath)
        let report = try ExternalTools.json(try Self.cliOK(test, cluster, database, ["import", "sim-postgres", "--json"]))
        #expect((report["schema"] as? String)?.contains("workflow.state column") == true)
        let items = try #require(report["workflows"] as? [[String: Any]])
        for (id, workflow) in expected {
            let item = try #require(items.first { $0["id"] as? String == id })
            if workflow.malformed {
                #expect(item["outcome"] as? String == "skipped", "\(item)")
                continue
            }
            #expect(item["outcome"] as? String == "imported" && item["category"] as? String == workflow.category, "\(item)")
            let out = test.directory.file("export-\(id).json")
            try test.cliOK(["export", "workflow", id, "-o", out])
            #expect(try Self.compare(expectedPath, id, out) == "same", "\(workflow.name)")
            #expect(try SimWorkflowForms.simAccepts(out).hasPrefix("ok "))
            #expect(try test.sqlValue("SELECT count(*) FROM runs WHERE workflow_id = '\(id)'") == String(workflow.runs.count))
            let statuses = try test.sqlValue("SELECT group_concat(id || '=' || status || '/' || triggered_by, ' ') FROM (SELECT * FROM runs WHERE workflow_id = '\(id)' ORDER BY id)")
            #expect(statuses == workflow.runs.sorted { $0.id < $1.id }.map { "\($0.id)=\($0.status)/\($0.trigger)" }.joined(separator: " "))
        }
        let skippedReasons = items.compactMap { $0["reason"] as? String }.joined(separator: "\n")
        #expect(skippedReasons.contains("duplicate member \"isDeployed\""), "\(skippedReasons)")
        #expect(skippedReasons.contains("missing or invalid position"), "\(skippedReasons)")
    }

    @Test("--workspace, --user and --include-archived choose; --dry-run lists and writes nothing; a second run brings only what is new")
    func choosingAndRerunning() throws {
        let cluster = try PostgresCluster.shared()
        let test = try TestVault(label: "pg-choose")
        test.vault.close()
        let database = "choose_\(Self.unique())"
        let expected = try Self.expected(try SimPostgresFixtures.load(kind: "current", as: database, into: cluster, directory: test.directory.path))
        func ids(_ report: [String: Any], _ outcome: String) -> Set<String> {
            Set((report["workflows"] as? [[String: Any]] ?? []).filter { $0["outcome"] as? String == outcome }.compactMap { $0["id"] as? String })
        }
        // A dry run leaves the vault byte for byte as it was.
        let before = test.fileBytes()
        let dry = try ExternalTools.json(try Self.cliOK(test, cluster, database, ["import", "sim-postgres", "--dry-run", "--include-archived", "--json"]))
        #expect(test.fileBytes() == before, "a dry run changed the vault")
        #expect(dry["dry_run"] as? Bool == true)
        #expect(ids(dry, "would_import") == Set(expected.filter { !$0.value.malformed }.keys))
        let text = try Self.cliOK(test, cluster, database, ["import", "sim-postgres", "--dry-run"]).stdout
        #expect(text.hasPrefix("Dry run, nothing written.") && text.contains("would import") && text.contains("[Customer Support/Tier 2 — urgent]"), "\(text)")

        let other = try #require(expected.first { $0.value.workspace == "ws-other" })
        let byWorkspace = try ExternalTools.json(try Self.cliOK(test, cluster, database, ["import", "sim-postgres", "--workspace", "ws-other", "--json"]))
        #expect(ids(byWorkspace, "imported") == [other.key])
        let byUser = try ExternalTools.json(try Self.cliOK(test, cluster, database, ["import", "sim-postgres", "--user", "u-ben", "--json"]))
        #expect(ids(byUser, "already_present") == [other.key] && ids(byUser, "imported").isEmpty)

        let all = try ExternalTools.json(try Self.cliOK(test, cluster, database, ["import", "sim-postgres", "--json"]))
        let active = Set(expected.filter { !$0.value.archived && !$0.value.malformed && $0.value.workspace == "ws-main" }.keys)
        #expect(ids(all, "imported") == active)
        let archived = try #require(expected.first { $0.value.archived })
        let withArchived = try ExternalTools.json(try Self.cliOK(test, cluster, database, ["import", "sim-postgres", "--include-archived", "--json"]))
        #expect(ids(withArchived, "imported") == [archived.key])
        #expect(withArchived["runs_already_present"] as? Int == (all["runs_imported"] as? Int ?? -1) + (byWorkspace["runs_imported"] as? Int ?? -1))

        // A run that was in progress finishes in Sim: the next import brings it, nothing else.
        let finished = try cluster.value(database, """
            UPDATE workflow_execution_logs SET status = 'completed', ended_at = started_at + interval '2 seconds', total_duration_ms = 2000
            WHERE execution_id = (SELECT execution_id FROM workflow_execution_logs l JOIN workflow w ON w.id = l.workflow_id
                                  WHERE l.status = 'running' AND w.archived_at IS NULL ORDER BY execution_id LIMIT 1)
            RETURNING execution_id
            """)
        let again = try ExternalTools.json(try Self.cliOK(test, cluster, database, ["import", "sim-postgres", "--include-archived", "--json"]))
        #expect(again["imported"] as? Int == 0 && again["runs_imported"] as? Int == 1)
        #expect(try test.sqlValue("SELECT status || ' ' || (completed_at - started_at) FROM runs WHERE id = 'sim:\(finished)'") == "success 2000")
    }

    @Test("--url-file with a read-only role: the import needs only SELECT; a URL file others can read gets a warning; the password appears in no output")
    func urlFileAndReadOnlyRole() throws {
        let cluster = try PostgresCluster.shared()
        let test = try TestVault(label: "pg-url")
        test.vault.close()
        let database = "url_\(Self.unique())"
        try SimPostgresFixtures.load(kind: "current", as: database, into: cluster, directory: test.directory.path)
        let role = "reader_\(Self.unique())", secret = "Rd-\(Self.unique())-pässwörd"
        try cluster.psql(database, """
            CREATE ROLE \(role) LOGIN PASSWORD '\(secret)';
            GRANT CONNECT ON DATABASE \(database) TO \(role);
            GRANT USAGE ON SCHEMA public TO \(role);
            GRANT SELECT ON ALL TABLES IN SCHEMA public TO \(role);
            """)
        let encoded = try #require(secret.addingPercentEncoding(withAllowedCharacters: CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")))
        let urlFile = try test.directory.write(cluster.url(database, user: role, password: encoded) + "\n", to: "sim.url")
        let result = try ProcessRunner.run(ProjectPaths.simvaultBinary, ["import", "sim-postgres", "--url-file", urlFile] + test.cliArguments)
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout.contains("5 imported") && result.stdout.contains("\(role)@127.0.0.1"), "\(result.stdout)")
        #expect(!result.stdout.contains("Sim migrations applied"), "drizzle's table is not readable by this role: no count")
        #expect(!(result.stdout + result.stderr).contains(secret) && !(result.stdout + result.stderr).contains(encoded))
        #expect(!result.stdout.contains("readable by other users"))

        chmod(urlFile, 0o644)
        let loose = try ProcessRunner.run(ProjectPaths.simvaultBinary, ["import", "sim-postgres", "--url-file", urlFile, "--dry-run"] + test.cliArguments)
        #expect(loose.status == 0 && loose.stdout.contains("is readable by other users (mode 644)"), "\(loose)")
        // A table the role may not read is named as such.
        try cluster.psql(database, "REVOKE SELECT ON workflow_execution_logs FROM \(role)")
        let denied = try ProcessRunner.run(ProjectPaths.simvaultBinary, ["import", "sim-postgres", "--url-file", urlFile, "--dry-run"] + test.cliArguments)
        #expect(denied.status == 1 && denied.stderr.contains("may not read Sim's tables"), "\(denied)")
    }

    @Test("refused with the cause named and the vault unchanged: server unreachable, login refused, no such database, not a Sim database, a Sim schema simvault does not read, a URL file without a URL", arguments: SimPostgresRefusal.allCases)
    func refusals(_ refusal: SimPostgresRefusal) throws {
        let cluster = try PostgresCluster.shared()
        let test = try TestVault(label: "pg-refused")
        test.vault.close()
        var database = "postgres"
        if let kind = refusal.fixture {
            database = "\(kind.replacingOccurrences(of: "-", with: "_"))_\(Self.unique())"
            try SimPostgresFixtures.load(kind: kind, as: database, into: cluster, directory: test.directory.path)
        }
        let url: String
        switch refusal {
        case .unreachable: url = "postgres://simvault@127.0.0.1:1/postgres"
        case .wrongPassword: url = cluster.url("postgres", password: "not-the-password")
        case .noDatabase: url = cluster.url("no_such_database")
        case .notAURL: url = "host=127.0.0.1 password=hunter2 dbname=sim"
        default: url = cluster.url(database)
        }
        let urlFile = try test.directory.write(url, to: "refused.url")
        let before = test.fileBytes()
        let result = try ProcessRunner.run(ProjectPaths.simvaultBinary, ["import", "sim-postgres", "--url-file", urlFile] + test.cliArguments)
        #expect(result.status == refusal.status, "\(result)")
        #expect(result.stderr.contains(refusal.message), "\(result.stderr)")
        #expect(!result.stderr.contains(cluster.password) && !result.stderr.contains("hunter2"), "a password reached the error text")
        #expect(test.fileBytes() == before, "a refused import changed the vault")
    }

    @Test("progress is drawn on a terminal")
    func progressOnTerminal() throws {
        let cluster = try PostgresCluster.shared()
        let test = try TestVault(label: "pg-tty")
        test.vault.close()
        let database = "tty_\(Self.unique())"
        try SimPostgresFixtures.load(kind: "bench", as: database, into: cluster, directory: test.directory.path, count: 120)
        var environment = ProcessRunner.baseEnvironment.merging(cluster.environment) { $1 }
        environment["PGDATABASE"] = database
        let transcript = try PseudoTerminal.run(
            ProjectPaths.simvaultBinary, ["import", "sim-postgres"] + test.cliArguments, environment: environment, answers: [], timeout: 120)
        #expect(transcript.status == 0, "\(transcript.screen)")
        #expect(transcript.screen.contains("import: workflows") && transcript.screen.contains("120 imported"), "\(transcript.screen)")
    }

    // MARK: - Helpers

    struct ExpectedWorkflow {
        struct ExpectedRun {
            let id: String, status: String, trigger: String, startedAt: Int64, completedAt: Int64, error: String?, tokens: Int, blocks: Int
            let input: Any?, output: Any?
        }
        let name: String, category: String, archived: Bool, malformed: Bool, workspace: String, badBlock: String?
        let createdAt: Int64, updatedAt: Int64, inProgress: Int, stateBytes: Int
        let runs: [ExpectedRun]
    }

    static func expected(_ path: String) throws -> [String: ExpectedWorkflow] {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let root = try #require(try JSONSerialization.jsonObject(with: data) as? [String: [String: Any]])
        return try root.mapValues { value in
            let runs = try (value["runs"] as? [[String: Any]] ?? []).map { run in
                ExpectedWorkflow.ExpectedRun(
                    id: try #require(run["id"] as? String), status: run["status"] as? String ?? "", trigger: run["trigger"] as? String ?? "",
                    startedAt: (run["started_at"] as? NSNumber)?.int64Value ?? -1, completedAt: (run["completed_at"] as? NSNumber)?.int64Value ?? -1,
                    error: run["error"] as? String, tokens: run["tokens"] as? Int ?? -1, blocks: run["blocks"] as? Int ?? -1,
                    input: run["input"].flatMap { $0 is NSNull ? nil : $0 }, output: run["output"].flatMap { $0 is NSNull ? nil : $0 })
            }
            let state = try JSONSerialization.data(withJSONObject: value["state"] ?? [:])
            return ExpectedWorkflow(
                name: value["name"] as? String ?? "", category: value["category"] as? String ?? "", archived: value["archived"] as? Bool ?? false,
                malformed: value["malformed"] as? Bool ?? false, workspace: value["workspace"] as? String ?? "", badBlock: value["bad_block"] as? String,
                createdAt: (value["created_at"] as? NSNumber)?.int64Value ?? -1, updatedAt: (value["updated_at"] as? NSNumber)?.int64Value ?? -1,
                inProgress: value["in_progress"] as? Int ?? -1, stateBytes: state.count, runs: runs)
        }
    }

    /// "same" when the exported file's state is what the fixture says Sim's
    /// export holds (blocks in order; `exportedAt` aside), else the first
    /// difference.
    static func compare(_ expectedPath: String, _ id: String, _ exported: String) throws -> String {
        try ExternalTools.python("""
            import json, sys
            want = json.load(open(sys.argv[1]))[sys.argv[2]]["state"]
            doc = json.load(open(sys.argv[3]))
            got = doc["state"]
            assert list(doc) == ["version", "exportedAt", "state"], list(doc)
            assert doc["state"]["metadata"].pop("exportedAt") == doc["exportedAt"]
            def first_difference(a, b, path):
                if isinstance(a, dict) and isinstance(b, dict):
                    for k in list(a) + [k for k in b if k not in a]:
                        if k not in a or k not in b: return f"{path}.{k}: only on one side"
                        d = first_difference(a[k], b[k], f"{path}.{k}")
                        if d: return d
                    return None
                if isinstance(a, list) and isinstance(b, list):
                    if len(a) != len(b): return f"{path}: {len(a)} vs {len(b)} items"
                    for i, (x, y) in enumerate(zip(a, b)):
                        d = first_difference(x, y, f"{path}[{i}]")
                        if d: return d
                    return None
                return None if a == b and type(a) is not bool or (a is b) else f"{path}: {json.dumps(a)[:200]} vs {json.dumps(b)[:200]}"
            d = first_difference(want, got, "state")
            if not d and list(want) != list(got): d = f"member order {list(want)} vs {list(got)}"
            if not d and list(want["blocks"]) != list(got["blocks"]): d = "block order"
            for bid in want["blocks"]:
                if not d and list(want["blocks"][bid]) != list(got["blocks"][bid]): d = f"members of block {bid}: {list(want['blocks'][bid])} vs {list(got['blocks'][bid])}"
            print(d or "same")
            """, [expectedPath, id, exported]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static func sameJSON(_ data: Data?, _ expected: Any?) throws -> Bool {
        guard let expected else { return data == nil }
        guard let data else { return false }
        let got = try JSONSerialization.jsonObject(with: data, options: .fragmentsAllowed)
        return NSDictionary(dictionary: ["v": got]).isEqual(to: ["v": expected])
    }

    /// A digest of every Sim table's rows, to show the import changed nothing.
    static func fingerprint(_ cluster: PostgresCluster, _ database: String) throws -> String {
        try cluster.value(database, """
            SELECT md5(string_agg(t, '|' ORDER BY t)) FROM (
              SELECT 'w' || x::text AS t FROM workflow x UNION ALL SELECT 'b' || x::text FROM workflow_blocks x
              UNION ALL SELECT 'e' || x::text FROM workflow_edges x UNION ALL SELECT 's' || x::text FROM workflow_subflows x
              UNION ALL SELECT 'l' || x::text FROM workflow_execution_logs x UNION ALL SELECT 'f' || x::text FROM folder x) rows
            """)
    }

    static func cli(_ test: TestVault, _ cluster: PostgresCluster, _ database: String, _ arguments: [String]) throws -> ProcessResult {
        var environment = ProcessRunner.baseEnvironment.merging(cluster.environment) { $1 }
        environment["PGDATABASE"] = database
        return try ProcessRunner.run(ProjectPaths.simvaultBinary, arguments + test.cliArguments, environment: environment, timeout: 300)
    }

    @discardableResult
    static func cliOK(_ test: TestVault, _ cluster: PostgresCluster, _ database: String, _ arguments: [String], sourceLocation: SourceLocation = #_sourceLocation) throws -> ProcessResult {
        let result = try cli(test, cluster, database, arguments)
        try #require(result.status == 0, "\(result)", sourceLocation: sourceLocation)
        return result
    }

    static func unique() -> String { String(UUID().uuidString.prefix(8)).lowercased() }
}

/// Databases and connections `import sim-postgres` refuses.
enum SimPostgresRefusal: String, CaseIterable, CustomTestStringConvertible {
    case unreachable, wrongPassword, noDatabase, notSim, unsupportedSchema, notAURL

    var testDescription: String { rawValue }
    var fixture: String? { self == .notSim ? "not-sim" : self == .unsupportedSchema ? "unsupported" : nil }
    var status: Int32 { [.unreachable, .wrongPassword].contains(self) ? 1 : 64 }
    var message: String {
        switch self {
        case .unreachable: return "cannot reach the PostgreSQL server"
        case .wrongPassword: return "refused the login"
        case .noDatabase: return "has no such database"
        case .notSim: return "is not a Sim database: it has no table workflow in schema public"
        case .unsupportedSchema: return "table workflow_blocks has no column position_x, position_y"
        case .notAURL: return "does not hold a PostgreSQL URL"
        }
    }
}

@Test("the PostgreSQL tests ran when make test asked for them")
func postgresTestsWereEnabled() {
    // `make test` and `.ci/run` set SIMVAULT_REQUIRE_POSTGRES_TESTS: there a
    // machine without the server must fail, not skip.
    if PostgresCluster.isRequired {
        #expect(PostgresCluster.binariesFound, "SIMVAULT_REQUIRE_POSTGRES_TESTS is set but the PostgreSQL server binaries are missing (apt-get install postgresql)")
    }
}
