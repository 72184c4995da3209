import ArgumentParser
import Foundation
import SimVault

extension SimVaultCommand.Import {
    /// `simvault import sim-postgres [--url-file F] [--workspace ID] [--user ID] [--include-archived] [--dry-run]`.
    struct SimPostgres: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "sim-postgres",
            abstract: "Import the workflows and run history of a Sim deployment's PostgreSQL database, once, read-only.",
            discussion: """
                The connection follows libpq's conventions: --url-file FILE names a file holding Sim's \
                DATABASE_URL (postgres://user:password@host:port/database); without it the PGHOST, \
                PGPORT, PGUSER, PGDATABASE variables are used, with the password in ~/.pgpass (or the \
                file PGPASSFILE names). A password is never taken from the command line. The database \
                is read in one read-only transaction and not changed; the vault is written in one \
                transaction. Workflows keep Sim's ids: running the import again skips what is already \
                in the vault and brings what is new. Archived workflows only with --include-archived.
                """)

        @OptionGroup var global: GlobalOptions
        @OptionGroup var keys: KeyOptions

        @Option(name: .long, help: ArgumentHelp("A file holding the database's postgres:// URL (chmod 600 it).", valueName: "file"))
        var urlFile: String?

        @Option(name: .long, help: ArgumentHelp("Only the workflows of this Sim workspace id.", valueName: "id"))
        var workspace: String?

        @Option(name: .long, help: ArgumentHelp("Only the workflows of this Sim user id.", valueName: "id"))
        var user: String?

        @Flag(name: .long, help: "Archived workflows too.")
        var includeArchived = false

        @Flag(name: .long, help: "List what would be imported; write nothing.")
        var dryRun = false

        func run() throws {
            var options = SimPostgresImportOptions(connection: urlFile.map { .urlFile($0) } ?? .environment)
            options.includeArchived = includeArchived
            options.workspaceID = workspace
            options.userID = user
            options.dryRun = dryRun
            try keys.withVault(global) { vault in
                let display = ProgressDisplay.start(dryRun ? "reading" : "import")
                let report = try vault.importSimPostgres(options, progress: display?.handler)
                display?.finish()
                if global.json { try Terminal.printJSON(report); return }
                Terminal.say(Self.text(report))
            }
        }

        static func text(_ report: SimPostgresImportReport) -> String {
            var lines = [report.dryRun ? "Dry run, nothing written. From the Sim database \(report.source):" : "Imported from the Sim database \(report.source):"]
            lines.append("  schema           \(report.schema)")
            for item in report.workflows where report.dryRun || item.outcome == .skipped {
                let folder = item.category == SimVault.Workflow.defaultCategory ? "" : "  [\(TerminalText.visible(item.category))]"
                let archived = item.isArchived ? " (archived)" : ""
                switch item.outcome {
                case .skipped: lines.append("  skipped          \(TerminalText.visible(item.id))  \(TerminalText.visible(item.name))\(archived): \(TerminalText.visible(item.reason ?? ""))")
                case .alreadyPresent: lines.append("  already present  \(TerminalText.visible(item.id))  \(TerminalText.visible(item.name))\(folder)\(archived)")
                case .imported, .wouldImport:
                    lines.append("  would import     \(TerminalText.visible(item.id))  \(TerminalText.visible(item.name))\(folder)\(archived)  (\(item.blocks) blocks, \(item.edges) edges, \(item.runs) runs)")
                }
            }
            let verb = report.dryRun ? "to import" : "imported"
            lines.append("  workflows        \(report.imported) \(verb), \(report.alreadyPresent) already present, \(report.skipped) skipped")
            lines.append("  runs             \(report.runsImported) \(verb), \(report.runsAlreadyPresent) already present, \(report.runsInProgress) still in progress in Sim")
            lines += report.notes.map { "  note             \($0)" }
            return lines.joined(separator: "\n")
        }
    }
}
