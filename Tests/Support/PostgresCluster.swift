public import Foundation

/// A real PostgreSQL server for the tests: one throwaway cluster per test
/// process (`scripts/pg-cluster start`: a temporary data directory, a free
/// loopback port, password authentication), stopped and removed when the
/// process exits. Each test makes its own database in it.
///
/// The tests that need it are skipped, saying why, only when the server
/// binaries are missing and `SIMVAULT_REQUIRE_POSTGRES_TESTS` is not set;
/// `make test` and `.ci/run` set it, so there a missing server is a failure.
public final class PostgresCluster: @unchecked Sendable {
    // @unchecked Sendable: immutable after init.
    public let directory: String
    public let port: Int
    /// The superuser's password (for URLs the tests write into files).
    public let password: String
    /// `PGHOST`, `PGPORT`, `PGUSER`, `PGPASSFILE` for this cluster.
    public let environment: [String: String]
    let bindir: String

    /// Whether the tests must run (`SIMVAULT_REQUIRE_POSTGRES_TESTS=1`).
    public static var isRequired: Bool { ProcessInfo.processInfo.environment["SIMVAULT_REQUIRE_POSTGRES_TESTS"] == "1" }

    /// Whether the server binaries are installed.
    public static let binariesFound: Bool = {
        (try? ProcessRunner.run(ProjectPaths.script("pg-cluster"), ["bindir"]))?.status == 0
    }()

    /// For `.enabled(if:)`: run when the binaries are there or the tests are required.
    public static var shouldRun: Bool { binariesFound || isRequired }

    public static let skipReason = "PostgreSQL server binaries (initdb, pg_ctl) not found: install Debian's postgresql package. SIMVAULT_REQUIRE_POSTGRES_TESTS=1 (set by make test and .ci/run) turns this skip into a failure."

    /// The cluster of this test process, started on first use.
    public static func shared() throws -> PostgresCluster {
        try lock.withLock {
            if let started { return started }
            let cluster = try PostgresCluster()
            started = cluster
            atexit { PostgresCluster.stopShared() }
            return cluster
        }
    }

    nonisolated(unsafe) private static var started: PostgresCluster?
    private static let lock = NSLock()

    private static func stopShared() {
        guard let cluster = started else { return }
        _ = try? ProcessRunner.run(ProjectPaths.script("pg-cluster"), ["stop", cluster.directory], timeout: 60)
    }

    private init() throws {
        let result = try ProcessRunner.run(ProjectPaths.script("pg-cluster"), ["start"], timeout: 180)
        guard result.status == 0 else { throw TestSupportError("scripts/pg-cluster start failed: \(result)") }
        let directory = result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        func read(_ name: String) throws -> String {
            try String(contentsOfFile: directory + "/" + name, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        guard let port = Int(try read("port")) else { throw TestSupportError("pg-cluster wrote no port") }
        self.directory = directory
        self.port = port
        password = try read("password")
        bindir = try read("bindir")
        environment = ["PGHOST": "127.0.0.1", "PGPORT": String(port), "PGUSER": "simvault", "PGPASSFILE": directory + "/pgpass"]
    }

    /// A new, empty database; returns its name.
    @discardableResult
    public func createDatabase(_ name: String) throws -> String {
        _ = try value("postgres", "CREATE DATABASE \"\(name)\"")
        return name
    }

    /// Runs SQL text in `database` with psql (stops at the first error, one transaction).
    @discardableResult
    public func psql(_ database: String, _ sql: String) throws -> ProcessResult {
        let result = try ProcessRunner.run(
            bindir + "/psql", ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-1", "-d", database, "-f", "-"],
            environment: ProcessRunner.baseEnvironment.merging(environment) { $1 }, stdin: Data(sql.utf8), timeout: 300)
        guard result.status == 0 else { throw TestSupportError("psql failed: \(result)") }
        return result
    }

    /// Runs a SQL file in `database`.
    public func psql(_ database: String, file: String) throws {
        let result = try ProcessRunner.run(
            bindir + "/psql", ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-1", "-d", database, "-f", file],
            environment: ProcessRunner.baseEnvironment.merging(environment) { $1 }, timeout: 300)
        guard result.status == 0 else { throw TestSupportError("psql failed: \(result)") }
    }

    /// The one value of a query.
    public func value(_ database: String, _ sql: String) throws -> String {
        let result = try ProcessRunner.run(
            bindir + "/psql", ["-X", "-q", "-A", "-t", "-d", database, "-c", sql],
            environment: ProcessRunner.baseEnvironment.merging(environment) { $1 }, timeout: 120)
        guard result.status == 0 else { throw TestSupportError("psql failed: \(result)") }
        return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// A `postgres://` URL of `database` for `user` with `password`.
    public func url(_ database: String, user: String = "simvault", password: String? = nil) -> String {
        "postgres://\(user):\(password ?? self.password)@127.0.0.1:\(port)/\(database)"
    }
}
