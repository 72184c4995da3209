public import Foundation

/// Outside checks of what simvault wrote: the stock `sqlcipher` shell, and
/// Python's plain `sqlite3` module, which must fail on an encrypted file.
public enum ExternalTools {
    /// Runs SQL in the stock `sqlcipher` shell with the documented pragmas
    /// (`PRAGMA key = "x'<hex>'"; PRAGMA cipher_page_size = 4096;`). The key
    /// goes through stdin, never argv.
    public static func sqlcipher(path: String, hexKey: String, sql: String) throws -> ProcessResult {
        guard let shell = ProcessRunner.which("sqlcipher") else { throw TestSupportError("sqlcipher shell not installed (scripts/bootstrap)") }
        let script = "PRAGMA key = \"x'\(hexKey)'\";\nPRAGMA cipher_page_size = 4096;\n.bail on\n\(sql)\n"
        return try ProcessRunner.run(shell, ["-batch", path], stdin: Data(script.utf8), timeout: 60)
    }

    /// The pragmas the interop contract gives a SQLCipher 4 client for a
    /// vault of `compatibility` (after `PRAGMA key`).
    public static func sqlcipher4ContractPragmas(compatibility: Int = 3) -> [String] {
        ["PRAGMA cipher_compatibility = \(compatibility)", "PRAGMA cipher_page_size = 4096"]
    }

    /// Runs each of `queries` through a SQLCipher 4 client, Python's
    /// `sqlcipher3` (the wheel `scripts/with-sqlcipher4` installs), after
    /// `PRAGMA key = "x'<hex>'"` and `pragmas`. The key goes through stdin.
    /// Prints each row's columns joined by `|`; exits 1 with `ERROR: ...`
    /// when the file does not open or a query fails.
    public static func sqlcipher4Client(path: String, hexKey: String, pragmas: [String], queries: [String]) throws -> ProcessResult {
        let environment = ProcessInfo.processInfo.environment
        guard let python = environment["SIMVAULT_SQLCIPHER4_PYTHON"], let pythonPath = environment["SIMVAULT_SQLCIPHER4_PYTHONPATH"] else {
            throw TestSupportError("no SQLCipher 4 client: run the tests through scripts/with-sqlcipher4 --env (make test does)")
        }
        let code = """
            import sys, sqlcipher3
            key = sys.stdin.read().strip()
            count = int(sys.argv[2])
            pragmas, queries = sys.argv[3:3 + count], sys.argv[3 + count:]
            try:
                c = sqlcipher3.connect(sys.argv[1])
                c.execute("PRAGMA key = \\"x'%s'\\"" % key)
                for p in pragmas:
                    c.execute(p).fetchall()
                for q in queries:
                    for row in c.execute(q).fetchall():
                        print("|".join("" if v is None else str(v) for v in row))
            except Exception as e:
                print("ERROR:", e)
                sys.exit(1)
            """
        var environmentForPython = ProcessRunner.baseEnvironment
        environmentForPython["PYTHONPATH"] = pythonPath
        return try ProcessRunner.run(
            python, ["-c", code, path, String(pragmas.count)] + pragmas + queries, environment: environmentForPython,
            stdin: Data(hexKey.utf8), timeout: 60)
    }

    /// Tries to read `path` with Python's sqlite3 module (plain SQLite).
    /// Returns the script's output: `ERROR: <message>` or `OK: <tables>`.
    public static func pythonPlainSQLite(path: String) throws -> ProcessResult {
        guard let python = ProcessRunner.which("python3") else { throw TestSupportError("python3 not installed") }
        let code = """
            import sqlite3, sys
            try:
                c = sqlite3.connect(sys.argv[1])
                rows = c.execute("SELECT name FROM sqlite_master").fetchall()
                print("OK:", rows)
            except Exception as e:
                print("ERROR:", e)
            """
        return try ProcessRunner.run(python, ["-c", code, path], timeout: 60)
    }

    /// Runs a Python 3 script with arguments; throws unless it exits 0.
    @discardableResult
    public static func python(_ code: String, _ arguments: [String] = [], stdin: Data? = nil) throws -> ProcessResult {
        guard let python = ProcessRunner.which("python3") else { throw TestSupportError("python3 not installed") }
        let result = try ProcessRunner.run(python, ["-c", code] + arguments, stdin: stdin, timeout: 300)
        guard result.status == 0 else { throw TestSupportError("python script failed: \(result)") }
        return result
    }

    /// Every regular file under `directory`, recursively.
    public static func filesUnder(_ directory: String) -> [String] {
        guard let enumerator = FileManager.default.enumerator(atPath: directory) else { return [] }
        return enumerator.compactMap { $0 as? String }.map { (directory as NSString).appendingPathComponent($0) }.filter {
            var isDirectory: ObjCBool = false
            return FileManager.default.fileExists(atPath: $0, isDirectory: &isDirectory) && !isDirectory.boolValue
        }
    }

    /// Whether `needle` occurs in the bytes of `path`.
    public static func fileContains(_ path: String, _ needle: String) -> Bool {
        guard let data = FileManager.default.contents(atPath: path) else { return false }
        return data.range(of: Data(needle.utf8)) != nil
    }

    /// Flips one bit of the byte at `offset` in `path`.
    public static func flipByte(in path: String, at offset: Int) throws {
        guard let handle = FileHandle(forUpdatingAtPath: path) else { throw TestSupportError("cannot open \(path)") }
        defer { try? handle.close() }
        try handle.seek(toOffset: UInt64(offset))
        guard let byte = try handle.read(upToCount: 1)?.first else { throw TestSupportError("\(path) has no byte at \(offset)") }
        try handle.seek(toOffset: UInt64(offset))
        try handle.write(contentsOf: Data([byte ^ 0x01]))
        try handle.synchronize()
    }

    /// File mode bits (e.g. 0o600), nil if absent.
    public static func mode(of path: String) -> Int? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return Int(info.st_mode & 0o777)
    }

    /// Parses stdout as a JSON object.
    public static func json(_ result: ProcessResult) throws -> [String: Any] {
        guard let object = try JSONSerialization.jsonObject(with: result.stdoutData) as? [String: Any] else {
            throw TestSupportError("stdout is not a JSON object: \(result)")
        }
        return object
    }
}
