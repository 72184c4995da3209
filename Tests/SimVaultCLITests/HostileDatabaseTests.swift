import Foundation
import SimVault
import Testing
import VaultTestSupport

/// Crafted SQLite files given to `import aionui`, `import libreollama` and
/// `encrypt`: each is named as malformed or hostile (exit 12), the vault and
/// every other file of the user stay byte for byte as they were, and
/// nothing is left behind. The files are made by Python's sqlite3
/// (`PRAGMA writable_schema`), as an attacker would.
@Suite("hostile databases")
struct HostileDatabaseTests {
    /// Rewrites the schema entry of `table` in the file at `path` to `sql`.
    static func rewriteSchema(of table: String, in path: String, to sql: String) throws {
        try ExternalTools.python("""
            import sqlite3, sys
            db = sqlite3.connect(sys.argv[1])
            db.execute("PRAGMA writable_schema = ON")
            changed = db.execute("UPDATE sqlite_master SET sql = ? WHERE name = ?", (sys.argv[3], sys.argv[2])).rowcount
            assert changed == 1, changed
            db.commit()
            """, [path, table, sql])
    }

    /// A small plaintext database with one table of notes.
    static func notesDatabase(at path: String) throws {
        try ExternalTools.python("""
            import sqlite3, sys
            db = sqlite3.connect(sys.argv[1])
            db.executescript("CREATE TABLE notes (body TEXT); CREATE TABLE audit (at TEXT); INSERT INTO notes VALUES ('PELICAN note');")
            db.commit()
            """, [path])
    }

    @Test("CVE-2018-8740 (CREATE TABLE … AS SELECT in sqlite_master, which segfaults SQLite 3.15.2): exit 12 naming the file, nothing changed", arguments: ["aionui", "libreollama", "encrypt"])
    func cve2018_8740(_ command: String) throws {
        let test = try TestVault(label: "cve-\(command)")
        test.vault.close()
        let directory = test.directory.file("source")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let source = directory + "/app.db"
        switch command {
        case "aionui":
            _ = try AppDatabaseFixture.aionUi(at: source)
            try Self.rewriteSchema(of: "messages", in: source, to: "CREATE TABLE messages AS SELECT 1")
        case "libreollama":
            _ = try AppDatabaseFixture.libreOllama(at: source)
            try Self.rewriteSchema(of: "chat_messages", in: source, to: "CREATE TABLE chat_messages AS SELECT 1")
        default:
            try Self.notesDatabase(at: source)
            try Self.rewriteSchema(of: "notes", in: source, to: "CREATE TABLE notes AS SELECT 1")
        }
        // The stock shell (same SQLite) crashes on it: the file is what the CVE describes.
        let shell = try ProcessRunner.run(try #require(ProcessRunner.which("sqlcipher")), ["-batch", source], stdin: Data("SELECT count(*) FROM sqlite_master;\n".utf8))
        #expect(shell.status == 139, "\(shell)")

        let sourceBytes = FileManager.default.contents(atPath: source)
        let listing = try FileManager.default.contentsOfDirectory(atPath: directory)
        if command == "encrypt" {
            let result = try ProcessRunner.run(ProjectPaths.simvaultBinary, ["encrypt", source, "--no-keyring", "--password-file", test.passwordFile])
            #expect(result.status == 12, "\(result)")
            #expect(result.stderr.contains("\(source) is malformed or hostile: it crashed the process reading it (signal 11, SIGSEGV)"), "\(result.stderr)")
        } else {
            try test.expectRefused(["import", command, source], status: 12, mentioning: "\(source) is malformed or hostile: it crashed the process reading it (signal 11, SIGSEGV)")
        }
        #expect(FileManager.default.contents(atPath: source) == sourceBytes)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == listing, "nothing left beside the source")
    }

    @Test("a schema entry that ATTACHes the user's other databases is refused before anything runs: the decoy database and the attacker's file keep every byte")
    func attachingSchemaEntry() throws {
        let directory = try TemporaryDirectory("attach-attack")
        let decoy = directory.file("history.db"), loot = directory.file("loot.db"), plain = directory.file("plain.db")
        try ExternalTools.python("""
            import sqlite3, sys
            decoy, loot = sys.argv[1:3]
            d = sqlite3.connect(decoy)
            d.execute("CREATE TABLE urls (url TEXT)")
            d.executemany("INSERT INTO urls VALUES (?)", [(f"https://private.example/{i}",) for i in range(20)])
            d.commit()
            l = sqlite3.connect(loot)
            l.execute("CREATE TABLE placeholder (x)")
            l.commit()
            """, [decoy, loot])
        try Self.notesDatabase(at: plain)
        try Self.rewriteSchema(of: "notes", in: plain, to: """
            CREATE TABLE notes (body TEXT); COMMIT; ATTACH '\(decoy)' AS h KEY ''; ATTACH '\(loot)' AS l KEY ''; \
            CREATE TABLE l.loot AS SELECT * FROM h.urls; DELETE FROM h.urls; BEGIN
            """)
        let password = try directory.write("a password for the copy 1\n", to: "pw.txt")
        let decoyBytes = FileManager.default.contents(atPath: decoy), lootBytes = FileManager.default.contents(atPath: loot)
        let listing = try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()

        let result = try ProcessRunner.run(ProjectPaths.simvaultBinary, ["encrypt", plain, "--no-keyring", "--password-file", password])
        #expect(result.status == 12, "\(result)")
        #expect(result.stderr.contains("its schema entry for table notes holds more than one SQL statement"), "\(result.stderr)")
        #expect(FileManager.default.contents(atPath: decoy) == decoyBytes, "the user's other database was changed")
        #expect(FileManager.default.contents(atPath: loot) == lootBytes, "data was copied into the attacker's file")
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted() == listing, "no encrypted copy, header or staging file left")
        let rows = try ExternalTools.python("import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute('SELECT count(*) FROM urls').fetchone()[0])", [decoy])
        #expect(rows.stdout == "20\n")
    }

    @Test("schema entries SQLite never writes are refused (exit 12), the copy not made", arguments: DishonestEntry.allCases)
    func dishonestEntries(_ kind: DishonestEntry) throws {
        let directory = try TemporaryDirectory("dishonest")
        let plain = directory.file("plain.db")
        try Self.notesDatabase(at: plain)
        try kind.apply(to: plain)
        let password = try directory.write("a password for the copy 1\n", to: "pw.txt")
        let listing = try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
        let result = try ProcessRunner.run(ProjectPaths.simvaultBinary, ["encrypt", plain, "--no-keyring", "--password-file", password])
        #expect(result.status == 12, "\(result)")
        #expect(result.stderr.contains("\(plain) is malformed or hostile: \(kind.message)"), "\(result.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted() == listing)
    }

    @Test("a reader that dies is named (exit 12); a missing reader says where it was looked for (exit 1); the vault is unchanged")
    func readerFailuresThroughTheCLI() throws {
        let test = try TestVault(label: "reader-env")
        test.vault.close()
        let source = test.directory.file("aionui.db")
        _ = try AppDatabaseFixture.aionUi(at: source)
        let dying = try test.directory.write("#!/bin/sh\nexit 3\n", to: "dying-reader")
        chmod(dying, 0o700)
        let before = test.fileBytes()
        var environment = ProcessRunner.baseEnvironment
        environment["SIMVAULT_SQLITE_READER"] = dying
        let died = try ProcessRunner.run(ProjectPaths.simvaultBinary, ["import", "aionui", source] + test.cliArguments, environment: environment)
        #expect(died.status == 12 && died.stderr.contains("ended unexpectedly (exit status 3)"), "\(died)")
        environment["SIMVAULT_SQLITE_READER"] = test.directory.file("no-such-reader")
        let missing = try ProcessRunner.run(ProjectPaths.simvaultBinary, ["import", "aionui", source] + test.cliArguments, environment: environment)
        #expect(missing.status == 1 && missing.stderr.contains("no-such-reader (configured) is not an executable file"), "\(missing)")
        #expect(test.fileBytes() == before)

        // Installed as `make release` builds it: simvault alone, without the reader beside it.
        let lonely = test.directory.file("bin/simvault")
        try FileManager.default.createDirectory(atPath: test.directory.file("bin"), withIntermediateDirectories: true)
        // The built binary itself: on SQLCipher 4 `simvaultBinary` is a
        // wrapper script that would run the build directory's simvault.
        try FileManager.default.copyItem(atPath: ProjectPaths.builtProduct("simvault"), toPath: lonely)
        var lonelyEnvironment = ProcessRunner.baseEnvironment
        if TestEngine.underTest == .sqlcipher4 { lonelyEnvironment["LD_PRELOAD"] = TestEngine.sqlcipher4Preload }
        let alone = try ProcessRunner.run(lonely, ["import", "aionui", source] + test.cliArguments, environment: lonelyEnvironment)
        #expect(alone.status == 1 && alone.stderr.contains("needs the helper simvault-sqlite-reader, which is not installed (looked for \(test.directory.file("bin/simvault-sqlite-reader"))"), "\(alone)")
        #expect(test.fileBytes() == before)
    }
}

/// Schema entries an honest SQLite file never holds.
enum DishonestEntry: String, CaseIterable, CustomTestStringConvertible {
    /// An index entry whose statement indexes another table than its own.
    case indexOfAnotherTable
    /// A table entry whose statement creates a differently named table.
    case tableNamedOtherwise
    /// A view whose statement is a trigger.
    case viewThatIsATrigger

    var testDescription: String { rawValue }

    func apply(to path: String) throws {
        try ExternalTools.python("""
            import sqlite3, sys
            db = sqlite3.connect(sys.argv[1])
            db.executescript("CREATE INDEX notes_body ON notes (body); CREATE VIEW recent AS SELECT body FROM notes;")
            db.execute("PRAGMA writable_schema = ON")
            kind = sys.argv[2]
            if kind == "indexOfAnotherTable":
                db.execute("UPDATE sqlite_master SET sql = 'CREATE INDEX notes_body ON audit (at)' WHERE name = 'notes_body'")
            elif kind == "tableNamedOtherwise":
                db.execute("UPDATE sqlite_master SET sql = 'CREATE TABLE audit2 (at TEXT)' WHERE name = 'audit'")
            else:
                db.execute("UPDATE sqlite_master SET sql = 'CREATE TRIGGER recent AFTER INSERT ON audit BEGIN DELETE FROM notes; END' WHERE name = 'recent'")
            db.commit()
            """, [path, rawValue])
    }

    var message: String {
        switch self {
        case .indexOfAnotherTable: return "its schema entry for index notes_body creates createIndex notes_body audit in main instead"
        case .tableNamedOtherwise: return "SQLite failed reading it"
        case .viewThatIsATrigger: return "its schema entry for view recent creates createTrigger recent audit in main instead"
        }
    }
}
