public import Foundation
public import VaultKeys

/// The errors simvault reports to apps and users. Each has a message that
/// says what happened and what to do next, and maps to one exit code of the
/// CLI contract (docs/DESIGN.md §4). The library, not the CLI, decides which case
/// applies: it tells a wrong key from a corrupt database with the key check
/// value.
public enum VaultError: Error, Sendable, Equatable {
    /// No vault database at `path` (exit 15).
    case notFound(path: String, detail: String?)
    /// The database exists but its key header does not (exit 15).
    case headerMissing(headerPath: String)
    /// `init` refuses to overwrite (exit 1).
    case alreadyExists(path: String)
    /// Wrong password, recovery code, explicit key, or a keyring item holding
    /// another key (exit 10).
    case wrongKey(reason: String)
    /// No key source could be used (exit 11).
    case noKeySource(reasons: [String])
    /// The vault or its header is corrupt or was tampered with (exit 12).
    case corrupt(detail: String)
    /// The key header was changed by someone without the key: its MAC does
    /// not verify, its key check was replaced, or an old-format header was
    /// put back after the upgrade (exit 12). Nothing was written.
    case headerForged(HeaderForgery)
    /// Another process holds the vault (exit 13).
    case busy(detail: String)
    /// The vault was written by a newer simvault (exit 14).
    case schemaNewer(vault: Int, binary: Int)
    /// An app's migration history in the database goes beyond the
    /// migrations the app registered: a newer version of the app migrated
    /// it (exit 14).
    case appSchemaNewer(namespace: String, unknown: [String])
    /// The header format is newer than this simvault (exit 14).
    case headerNewer(version: Int, supported: Int)
    /// The process is not using SQLCipher; refusing to write plaintext.
    case engineNotSQLCipher(detail: String)
    /// The SQLCipher in use is older than 3.4 or of a major version this
    /// simvault does not know (exit 1).
    case engineUnsupported(detail: String)
    /// The vault uses cipher settings of a newer SQLCipher than the one this
    /// simvault runs on (compatibility 4 on SQLCipher 3) (exit 14).
    case cipherNewerThanEngine(compatibility: Int, engine: String)
    /// The disk or quota is full; nothing was committed.
    case diskFull(detail: String)
    /// A file operation failed.
    case io(detail: String)
    /// A key operation failed for a reason other than the above.
    case keyManagement(detail: String)
    /// An argument the caller passed is invalid.
    case invalidArgument(detail: String)
    /// The vault has pending migrations and the operation needs the current
    /// schema (exit 1). `simvault migrate` (or ``Vault/migrate(_:to:backupDirectory:)``)
    /// applies them after a verified backup.
    case schemaOutdated(vault: Int, binary: Int)
    /// A migration failed; it was rolled back and the vault is at `version`
    /// (exit 1).
    case migrationFailed(detail: String, version: Int, backupPath: String?)
    /// No record of `kind` with `id` (a conversation, a secret...) (exit 1).
    case recordNotFound(kind: String, id: String)
    /// The file decrypts with the key but holds no simvault vault: an app's
    /// own database encrypted by `simvault encrypt` (exit 12).
    case notAVault(path: String)
    /// A backup that `restore` was given fails verification (exit 12, as
    /// damage); the vault was not changed.
    case backupUnusable(path: String, detail: String)
    /// A file from elsewhere (another app's database, an import) is
    /// malformed or was crafted to attack simvault: it crashed, hung or
    /// exhausted the process reading it, or holds what no honest file holds
    /// (exit 12). Nothing was changed.
    case malformedInput(path: String, detail: String)
    /// A file under one of the vault's names (or a restore journal) that
    /// simvault never makes: a symbolic link, a file of another user, a
    /// side file with a second name, a journal naming other files (exit 12,
    /// as tampering). Nothing was opened, moved or deleted.
    case untrustedFile(path: String, detail: String)
    /// The vault was closed.
    case closed
}

extension VaultError: LocalizedError {
    public var errorDescription: String? {
        switch self {
        case .notFound(let path, let detail):
            return "vault not found at \(path)\(detail.map { " (\($0))" } ?? ""). Create one with `simvault init`, or pass --vault PATH."
        case .headerMissing(let headerPath):
            return "the vault's key header \(headerPath) is missing: without it the key slots cannot be opened. Restore it from a backup (every backup carries a copy)."
        case .alreadyExists(let path):
            return "\(path) already exists; refusing to overwrite it. Choose another path with --vault or remove the old vault yourself."
        case .wrongKey(let reason):
            return reason
        case .noKeySource(let reasons):
            return KeyError.noKeySource(reasons: reasons).description
        case .corrupt(let detail):
            return "the vault is corrupt or was tampered with: \(detail). Run `simvault health` for details; restore from a backup if it fails."
        case .headerForged(let forgery):
            return forgery.description
        case .busy(let detail):
            return "the vault is busy: \(detail). Close other programs using it and retry."
        case .schemaNewer(let vault, let binary):
            return "the vault's schema is version \(vault), newer than this simvault supports (\(binary)). Upgrade simvault."
        case .appSchemaNewer(let namespace, let unknown):
            return "the database's \(namespace) schema was migrated by a newer version of the app (applied migrations this app does not know: \(unknown.joined(separator: ", "))). Upgrade the app; do not use an older one on this database."
        case .headerNewer(let version, let supported):
            return "the vault's key header is format \(version), newer than this simvault supports (\(supported)). Upgrade simvault."
        case .engineNotSQLCipher(let detail):
            return "refusing to open: \(detail)."
        case .engineUnsupported(let detail):
            return "refusing to open: \(detail). Build simvault against SQLCipher 3.4 or 4.x (libsqlcipher-dev)."
        case .cipherNewerThanEngine(let compatibility, let engine):
            let settings = CipherSettings(compatibility: compatibility)
            return "this vault uses SQLCipher \(compatibility) settings (cipher compatibility \(compatibility): \(settings.hmacAlgorithm.replacingOccurrences(of: "_", with: "-")) page authentication), but this simvault runs on SQLCipher \(engine), which reads only compatibility 3. The vault is intact and was not changed. Use a simvault built on SQLCipher \(compatibility) (Debian 13, Ubuntu 24.04), or there run `simvault rekey --cipher-compat 3` to make the vault readable by SQLCipher 3."
        case .diskFull(let detail):
            return "the disk is full: \(detail). Nothing was committed; free space and retry."
        case .io(let detail):
            return detail
        case .keyManagement(let detail):
            return detail
        case .invalidArgument(let detail):
            return detail
        case .schemaOutdated(let vault, let binary):
            return "the vault's schema is version \(vault) and this simvault uses version \(binary). Run `simvault migrate` (it takes a verified backup first), then retry."
        case .migrationFailed(let detail, let version, let backupPath):
            let backup = backupPath.map { " The backup taken before migrating is \($0)." } ?? ""
            return "\(detail). The vault stays at schema version \(version): every earlier migration committed, the failed one was rolled back.\(backup)"
        case .recordNotFound(let kind, let id):
            return "no \(kind) \"\(id)\" in this vault."
        case .notAVault(let path):
            return "\(path) decrypts with its key but is not a simvault vault (it has no vault_meta): a database made by `simvault encrypt` (or the library for an app) keeps its app's own tables; open it with `EncryptedDatabase.open` in the library. The commands info, health, key, rekey, backup, restore, sql and migrate work on it."
        case .backupUnusable(let path, let detail):
            return "the backup \(path) cannot be restored: \(detail). Nothing was changed; use another backup (`simvault --vault \(path) health` shows what is wrong with this one)."
        case .malformedInput(let path, let detail):
            return "\(path) is malformed or hostile: \(detail). It was not used and nothing was changed."
        case .untrustedFile(let path, let detail):
            let directory = (path as NSString).deletingLastPathComponent.isEmpty ? "." : (path as NSString).deletingLastPathComponent
            return "refusing to use \(path): it \(detail). simvault never makes such a file: someone who can write to \(directory) put it there (or simvault ran as another user, with sudo). Nothing was opened, moved or deleted. Check who can write to the directory (`ls -ld \(directory)`; `chmod go-w \(directory)` keeps others out), remove \(path) (for a link this removes only the link), then run the command again."
        case .closed:
            return "the vault is closed."
        }
    }
}

extension VaultError {
    /// Whether this is ``cipherNewerThanEngine(compatibility:engine:)``.
    var isCipherNewerThanEngine: Bool {
        if case .cipherNewerThanEngine = self { return true }
        return false
    }

    /// Maps a key-layer error to the public error.
    public init(_ error: KeyError) {
        switch error {
        case .wrongKey, .wrongPassword, .wrongRecoveryCode, .recoveryCodeMistyped, .keyringKeyMismatch:
            self = .wrongKey(reason: error.description)
        case .noKeySource(let reasons):
            self = .noKeySource(reasons: reasons)
        case .headerNotFound(let path):
            self = .headerMissing(headerPath: path)
        case .headerDamaged, .keyCheckMismatch, .malformedKey, .passwordSlotBelowMinimum:
            self = .corrupt(detail: error.description)
        case .headerForged(let forgery):
            self = .headerForged(forgery)
        case .passwordKDFBelowMinimum:
            self = .invalidArgument(detail: error.description)
        case .headerUnsupported(_, let version, let supported):
            self = .headerNewer(version: version, supported: supported)
        case .headerExists(let path):
            self = .alreadyExists(path: path)
        case .keyring(let failure):
            self = .noKeySource(reasons: [failure.description])
        case .headerWriteFailed, .noSuchSlot, .slotNotFound, .cryptoFailure, .secretInputFailed:
            self = .keyManagement(detail: error.description)
        }
    }

    /// Maps an engine error met while the key is known to be right: damage
    /// and tampering become `.corrupt`, lock contention `.busy`, a full disk
    /// `.diskFull`. Other SQLite errors are returned unchanged (nil).
    static func classify(_ error: SQLiteError, path: String) -> VaultError? {
        if error.isCorruptVirtualTable {
            return .corrupt(detail: "\(path): a full-text search index is out of step with its table (SQLite: \(error.message)); rebuild it with `simvault sql --write \"INSERT INTO messages_fts (messages_fts) VALUES ('rebuild')\"` (or workflows_fts)")
        }
        if error.isNotADatabase || error.isCorrupt {
            return .corrupt(detail: "\(path): a page failed its integrity (HMAC) check or the b-tree is damaged (SQLite: \(error.message))")
        }
        if error.isUnreadablePage {
            return .corrupt(detail: "\(path): a page cannot be read: it fails its integrity (HMAC) check, which SQLCipher reports as \"\(error.message)\"")
        }
        if error.isBusy { return .busy(detail: "\(path) is locked by another connection (SQLite: \(error.message))") }
        if error.isDiskFull { return .diskFull(detail: "\(path): \(error.message)") }
        return nil
    }
}
