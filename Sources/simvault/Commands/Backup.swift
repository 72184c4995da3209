import ArgumentParser
import Foundation
import SimVault

extension SimVaultCommand {
    /// `simvault backup DEST` / `simvault backup --auto DIR --keep N`.
    struct Backup: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Take a verified, encrypted backup of the vault while apps keep using it.",
            discussion: """
                The backup is the database, still encrypted with the vault's key, and a copy of its \
                key header (DEST.keys): it opens with the same keyring item, passwords and recovery \
                code, and `simvault --vault DEST health` checks it. It is taken under the vault's write \
                lock (writers wait while the files are copied), then opened afresh and every page is \
                read before it is reported. Files are 0600; an existing file is never replaced. When \
                DEST is a directory, the backup gets a dated name in it.

                --auto DIR takes one backup per day (UTC) into DIR, for a timer or cron job, and deletes \
                this vault's oldest backups there beyond --keep. Only files that really are this vault's \
                backups count (regular files of yours with a key header of this vault beside them), the \
                backup just taken is never deleted, and in a directory others can write to nothing is \
                deleted (with a warning). The last backup's time is recorded in the vault; `simvault \
                health` reports its age.
                """)

        @OptionGroup var global: GlobalOptions
        @OptionGroup var keys: KeyOptions

        @Argument(help: ArgumentHelp("Backup file (or directory) to create.", valueName: "dest"))
        var destination: String?

        @Option(name: .long, help: ArgumentHelp("Daily backups with rotation into this directory.", valueName: "dir"))
        var auto: String?

        @Option(name: .long, help: "With --auto: how many backups of this vault to keep.")
        var keep = 7

        @Flag(name: .long, help: "With --auto: take a backup even if one of today exists.")
        var force = false

        func validate() throws {
            guard (destination == nil) != (auto == nil) else {
                throw ValidationError("Give either a destination (simvault backup DEST) or --auto DIR.")
            }
            if auto == nil, force { throw ValidationError("--force applies to --auto.") }
            guard keep >= 1 else { throw ValidationError("--keep must be at least 1.") }
        }

        func run() throws {
            let display = ProgressDisplay.start("backup")
            defer { display?.finish() }
            try keys.withDatabase(global) { database in
                guard database.kind == .vault else {
                    guard auto == nil else {
                        throw VaultError.invalidArgument(detail: "--auto keeps its record in a vault; \(database.path) is an app database: give a destination (simvault backup DEST)")
                    }
                    let copy = try database.backup(to: VaultLocation(path: target(for: database)), progress: display?.handler)
                    display?.finish()
                    if global.json { try Terminal.printJSON(copy) } else { print(describe(copy, of: database)) }
                    return
                }
                let vault = try Vault.open(database)
                if let auto {
                    let report = try vault.automaticBackup(in: auto, keep: keep, force: force, progress: display?.handler)
                    display?.finish()
                    for warning in report.warnings { Terminal.warn(warning) }
                    if global.json { try Terminal.printJSON(report); return }
                    if let created = report.created {
                        print(describe(created, of: database))
                    } else if let existing = report.existingToday {
                        print("A backup of today is already there: \(existing) (use --force for another).")
                    }
                    print("Keeping \(report.kept.count) backup(s) in \(report.directory)\(report.removed.isEmpty ? "" : "; deleted \(report.removed.count) older: \(report.removed.joined(separator: ", "))").")
                    return
                }
                let copy = try vault.backup(to: VaultLocation(path: target(for: database)), progress: display?.handler)
                display?.finish()
                if global.json { try Terminal.printJSON(copy) } else { print(describe(copy, of: database)) }
            }
        }

        /// The destination, or a dated name inside it when it is a directory.
        private func target(for database: EncryptedDatabase) -> String {
            var target = destination ?? ""
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: target, isDirectory: &isDirectory), isDirectory.boolValue {
                target = (target as NSString).appendingPathComponent(VaultBackupName(vault: database.location, vaultID: database.databaseID).fileName(at: Date()))
            }
            return target
        }

        private func describe(_ copy: VaultSnapshot, of vault: EncryptedDatabase) -> String {
            """
            Backed up \(vault.path)
              to           \(copy.path) (and \(copy.headerPath))
              size         \(ByteCount.format(copy.databaseBytes)), schema version \(copy.schemaVersion)
              verified     every page read and authenticated; it opens with the vault's keys
            """
        }
    }

    /// `simvault restore SRC`.
    struct Restore: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Replace the vault with a verified backup.",
            discussion: """
                The backup is first copied beside the vault and verified there (it opens with its key, \
                every page authenticates, it is the vault its header says, its schema is not newer \
                than this simvault); a backup that fails is refused and the vault is not touched. Then, \
                if no other program has the vault open (else exit 13), the current vault is moved into \
                <vault>.backups/ (kept: restore it to undo) and the backup takes its place, and is \
                opened once more before success is reported. SRC may be a directory of backups \
                (--auto): the newest backup of this vault there is used (by the time in its name, among \
                files that really are this vault's backups, as --auto rotation counts them). The \
                backup's key comes from \
                the keyring, --password-file or --recovery-code-file, as when opening a vault.
                """)

        @OptionGroup var global: GlobalOptions
        @OptionGroup var keys: KeyOptions

        @Argument(help: ArgumentHelp("The backup (its .keys header beside it), or a directory of backups.", valueName: "src"))
        var source: String

        @Flag(name: .long, help: "Allow a backup of another vault (another vault id) to replace this one.")
        var allowOtherVault = false

        func run() throws {
            let target = global.location
            let backup = VaultLocation(path: try backupPath())
            var options = RestoreOptions()
            options.allowsOtherVault = allowOtherVault
            options.usesKeyring = !keys.noKeyring
            options.keyring = keys.keyring
            options.configuration = global.configuration
            let display = ProgressDisplay.start("restore")
            let report = try VaultRestore.restore(from: backup, to: target, unlock: keys.unlockRequest(location: backup), options: options, progress: display?.handler)
            display?.finish()
            if global.json { try Terminal.printJSON(report); return }
            var lines = [
                "Restored \(report.path)",
                "  from         \(report.restoredFrom) (verified: every page authenticated)",
                "  vault id     \(report.vaultID)",
                "  schema       version \(report.schemaVersion)",
            ]
            if let kept = report.replacedVaultKeptAt {
                lines.append("  replaced     vault kept at \(kept) (restore it to undo; delete it when no longer needed)")
            }
            if let other = report.replacedVaultID { lines.append("  note         the replaced vault was another vault (\(other))") }
            if let note = report.keyringNote { lines.append("  keyring      \(note)") }
            print(lines.joined(separator: "\n"))
        }

        /// SRC itself, or the newest backup of this vault in the directory SRC.
        private func backupPath() throws -> String {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: source, isDirectory: &isDirectory), isDirectory.boolValue else { return source }
            let location = global.location
            guard let vaultID = try? KeyHeaderFile(path: location.headerPath).load().vaultID else {
                throw CLIError("\(source) is a directory and the vault's header cannot be read to pick its backups; give the backup file itself.", exitCode: ExitCodes.usage)
            }
            guard let newest = VaultBackupName(vault: location, vaultID: vaultID).backups(in: source).first else {
                throw CLIError("no backup of vault \(vaultID) in \(source).", exitCode: ExitCodes.notFound)
            }
            return newest.path
        }
    }
}
