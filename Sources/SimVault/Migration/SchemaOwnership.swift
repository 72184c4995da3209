import Foundation
import VaultSchema

/// Who owns which schema objects while migrations run, enforced with the
/// SQLite authorizer: an app's migration may not touch simvault's objects
/// (in a vault) or the app-migration history, and simvault's migrations may
/// not touch the app's objects.
///
/// simvault's objects are exactly what its migrations create (read from
/// their SQL, so a future migration's objects are included without a list
/// to keep in step), the shadow tables of its FTS4 tables, and the two
/// history tables. The app's objects are everything else in `sqlite_master`.
struct SchemaOwnership {
    /// Lowercased names of simvault's objects in this database.
    let simvault: Set<String>
    /// Lowercased names of the app's objects when the migrations start.
    let app: Set<String>

    init(kind: EncryptedDatabaseKind, in db: Connection) throws {
        simvault = (kind == .vault ? Self.simvaultObjects : []).union([AppMigrationHistory.table])
        let existing = try db.fetchAll("SELECT name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'").map { try $0.get(0, as: String.self).lowercased() }
        app = Set(existing).subtracting(simvault)
    }

    /// Every name a simvault migration creates.
    static let simvaultObjects: Set<String> = {
        var names: Set<String> = ["schema_migrations"]
        let pattern = try! NSRegularExpression(
            pattern: #"CREATE\s+(?:UNIQUE\s+)?(TABLE|INDEX|VIEW|TRIGGER|VIRTUAL\s+TABLE)\s+(?:IF\s+NOT\s+EXISTS\s+)?["`\[]?(\w+)"#,
            options: [.caseInsensitive])
        for migration in SchemaHistory.all {
            let sql = migration.sql as NSString
            for match in pattern.matches(in: migration.sql, range: NSRange(location: 0, length: sql.length)) {
                let name = sql.substring(with: match.range(at: 2)).lowercased()
                names.insert(name)
                if sql.substring(with: match.range(at: 1)).uppercased().hasPrefix("VIRTUAL") {
                    for shadow in ["content", "segments", "segdir", "docsize", "stat"] { names.insert("\(name)_\(shadow)") }
                }
            }
        }
        return names
    }()

    /// The objects an action names (tables, indexes, views, triggers; not
    /// columns, functions or PRAGMAs).
    static func objects(of action: AuthorizedAction) -> [String] {
        let first = action.first?.lowercased(), second = action.second?.lowercased()
        switch action.kind {
        case .createIndex, .createTrigger, .dropTrigger, .drop: return [first, second].compactMap { $0 }
        case .alterTable: return [second].compactMap { $0 }
        case .createTable, .createView, .createVirtualTable, .insert, .update, .delete, .read, .analyze, .reindex:
            return [first].compactMap { $0 }
        default: return []
        }
    }

    /// PRAGMAs an app migration may not run: they change the key, the
    /// journal or the foreign-key mode under the migrator, or write the
    /// schema behind SQLite's back.
    private static let refusedPragmas: Set<String> = [
        "key", "rekey", "hexkey", "hexrekey", "writable_schema", "journal_mode", "locking_mode", "foreign_keys", "schema_version",
    ]

    /// Whether an app migration may take `action`. In a vault
    /// `user_version` is simvault's schema version, so an app may read it
    /// but not set it.
    func allowsApp(_ action: AuthorizedAction, isVault: Bool) -> Bool {
        switch action.kind {
        case .transaction, .attach, .detach: return false
        case .pragma:
            let name = action.first?.lowercased() ?? ""
            if Self.refusedPragmas.contains(name) || name.hasPrefix("cipher") { return false }
            return !(isVault && name == "user_version" && action.second != nil)
        default:
            return Self.objects(of: action).allSatisfy { !simvault.contains($0) }
        }
    }

    /// Whether a simvault migration may take `action`.
    func allowsSimvault(_ action: AuthorizedAction) -> Bool {
        Self.objects(of: action).allSatisfy { !app.contains($0) }
    }
}
