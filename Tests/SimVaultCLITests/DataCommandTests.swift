import Foundation
import SimVault
import Testing
import VaultTestSupport

/// `simvault search`, `settings` and `sql` against a vault an app writes to.
@Suite("search, settings, sql")
struct DataCommandTests {
    @Test("search finds what the app wrote, follows its edits and deletes, and filters by scope")
    func search() throws {
        let session = try KeyringSession(.unlocked)
        let fixture = try CLIFixture(session: session)
        let app = try fixture.openInProcess(session)
        defer { app.close() }
        let chat = try app.conversations.create(Conversation(title: "Trip planning"))
        var message = try app.messages.append(to: chat.id, role: .user, content: "Book the night train to Vienna")
        let flow = try app.workflows.save(Workflow(name: "Train timetable sync", tags: ["rail"], state: Data("{}".utf8)))

        let both = try ExternalTools.json(try fixture.run(session, ["search", "train", "--json"]))
        let hits = try #require(both["hits"] as? [[String: Any]])
        #expect(Set(hits.compactMap { $0["id"] as? String }) == [message.id, flow.id])
        #expect(hits.contains { ($0["snippet"] as? String)?.contains("[train]") == true })
        let text = try fixture.run(session, ["search", "vienna"])
        #expect(text.status == 0 && text.stdout.contains("Trip planning") && text.stdout.contains("[Vienna]"), "\(text)")
        let onlyFlows = try ExternalTools.json(try fixture.run(session, ["search", "train", "--in", "workflows", "--json"]))
        #expect((onlyFlows["hits"] as? [[String: Any]])?.compactMap { $0["id"] as? String } == [flow.id])
        #expect(try fixture.run(session, ["search", "train", "--in", "everything"]).status == 64)

        message.content = "Book the ferry to Helsinki"
        try app.messages.update(message)
        #expect(try fixture.run(session, ["search", "vienna"]).stdout.contains("No matches"))
        #expect(try fixture.run(session, ["search", "helsinki"]).stdout.contains("[Helsinki]"))
        try app.conversations.delete(id: chat.id)
        #expect(try fixture.run(session, ["search", "helsinki"]).stdout.contains("No matches"))
    }

    @Test("settings: defaults, typed set, list, invalid values refused, reset")
    func settings() throws {
        let session = try KeyringSession(.unlocked)
        let fixture = try CLIFixture(session: session)
        #expect(try fixture.run(session, ["settings", "get", "theme"]).stdout == "system\n")
        #expect(try fixture.run(session, ["settings", "set", "theme", "dark"]).status == 0)
        #expect(try fixture.run(session, ["settings", "get", "theme"]).stdout == "dark\n")
        let invalid = try fixture.run(session, ["settings", "set", "execution_timeout", "ten"])
        #expect(invalid.status == 64 && invalid.stderr.contains("not a valid integer"), "\(invalid)")
        #expect(try fixture.run(session, ["settings", "set", "ui.zoom", "1.5", "--type", "double"]).status == 0)
        let list = try JSONSerialization.jsonObject(with: try fixture.run(session, ["settings", "list", "--json"]).stdoutData) as? [[String: Any]]
        let theme = try #require(list?.first { $0["name"] as? String == "theme" })
        #expect(theme["value"] as? String == "dark" && theme["is_default"] as? Bool == false && theme["default_value"] as? String == "system")
        #expect(list?.first { $0["name"] as? String == "ui.zoom" }?["type"] as? String == "double")
        #expect(try fixture.run(session, ["settings", "reset", "theme"]).status == 0)
        #expect(try fixture.run(session, ["settings", "get", "theme"]).stdout == "system\n")
        #expect(try fixture.run(session, ["settings", "get", "no.such"]).status == 1)
        let stored = try fixture.shell(session, "SELECT key || '=' || value || ':' || value_type FROM settings;")
        #expect(stored.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "ui.zoom=1.5:double", "\(stored)")
    }

    @Test("sql is read-only unless --write, and never runs key, attach or pragma-assignment statements")
    func sqlConsole() throws {
        let session = try KeyringSession(.unlocked)
        let fixture = try CLIFixture(session: session)
        let insert = "INSERT INTO settings (key, value, value_type, updated_at) VALUES ('k', 'v', 'string', 1)"
        let readOnly = try fixture.run(session, ["sql", insert])
        #expect(readOnly.status == 64 && readOnly.stderr.contains("--write"), "\(readOnly)")
        #expect(try fixture.run(session, ["sql", "SELECT count(*) FROM settings"]).stdout == "count(*)\n0\n")
        let written = try fixture.run(session, ["sql", insert, "--write"])
        #expect(written.status == 0 && written.stdout.contains("1 row(s) changed"), "\(written)")
        #expect(try fixture.run(session, ["sql", "SELECT key, value FROM settings"]).stdout == "key|value\nk|v\n")
        let logged = try fixture.shell(session, "SELECT count(*) FROM access_log WHERE action = 'sql.write';")
        #expect(logged.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "1")
        let json = try ExternalTools.json(try fixture.run(session, ["sql", "SELECT 1 AS one, x'00ff' AS b, NULL AS n", "--json"]))
        #expect(json["columns"] as? [String] == ["one", "b", "n"])
        #expect(((json["rows"] as? [[Any]])?.first?[1] as? String) == "x'00ff'")

        let outside = fixture.directory.file("leak.db")
        for statement in ["PRAGMA rekey = 'x''00'''", "PRAGMA key = 'abc'", "ATTACH '\(outside)' AS leak KEY ''",
                          "PRAGMA journal_mode = DELETE", "PRAGMA user_version = 99", "SELECT 1; SELECT 2"] {
            for extra in [[], ["--write"]] {
                let refused = try fixture.run(session, ["sql", statement] + extra)
                #expect(refused.status == 64, "\(statement) \(extra): \(refused)")
            }
        }
        #expect(!FileManager.default.fileExists(atPath: outside), "ATTACH created a plaintext file")
        #expect(try fixture.run(session, ["key", "check"]).status == 0, "the vault must still open with its key")
        #expect(try fixture.run(session, ["sql", "PRAGMA table_info(settings)"]).status == 0)
        let health = try fixture.run(session, ["health"])
        #expect(health.status == 0, "\(health)")
    }
}
