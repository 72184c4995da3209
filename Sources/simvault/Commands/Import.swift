import ArgumentParser
import Foundation
import SimVault

extension SimVaultCommand {
    /// `simvault import ...`.
    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Bring data into the vault: Sim workflows and databases, simvault exports, AionUi and LibreOllama databases.",
            discussion: """
                Every import is all or nothing: the input is checked and written in one transaction; \
                invalid, truncated or foreign input is refused (exit 64), a database that crashes, hangs or \
                exhausts the reader or was crafted is refused as malformed or hostile (exit 12), and the vault \
                is not changed. \
                Records already in the vault (same id) are skipped, so running an import twice adds \
                nothing the second time. Source files are only read.
                """,
            subcommands: [Workflow.self, Conversations.self, AionUi.self, LibreOllama.self, SimPostgres.self])
    }
}

extension SimVaultCommand.Import {
    /// `simvault import workflow FILE.json|FILE.simworkflow`.
    struct Workflow: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import Sim workflows: a JSON file, a Sim ZIP archive, or a .simworkflow bundle.",
            discussion: """
                A JSON file may be in any form Sim's importer takes: the UI export, the API export \
                ({"data": {...}}), a bare state, or a JSON string holding one of these. A ZIP file is \
                recognised by its content, whatever its name: a .simworkflow bundle (it has a \
                manifest.json) or Sim's workspace or folder export, whose folder paths become the \
                workflows' categories. API keys, tokens and passwords found in a workflow (Sim's apiKey, \
                token and password sub-blocks) are sealed as secrets of scope workflow:<id>; the stored \
                workflow refers to them.
                """)

        @OptionGroup var global: GlobalOptions
        @OptionGroup var keys: KeyOptions

        @Argument(help: ArgumentHelp("The Sim workflow (.json), Sim ZIP archive or bundle (.simworkflow).", valueName: "file"))
        var file: String

        func run() throws {
            try keys.withVault(global) { vault in
                let report = try vault.importWorkflows(path: file)
                if global.json { try Terminal.printJSON(report); return }
                Terminal.say("Imported \(report.workflows.count) workflow(s) from \(TerminalText.visible(file)):")
                for item in report.workflows {
                    let folder = item.category == SimVault.Workflow.defaultCategory ? "" : "  [\(TerminalText.visible(item.category))]"
                    Terminal.say("  \(TerminalText.visible(item.id))  \(TerminalText.visible(item.name))\(folder)  (\(item.blocks) blocks, \(item.edges) edges, \(ByteCount.format(Int64(item.stateBytes))))")
                }
                if report.sealedCredentials > 0 {
                    Terminal.say("  note  \(report.sealedCredentials) credential(s) found in the workflows (API keys, tokens, passwords) were sealed as secrets of scope workflow:<id> (`simvault secret list`); the stored workflows refer to them as secret:workflow:<id>/<name>")
                }
            }
        }
    }

    /// `simvault import conversations FILE.json`.
    struct Conversations: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import users, agents and conversations from a simvault export (simvault export ... --format json).",
            discussion: """
                The file is read as a stream; memory holds one record at a time (a user, an agent, a \
                conversation's own fields, or one message with its attachments), and a record that would \
                take more than 64 MiB is refused. Credentials in agents' config and conversations' model \
                and extra JSON are sealed as secrets.
                """)

        @OptionGroup var global: GlobalOptions
        @OptionGroup var keys: KeyOptions

        @Argument(help: ArgumentHelp("A simvault export file.", valueName: "file"))
        var file: String

        func run() throws {
            try ImportOutput.run(global, keys) { vault, progress in try vault.importConversations(path: file, progress: progress) }
        }
    }

    /// `simvault import aionui PATH.db`.
    struct AionUi: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "aionui",
            abstract: "Import AionUi's database: users, conversations, messages, remote agents, channels; credentials go into secrets.",
            discussion: """
                Reads AionUi's own SQLite file ({userData}/config/aionui.db) read-only; close AionUi first. \
                Every credential it holds in plaintext or base64 (b64:, enc:, plain:) is sealed as a secret: \
                API keys and gateway tokens in conversations' model and extra JSON (scope provider:<platform>), \
                remote agents' tokens and device keys (agent:aionui:<id>), channel plugins' credentials \
                (plugin:aionui:<id>), the HTTP API token and callback headers (app:aionui:api), users' \
                password hashes and JWT secrets (user:<id>); the stored JSON refers to them. The report \
                accounts for every table of the file. Ids get the prefix aionui:.
                """ + AdoptionCleanupOptions.discussion)

        @OptionGroup var global: GlobalOptions
        @OptionGroup var keys: KeyOptions

        @OptionGroup var afterwards: AdoptionCleanupOptions

        @Argument(help: ArgumentHelp("AionUi's database file.", valueName: "path"))
        var path: String

        func run() throws {
            try afterwards.run(global, keys) { vault, progress in try vault.importAionUi(path: path, progress: progress) }
        }
    }

    /// `simvault import libreollama PATH.db`.
    struct LibreOllama: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "libreollama",
            abstract: "Import LibreOllama's database and llm_settings.json: agents, chats, executions, settings; credentials go into secrets.",
            discussion: """
                Reads LibreOllama's SQLite file read-only; close LibreOllama first. Executions become agent \
                runs; settings, preferences, chat templates, MCP servers, n8n connections and Gmail accounts \
                become libreollama.* settings. Credentials become secrets: MCP and n8n API keys \
                (mcp:libreollama:<id>, n8n:libreollama:<id>), Gmail tokens, opened with the all-zero key \
                LibreOllama uses (gmail:libreollama:<email>), provider keys from llm_settings.json \
                (provider:<name>). The report accounts for every table of the file. Ids get the prefix \
                libreollama:.
                """ + AdoptionCleanupOptions.discussion)

        @OptionGroup var global: GlobalOptions
        @OptionGroup var keys: KeyOptions

        @OptionGroup var afterwards: AdoptionCleanupOptions

        @Option(name: .long, help: ArgumentHelp("LibreOllama's llm_settings.json (default: the file of that name beside the database, if any).", valueName: "file"))
        var settings: String?

        @Argument(help: ArgumentHelp("LibreOllama's database file.", valueName: "path"))
        var path: String

        func run() throws {
            try afterwards.run(global, keys) { vault, progress in try vault.importLibreOllama(path: path, settingsPath: settings, progress: progress) }
        }
    }
}

/// Running a record import and showing its report, as text or JSON.
enum ImportOutput {
    /// Opens the vault, runs `body` with a progress display, shows the report.
    static func run(_ global: GlobalOptions, _ keys: KeyOptions, _ body: (Vault, ProgressHandler?) throws -> ImportReport) throws {
        try keys.withVault(global) { vault in
            let display = ProgressDisplay.start("import")
            let report = try body(vault, display?.handler)
            display?.finish()
            try show(report, json: global.json)
        }
    }

    static func show(_ report: ImportReport, json: Bool) throws {
        if json { try Terminal.printJSON(report); return }
        Terminal.say(text(report))
    }

    /// The report as text: counts, notes, and every table of another app's
    /// database with its fate.
    static func text(_ report: ImportReport) -> String {
        func line(_ counts: ImportReport.Counts) -> String {
            let parts = [("users", counts.users), ("agents", counts.agents), ("conversations", counts.conversations),
                         ("messages", counts.messages), ("attachments", counts.attachments), ("runs", counts.runs),
                         ("settings", counts.settings), ("secrets", counts.secrets)]
                .filter { $0.1 > 0 }.map { "\($0.1) \($0.0)" }
            return parts.isEmpty ? "nothing" : parts.joined(separator: ", ")
        }
        var lines = ["Imported from \(TerminalText.visible(report.source)) (\(report.format)):", "  imported         \(line(report.imported))"]
        if report.alreadyPresent != ImportReport.Counts() { lines.append("  already present  \(line(report.alreadyPresent))") }
        lines += report.notes.map { "  note             \(TerminalText.visible($0))" }
        if !report.tables.isEmpty { lines.append("  tables of the source:") }
        for table in report.tables {
            let rows = table.rows.map { "\($0) row\($0 == 1 ? "" : "s")" } ?? "virtual"
            let credentials = table.holdsCredentials ? ", holds credentials" : ""
            lines.append("    \(TerminalText.visible(table.name))  \(table.fate.rawValue.replacingOccurrences(of: "_", with: " ")) (\(rows)\(credentials)): \(TerminalText.visible(table.detail))")
        }
        return lines.joined(separator: "\n")
    }
}
