import Foundation
import SimVault
import Testing
import VaultTestSupport

/// `simvault import aionui` / `import libreollama`: other apps' plaintext
/// databases, read without being changed, mapped into the vault, with every
/// credential moved into sealed secrets.
@Suite("importing other apps")
struct AppImportTests {
    @Test("AionUi: users, conversations and messages arrive with counts matching; API keys, password hashes and JWT secrets are only in secrets")
    func aionUi() throws {
        let test = try TestVault(label: "aionui")
        test.vault.close()
        let source = try Self.sourceDirectory(test).appending("/aionui.db")
        let fixture = try AppDatabaseFixture.aionUi(at: source)
        let (sourceBytes, sourceListing) = try Self.snapshot(source)

        let report = try ExternalTools.json(try test.cliOK(["import", "aionui", source, "--json"]))
        let imported = try #require(report["imported"] as? [String: Int])
        #expect(imported["users"] == fixture.counts["users"])
        #expect(imported["conversations"] == fixture.counts["conversations"])
        #expect(imported["messages"] == fixture.counts["messages"])
        #expect(try test.sqlValue("SELECT count(*) FROM conversations WHERE id LIKE 'aionui:%'") == "\(fixture.counts["conversations"]!)")
        #expect(try test.sqlValue("SELECT count(*) FROM messages WHERE id LIKE 'aionui:%'") == "\(fixture.counts["messages"]!)")

        // Keys: two OpenAI keys (one shared by two conversations: stored
        // once), a Gemini key, a token from `extra`, two hashes, two JWT secrets.
        let secrets = try Self.secretNames(test)
        #expect(secrets == [
            "provider:aionui/CUSTOM_AGENT_TOKEN", "provider:gemini/API_KEY", "provider:openai/API_KEY", "provider:openai/API_KEY_2",
            "user:aionui:system_default_user/JWT_SECRET", "user:aionui:system_default_user/PASSWORD_HASH",
            "user:aionui:user_1738012345678/JWT_SECRET", "user:aionui:user_1738012345678/PASSWORD_HASH",
        ])
        let key = try test.cliOK(["secret", "get", "API_KEY", "--scope", "provider:openai"]).stdout
        #expect(key == fixture.credentials[0], "the key moved, it was not lost")
        let model = try test.sqlValue("SELECT model FROM conversations WHERE id = 'aionui:conv-2'")
        #expect(model.contains("\"apiKey\":\"secret:provider:openai/API_KEY\"") && model.contains("\"useModel\":\"gpt-4o\""), "\(model)")
        try Self.expectNoCredentialOutsideSecrets(test, fixture)

        // Message mapping: text content unwrapped, roles from position and type,
        // source order kept (two messages share a timestamp).
        #expect(try test.sqlValue("SELECT content FROM messages WHERE id = 'aionui:conv-1-m0'") == "ZEBRAFINCH message 0 of conv-1: ünïcode \"quoted\"\nline two")
        #expect(try test.sqlValue("SELECT role || ' ' || content_type FROM messages WHERE id = 'aionui:conv-4-m5'") == "tool aionui/tool_call")
        #expect(try test.sqlValue("SELECT role FROM messages WHERE id = 'aionui:conv-4-m4'") == "system")
        #expect(try test.sqlValue("SELECT group_concat(id, ',') FROM (SELECT id FROM messages WHERE conversation_id = 'aionui:conv-2' ORDER BY position)")
                == (0..<5).map { "aionui:conv-2-m\($0)" }.joined(separator: ","))
        #expect(try test.sqlValue("SELECT extra FROM conversations WHERE id = 'aionui:conv-6'") == "\"not json at all\"")
        let hits = try ExternalTools.json(try test.cliOK(["search", "ZEBRAFINCH", "--limit", "100", "--json"]))
        let expectedHits = try test.sqlValue("SELECT count(*) FROM messages WHERE content LIKE '%ZEBRAFINCH%'")
        #expect((hits["hits"] as? [Any])?.count == Int(expectedHits) && expectedHits != "0", "imported messages are searchable")

        // The source was only read; a second import adds nothing.
        #expect(try Self.snapshot(source) == (sourceBytes, sourceListing), "the AionUi database or its directory changed")
        let again = try ExternalTools.json(try test.cliOK(["import", "aionui", source, "--json"]))
        #expect((again["imported"] as? [String: Int])?.values.allSatisfy { $0 == 0 } == true, "\(again)")
        #expect((again["already_present"] as? [String: Int])?["conversations"] == fixture.counts["conversations"])
        #expect(try Self.secretNames(test).count == 8)
    }

    @Test("LibreOllama: agents, sessions, messages, executions (as runs) and settings arrive with counts matching; keys only in secrets")
    func libreOllama() throws {
        let test = try TestVault(label: "libreollama")
        test.vault.close()
        let source = try Self.sourceDirectory(test).appending("/database.db")
        let fixture = try AppDatabaseFixture.libreOllama(at: source)
        let (sourceBytes, sourceListing) = try Self.snapshot(source)

        let report = try ExternalTools.json(try test.cliOK(["import", "libreollama", source, "--json"]))
        let imported = try #require(report["imported"] as? [String: Int])
        #expect(imported["agents"] == fixture.counts["agents"])
        #expect(imported["conversations"] == fixture.counts["chat_sessions"])
        #expect(imported["messages"] == fixture.counts["chat_messages"])
        #expect(imported["runs"] == fixture.counts["agent_executions"])
        #expect(imported["settings"] == fixture.counts["settings"]! - 1 && imported["secrets"] == 2)
        #expect((report["notes"] as? [String])?.contains("LibreOllama schema version 4") == true)
        #expect(try Self.secretNames(test) == ["app:libreollama/OPENAI_API_KEY", "app:libreollama/PARAMETERS_API_KEY"])
        #expect(try test.sqlValue("SELECT group_concat(status || '=' || n, ',') FROM (SELECT status, count(*) AS n FROM runs GROUP BY status ORDER BY status)")
                == "cancelled=1,error=1,running=1,success=2")
        #expect(try test.sqlValue("SELECT triggered_by || ' ' || conversation_id FROM runs WHERE id = 'libreollama:e1'") == "chat libreollama:s1")
        #expect(try test.sqlValue("SELECT value FROM settings WHERE key = 'libreollama.theme'") == "dark")
        #expect(try test.sqlValue("SELECT config FROM agents WHERE id = 'libreollama:a2'").contains("\"api_key\":\"secret:app:libreollama/PARAMETERS_API_KEY\""))
        #expect(try test.sqlValue("SELECT created_at FROM agents WHERE id = 'libreollama:a1'") == "1748772000000", "ISO timestamps become unix milliseconds")
        try Self.expectNoCredentialOutsideSecrets(test, fixture)
        #expect(try Self.snapshot(source) == (sourceBytes, sourceListing))
        let again = try ExternalTools.json(try test.cliOK(["import", "libreollama", source, "--json"]))
        #expect((again["imported"] as? [String: Int])?.values.allSatisfy { $0 == 0 } == true, "\(again)")
        #expect(try Self.secretNames(test).count == 2)
    }

    @Test("another app's database, an encrypted or non-database file, unflushed changes, an invalid row: exit 64 or 15, the vault unchanged", arguments: WrongSource.allCases)
    func wrongSource(_ kind: WrongSource) throws {
        let test = try TestVault(label: "wrong-source")
        test.vault.close()
        let directory = try Self.sourceDirectory(test)
        let (command, path) = try kind.make(in: directory, vault: test)
        try test.expectRefused(["import", command, path], status: kind.exitCode, mentioning: kind.message)
    }

    // MARK: - Helpers

    static func sourceDirectory(_ test: TestVault) throws -> String {
        let directory = test.directory.file("source")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        return directory
    }

    /// The source file's bytes and its directory's listing.
    static func snapshot(_ source: String) throws -> (Data?, [String]) {
        (FileManager.default.contents(atPath: source), try FileManager.default.contentsOfDirectory(atPath: (source as NSString).deletingLastPathComponent).sorted())
    }

    static func secretNames(_ test: TestVault) throws -> [String] {
        let list = try test.cliOK(["secret", "list", "--json"])
        let items = try #require(try JSONSerialization.jsonObject(with: list.stdoutData) as? [[String: Any]])
        return items.map { "\($0["scope"] as? String ?? "")/\($0["name"] as? String ?? "")" }.sorted()
    }

    /// No credential of the fixture in any table as `simvault sql` shows it,
    /// nor in any file of the test except the source database.
    static func expectNoCredentialOutsideSecrets(_ test: TestVault, _ fixture: AppDatabaseFixture, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let tables = try test.cliOK(["sql", "SELECT name FROM sqlite_master WHERE type = 'table'"]).stdout.split(separator: "\n").dropFirst()
        #expect(tables.count > 10, sourceLocation: sourceLocation)
        for table in tables {
            let dump = try test.cliOK(["sql", "SELECT * FROM \"\(table)\""]).stdout
            for credential in fixture.credentials {
                #expect(!dump.contains(credential), "\(credential) appears in table \(table)", sourceLocation: sourceLocation)
            }
        }
        for file in ExternalTools.filesUnder(test.directory.path) where !file.hasPrefix(test.directory.file("source")) {
            for credential in fixture.credentials {
                #expect(!ExternalTools.fileContains(file, credential), "\(credential) appears in \(file)", sourceLocation: sourceLocation)
            }
        }
    }
}

/// Sources `import` must refuse.
enum WrongSource: String, CaseIterable, CustomTestStringConvertible {
    case libreOllamaAsAionUi, aionUiAsLibreOllama, textFile, encryptedVault, pendingWAL, missing, unknownRole

    var testDescription: String { rawValue }
    var exitCode: Int32 { self == .missing ? 15 : 64 }

    var message: String {
        switch self {
        case .libreOllamaAsAionUi: return "is not an AionUi database: it has no table conversations (it looks like a LibreOllama database"
        case .aionUiAsLibreOllama: return "it looks like an AionUi database: use `simvault import aionui`"
        case .textFile, .encryptedVault: return "is not a plaintext SQLite database"
        case .pendingWAL: return "Close the app"
        case .missing: return "not found"
        case .unknownRole: return "has the role \"narrator\""
        }
    }

    func make(in directory: String, vault: TestVault) throws -> (String, String) {
        let path = directory + "/source.db"
        switch self {
        case .libreOllamaAsAionUi:
            _ = try AppDatabaseFixture.libreOllama(at: path)
            return ("aionui", path)
        case .aionUiAsLibreOllama:
            _ = try AppDatabaseFixture.aionUi(at: path)
            return ("libreollama", path)
        case .textFile:
            FileManager.default.createFile(atPath: path, contents: Data(String(repeating: "not a database\n", count: 400).utf8))
            return ("aionui", path)
        case .encryptedVault:
            return ("aionui", vault.location.path)
        case .pendingWAL:
            _ = try AppDatabaseFixture.aionUi(at: path)
            FileManager.default.createFile(atPath: path + "-wal", contents: Data(repeating: 7, count: 4096))
            return ("aionui", path)
        case .missing:
            return ("aionui", directory + "/nothing-here.db")
        case .unknownRole:
            _ = try AppDatabaseFixture.libreOllama(at: path)
            try ExternalTools.python("import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.execute(\"UPDATE chat_messages SET role = 'narrator' WHERE id = 's3-5'\"); c.commit()", [path])
            return ("libreollama", path)
        }
    }
}
