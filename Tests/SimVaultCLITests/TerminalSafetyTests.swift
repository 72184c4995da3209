import Foundation
import SimVault
import Testing
import VaultTestSupport

/// What reaches a person's terminal: text from imported files cannot drive
/// it (escape sequences are shown, not obeyed), and secret input leaves the
/// terminal as it was.
@Suite("terminal safety")
struct TerminalSafetyTests {
    /// OSC 52 (write the clipboard), OSC 0 (retitle the window), a screen
    /// clear, and CSI as a C1 character (U+009B).
    static let hostile = "\u{1B}]52;c;ZXZpbA==\u{07}\u{1B}]0;pwned\u{07}\u{1B}[2J\u{9B}31m"

    /// Raw control bytes a terminal would obey (ESC, BEL, and U+009B in UTF-8).
    static func hasControlBytes(_ text: String) -> Bool {
        text.unicodeScalars.contains { $0.value == 0x1B || $0.value == 0x07 || $0.value == 0x9B }
    }

    @Test("titles, snippets, names and values with escape sequences reach search, import, export, sql, settings and secret list made visible; --json and files stay exact")
    func escapesAreShownNotObeyed() throws {
        let test = try TestVault(label: "escapes")
        test.vault.close()
        let file = test.directory.file("export.json")
        try ExternalTools.python("""
            import json, sys
            evil = sys.argv[2]
            doc = {"format": "simvault-export", "version": 1, "conversations": [
                {"id": "c1", "title": "Trip " + evil, "messages": [{"id": "m1", "role": "user", "content": "ZEBRA words " + evil + " more"}]}]}
            json.dump(doc, open(sys.argv[1], "w"))
            """, [file, Self.hostile])
        let imported = try test.cliOK(["import", "conversations", file])
        #expect(!Self.hasControlBytes(imported.stdout))

        let search = try test.cliOK(["search", "ZEBRA"]).stdout
        #expect(!Self.hasControlBytes(search), "\(search.debugDescription)")
        #expect(search.contains("Trip ^[]52;c;ZXZpbA==^G^[]0;pwned^G^[[2J<U+009B>31m"), "\(search)")
        let json = try test.cliOK(["search", "ZEBRA", "--json"]).stdout
        #expect(json.lowercased().contains("\\u001b]52;c;zxzpba==\\u0007"), "--json stays exact: \(json)")

        let sql = try test.cliOK(["sql", "SELECT title FROM conversations"]).stdout
        #expect(!Self.hasControlBytes(sql) && sql.contains("^[]0;pwned^G"))

        // Markdown to a terminal is made safe; to a file it stays exact.
        let onTerminal = try PseudoTerminal.run(
            ProjectPaths.simvaultBinary, ["export", "conversation", "c1", "--format", "markdown"] + test.cliArguments,
            environment: ProcessRunner.baseEnvironment, answers: [])
        #expect(onTerminal.status == 0 && onTerminal.screen.contains("# Trip ^[]52;"), "\(onTerminal.screen)")
        #expect(!Self.hasControlBytes(onTerminal.screen), "\(onTerminal.screen.debugDescription)")
        let markdown = test.directory.file("c1.md")
        try test.cliOK(["export", "conversation", "c1", "--format", "markdown", "-o", markdown])
        #expect(ExternalTools.fileContains(markdown, Self.hostile), "an export file keeps the text exactly")

        // A workflow named with escapes: import and bundle listings; an
        // error quoting the file's text.
        let workflow = test.directory.file("flow.json"), broken = test.directory.file("broken.json")
        try ExternalTools.python("""
            import json, sys
            evil = sys.argv[3]
            block = {"id": "b1", "type": "agent", "name": "Agent 1", "position": {"x": 0, "y": 0}}
            state = {"blocks": {"b1": block}, "edges": [], "metadata": {"name": "Flow " + evil}}
            json.dump({"version": "1.0", "state": state}, open(sys.argv[1], "w"))
            state["edges"] = [{"id": "e1", "source": "b1", "target": "gone" + evil}]
            json.dump({"version": "1.0", "state": state}, open(sys.argv[2], "w"))
            """, [workflow, broken, Self.hostile])
        let importedFlow = try test.cliOK(["import", "workflow", workflow]).stdout
        #expect(!Self.hasControlBytes(importedFlow) && importedFlow.contains("Flow ^[]52;"), "\(importedFlow)")
        let bundle = try test.cliOK(["export", "workflow", "--all", "-o", test.directory.file("all.simworkflow")]).stdout
        #expect(!Self.hasControlBytes(bundle) && bundle.contains("Flow ^[]52;"), "\(bundle)")
        let error = try test.cli(["import", "workflow", broken])
        #expect(error.status == 64 && error.stderr.contains("gone^[]52;") && !Self.hasControlBytes(error.stderr), "\(error.stderr.debugDescription)")

        // A secret named with escapes, and a setting imported with them.
        let value = try test.directory.write("v", to: "value.txt")
        let stored = try test.cliOK(["secret", "set", "KEY" + Self.hostile, "--value-file", value]).stdout
        #expect(!Self.hasControlBytes(stored))
        let secrets = try test.cliOK(["secret", "list"]).stdout
        #expect(!Self.hasControlBytes(secrets) && secrets.contains("global/KEY^[]52;"), "\(secrets)")
        let source = test.directory.file("database.db")
        _ = try AppDatabaseFixture.libreOllama(at: source)
        try ExternalTools.python("import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.execute(\"UPDATE settings SET value = ? WHERE key = 'theme'\", ('dark' + sys.argv[2],)); c.commit()", [source, Self.hostile])
        try test.cliOK(["import", "libreollama", source])
        let settings = try test.cliOK(["settings", "list"]).stdout
        #expect(!Self.hasControlBytes(settings) && settings.contains("dark^[]52;"), "\(settings)")
    }

    @Test("Ctrl-C at the password prompt leaves the terminal echoing")
    func interruptedPromptRestoresEcho() throws {
        let test = try TestVault(label: "ctrl-c")
        test.vault.close()
        let result = try PseudoTerminal.interrupt(
            ProjectPaths.simvaultBinary, ["key", "check", "--vault", test.location.path, "--no-keyring"],
            environment: ProcessRunner.baseEnvironment, atPrompt: "Password for ")
        #expect(result.echoOffAtPrompt, "the prompt did not turn echo off: \(result.screen)")
        #expect(result.status == 128 + SIGINT, "Ctrl-C ends simvault by SIGINT: \(result.status)")
        #expect(result.echoAfterExit, "the terminal was left without echo")
    }

    @Test("--password-file - on a terminal reads without echo")
    func passwordFromTerminalStdinIsNotEchoed() throws {
        let test = try TestVault(label: "stdin-tty")
        test.vault.close()
        let result = try PseudoTerminal.run(
            ProjectPaths.simvaultBinary, ["key", "check", "--vault", test.location.path, "--no-keyring", "--password-file", "-"],
            environment: ProcessRunner.baseEnvironment, answers: [("not echoed", TestVault.passwordText)])
        #expect(result.status == 0 && result.screen.contains("opened with password"), "\(result.screen)")
        #expect(!result.screen.contains(TestVault.passwordText), "the password was echoed: \(result.screen)")
    }

    @Test("password and secret value files that group or others can read get a warning (the command still runs)")
    func readableSecretFilesAreWarnedAbout() throws {
        let test = try TestVault(label: "modes")
        test.vault.close()
        let quiet = try test.cliOK(["key", "check"])
        #expect(!quiet.stderr.contains("readable by group or others"), "a 0600 file needs no warning: \(quiet.stderr)")
        chmod(test.passwordFile, 0o640)
        let warned = try test.cliOK(["key", "check"])
        #expect(warned.stderr.contains("Warning: the password file \(test.passwordFile) is readable by group or others (mode 640)"), "\(warned.stderr)")
        let value = try test.directory.write("secret value", to: "value.txt")
        chmod(value, 0o644)
        let stored = try test.cliOK(["secret", "set", "NAME", "--value-file", value])
        #expect(stored.stderr.contains("the secret value file \(value) is readable by group or others (mode 644)"), "\(stored.stderr)")
    }
}
