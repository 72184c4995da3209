import Foundation
import SimVault
import Testing
import VaultTestSupport

/// `simvault encrypt PLAIN.db`: any plaintext SQLite database into an
/// encrypted file with simvault's key management.
@Suite("encrypt")
struct EncryptTests {
    /// A plaintext database with what a copy can lose: AUTOINCREMENT, rowid
    /// gaps in a table without INTEGER PRIMARY KEY, WITHOUT ROWID, an FTS4
    /// table, an index, a view, a trigger, `user_version`.
    static let plainScript = #"""
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.executescript("""
CREATE TABLE items (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, payload BLOB);
CREATE TABLE notes (body TEXT, score REAL);
CREATE TABLE kv (k TEXT PRIMARY KEY, v TEXT) WITHOUT ROWID;
CREATE VIRTUAL TABLE docs USING fts4(title, body);
CREATE INDEX notes_score ON notes (score);
CREATE VIEW named AS SELECT id, name FROM items WHERE name LIKE 'PELICAN%';
CREATE TABLE audit (item INTEGER, at TEXT);
CREATE TRIGGER items_audit AFTER INSERT ON items BEGIN INSERT INTO audit VALUES (new.id, 'x'); END;
""")
for i in range(1, 301):
    db.execute("INSERT INTO items (name, payload) VALUES (?, ?)", (f"PELICANMARK item {i}", bytes([i % 256]) * 50))
db.execute("DELETE FROM items WHERE id > 290")
for i in range(500):
    db.execute("INSERT INTO notes VALUES (?, ?)", (f"PELICANMARK note {i} ünïcode", i / 7))
db.execute("DELETE FROM notes WHERE rowid % 10 = 0")
for i in range(50):
    db.execute("INSERT INTO kv VALUES (?, ?)", (f"key{i:03}", f"PELICANMARK value {i}"))
db.execute("INSERT INTO docs (title, body) VALUES ('Night trains', 'PELICANMARK the nightjet leaves at 19:40')")
db.execute("INSERT INTO docs (title, body) VALUES ('Budget', 'rent and food')")
db.execute("PRAGMA user_version = 42")
db.commit()
db.close()
"""#

    static let sourceQueries = [
        "SELECT count(*), sum(id), max(id) FROM items;",
        "SELECT count(*), sum(rowid), max(rowid) FROM notes;",
        "SELECT seq FROM sqlite_sequence WHERE name = 'items';",
        "SELECT count(*) FROM kv;",
        "SELECT count(*) FROM audit;",
        "SELECT title FROM docs WHERE docs MATCH 'nightjet';",
        "SELECT count(*) FROM named;",
        "SELECT type, name FROM sqlite_master ORDER BY type, name;",
        "PRAGMA user_version;",
    ]

    @Test("encrypt keeps every table, rowid, AUTOINCREMENT counter, index, view, trigger, FTS table and user_version; the original is untouched")
    func encryptKeepsEverything() throws {
        let session = try KeyringSession(.unlocked)
        let directory = try TemporaryDirectory("encrypt")
        let plain = directory.file("app/data.db")
        try FileManager.default.createDirectory(atPath: directory.file("app"), withIntermediateDirectories: true)
        try ExternalTools.python(Self.plainScript, [plain])
        let plainBytes = FileManager.default.contents(atPath: plain)
        let expected = try ExternalTools.python("""
            import sqlite3, sys
            db = sqlite3.connect(sys.argv[1])
            for q in sys.argv[2:]:
                for row in db.execute(q): print("|".join(str(v) for v in row))
            """, [plain] + Self.sourceQueries)

        let result = try session.simvault(["encrypt", plain, "--recovery-code-file", directory.file("recovery.txt"), "--json"])
        try #require(result.status == 0, "\(result)")
        let report = try ExternalTools.json(result)
        let output = directory.file("app/data.vault.db")
        #expect(report["path"] as? String == output)
        #expect(report["user_version"] as? Int == 42)
        let rows = (report["tables"] as? [[String: Any]])?.first { $0["name"] as? String == "items" }?["rows"] as? Int
        #expect(rows == 290)

        // Encrypted: plain SQLite cannot read it and no content is visible.
        #expect(try ExternalTools.pythonPlainSQLite(path: output).stdout.hasPrefix("ERROR:"))
        #expect(!ExternalTools.fileContains(output, "PELICANMARK") && !ExternalTools.fileContains(output, "nightjet"))
        #expect(ExternalTools.mode(of: output) == 0o600 && ExternalTools.mode(of: output + ".keys") == 0o600)

        // The stock sqlcipher shell, with the key from the keyring, sees the same data.
        let infoResult = try session.simvault(["info", "--vault", output, "--json"])
        #expect(infoResult.status == 0, "\(infoResult)")
        let info = try ExternalTools.json(infoResult)
        #expect(info["kind"] as? String == "app-database" && info["key_unavailable"] == nil, "\(info)")
        let key = try CLIFixture.keyFromKeyring(session: session, vaultID: try #require(info["vault_id"] as? String))
        let copy = try ExternalTools.sqlcipher(path: output, hexKey: key, sql: Self.sourceQueries.joined(separator: "\n"))
        #expect(copy.stdout == expected.stdout, "the encrypted copy differs:\n\(copy)\nexpected:\n\(expected.stdout)")
        let integrity = try ExternalTools.sqlcipher(path: output, hexKey: key, sql: "PRAGMA integrity_check;")
        #expect(integrity.stdout == "ok\n")

        // The original was only read.
        #expect(FileManager.default.contents(atPath: plain) == plainBytes)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.file("app")).sorted() == ["data.db", "data.vault.db", "data.vault.db.keys"])
        // Refusing to overwrite: nothing changes, and no keyring item is left behind.
        let items = try Self.keyringItemCount(session)
        let again = try session.simvault(["encrypt", plain, "--out", output])
        #expect(again.status == 1 && again.stderr.contains("already exists"), "\(again)")
        #expect(try Self.keyringItemCount(session) == items)
    }

    @Test("--remove-original deletes the plaintext after verification; a database SQLCipher 3.4.1 cannot copy (FTS5) leaves nothing behind")
    func removeOriginalAndRefusals() throws {
        let directory = try TemporaryDirectory("encrypt-remove")
        let password = try directory.write("a long password for the copy\n", to: "password.txt")
        let plain = directory.file("data.db")
        try ExternalTools.python(Self.plainScript, [plain])
        let done = try ProcessRunner.run(ProjectPaths.simvaultBinary, ["encrypt", plain, "--no-keyring", "--password-file", password, "--remove-original", "--recovery-code-file", directory.file("r.txt")])
        #expect(done.status == 0 && done.stdout.contains("overwritten with zeros and deleted"), "\(done)")
        #expect(!FileManager.default.fileExists(atPath: plain))
        let count = try ProcessRunner.run(ProjectPaths.simvaultBinary, ["info", "--vault", directory.file("data.vault.db"), "--json"])
        #expect(count.status == 0, "info reads the new file's header: \(count)")

        let fts5 = directory.file("fts5.db")
        try ExternalTools.python("import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.execute('CREATE VIRTUAL TABLE t USING fts5(x)'); c.execute(\"INSERT INTO t VALUES ('y')\"); c.commit()", [fts5])
        let listing = try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
        let refused = try ProcessRunner.run(ProjectPaths.simvaultBinary, ["encrypt", fts5, "--no-keyring", "--password-file", password])
        #expect(refused.status == 64 && refused.stderr.contains("fts5"), "\(refused)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted() == listing, "a refused encrypt left files behind")

        let text = try directory.write("just text\n", to: "notes.db")
        let notADatabase = try ProcessRunner.run(ProjectPaths.simvaultBinary, ["encrypt", text, "--no-keyring", "--password-file", password])
        #expect(notADatabase.status == 64 && notADatabase.stderr.contains("not a plaintext SQLite database"), "\(notADatabase)")
    }

    /// Items of application simvault in the session's keyring.
    static func keyringItemCount(_ session: KeyringSession) throws -> Int {
        let search = try session.run("secret-tool", ["search", "--all", "application", "simvault"], timeout: 20)
        return search.stdout.components(separatedBy: "attribute.vault-id").count - 1
    }
}
