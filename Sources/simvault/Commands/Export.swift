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

extension SimVaultCommand.Export {
    /// `simvault export workflow ID... [-o FILE]`.
    struct Workflow: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Export workflows in Sim's format: one as JSON, or several (or --all) as a .simworkflow bundle.",
            discussion: """
                One workflow is written as Sim's export JSON; a workflow imported from such a file comes \
                back the same (member order, numbers, unknown fields), with a new exportedAt. With several \
                ids, --all, or an output name ending in .simworkflow, a bundle is written (a ZIP file with \
                a manifest; it needs -o).
                """)

        @OptionGroup var global: GlobalOptions
        @OptionGroup var keys: KeyOptions

        @Argument(help: ArgumentHelp("Workflow ids.", valueName: "id"))
        var ids: [String] = []

        @Flag(name: .long, help: "Export every workflow (as a bundle).")
        var all = false

        @Option(name: .shortAndLong, help: ArgumentHelp("Write to this new file instead of stdout.", valueName: "file"))
        var output: String?

        private var isBundle: Bool { all || ids.count > 1 || output?.hasSuffix(".simworkflow") == true }

        func validate() throws {
            if ids.isEmpty, !all { throw ValidationError("Give a workflow id (or several, or --all).") }
            if all, !ids.isEmpty { throw ValidationError("Use either ids or --all.") }
            if isBundle, output == nil { throw ValidationError("A bundle is a binary file: give -o FILE.simworkflow.") }
            if global.json, !isBundle { throw ValidationError("The export is JSON already; --json reports on bundles only.") }
        }

        func run() throws {
            try keys.withVault(global) { vault in
                if isBundle, let output {
                    let report = try vault.exportWorkflowBundle(ids: ids, to: output)
                    if global.json { try Terminal.printJSON(report); return }
                    Terminal.say("Wrote \(report.workflows.count) workflow(s) to \(TerminalText.visible(report.path)) (\(ByteCount.format(report.bytes)), not encrypted):")
                    for item in report.workflows { Terminal.say("  \(TerminalText.visible(item.file))  \(TerminalText.visible(item.name))") }
                    return
                }
                let file = try vault.exportSimWorkflow(id: ids[0])
                try ExportOutput.write(file.serialized(), to: output)
                if let output { Terminal.writeError("Wrote workflow \(ids[0]) to \(output) (Sim export format, not encrypted).\n") }
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
