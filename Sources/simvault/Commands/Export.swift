import ArgumentParser
import Foundation
import SimVault

extension SimVaultCommand {
    /// `simvault export ...`.
    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Get data out of the vault: workflows (Sim format, .simworkflow bundles), conversations, everything.",
            discussion: """
                Exports are plaintext: anyone with the file can read it. Written to -o FILE (created 0600, \
                never replacing a file) or to stdout. Secret values are never exported unless \
                `export all --include-secrets` is confirmed, and credentials left inside workflow states \
                or JSON fields (an app's saved apiKey) are written as "[redacted by simvault]" unless it is. \
                Every export is recorded in the access log.
                """,
            subcommands: [Workflow.self, Conversation.self, All.self])
    }
}

/// `--format json|markdown`.
enum ExportFormat: String, ExpressibleByArgument, CaseIterable {
    case json, markdown
}

/// `export workflow --format`: Sim's two JSON forms and the two archives.
enum WorkflowExportFormat: String, ExpressibleByArgument, CaseIterable {
    case sim, api, simworkflow
    case simZip = "sim-zip"

    var isArchive: Bool { self == .simworkflow || self == .simZip }
}

extension SimVaultCommand.Export {
    /// `simvault export workflow ID... [-o FILE] [--all] [--format F]`.
    struct Workflow: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Export workflows in Sim's formats: one as JSON, or several (or --all) as an archive.",
            discussion: """
                --format sim (one workflow, the default) writes Sim's "Export as JSON" file; a workflow \
                imported from such a file comes back the same (member order, numbers, unknown fields), \
                with a new exportedAt. --format api writes the body of Sim's export API \
                ({"data": {...}}), which Sim's import API takes. --format simworkflow (the default for \
                several ids, --all, or an output name ending in .simworkflow) writes a bundle with a \
                manifest; --format sim-zip writes the ZIP archive Sim's workspace export makes, each \
                category a folder, which Sim imports. Archives need -o.
                """)

        @OptionGroup var global: GlobalOptions
        @OptionGroup var keys: KeyOptions

        @Argument(help: ArgumentHelp("Workflow ids.", valueName: "id"))
        var ids: [String] = []

        @Flag(name: .long, help: "Export every workflow (as an archive).")
        var all = false

        @Option(name: .long, help: ArgumentHelp("sim, api, simworkflow or sim-zip.", valueName: "format"))
        var format: WorkflowExportFormat?

        @Option(name: .shortAndLong, help: ArgumentHelp("Write to this new file instead of stdout.", valueName: "file"))
        var output: String?

        private var chosenFormat: WorkflowExportFormat {
            if let format { return format }
            return all || ids.count > 1 || output?.hasSuffix(".simworkflow") == true ? .simworkflow : .sim
        }

        func validate() throws {
            if ids.isEmpty, !all { throw ValidationError("Give a workflow id (or several, or --all).") }
            if all, !ids.isEmpty { throw ValidationError("Use either ids or --all.") }
            if !chosenFormat.isArchive, all || ids.count > 1 {
                throw ValidationError("--format \(chosenFormat.rawValue) writes one workflow; use --format simworkflow or sim-zip for several.")
            }
            if chosenFormat.isArchive, output == nil { throw ValidationError("An archive is a binary file: give -o FILE.") }
            if global.json, !chosenFormat.isArchive { throw ValidationError("The export is JSON already; --json reports on archives only.") }
        }

        func run() throws {
            try keys.withVault(global) { vault in
                let format = chosenFormat
                if format.isArchive, let output {
                    let report = format == .simZip
                        ? try vault.exportSimWorkflowArchive(ids: ids, to: output) : try vault.exportWorkflowBundle(ids: ids, to: output)
                    if global.json { try Terminal.printJSON(report); return }
                    Terminal.say("Wrote \(report.workflows.count) workflow(s) to \(TerminalText.visible(report.path)) (\(format == .simZip ? "Sim ZIP archive" : "bundle"), \(ByteCount.format(report.bytes)), not encrypted):")
                    for item in report.workflows { Terminal.say("  \(TerminalText.visible(item.file))  \(TerminalText.visible(item.name))") }
                    return
                }
                let file = try vault.exportSimWorkflow(id: ids[0], form: format == .api ? .apiExport : .uiExport)
                var text = file.serialized()
                // Sim's files end without a newline; a terminal's prompt needs one.
                if output == nil, Terminal.stdoutIsTTY { text.append(0x0A) }
                try ExportOutput.write(text, to: output)
                let described = format == .api ? "Sim API export format" : "Sim export format"
                if let output { Terminal.writeError("Wrote workflow \(ids[0]) to \(output) (\(described), not encrypted).\n") }
            }
        }
    }

    /// `simvault export conversation ID --format json|markdown`.
    struct Conversation: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Export one conversation as JSON (simvault's export format) or Markdown.")

        @OptionGroup var global: GlobalOptions
        @OptionGroup var keys: KeyOptions

        @Argument(help: ArgumentHelp("The conversation id.", valueName: "id"))
        var id: String

        @Option(name: .long, help: ArgumentHelp("Output format.", valueName: "json|markdown"))
        var format: ExportFormat = .json

        @Option(name: .shortAndLong, help: ArgumentHelp("Write to this new file instead of stdout.", valueName: "file"))
        var output: String?

        func run() throws {
            try keys.withVault(global) { vault in
                switch format {
                case .markdown:
                    try ExportOutput.write(Data(try vault.exportMarkdown(conversation: id).utf8), to: output)
                case .json:
                    try ExportOutput.stream(to: output) { sink in try vault.exportJSON(.conversation(id: id), to: sink) }
                }
                if let output { Terminal.writeError("Wrote conversation \(id) to \(output) (\(format.rawValue), not encrypted).\n") }
            }
        }
    }

    /// `simvault export all --format json [--include-secrets]`.
    struct All: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Export everything as JSON: users, agents, conversations, workflows, runs, settings, access log.",
            discussion: """
                Secrets are listed by scope and name only. With --include-secrets their values are \
                written too, in plaintext: on a terminal you are asked to confirm; otherwise --yes is \
                required. Each value exported is recorded in the access log as read.
                """)

        @OptionGroup var global: GlobalOptions
        @OptionGroup var keys: KeyOptions

        @Option(name: .long, help: ArgumentHelp("Output format (json only).", valueName: "json"))
        var format: ExportFormat = .json

        @Option(name: .shortAndLong, help: ArgumentHelp("Write to this new file instead of stdout.", valueName: "file"))
        var output: String?

        @Flag(name: .long, help: "Also export secret values, in plaintext (asks for confirmation).")
        var includeSecrets = false

        @Flag(name: .long, help: "Confirm --include-secrets without asking.")
        var yes = false

        func validate() throws {
            if format != .json { throw ValidationError("`export all` writes JSON only; Markdown is per conversation.") }
            if yes, !includeSecrets { throw ValidationError("--yes confirms --include-secrets; it has no other use.") }
        }

        func run() throws {
            if includeSecrets { try confirm() }
            let display = ProgressDisplay.start("export")
            defer { display?.finish() }
            try keys.withVault(global) { vault in
                var report: ExportReport?
                try ExportOutput.stream(to: output) { sink in
                    report = try vault.exportJSON(.everything, includingSecretValues: includeSecrets, to: sink, progress: display?.handler)
                }
                display?.finish()
                if let output, let report {
                    var text = "Wrote \(report.conversations) conversations (\(report.messages) messages), \(report.workflows) workflows, \(report.runs) runs"
                    text += report.secretValuesIncluded ? " and \(report.secrets) secret values (in plaintext!)" : "; \(report.secrets) secrets by name only"
                    Terminal.writeError("\(text) to \(output).\n")
                }
            }
        }

        private func confirm() throws {
            if yes { return }
            guard Terminal.stdinIsTTY else {
                throw CLIError("--include-secrets writes secret values in plaintext; confirm with --yes (no terminal to ask on). Nothing was exported.", exitCode: ExitCodes.usage)
            }
            Terminal.writeError("This writes every secret value (API keys...) in plaintext to \(output ?? "stdout"). Type 'yes' to continue: ")
            let answer = readLine(strippingNewline: true)?.trimmingCharacters(in: .whitespaces).lowercased()
            guard answer == "yes" else { throw CLIError("not confirmed; nothing was exported.") }
        }
    }
}
