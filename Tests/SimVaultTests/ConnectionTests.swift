import Foundation
import Testing
@testable import SimVault
import VaultTestSupport

@Suite("connection")
struct ConnectionTests {
    @Test("the engine is SQLCipher and plain libsqlite3 is not mapped into the process")
    func engine() {
        let engine = EngineCheck.inspect()
        #expect(!engine.cipherVersion.isEmpty)
        #expect(engine.sqliteVersion.hasPrefix("3."))
        #expect(engine.plainSQLiteLibraries.isEmpty, "plain SQLite loaded: \(engine.plainSQLiteLibraries)")
        #expect(engine.isSafe)
    }

    @Test("a keyed file is not plaintext, opens with its key, and a wrong key fails at open with NOTADB")
    func keyedFile() throws {
        let directory = try TemporaryDirectory("conn")
        let path = directory.file("c.db")
        let key = MasterKey.generate()
        do {
            var options = Connection.Options()
            options.createsFile = true
            let connection = try Connection(path: path, key: key, options: options)
            try connection.execute("CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('zebra-marker-1234')")
            connection.close()
        }
        #expect(!ExternalTools.fileContains(path, "zebra-marker-1234"))
        #expect(!ExternalTools.fileContains(path, "CREATE TABLE"))
        let plain = try ExternalTools.pythonPlainSQLite(path: path)
        #expect(plain.stdout.hasPrefix("ERROR:"), "\(plain)")

        let reopened = try Connection(path: path, key: key)
        #expect(try reopened.scalar("SELECT body FROM notes", as: String.self) == "zebra-marker-1234")
        let hex = key.withHexCString { String(cString: $0) }
        let shell = try ExternalTools.sqlcipher(path: path, hexKey: hex, sql: "SELECT body FROM notes;")
        #expect(shell.stdout.contains("zebra-marker-1234"), "\(shell)")

        #expect {
            _ = try Connection(path: path, key: MasterKey.generate())
        } throws: { ($0 as? SQLiteError)?.isNotADatabase == true }
    }

    @Test("typed binding and reading round-trip every storage class")
    func binding() throws {
        let connection = try Connection(path: ":memory:", key: nil, options: { var o = Connection.Options(); o.usesWAL = false; return o }())
        try connection.execute("CREATE TABLE t (i INTEGER, r REAL, s TEXT, b BLOB, n TEXT)")
        let blob = Data([0, 1, 2, 255])
        try connection.execute("INSERT INTO t VALUES (?, ?, ?, ?, ?)", [Int64.max, 2.5, "héllo ✓", blob, DatabaseValue.null])
        try connection.execute("INSERT INTO t VALUES (?, ?, ?, ?, ?)", [0, 0.0, "", Data(), Optional<String>.none])
        let rows = try connection.fetchAll("SELECT i, r, s, b, n FROM t ORDER BY rowid")
        #expect(try rows[0].get("i", as: Int64.self) == Int64.max)
        #expect(try rows[0].get("r", as: Double.self) == 2.5)
        #expect(try rows[0].get("s", as: String.self) == "héllo ✓")
        #expect(try rows[0].get("b", as: Data.self) == blob)
        #expect(try rows[0].get("n", as: String?.self) == nil)
        #expect(try rows[1].get("s", as: String.self) == "")
        #expect(rows[1]["b"] == .blob(Data()), "an empty blob must stay a blob, not NULL")
        #expect(throws: RowDecodingError.self) { _ = try rows[0].get("n", as: String.self) }
        #expect(throws: SQLiteError.self) { try connection.execute("INSERT INTO t VALUES (?)", [1]) }
        #expect(throws: SQLiteError.self) { _ = try connection.fetchAll("SELECT 1; SELECT 2") }
    }

    @Test("transactions commit, roll back on error, and savepoints undo only their part")
    func transactions() throws {
        let connection = try Connection(path: ":memory:", key: nil, options: { var o = Connection.Options(); o.usesWAL = false; return o }())
        try connection.execute("CREATE TABLE t (v INTEGER)")
        struct Stop: Error {}
        try connection.inTransaction(.immediate) { try connection.execute("INSERT INTO t VALUES (1)") }
        #expect(throws: Stop.self) {
            try connection.inTransaction { try connection.execute("INSERT INTO t VALUES (2)"); throw Stop() }
        }
        try connection.inTransaction {
            try connection.execute("INSERT INTO t VALUES (3)")
            #expect(throws: Stop.self) {
                try connection.inSavepoint { try connection.execute("INSERT INTO t VALUES (4)"); throw Stop() }
            }
            try connection.inSavepoint { try connection.execute("INSERT INTO t VALUES (5)") }
        }
        let values = try connection.fetchAll("SELECT v FROM t ORDER BY v").map { try $0.get(0, as: Int.self) }
        #expect(values == [1, 3, 5])
        #expect(!connection.isInTransaction)
    }
}
