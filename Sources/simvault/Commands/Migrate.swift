import ArgumentParser
import Foundation
import SimVault

extension SimVaultCommand {
    /// `simvault migrate`: show, check or apply schema migrations.
    struct Migrate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show, check or apply the vault's schema migrations.",
            discussion: """
                Without options, applies every pending migration, each in its own transaction, after \
                taking a verified encrypted backup of the vault (database and key header) into \
                <vault>.backups/ (or --backup-dir). There are no down migrations: to go back, restore \
                that backup. Other commands never migrate by themselves; those that need the new \
                schema say so and exit 1. A vault newer than this simvault is refused (exit 14), and \
                so is one whose migration history was altered (exit 12). --status also lists the \
                migrations apps recorded under their own namespaces. On an app database (made by \
                `simvault encrypt` or by an app through the library) there is no simvault schema: the \
                app applies its own migrations; --status lists them.
                """)

        @OptionGroup var global: GlobalOptions
        @OptionGroup var keys: KeyOptions

        @Flag(name: .long, help: "Show applied and pending migrations; change nothing.")
        var status = false

        @Flag(name: .long, help: "Prove the pending migrations apply, in a transaction that is rolled back; change nothing.")
        var dryRun = false

        @Option(name: .long, help: ArgumentHelp("Migrate only up to this version.", valueName: "version"))
        var to: Int?

        @Option(name: .long, help: ArgumentHelp("Directory for the backup taken before migrating.", valueName: "dir"))
        var backupDir: String?

        func validate() throws {
            if status, dryRun { throw ValidationError("Use either --status or --dry-run, not both.") }
            if status, to != nil || backupDir != nil {
                throw ValidationError("--status only reports; --to and --backup-dir apply to migrating.")
            }
            if dryRun, backupDir != nil { throw ValidationError("A dry run takes no backup; drop --backup-dir.") }
            if let to, to < 1 { throw ValidationError("--to must be a schema version (1 or more).") }
        }

        func run() throws {
            try keys.withDatabase(global) { database in
                if status {
                    let report = try database.migrationStatus()
                    if global.json { try Terminal.printJSON(report) } else { print(render(report)) }
                    return
                }
                if database.kind == .appDatabase, to != nil {
                    throw VaultError.invalidArgument(detail: "\(database.path) is an app database: it has no simvault schema version for --to")
                }
                let report = dryRun ? try database.checkMigration(to: to) : try database.migrate(to: to, backupDirectory: backupDir)
                if global.json { try Terminal.printJSON(report) } else { print(render(report, kind: database.kind)) }
            }
        }

        private func render(_ status: MigrationStatus) -> String {
            var lines: [String] = []
            if status.kind == .vault {
                lines += renderSimvault(status)
            } else {
                lines.append("\(status.kind.description): no simvault schema; its app applies its own migrations")
            }
            for app in status.apps {
                lines.append("app namespace \(app.namespace):")
                for step in app.applied {
                    let time = step.appliedAt.map { Terminal.isoDate(milliseconds: $0) } ?? ""
                    lines.append("  applied  \(step.identifier.padding(toLength: 24, withPad: " ", startingAt: 0))  \(time)")
                }
            }
            if status.kind == .appDatabase, status.apps.isEmpty { lines.append("no app migrations recorded") }
            return lines.joined(separator: "\n")
        }

        private func renderSimvault(_ status: MigrationStatus) -> [String] {
            var lines = ["schema version \(status.currentVersion); this simvault migrates to \(status.latestVersion)"]
            lines.append("applied:")
            for step in status.applied {
                let time = step.appliedAt.map { Terminal.isoDate(milliseconds: $0) } ?? ""
                lines.append("  \(pad(step.version))  \(step.name.padding(toLength: 24, withPad: " ", startingAt: 0))  \(time)")
            }
            if status.pending.isEmpty {
                lines.append("pending: none (up to date)")
            } else {
                lines.append("pending:")
                lines += status.pending.map { "  \(pad($0.version))  \($0.name)" }
                lines.append("Run `simvault migrate` to apply them (a verified backup is taken first).")
            }
            return lines
        }

        private func render(_ report: MigrationReport, kind: EncryptedDatabaseKind) -> String {
            if kind == .appDatabase {
                return "Nothing to migrate: this is an app database (no simvault schema); its app applies its own migrations through the library."
            }
            guard !report.steps.isEmpty else {
                return "Nothing to migrate: the vault is at schema version \(report.fromVersion)."
            }
            var lines: [String] = []
            if report.isDryRun {
                lines.append("Dry run: these migrations apply cleanly from version \(report.fromVersion) to \(report.toVersion) (rolled back; the vault was not changed):")
            } else {
                if let backup = report.backup {
                    lines.append("Backed up to \(backup.path) (and its .keys header), verified.")
                }
                lines.append("Migrated from schema version \(report.fromVersion) to \(report.toVersion):")
            }
            lines += report.steps.map { "  \(pad($0.version))  \($0.name)" }
            return lines.joined(separator: "\n")
        }

        private func pad(_ version: Int) -> String {
            String(version).padding(toLength: 4, withPad: " ", startingAt: 0)
        }
    }
}
