import Foundation
import SimVault
import Testing
import VaultTestSupport

/// Moving in from AionUi and LibreOllama as users' real files are: databases
/// built by the apps' own DDL in their own migration order (several builds),
/// imported by the real CLI with a real keyring. Every table of the source
/// is accounted for, every credential ends in a sealed secret (and nowhere
/// else in the vault), and the plaintext left behind is named, encrypted or
/// removed on request.
@Suite("moving in from other apps")
struct AppAdoptionTests {
    @Test("AionUi (user_version 30, and a build with acp_session, users.role and an unknown table): every table accounted for, every credential sealed, message types, hidden, status, token usage kept", arguments: ["current", "extended"])
    func aionUi(_ build: String) throws {
        let test = try TestVault(label: "aionui-\(build)")
        test.vault.close()
        let source = try AppImportTests.sourceDirectory(test).appending("/aionui.db")
        let fixture = try AppDatabaseFixture.aionUiReal(at: source, build: build)
        let report = try ExternalTools.json(try test.cliOK(["import", "aionui", source, "--json"]))

        // Every table of the file, once, with its rows and fate.
        let tables = try #require(report["tables"] as? [[String: Any]])
        let fates = Dictionary(uniqueKeysWithValues: tables.map { ($0["name"] as? String ?? "", $0["fate"] as? String ?? "") })
        #expect(tables.count == fixture.counts["tables"], "\(fates)")
        for name in ["conversations", "messages", "conversation_token_usage", "remote_agents", "assistant_plugins", "api_config"] {
            #expect(fates[name] == "imported", "\(name): \(fates[name] ?? "missing")")
        }
        #expect(fates["users"] == "partly_imported")
        for name in ["assistant_users", "assistant_sessions", "assistant_pairing_codes", "cron_jobs", "teams", "mailbox", "team_tasks"] {
            #expect(fates[name] == "not_imported", "\(name)")
        }
        if build == "extended" {
            #expect(fates["acp_session"] == "not_imported")
            #expect(fates["plugin_marketplace_cache"] == "unknown", "a table simvault does not know is named")
        }
        let rows = Dictionary(uniqueKeysWithValues: tables.map { ($0["name"] as? String ?? "", $0["rows"] as? Int ?? -1) })
        #expect(rows["messages"] == fixture.counts["messages"] && rows["cron_jobs"] == 1)
        let credentialTables = Set(tables.filter { $0["holds_credentials"] as? Bool == true }.compactMap { $0["name"] as? String })
        #expect(credentialTables == ["users", "conversations", "remote_agents", "assistant_plugins", "api_config"])

        // Every credential's fate: a sealed secret with the value as AionUi
        // meant it (b64:, enc: and plain: decoded), nowhere else.
        let named = fixture.named
        let expected: [(scope: String, name: String, value: String)] = [
            ("plugin:aionui:plug-tg", "TOKEN", named["tg"]!),
            ("plugin:aionui:plug-lark", "APP_SECRET", named["larksecret"]!),
            ("plugin:aionui:plug-lark", "ENCRYPT_KEY", named["larkenc"]!),
            ("plugin:aionui:plug-lark", "VERIFICATION_TOKEN", named["larkver"]!),
            ("plugin:aionui:plug-ding", "CLIENT_SECRET", named["dingsecret"]!),
            ("agent:aionui:ra-1", "AUTH_TOKEN", named["ratoken"]!),
            ("agent:aionui:ra-1", "DEVICE_PRIVATE_KEY", named["rapriv"]!),
            ("agent:aionui:ra-1", "DEVICE_TOKEN", named["radev"]!),
            ("app:aionui:api", "AUTH_TOKEN", named["apitoken"]!),
            ("provider:gemini", "API_KEY", named["gemini"]!),
            ("provider:openai", "API_KEY", named["multi"]! + ",\n" + named["multi2"]!),
            ("provider:aionui", "GATEWAY_TOKEN", named["gwtoken"]!),
            ("provider:aionui", "GATEWAY_PASSWORD", named["gwpass"]!),
            ("user:aionui:system_default_user", "JWT_SECRET", named["jwt"]!),
            ("user:aionui:system_default_user", "PASSWORD_HASH", named["hash"]!),
        ]
        for item in expected {
            let value = try test.cliOK(["secret", "get", item.name, "--scope", item.scope]).stdout
            #expect(value == item.value, "\(item.scope)/\(item.name)")
        }
        let headers = try test.cliOK(["secret", "get", "CALLBACK_HEADERS", "--scope", "app:aionui:api"]).stdout
        #expect(headers.contains(named["hook"]!))
        try AppImportTests.expectNoCredentialOutsideSecrets(test, fixture)

        // Messages: every type, content lossless, position/status/hidden kept.
        #expect(try test.sqlValue("SELECT count(*) FROM messages WHERE id LIKE 'aionui:%'") == "\(fixture.counts["messages"]!)")
        let group = try test.sqlValue("SELECT content FROM messages WHERE id = 'aionui:c-gem-m4'")
        let groupJSON = try JSONSerialization.jsonObject(with: Data(group.utf8)) as? [[String: Any]]
        #expect(groupJSON?.first?["callId"] as? String == "g1", "a tool_group's array content stays JSON: \(group)")
        #expect(try test.sqlValue("SELECT role || ' ' || content_type FROM messages WHERE id = 'aionui:c-gem-m4'") == "tool aionui/tool_group")
        #expect(try test.sqlValue("SELECT length(content) FROM messages WHERE id = 'aionui:c-gem-m1'") == "\(try Self.sourceValue(source, "SELECT length(json_extract(content, '$.content')) FROM messages WHERE id = 'c-gem-m1'"))")
        #expect(try test.sqlValue("SELECT role FROM messages WHERE id = 'aionui:c-gem-m10'") == "system", "position NULL")
        #expect(try test.sqlValue("SELECT role FROM messages WHERE id = 'aionui:c-gem-m11'") == "system", "position pop")
        let hidden = try test.sqlValue("SELECT metadata FROM messages WHERE id = 'aionui:c-gem-m5'")
        #expect(hidden.contains("\"hidden\":true") && hidden.contains("\"position\":\"center\""), "\(hidden)")
        #expect(try test.sqlValue("SELECT metadata FROM messages WHERE id = 'aionui:c-gem-m3'").contains("\"status\":\"work\""))
        // Token usage: on the assistant message, and every row in extra.
        #expect(try test.sqlValue("SELECT tokens FROM messages WHERE id = 'aionui:c-gem-m1'") == "165")
        let extra = try test.sqlValue("SELECT extra FROM conversations WHERE id = 'aionui:c-acp'")
        #expect(extra.contains("\"token_usage\":[") && extra.contains("\"cronJobId\":\"cron-1\""), "\(extra)")
        #expect(try test.sqlValue("SELECT extra FROM conversations WHERE id = 'aionui:c-gw'").contains("\"channel_chat_id\":\"chat-42\""))
        #expect(try test.sqlValue("SELECT provider FROM agents WHERE id = 'aionui:remote:ra-1'") == "remote:openclaw")

        // The plaintext left behind is named; a second import adds nothing.
        #expect((report["plaintext_copies"] as? [String])?.contains(source) == true)
        let before = try AppImportTests.secretNames(test)
        let again = try ExternalTools.json(try test.cliOK(["import", "aionui", source, "--json"]))
        #expect((again["imported"] as? [String: Int])?.values.allSatisfy { $0 == 0 } == true, "\(again)")
        #expect(try AppImportTests.secretNames(test) == before, "stored values are recognised, not duplicated")
    }

    @Test("LibreOllama v14 (llm_settings.json beside it) and an older v4 build: every table accounted for, MCP/n8n keys, Gmail tokens under the all-zero key and provider keys sealed", arguments: ["v14", "v4"])
    func libreOllama(_ build: String) throws {
        let test = try TestVault(label: "libreollama-\(build)")
        test.vault.close()
        let source = try AppImportTests.sourceDirectory(test).appending("/database.db")
        let fixture = try AppDatabaseFixture.libreOllamaReal(at: source, build: build)
        if build == "v4" {
            // A message whose session is gone: reported, not dropped silently.
            try ExternalTools.python("import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.execute(\"INSERT INTO chat_messages (session_id, role, content, created_at) VALUES (99, 'user', 'orphan', '2025-05-01')\"); c.commit()", [source])
        }
        let report = try ExternalTools.json(try test.cliOK(["import", "libreollama", source, "--json"]))
        let tables = try #require(report["tables"] as? [[String: Any]])
        let fates = Dictionary(uniqueKeysWithValues: tables.map { ($0["name"] as? String ?? "", $0["fate"] as? String ?? "") })
        #expect(tables.count == fixture.counts["tables"], "\(fates)")
        #expect(!fates.values.contains("unknown"), "\(fates)")
        #expect(fates["notes"] == "not_imported" && fates["agents"] == "imported")
        #expect(fates["chat_messages"] == (build == "v4" ? "partly_imported" : "imported"), "\(tables)")
        let imported = try #require(report["imported"] as? [String: Int])
        #expect(imported["messages"] == fixture.counts["chat_messages"] && imported["conversations"] == fixture.counts["chat_sessions"])
        try AppImportTests.expectNoCredentialOutsideSecrets(test, fixture)
        if build == "v4" {
            #expect(fates["content_fts"] == "not_imported" && fates["link_relationships"] == "not_imported")
            #expect(try test.cliOK(["secret", "get", "API_KEY", "--scope", "mcp:libreollama:1"]).stdout == fixture.named["oldmcp"])
            #expect(try test.sqlValue("SELECT title FROM conversations WHERE id = 'libreollama:1'") == "Old chat ü")
            return
        }
        #expect(tables.count == 25)
        let named = fixture.named
        for (scope, name, key) in [("gmail:libreollama:ada@gmail.example", "ACCESS_TOKEN", "gaccess"), ("gmail:libreollama:ada@gmail.example", "REFRESH_TOKEN", "grefresh"),
                                   ("mcp:libreollama:1", "API_KEY", "mcp"), ("n8n:libreollama:1", "API_KEY", "n8n"),
                                   ("provider:openai", "API_KEY", "openai"), ("provider:anthropic", "API_KEY", "anthropic")] {
            #expect(try test.cliOK(["secret", "get", name, "--scope", scope]).stdout == named[key], "\(scope)/\(name)")
        }
        // Wall-clock text without a zone, read as UTC, microseconds kept to the millisecond.
        #expect(try test.sqlValue("SELECT created_at FROM conversations WHERE id = 'libreollama:1'") == "1752970960862")
        #expect(try test.sqlValue("SELECT length(content) FROM messages WHERE id = 'libreollama:4'") == "20480")
        #expect(try test.sqlValue("SELECT status FROM runs WHERE id = 'libreollama:2'") == "running", "pending")
        #expect(try test.sqlValue("SELECT value FROM settings WHERE key = 'libreollama.preferences.theme'") == "dark")
        #expect(try test.sqlValue("SELECT value FROM settings WHERE key = 'libreollama.chat_templates.1'").contains("Summarise: {{text}}"))
        #expect(try test.sqlValue("SELECT value FROM settings WHERE key = 'libreollama.llm_settings'").contains("\"enabled_models\""))
        #expect((report["plaintext_copies"] as? [String]) == [source, (source as NSString).deletingLastPathComponent + "/llm_settings.json"])
        let again = try ExternalTools.json(try test.cliOK(["import", "libreollama", source, "--json"]))
        #expect((again["imported"] as? [String: Int])?.values.allSatisfy { $0 == 0 } == true, "\(again)")
    }

    @Test("--then-encrypt leaves an encrypted file Python's sqlite3 cannot read and names llm_settings.json as left; --then-remove deletes the database; both together are refused (64); AionUi's json_extract index is a named failure after a committed import")
    func plaintextLeftBehind() throws {
        let test = try TestVault(label: "then")
        test.vault.close()
        let directory = try AppImportTests.sourceDirectory(test)
        let libre = directory + "/database.db"
        let settings = directory + "/llm_settings.json"
        let fixture = try AppDatabaseFixture.libreOllamaReal(at: libre)
        try test.expectRefused(["import", "libreollama", libre, "--then-encrypt", "--then-remove"], status: 64, mentioning: "Choose one of")
        let encrypted = try test.cliOK(["import", "libreollama", libre, "--then-encrypt"])
        #expect(encrypted.stdout.contains("Recovery code") && encrypted.stdout.contains("remain:\n    \(settings)"), "\(encrypted.stdout)")
        #expect(!FileManager.default.fileExists(atPath: libre) && FileManager.default.fileExists(atPath: settings))
        let copy = directory + "/database.vault.db"
        #expect(FileManager.default.fileExists(atPath: copy) && FileManager.default.fileExists(atPath: copy + ".keys"))
        #expect(try ExternalTools.pythonPlainSQLite(path: copy).stdout.hasPrefix("ERROR:"), "the encrypted source is not readable as SQLite")
        #expect(!ExternalTools.fileContains(copy, fixture.named["mcp"]!))

        let aionui = directory + "/aionui.db"
        _ = try AppDatabaseFixture.aionUiReal(at: aionui)
        // SQLCipher 3.4.1 (SQLite 3.15.2) has no json_extract, which
        // AionUi's v27 index uses: the import is kept, the failure named.
        let failed = try test.cli(["import", "aionui", aionui, "--then-encrypt"])
        #expect(try test.sqlValue("SELECT count(*) FROM conversations WHERE id LIKE 'aionui:%'") == "4")
        if failed.status == 0 {
            #expect(!FileManager.default.fileExists(atPath: aionui) && FileManager.default.fileExists(atPath: directory + "/aionui.vault.db"))
        } else {
            #expect(failed.stderr.contains("the import above is complete") && failed.stderr.contains("json_extract"), "\(failed)")
            #expect(FileManager.default.fileExists(atPath: aionui) && !FileManager.default.fileExists(atPath: directory + "/aionui.vault.db"))
            let removed = try ExternalTools.json(try test.cliOK(["import", "aionui", aionui, "--then-remove", "--json"]))
            #expect((removed["plaintext_copies"] as? [String]) == [] && (removed["removed"] as? [String])?.contains(aionui) == true, "\(removed)")
            #expect(!FileManager.default.fileExists(atPath: aionui) && !FileManager.default.fileExists(atPath: aionui + "-wal"))
        }
        try AppImportTests.expectNoCredentialOutsideSecrets(test, fixture)
    }

    /// A value of the source database, read with Python's sqlite3.
    static func sourceValue(_ path: String, _ query: String) throws -> String {
        try ExternalTools.python("import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchone()[0])", [path, query]).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
