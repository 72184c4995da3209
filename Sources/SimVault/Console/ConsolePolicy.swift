/// What the `sql` console refuses, with or without `--write`, decided for
/// every action of the statement as SQLite prepares it:
///
/// - `PRAGMA key`/`rekey` (and the hex/text variants): a rekey done here
///   would bypass the key header and lock the vault out of its slots;
/// - `ATTACH`/`DETACH` and `sqlcipher_export()`: they can copy vault data
///   into an unencrypted file; `load_extension()`; `fts3_tokenizer()`,
///   which returns a code pointer (and, given one, makes FTS call it);
/// - any other PRAGMA that is given a value, except the read-only ones that
///   take a table or index name (`table_info(t)`...), so settings like
///   `journal_mode`, `secure_delete` or `user_version` stay as simvault set
///   them;
/// - writes to, and schema changes of, the tables that hold the vault's
///   own records: `access_log` (the audit of secret reads), `secrets`,
///   `secret_keys`, `schema_migrations`, `vault_meta` and the app-migration
///   history `simvault_app_migrations` (reading them is fine: secrets show
///   as ciphertext);
/// - creating or dropping any trigger: a trigger's body is not checked when
///   it is created, and it would later run inside the apps' own statements
///   (a trigger on `messages` could empty `access_log`), beyond the
///   console's reach.
///
/// One instance per statement: it remembers the first refusal, so the
/// error can say what was refused.
final class ConsolePolicy {
    static let protectedTables: Set<String> = ["access_log", "secrets", "secret_keys", "schema_migrations", "vault_meta", AppMigrationHistory.table]
    static let keyPragmas = ["key", "rekey", "hexkey", "hexrekey", "textkey", "textrekey"]
    static let deniedFunctions: Set<String> = ["sqlcipher_export", "load_extension", "fts3_tokenizer"]
    static let pragmasTakingNames: Set<String> = [
        "table_info", "index_info", "index_xinfo", "index_list", "foreign_key_list", "foreign_key_check",
        "integrity_check", "quick_check",
    ]

    /// What was refused first, for the error message.
    private(set) var refusal: String?

    func allows(_ action: AuthorizedAction) -> Bool {
        guard let why = Self.reasonToRefuse(action) else { return true }
        if refusal == nil { refusal = why }
        return false
    }

    private static func reasonToRefuse(_ action: AuthorizedAction) -> String? {
        let table: String?
        switch action.kind {
        case .attach, .detach:
            return "ATTACH/DETACH"
        case .function:
            return deniedFunctions.contains(action.name) ? "the function \(action.name)()" : nil
        case .pragma:
            if keyPragmas.contains(where: { action.name.hasPrefix($0) }) { return "PRAGMA \(action.name)" }
            if action.second != nil, !pragmasTakingNames.contains(action.name) { return "PRAGMA assignments (PRAGMA \(action.name) = …)" }
            return nil
        case .createTrigger, .createTemporaryTrigger, .dropTrigger:
            return "creating or dropping triggers"
        case .insert, .update, .delete, .createTable, .createVirtualTable, .drop:
            table = action.first
        case .createIndex:
            table = action.second
        case .alterTable:
            table = action.second
        default:
            return nil
        }
        guard let table, protectedTables.contains(table.lowercased()) else { return nil }
        return "changing \(table.lowercased()), which holds the vault's own records"
    }
}
