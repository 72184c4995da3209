public import Foundation

/// The SQLCipher a simvault program started by the tests runs on.
///
/// The build links the system's SQLCipher 3.4.1 only. SQLCipher 4 is the
/// `sqlcipher3-binary` wheel's build, put in front of it with `LD_PRELOAD`
/// by `scripts/with-sqlcipher4`, which exports the preload value as
/// `SIMVAULT_SQLCIPHER4_PRELOAD` (and a Python with the `sqlcipher3` client
/// as `SIMVAULT_SQLCIPHER4_PYTHON` / `_PYTHONPATH`). Only simvault's own
/// programs get the preload, through a small wrapper script; the outside
/// tools (the stock `sqlcipher` shell, Python's `sqlite3`) stay what the
/// system installed.
///
/// `SIMVAULT_TEST_ENGINE=sqlcipher4` runs every simvault program of the tests
/// on SQLCipher 4 (`make test-sqlcipher4`); the test process itself, which
/// makes and checks vaults through the library, stays on SQLCipher 3.4.1, so
/// that pass crosses engines at every step. The interop tests pick the
/// engine per command.
public enum TestEngine: String, Sendable, CaseIterable, CustomStringConvertible {
    case sqlcipher3
    case sqlcipher4

    /// The engine of `ProjectPaths.simvaultBinary` in this run.
    public static let underTest: TestEngine = ProcessInfo.processInfo.environment["SIMVAULT_TEST_ENGINE"] == "sqlcipher4" ? .sqlcipher4 : .sqlcipher3

    /// The `LD_PRELOAD` value that puts SQLCipher 4 in front, when provided.
    public static let sqlcipher4Preload: String? = ProcessInfo.processInfo.environment["SIMVAULT_SQLCIPHER4_PRELOAD"].flatMap { $0.isEmpty ? nil : $0 }

    /// Whether SQLCipher 4 can be used in this run.
    public static var isSQLCipher4Available: Bool { sqlcipher4Preload != nil }

    /// Whether a missing SQLCipher 4 must fail the run (`make test` sets it)
    /// rather than skip the tests that need it.
    public static var isSQLCipher4Required: Bool { ProcessInfo.processInfo.environment["SIMVAULT_REQUIRE_SQLCIPHER4"] == "1" }

    public var description: String { self == .sqlcipher3 ? "SQLCipher 3.4.1" : "SQLCipher 4" }

    /// The major version (`3` or `4`).
    public var major: Int { self == .sqlcipher3 ? 3 : 4 }

    /// `binary` as a program to run on this engine: itself on SQLCipher 3, a
    /// wrapper script (`LD_PRELOAD=... exec binary "$@"`, so the pid, argv
    /// and signals are the binary's own) on SQLCipher 4.
    public func program(_ binary: String) -> String {
        guard self == .sqlcipher4 else { return binary }
        guard let preload = Self.sqlcipher4Preload else {
            fatalError("SQLCipher 4 was asked for but SIMVAULT_SQLCIPHER4_PRELOAD is not set: run the tests through scripts/with-sqlcipher4 --env (make test does)")
        }
        return Self.wrappers.wrapper(for: binary, preload: preload)
    }

    private static let wrappers = WrapperScripts()
}

/// Wrapper scripts, written once per binary into a directory of this test
/// process.
///
/// @unchecked Sendable: `made` is only touched under `lock`.
private final class WrapperScripts: @unchecked Sendable {
    private let lock = NSLock()
    private var made: [String: String] = [:]
    private lazy var directory: String = {
        let template = (NSTemporaryDirectory() as NSString).appendingPathComponent("simvault-engine.XXXXXX")
        var buffer = Array(template.utf8CString)
        guard let created = mkdtemp(&buffer) else { fatalError("mkdtemp failed") }
        return String(cString: created)
    }()

    func wrapper(for binary: String, preload: String) -> String {
        lock.withLock {
            if let path = made[binary] { return path }
            let path = directory + "/" + (binary as NSString).lastPathComponent
            let script = "#!/bin/sh\nLD_PRELOAD=\(Self.quoted(preload)) exec \(Self.quoted(binary)) \"$@\"\n"
            guard FileManager.default.createFile(atPath: path, contents: Data(script.utf8), attributes: [.posixPermissions: 0o755]) else {
                fatalError("cannot write the SQLCipher 4 wrapper \(path)")
            }
            made[binary] = path
            return path
        }
    }

    private static func quoted(_ text: String) -> String { "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'" }
}
