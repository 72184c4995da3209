import Foundation
import SimVault
import Testing
import VaultTestSupport

// docs/library.md notes example begin
import SimVault

/// A notes app on simvault: its own table and FTS4 index, versioned by
/// migrations that never change once released (release 2 carries the notes
/// over into a rebuilt table), opened with the keyring, a password as the
/// fallback.
struct Note: FetchableRecord, PersistableRecord {
    static let databaseTableName = "notes"
    var id: Int64?
    var title: String
    var body: String
    var createdAt: Date          // column created_at, unix milliseconds
}

func notesMigrations(release: Int = 2) -> AppMigrations {
    var migrations = AppMigrations(namespace: "org.example.notes")
    migrations.register("create_notes", sql: "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL, created_at INTEGER NOT NULL)")
    guard release >= 2 else { return migrations }
    migrations.register("titles_and_search", sql: """
        CREATE TABLE notes_new (id INTEGER PRIMARY KEY, title TEXT NOT NULL, body TEXT NOT NULL, created_at INTEGER NOT NULL);
        INSERT INTO notes_new SELECT id, substr(body, 1, instr(body || char(10), char(10)) - 1), body, created_at FROM notes;
        DROP TABLE notes;
        ALTER TABLE notes_new RENAME TO notes;
        CREATE VIRTUAL TABLE notes_fts USING fts4(content="notes", title, body);
        INSERT INTO notes_fts (notes_fts) VALUES ('rebuild');
        CREATE TRIGGER notes_fts_insert AFTER INSERT ON notes BEGIN
            INSERT INTO notes_fts (docid, title, body) VALUES (new.id, new.title, new.body); END;
        CREATE TRIGGER notes_fts_delete BEFORE DELETE ON notes BEGIN DELETE FROM notes_fts WHERE docid = old.id; END;
        """)
    return migrations
}

func openNotes(at path: String, password: @escaping SecretSupplier) throws -> EncryptedDatabase {
    let location = VaultLocation(path: path)
    let notes: EncryptedDatabase
    if location.databaseExists {
        notes = try EncryptedDatabase.open(at: location, unlock: UnlockRequest(password: password))  // keyring first
    } else {
        var options = VaultCreationOptions()          // a keyring item, a password slot, a recovery code
        options.password = try password("choose a password for the new notebook")
        notes = try EncryptedDatabase.create(at: location, options: options).database
    }
    try notes.migrate(notesMigrations())              // verified backup first; a no-op when current
    return notes
}

func search(_ notes: EncryptedDatabase, for words: String) throws -> [Note] {
    try notes.read { db in
        try db.fetchAll(Note.self, "SELECT notes.* FROM notes JOIN notes_fts ON notes_fts.docid = notes.id WHERE notes_fts MATCH ?", [words])
    }
}
// docs/library.md notes example end

/// Keeps docs/library.md's "Your own schema" example compiling and true.
@Suite("notes example")
struct NotesExampleTests {
    @Test("a release-1 notebook migrates to release 2 with every note, titles and search; keyring first, the password as fallback")
    func notesApp() throws {
        let directory = try TemporaryDirectory("notes")
        let path = directory.file("notes/notes.db")
        let password: SecretSupplier = { _ in
            var bytes = Array("correct horse battery".utf8)
            return SecretBytes(consuming: &bytes)
        }

        // Release 1: the notebook is made with the first migration only.
        var options = VaultCreationOptions()
        options.password = try password("")
        options.passwordKDF = PasswordKDF.minimum()
        let made = try EncryptedDatabase.create(at: VaultLocation(path: path), options: options)
        #expect(made.database.kind == .appDatabase)
        try made.database.migrate(notesMigrations(release: 1))
        try made.database.write { db in
            for number in 1...30 {
                try db.execute("INSERT INTO notes (body, created_at) VALUES (?, ?)", ["Note \(number)\nwalrus number \(number)", 1_700_000_000_000 + number])
            }
        }
        let databaseID = made.database.databaseID
        made.database.close()

        // Release 2, through the keyring.
        let notes = try openNotes(at: path, password: password)
        #expect(notes.unlockResult.source.description.hasPrefix("keyring"), "\(notes.unlockResult.source)")
        let status = try notes.migrationStatus(notesMigrations())
        #expect(status.apps.map(\.namespace) == ["org.example.notes"] && status.apps[0].applied.map(\.identifier) == ["create_notes", "titles_and_search"])
        #expect(status.apps[0].pending.isEmpty)
        #expect(try search(notes, for: "walrus").count == 30, "every note carried over and indexed")
        let seven = try #require(try notes.read { db in try db.fetchOne(Note.self, "SELECT * FROM notes WHERE id = 7") })
        #expect(seven.title == "Note 7" && seven.body == "Note 7\nwalrus number 7" && seven.createdAt == Date(timeIntervalSince1970: 1_700_000_000.007))
        let newID = try notes.write { db in try db.insert(Note(id: nil, title: "Trains", body: "the nightjet leaves at 19:40", createdAt: Date())) }
        #expect(try search(notes, for: "nightjet").map(\.id) == [newID])
        let backups = try FileManager.default.contentsOfDirectory(atPath: directory.file("notes/notes.db.backups"))
        #expect(backups.filter { $0.hasSuffix(".db") }.count == 1, "one backup, before release 2 (the empty new file needed none): \(backups)")
        notes.close()

        // The keyring item gone: the password opens it; nothing is pending.
        _ = try SecretServiceKeyring().remove(vaultID: databaseID)
        let again = try openNotes(at: path, password: password)
        defer { again.close() }
        #expect(again.unlockResult.usedFallback && again.unlockResult.source.description.hasPrefix("password"))
        #expect(try search(again, for: "nightjet").count == 1)
    }

    @Test("docs/library.md shows exactly this example")
    func documented() throws {
        let example = try documentedExample(in: #filePath, marker: "docs/library.md notes example")
        let document = try String(contentsOfFile: ProjectPaths.root + "/docs/library.md", encoding: .utf8)
        #expect(document.contains("```swift\n" + example + "```\n"), "docs/library.md's notes example differs from \(#filePath)")
    }
}
