import Foundation
import VaultKeys
import VaultSchema

/// `simvault health`: every check listed in docs/cli.md ("health checks"), each reported with name,
/// status and detail. It never throws: a failure is a failed check.
///
/// It never modifies the data (all database checks use read-only
/// connections). The one repair it makes is the "key rotation" check:
/// a key change interrupted by a crash is finished or rolled back (key
/// header, keyring, one access-log row), an old-format key header is
/// upgraded to the authenticated format, leftover header copies are
/// scrubbed and orphaned keyring items removed, unless another process is
/// changing the keys right now. It runs only after the "authenticity"
/// check proved the header was written by a key holder: a forged header
/// fails that check (and health) and nothing is repaired from it.
///
/// Checks that read pages run on fresh connections, so a page that fails its
/// HMAC in one check cannot leave a connection in an error state that makes
/// a later check report something else.
public enum VaultHealth {
    public static func check(
        location: VaultLocation, unlock: UnlockRequest, configuration: VaultConfiguration = VaultConfiguration()
    ) -> HealthReport {
        var run = HealthRun(location: location, configuration: configuration)
        run.perform(unlock)
        return HealthReport(path: location.path, vaultID: run.header?.vaultID, checks: run.checks)
    }

    /// A backup older than this (7 days), or a vault this old with none, is
    /// a warning.
    public static let backupMaximumAge: Int64 = 7 * 24 * 3600 * 1000

    /// "3 min", "5 h", "12 days".
    static func describeAge(_ milliseconds: Int64) -> String {
        let seconds = max(milliseconds, 0) / 1000
        switch seconds {
        case ..<60: return "\(seconds) s"
        case ..<3600: return "\(seconds / 60) min"
        case ..<(48 * 3600): return "\(seconds / 3600) h"
        default: return "\(seconds / 86400) days"
        }
    }
}

/// The state of one health run, check by check.
private struct HealthRun {
    let location: VaultLocation
    let configuration: VaultConfiguration
    var checks: [HealthCheck] = []
    var header: KeyHeader?
    /// The last backup's database file, when one is recorded (its files are
    /// included in the permissions check).
    var lastBackupPath: String?
    /// What the file holds, once it decrypted.
    var kind = EncryptedDatabaseKind.vault
    /// What settling an interrupted restore did, when there was one.
    var settledRestore: String?

    init(location: VaultLocation, configuration: VaultConfiguration) {
        self.location = location
        self.configuration = configuration
    }

    mutating func perform(_ unlock: UnlockRequest) {
        checkEngine()
        guard checkInterruptedRestore(), checkFilesPresent(), let loaded = checkHeader() else { return skipRest(after: "header") }
        header = loaded
        guard checkCipher(loaded) else { return skipRest(after: "cipher") }
        let request = unlock.cachingSecrets()
        guard let unlocked = checkKeySource(request, header: loaded) else { return skipRest(after: "authenticity") }
        let (header, keys) = checkKeyRotation(request, authenticated: AuthenticatedHeader(header: loaded, unlocked: unlocked))
        self.header = header
        guard let key = checkDecrypts(keys, header: header) else { return skipRest(after: "decrypt") }
        checkIntegrity(key, header: header)
        checkForeignKeys(key, header: header)
        checkSchema(key, header: header)
        checkBackup(key, header: header)
        checkPermissions()
        checkSize(key, header: header)
    }

    private static let allNames = [
        "engine", "files", "header", "cipher", "key source", "key check", "authenticity", "key rotation", "decrypt", "vault id",
        "integrity", "foreign keys", "schema", "backup", "permissions", "size",
    ]

    private mutating func add(_ name: String, _ status: HealthCheck.Status, _ detail: String) {
        checks.append(HealthCheck(name, status, detail))
    }

    private mutating func skipRest(after name: String) {
        let done = Set(checks.map(\.name))
        for remaining in Self.allNames where !done.contains(remaining) {
            if remaining == "permissions" { checkPermissions(); continue }
            add(remaining, .skipped, "not checked: an earlier check failed")
        }
    }

    // MARK: - Checks

    private mutating func checkEngine() {
        let engine = EngineCheck.inspect()
        if engine.cipherVersion.isEmpty {
            add("engine", .failed, "the SQLite library in use is not SQLCipher (PRAGMA cipher_version is empty): keys would be ignored")
        } else if !engine.plainSQLiteLibraries.isEmpty {
            add("engine", .failed, "plain SQLite is loaded into this process (\(engine.plainSQLiteLibraries.joined(separator: ", "))): its symbols could bypass encryption")
        } else if let reason = engine.unsupportedReason {
            add("engine", .failed, reason)
        } else if !engine.refusesLinkedSideFiles {
            add("engine", .warning, "SQLCipher \(engine.cipherVersion) on SQLite \(engine.sqliteVersion), but its open() could not be set to refuse symbolic links at -wal/-shm names: only the check before opening guards them")
        } else {
            let provider = engine.cipherProvider.isEmpty ? "" : " (\(engine.cipherProvider))"
            add("engine", .ok, "SQLCipher \(engine.cipherVersion)\(provider) on SQLite \(engine.sqliteVersion)")
        }
    }

    /// Whether this engine reads the vault's cipher settings, and (as
    /// information, never a warning) where they differ from the engine's
    /// own defaults: every open applies them explicitly.
    private mutating func checkCipher(_ header: KeyHeader) -> Bool {
        let engine = EngineCheck.inspect()
        let settings = header.cipher
        guard let parsed = engine.engine, parsed.supports(settings) else {
            let refusal = engine.engine?.refusal(for: settings) ?? .engineUnsupported(detail: "PRAGMA cipher_version says \"\(engine.cipherVersion)\"")
            add("cipher", .failed, refusal.errorDescription ?? "\(refusal)")
            return false
        }
        var detail = settings.summary
        let differences = engine.differences(from: settings)
        if differences.isEmpty {
            detail += "; the engine's defaults"
        } else {
            detail += "; applied at every open, this engine's defaults differ (\(differences.joined(separator: ", ")))"
        }
        if let pending = header.rotation?.cipher, pending != settings {
            detail += "; the pending key rotation moves to \(pending.summary)"
        }
        add("cipher", .ok, detail)
        return true
    }

    /// Settles a restore a killed process left half-done; reported under
    /// "files" (only when there was one).
    private mutating func checkInterruptedRestore() -> Bool {
        do {
            settledRestore = try RestoreJournal.recover(location)?.description
            return true
        } catch {
            add("files", .failed, describe(error))
            return false
        }
    }

    private mutating func checkFilesPresent() -> Bool {
        // lstat before anything opens a file: a link planted at a side
        // file's name is named here, never written through.
        if let problem = VaultFiles.problem(in: location) {
            add("files", .failed, VaultError.untrustedFile(path: problem.path, detail: problem.detail).errorDescription ?? problem.detail)
            return false
        }
        guard location.databaseExists else {
            add("files", .failed, "no database at \(location.path)")
            return false
        }
        if let settledRestore {
            add("files", .warning, "database \(location.path); \(settledRestore)")
        } else {
            add("files", .ok, "database \(location.path)")
        }
        return true
    }

    private mutating func checkHeader() -> KeyHeader? {
        do {
            let header = try KeyHeaderFile(path: location.headerPath).load()
            let slots = header.slots.map { "\($0.kind.rawValue) (\($0.id))" }.joined(separator: ", ")
            let pending = header.rotation.map { "; key rotation to \($0.keyID) pending" } ?? ""
            let mac = header.isAuthenticatedFormat ? " (MAC checked with the key below)" : " (no MAC)"
            add("header", .ok, "\(location.headerPath): format \(header.version)\(mac), vault \(header.vaultID), slots: \(slots.isEmpty ? "none" : slots)\(pending)")
            return header
        } catch {
            add("header", .failed, error.description)
            return nil
        }
    }

    /// Unlocks, which authenticates the header ("key source", "key check",
    /// and a failed "authenticity" for a forged header).
    private mutating func checkKeySource(_ unlock: UnlockRequest, header: KeyHeader) -> UnlockResult? {
        do {
            let result = try KeyUnlocker(header: header, location: location, configuration: configuration).unlock(unlock)
            if result.usedFallback {
                let why = result.skipped.filter { $0.kind == .keyring }.map(\.reason).joined(separator: "; ")
                add("key source", .warning, "\(result.source), because the keyring could not be used: \(why)")
            } else {
                add("key source", .ok, result.source.description)
            }
            add("key check", .ok, "the key matches the header's key check value")
            return result
        } catch .keyCheckMismatch {
            add("key source", .ok, "a slot opened")
            add("key check", .failed, KeyError.keyCheckMismatch(path: location.headerPath).description)
            return nil
        } catch .headerForged(let forgery) {
            add("key source", .ok, forgery.keySource?.description ?? "a key was found")
            if forgery.keyCheckPassed {
                add("key check", .ok, "the key matches the header's key check value")
            } else {
                add("key check", .failed, "the key opens the database but fails the header's key check")
            }
            add("authenticity", .failed, forgery.description)
            return nil
        } catch {
            add("key source", .failed, error.description)
            return nil
        }
    }

    /// Reports the header's authenticity, then repairs what an interrupted
    /// key change left (from the authenticated header only), and returns
    /// the header and keys to check from here on.
    private mutating func checkKeyRotation(_ unlock: UnlockRequest, authenticated: AuthenticatedHeader) -> (KeyHeader, UnlockResult) {
        let header = authenticated.header
        let manager = VaultKeyManager(location: location, keyring: unlock.keyring, configuration: configuration)
        let verified = "the key header's MAC verifies under the master key: every slot and setting in it was written by a key holder"
        do {
            let (report, repaired) = try manager.repairInterruptedKeyChange(unlock: unlock, known: authenticated)
            if let old = report.upgradedHeaderFromVersion {
                let slots = repaired.header.slots.map { "\($0.kind.rawValue) (\($0.id))" }.joined(separator: ", ")
                add("authenticity", .ok, "the format \(old) key header (no MAC) was upgraded to format \(repaired.header.version), authenticated with a MAC under the master key; it vouches for the slots as they were: \(slots) (`simvault key list` shows them)")
            } else if header.isAuthenticatedFormat {
                add("authenticity", .ok, verified)
            } else {
                add("authenticity", .ok, "format \(header.version) key header (no MAC); the database records no upgrade, so no newer header was replaced by it")
            }
            var notes: [String] = []
            if let rotation = report.rotation {
                notes.append(rotation.summary)
                notes += rotation.warnings
            }
            if report.removedKeyringItems > 0 {
                notes.append("removed \(report.removedKeyringItems) keyring item(s) of keys this vault no longer uses (left by an interrupted key change)")
            }
            if report.scrubbedFiles > 0 {
                notes.append("overwrote and removed \(report.scrubbedFiles) superseded key header cop(ies) left by an interrupted key change")
            }
            if notes.isEmpty {
                add("key rotation", .ok, "no key rotation pending")
            } else {
                add("key rotation", .warning, notes.joined(separator: "; "))
            }
            return (repaired.header, repaired.unlocked)
        } catch VaultError.busy {
            add("authenticity", header.isAuthenticatedFormat ? .ok : .warning, header.isAuthenticatedFormat ? verified : "format \(header.version) key header (no MAC), not upgraded: another process holds the key lock")
            add("key rotation", .warning, "another simvault process is changing this vault's keys right now; run health again when it is done")
        } catch VaultError.headerForged(let forgery) {
            // The header changed between the check above and the lock.
            add("authenticity", .failed, forgery.description)
            add("key rotation", .skipped, "not run: the key header is not authenticated")
        } catch {
            add("authenticity", header.isAuthenticatedFormat ? .ok : .warning, header.isAuthenticatedFormat ? verified : "format \(header.version) key header (no MAC), not upgraded: \(describe(error))")
            if let rotation = header.rotation {
                let started = ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: Double(rotation.startedAt) / 1000))
                add("key rotation", .failed, "an interrupted key rotation (started \(started)) is pending and could not be finished or rolled back: \(describe(error))")
            } else {
                // Nothing is pending; only the search for leftovers failed
                // (a read-only directory, say).
                add("key rotation", .ok, "no key rotation pending (leftovers not checked: \(describe(error)))")
            }
        }
        return (header, authenticated.unlocked)
    }

    private func openReader(_ key: UnlockedKey, header: KeyHeader) throws -> Connection {
        try EncryptedDatabase.openConnection(
            location: location, key: key.masterKey,
            options: configuration.connectionOptions(readOnly: true, cipher: header.cipher(for: key.generation)))
    }

    /// Opens the database with the unlocked key (during a rotation: with
    /// whichever of the two keys it accepts) and returns that key.
    private mutating func checkDecrypts(_ unlocked: UnlockResult, header: KeyHeader) -> UnlockedKey? {
        do {
            let (connection, chosen) = try EncryptedDatabase.openConnection(
                location: location, firstAcceptedOf: unlocked.keys, header: header,
                options: configuration.connectionOptions(readOnly: true, cipher: header.cipher))
            defer { connection.close() }
            add("decrypt", .ok, "the database decrypts with the master key")
            do {
                kind = try EncryptedDatabase.identify(connection, header: header, location: location)
                if kind == .vault {
                    add("vault id", .ok, "database and header both belong to vault \(header.vaultID)")
                } else {
                    add("vault id", .ok, "an app database (its own schema, made by `simvault encrypt` or the library): no vault id inside; the key and the header's MAC tie it to header \(header.vaultID)")
                }
            } catch {
                add("vault id", .failed, describe(error))
            }
            return chosen
        } catch {
            add("decrypt", .failed, describe(error))
            return nil
        }
    }

    private mutating func checkIntegrity(_ key: UnlockedKey, header: KeyHeader) {
        do {
            let connection = try openReader(key, header: header)
            defer { connection.close() }
            let pages: Int = try connection.scalar("PRAGMA page_count") ?? 0
            let free: Int = try connection.scalar("PRAGMA freelist_count") ?? 0
            let messages = try connection.fetchAll("PRAGMA integrity_check").compactMap { try? $0.get(0, as: String.self) }
            if messages == ["ok"] {
                // integrity_check walks the free list's trunk pages but never
                // reads the leaf pages' contents; they hold no data, and SQLite
                // overwrites them without reading them when it reuses them.
                let scope = free == 0
                    ? "all \(pages) pages read and authenticated"
                    : "all \(pages - free) pages in use read and authenticated (\(free) free pages hold no data and are not read)"
                add("integrity", .ok, "integrity_check ok: \(scope)")
            } else {
                let shown = messages.prefix(5).joined(separator: "; ")
                add("integrity", .failed, "integrity_check found \(messages.count) problem(s): \(shown). Restore from a backup.")
            }
        } catch {
            // SQLCipher 3.4.1 reports a page failing its HMAC inside
            // integrity_check as a generic SQLITE_ERROR, not SQLITE_CORRUPT.
            add("integrity", .failed, "integrity_check stopped at a page that cannot be read: a page fails its HMAC check, so the database is damaged or was tampered with (\(describe(error))). Restore from a backup.")
        }
    }

    private mutating func checkForeignKeys(_ key: UnlockedKey, header: KeyHeader) {
        do {
            let connection = try openReader(key, header: header)
            defer { connection.close() }
            let rows = try connection.fetchAll("PRAGMA foreign_key_check")
            if rows.isEmpty {
                add("foreign keys", .ok, "no violations")
            } else {
                let tables = Set(rows.compactMap { try? $0.get(0, as: String.self) }).sorted().joined(separator: ", ")
                add("foreign keys", .failed, "\(rows.count) row(s) violate foreign keys in: \(tables)")
            }
        } catch {
            add("foreign keys", .failed, describe(error))
        }
    }

    private mutating func checkSchema(_ key: UnlockedKey, header: KeyHeader) {
        do {
            let connection = try openReader(key, header: header)
            defer { connection.close() }
            guard kind == .vault else {
                let version: Int = try connection.scalar("PRAGMA user_version") ?? 0
                let apps = try AppMigrationHistory.recordedStatuses(in: connection)
                    .map { "\($0.namespace) (\($0.applied.count) applied)" }
                add("schema", .ok, "the app's own (user_version \(version))" + (apps.isEmpty ? "" : "; app migrations: " + apps.joined(separator: ", ")))
                return
            }
            let status = try Migrator.simvault.status(of: ConnectionSchemaDatabase(connection: connection))
            switch status.problem {
            case nil where status.pending.isEmpty:
                add("schema", .ok, "version \(status.currentVersion) (latest)")
            case nil:
                add("schema", .warning, "version \(status.currentVersion), \(status.pending.count) pending migration(s) up to \(status.latestVersion): run `simvault migrate`")
            case .vaultNewer(let vault, let binary)?:
                add("schema", .failed, "vault is newer than this simvault (schema \(vault), this binary supports \(binary)): upgrade simvault")
            case let problem?:
                add("schema", .failed, problem.description)
            }
        } catch {
            add("schema", .failed, describe(error))
        }
    }

    /// The age of the last verified backup: a warning once it is older than
    /// ``VaultHealth/backupMaximumAge`` (or when a vault that old was never
    /// backed up).
    private mutating func checkBackup(_ key: UnlockedKey, header: KeyHeader) {
        do {
            let connection = try openReader(key, header: header)
            defer { connection.close() }
            let now = Clock.nowMilliseconds()
            let limit = VaultHealth.backupMaximumAge
            guard kind == .vault else {
                add("backup", .ok, "an app database keeps no record of its backups (its tables are the app's); take one with `simvault backup DEST`")
                return
            }
            guard let last = try Vault.lastBackup(in: connection) else {
                let created = try VaultMeta.read(VaultMeta.createdAt, in: connection).flatMap(Int64.init) ?? header.createdAt
                let age = now - created
                let text = "no backup taken yet (the vault is \(VaultHealth.describeAge(age)) old); take one with `simvault backup DEST` or schedule `simvault backup --auto DIR`"
                add("backup", age > limit ? .warning : .ok, text)
                return
            }
            lastBackupPath = last.path
            let age = now - last.at
            let exists = FileManager.default.fileExists(atPath: last.path)
            var text = "last backup \(VaultHealth.describeAge(age)) ago: \(last.path)\(exists ? "" : " (no longer there)")"
            if age > limit { text += "; take a new one with `simvault backup DEST`" }
            add("backup", age > limit || !exists ? .warning : .ok, text)
        } catch {
            add("backup", .warning, "cannot read the last backup time: \(describe(error))")
        }
    }

    /// Who can read the vault's files, and who can put files beside them:
    /// a directory others can write to is where a link under a side file's
    /// name or a forged restore journal comes from (`lstat` throughout: a
    /// link is reported as one, not by its target's mode).
    private mutating func checkPermissions() {
        let backupFiles = lastBackupPath.map { [($0, false), ($0 + ".keys", false)] } ?? []
        var present: [(path: String, status: FileStatus, isSideFile: Bool)] = []
        for (path, isSideFile) in VaultFiles.paths(of: location) + backupFiles {
            if let status = try? FileStatus.of(path) { present.append((path, status, isSideFile)) }
        }
        var warnings: [String] = []
        let exposed = present.filter { $0.status.kind == .regularFile && $0.status.permissions & 0o077 != 0 }
        if !exposed.isEmpty {
            let list = exposed.map { "\($0.path) (\($0.status.modeText))" }.joined(separator: ", ")
            warnings.append("readable or writable by group or others: \(list). Run `chmod 600 \(exposed.map(\.path).joined(separator: " "))`.")
        }
        for (path, status, isSideFile) in present {
            if let problem = status.problem(at: path, asSideFile: isSideFile) { warnings.append("\(path) \(problem).") }
        }
        let directory = DirectoryExposure.resolved(location.directory)
        if let exposure = DirectoryExposure.of(directory) {
            warnings.append("the vault's directory \(exposure): others can put links and files under the vault's names. Run `chmod go-w \(directory)` (or move the vault to a directory of your own).")
        }
        warnings += DirectoryExposure.ofAncestors(directory)
        if warnings.isEmpty {
            let names = present.map { ($0.path as NSString).lastPathComponent }.joined(separator: ", ")
            add("permissions", .ok, "owner-only (0600): \(names); directory \(directory) (\(DirectoryExposure.modeText(of: directory))) writable only by its owner")
        } else {
            add("permissions", .warning, warnings.joined(separator: " "))
        }
    }

    private mutating func checkSize(_ key: UnlockedKey, header: KeyHeader) {
        do {
            let connection = try openReader(key, header: header)
            defer { connection.close() }
            let pages: Int = try connection.scalar("PRAGMA page_count") ?? 0
            let free: Int = try connection.scalar("PRAGMA freelist_count") ?? 0
            let database = VaultLocation.size(of: location.path) ?? 0
            let wal = VaultLocation.size(of: location.walPath) ?? 0
            let percent = pages > 0 ? free * 100 / pages : 0
            add("size", .ok, "database \(ByteCount.format(database)), WAL \(ByteCount.format(wal)), \(pages) pages of \(header.cipher.pageSize) bytes, \(free) free (\(percent)%)")
        } catch {
            add("size", .failed, describe(error))
        }
    }

    private func describe(_ error: any Error) -> String {
        if let vaultError = error as? VaultError { return vaultError.errorDescription ?? "\(vaultError)" }
        if let sqliteError = error as? SQLiteError {
            return VaultError.classify(sqliteError, path: location.path)?.errorDescription ?? sqliteError.description
        }
        return String(describing: error)
    }
}
