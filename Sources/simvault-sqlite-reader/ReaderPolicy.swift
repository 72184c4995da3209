import CSQLCipher

/// What the reader's connections may do, as SQLite authorizers: checked
/// for every statement as it is prepared (and for the statements virtual
/// table modules run inside). A denied statement fails with SQLITE_AUTH.
///
/// SQLite: https://www.sqlite.org/c3ref/set_authorizer.html
enum ReaderPolicy {
    /// Functions never run: a code pointer (`fts3_tokenizer`), file access
    /// (`load_extension`, `sqlcipher_export`).
    static let deniedFunctions: Set<String> = ["load_extension", "fts3_tokenizer", "sqlcipher_export"]
    /// PRAGMAs that only read, callable without a value.
    static let readPragmas: Set<String> = [
        "user_version", "application_id", "page_size", "page_count", "freelist_count", "encoding", "schema_version",
        "auto_vacuum", "journal_mode", "integrity_check", "quick_check",
    ]
    /// PRAGMAs that take a table or index name as their argument.
    static let pragmasTakingNames: Set<String> = ["table_info", "index_list", "index_info", "index_xinfo", "foreign_key_list"]

    /// The source file: reading only (SELECT, reads, functions, recursive
    /// CTEs, the PRAGMAs above). Everything else is denied, writes and
    /// ATTACH included (the connection is read-only and allows no attached
    /// database anyway).
    static let source: @convention(c) (UnsafeMutableRawPointer?, Int32, UnsafePointer<CChar>?, UnsafePointer<CChar>?, UnsafePointer<CChar>?, UnsafePointer<CChar>?) -> Int32 = { _, action, first, second, database, _ in
        switch action {
        case SQLITE_SELECT, SQLITE_RECURSIVE:
            return SQLITE_OK
        case SQLITE_READ:
            return isMainOrTemp(database) ? SQLITE_OK : SQLITE_DENY
        case SQLITE_FUNCTION:
            return deniedFunctions.contains(lowercased(second)) ? SQLITE_DENY : SQLITE_OK
        case SQLITE_PRAGMA:
            return pragmaAllowed(name: lowercased(first), hasValue: second != nil) ? SQLITE_OK : SQLITE_DENY
        default:
            return SQLITE_DENY
        }
    }

    /// The rehearsal database (in memory): creating schema objects and
    /// writing in `main`, as the replay of a schema does; `PRAGMA
    /// page_size` is read by FTS3/4 when it creates its tables.
    static let rehearsal: @convention(c) (UnsafeMutableRawPointer?, Int32, UnsafePointer<CChar>?, UnsafePointer<CChar>?, UnsafePointer<CChar>?, UnsafePointer<CChar>?) -> Int32 = { _, action, first, second, database, _ in
        switch action {
        case SQLITE_SELECT, SQLITE_RECURSIVE:
            return SQLITE_OK
        case SQLITE_FUNCTION:
            return deniedFunctions.contains(lowercased(second)) ? SQLITE_DENY : SQLITE_OK
        case SQLITE_CREATE_TABLE, SQLITE_CREATE_INDEX, SQLITE_CREATE_VIEW, SQLITE_CREATE_TRIGGER, SQLITE_CREATE_VTABLE,
             SQLITE_INSERT, SQLITE_UPDATE, SQLITE_DELETE, SQLITE_READ, SQLITE_REINDEX:
            return lowercased(database) == "main" ? SQLITE_OK : SQLITE_DENY
        case SQLITE_PRAGMA:
            return lowercased(first) == "page_size" && second == nil ? SQLITE_OK : SQLITE_DENY
        default:
            return SQLITE_DENY
        }
    }

    private static func pragmaAllowed(name: String, hasValue: Bool) -> Bool {
        pragmasTakingNames.contains(name) || (readPragmas.contains(name) && (!hasValue || name.hasSuffix("_check")))
    }

    private static func isMainOrTemp(_ database: UnsafePointer<CChar>?) -> Bool {
        let name = lowercased(database)
        return name == "main" || name == "temp"
    }

    private static func lowercased(_ text: UnsafePointer<CChar>?) -> String {
        text.map { String(cString: $0).lowercased() } ?? ""
    }
}
