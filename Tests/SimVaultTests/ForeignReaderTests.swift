import Foundation
@testable import SimVault
import SQLiteReaderProtocol
import Testing
import VaultTestSupport

/// `simvault-sqlite-reader` and the parent's side of it (``ForeignDatabase``):
/// other apps' SQLite files are read in a process of their own, whose
/// crashes, hangs, limits and garbage become errors naming the file.
@Suite("foreign database reader")
struct ForeignReaderTests {
    /// Tables a generic reader must handle: a rowid table with gaps, a
    /// WITHOUT ROWID table, a table with a column named rowid, an FTS4
    /// table, every storage class with exact values (invalid UTF-8 text,
    /// 0.1, the largest integer, an empty BLOB).
    static let sampleScript = #"""
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.executescript("""
CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT, payload BLOB, score REAL);
CREATE TABLE kv (k TEXT PRIMARY KEY, v) WITHOUT ROWID;
CREATE TABLE odd (rowid TEXT, value INTEGER);
CREATE VIRTUAL TABLE docs USING fts4(body);
CREATE VIEW named AS SELECT name FROM items;
""")
db.execute("INSERT INTO items VALUES (1, 'first', x'00ff', 1.5)")
db.execute("INSERT INTO items VALUES (7, CAST(x'61ff62' AS TEXT), x'', 0.1)")
db.execute("INSERT INTO items VALUES (9223372036854775807, NULL, NULL, NULL)")
db.execute("INSERT INTO kv VALUES ('b', 2), ('a', 'one')")
db.execute("INSERT INTO odd VALUES ('not the rowid', 5)")
db.execute("INSERT INTO docs VALUES ('night train to vienna')")
db.execute("PRAGMA user_version = 31")
db.commit()
"""#

    static func sample(in directory: TemporaryDirectory) throws -> String {
        let path = directory.file("app.db")
        try ExternalTools.python(sampleScript, [path])
        return path
    }

    @Test("schema, rowids and exact values come back through the reader; the file is not changed")
    func readsSchemaAndRows() throws {
        let directory = try TemporaryDirectory("reader")
        let path = try Self.sample(in: directory)
        let before = FileManager.default.contents(atPath: path)
        let database = try ForeignDatabase(path: path, configuration: ForeignReaderConfiguration())
        defer { database.close() }
        #expect(database.sqliteVersion == "3.15.2")

        let schema = try database.schema()
        #expect(schema.entries.map { "\($0.type) \($0.name)" }.contains("view named"))
        #expect(schema.table(named: "items")?.rowidAlias == "rowid")
        #expect(schema.table(named: "kv")?.hasRowID == false, "WITHOUT ROWID")
        #expect(schema.table(named: "odd")?.rowidAlias == "_rowid_", "a column named rowid hides the rowid; _rowid_ reads it")
        #expect(schema.table(named: "docs")?.isVirtual == true)
        #expect(schema.table(named: "items")?.columns.map(\.name) == ["id", "name", "payload", "score"])
        #expect(schema.table(named: "items")?.columns.first?.primaryKeyIndex == 1)

        var rows: [[ReaderValue]] = []
        try database.rows(of: try #require(schema.table(named: "items"))) { rows.append($0.values) }
        let first: [ReaderValue] = [.integer(1), .integer(1), .text(Array("first".utf8)), .blob([0x00, 0xFF]), .real(1.5)]
        let second: [ReaderValue] = [.integer(7), .integer(7), .text([0x61, 0xFF, 0x62]), .blob([]), .real(0.1)]
        let third: [ReaderValue] = [.integer(Int64.max), .integer(Int64.max), .null, .null, .null]
        #expect(rows == [first, second, third])
        #expect(try database.scalar("PRAGMA user_version", as: Int.self) == 31)
        #expect(try database.fetchAll("SELECT k FROM kv ORDER BY k").map { try $0.get(0, as: String.self) } == ["a", "b"])
        #expect(try database.scalar("SELECT v FROM kv WHERE k = ?", ["a"], as: String.self) == "one")
        database.close()
        #expect(FileManager.default.contents(atPath: path) == before)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["app.db"], "no -wal, -shm or journal beside it")
    }

    @Test("the reader refuses writes, ATTACH, extensions, fts3_tokenizer() and a second statement")
    func readerRefusals() throws {
        let directory = try TemporaryDirectory("reader-refusals")
        let path = try Self.sample(in: directory)
        let before = FileManager.default.contents(atPath: path)
        let database = try ForeignDatabase(path: path, configuration: ForeignReaderConfiguration())
        defer { database.close() }
        for sql in [
            "INSERT INTO items (name) VALUES ('x')", "DELETE FROM items", "CREATE TABLE t (a)", "PRAGMA user_version = 5",
            "ATTACH '\(directory.file("other.db"))' AS other", "SELECT load_extension('libc.so.6')", "SELECT fts3_tokenizer('simple')",
            "SELECT 1; SELECT 2",
        ] {
            guard case .failure(let error) = try database.attempt(sql) else {
                Issue.record("the reader ran \(sql)")
                continue
            }
            #expect(error.message.contains("not authorized") || error.message.contains("more than one statement") || error.message.contains("readonly"), "\(sql): \(error)")
        }
        #expect(try database.count("items") == 3, "the reader still answers after refusals")
        database.close()
        #expect(FileManager.default.contents(atPath: path) == before)
        #expect(!FileManager.default.fileExists(atPath: directory.file("other.db")))
    }

    @Test("a query that never ends is stopped: no frame within the idle timeout, or the CPU limit")
    func hangIsStopped() throws {
        let directory = try TemporaryDirectory("reader-hang")
        let path = directory.file("loop.db")
        try ExternalTools.python("""
            import sqlite3, sys
            db = sqlite3.connect(sys.argv[1])
            db.execute("CREATE VIEW forever AS WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c")
            db.commit()
            """, [path])
        var idle = ForeignReaderConfiguration()
        idle.idleTimeoutSeconds = 2
        let database = try ForeignDatabase(path: path, configuration: idle)
        #expect(throws: VaultError.malformedInput(path: path, detail: "reading it made no progress for 2 s (the reader was stopped)")) {
            try database.fetchAll("SELECT * FROM forever")
        }
        var cpu = ForeignReaderConfiguration()
        cpu.cpuLimitSeconds = 2
        cpu.idleTimeoutSeconds = 60
        let limited = try ForeignDatabase(path: path, configuration: cpu)
        #expect(throws: VaultError.malformedInput(path: path, detail: "reading it used more than 2 s of CPU time (the reader was stopped)")) {
            try limited.fetchAll("SELECT * FROM forever")
        }
    }

    @Test("a query that needs ever more memory fails at the reader's limit", .enabled(if: !SanitizerRuntime.isLoaded, "sanitizers lift the address-space limit"))
    func memoryIsBounded() throws {
        let directory = try TemporaryDirectory("reader-memory")
        let path = directory.file("big.db")
        try ExternalTools.python("""
            import sqlite3, sys
            db = sqlite3.connect(sys.argv[1])
            db.execute("CREATE VIEW hoard AS WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT x, randomblob(4096) AS pad FROM c ORDER BY random()")
            db.commit()
            """, [path])
        var configuration = ForeignReaderConfiguration()
        configuration.memoryLimitBytes = 256 << 20
        let database = try ForeignDatabase(path: path, configuration: configuration)
        do {
            _ = try database.fetchAll("SELECT x FROM hoard")
            Issue.record("an unbounded sort finished")
        } catch VaultError.malformedInput(let failing, let detail) {
            #expect(failing == path)
            #expect(detail.contains("memory limit of 256.0 MiB") || detail.contains("crashed"), "\(detail)")
        }
    }

    @Test("a reader that dies, hangs, or sends garbage or oversized frames is stopped and named", arguments: FakeReader.allCases)
    func misbehavingReader(_ fake: FakeReader) throws {
        let directory = try TemporaryDirectory("reader-fake")
        let path = try Self.sample(in: directory)
        var configuration = ForeignReaderConfiguration()
        configuration.executablePath = try fake.install(in: directory)
        configuration.idleTimeoutSeconds = 2
        configuration.maximumRowBytes = 1 << 20
        do {
            let database = try ForeignDatabase(path: path, configuration: configuration)
            _ = try database.fetchAll("SELECT * FROM items")
            Issue.record("a misbehaving reader was trusted")
        } catch VaultError.malformedInput(let failing, let detail) {
            #expect(failing == path)
            #expect(detail.contains(fake.expected), "\(detail)")
        }
    }

    @Test("the reader is found beside the running executable; a configured one that is missing is named")
    func findingTheReader() throws {
        let beside = try #require(SQLiteReaderLocation.candidatePaths().first)
        #expect(FileManager.default.isExecutableFile(atPath: beside), "\(beside)")
        #expect(try SQLiteReaderLocation.find(ForeignReaderConfiguration()) == beside)
        var configuration = ForeignReaderConfiguration()
        configuration.executablePath = "/nonexistent/simvault-sqlite-reader"
        #expect(throws: VaultError.io(detail: "the SQLite reader /nonexistent/simvault-sqlite-reader (configured) is not an executable file; nothing was read")) {
            try SQLiteReaderLocation.find(configuration)
        }
    }
}

/// Readers that break the protocol, as shell scripts.
enum FakeReader: String, CaseIterable, CustomTestStringConvertible {
    case diesAtOnce, hangs, garbage, oversizedFrame, wrongVersion, rowWithoutColumns

    var testDescription: String { rawValue }

    var script: String {
        switch self {
        case .diesAtOnce: return "exit 3"
        case .hangs: return "exec sleep 30"
        case .garbage: return "printf 'GARBAGE GARBAGE'; exec sleep 30"
        case .oversizedFrame: return #"printf 'R\377\377\377\377'; exec sleep 30"#
        case .wrongVersion: return #"printf 'H\000\000\000\006\000\011\000\000\000\000'; exec sleep 30"#
        case .rowWithoutColumns:
            // A correct hello, then a row frame answering the query before any column names.
            return #"printf 'H\000\000\000\014\000\001\000\000\000\0063.15.2'; head -c 5 >/dev/null; printf 'R\000\000\000\003\000\001\000'; exec sleep 30"#
        }
    }

    var expected: String {
        switch self {
        case .diesAtOnce: return "ended unexpectedly (exit status 3)"
        case .hangs: return "made no progress for 2 s"
        case .garbage: return "sent garbage (a frame of unknown kind 71)"
        case .oversizedFrame: return "a frame of 4294967295 bytes, more than the 2097152 allowed"
        case .wrongVersion: return "protocol version 9"
        case .rowWithoutColumns: return "a row before its column names"
        }
    }

    func install(in directory: TemporaryDirectory) throws -> String {
        let path = try directory.write("#!/bin/sh\n\(script)\n", to: "fake-reader-\(rawValue)")
        chmod(path, 0o700)
        return path
    }
}

/// Whether this test process runs under a sanitizer (whose runtime the
/// reader, built alike, then also has: it skips its address-space limit).
enum SanitizerRuntime {
    static var isLoaded: Bool {
        let process = dlopen(nil, RTLD_NOW)
        defer { if let process { dlclose(process) } }
        return dlsym(process, "__asan_init") != nil || dlsym(process, "__tsan_init") != nil
    }
}
