internal import CSQLCipher

extension Connection {
    /// Runs `body` with an authorizer that refuses what an ad-hoc SQL console
    /// must never do to a vault, then removes it:
    /// - `PRAGMA key`/`rekey` (and the hex/text variants): a rekey done here
    ///   would bypass the key header and lock the vault out of its slots;
    /// - `ATTACH`/`DETACH` and `sqlcipher_export()`: they can copy vault data
    ///   into an unencrypted file;
    /// - `load_extension()`;
    /// - any other PRAGMA that is given a value, except the read-only ones
    ///   that take a table or index name (`table_info(t)`...), so settings
    ///   like `journal_mode`, `secure_delete` or `user_version` stay as
    ///   simvault set them.
    ///
    /// Statements prepared inside `body` are checked when prepared; a denied
    /// one fails with SQLITE_AUTH ("not authorized").
    ///
    /// SQLite: https://www.sqlite.org/c3ref/set_authorizer.html
    func withConsoleAuthorizer<T>(_ body: () throws -> T) rethrows -> T {
        // > Only a single authorizer can be in place on a database connection
        // > at a time. Each call to sqlite3_set_authorizer overrides the
        // > previous call. Disable the authorizer by installing a NULL callback.
        sqlite3_set_authorizer(handle, { _, action, first, second, _, _ in
            let name = first.map { String(cString: $0).lowercased() } ?? ""
            let other = second.map { String(cString: $0).lowercased() } ?? ""
            switch action {
            case SQLITE_ATTACH, SQLITE_DETACH:
                return SQLITE_DENY
            case SQLITE_FUNCTION:
                return ConsolePolicy.deniedFunctions.contains(other) ? SQLITE_DENY : SQLITE_OK
            case SQLITE_PRAGMA:
                if ConsolePolicy.keyPragmas.contains(where: { name.hasPrefix($0) }) { return SQLITE_DENY }
                if second != nil, !ConsolePolicy.pragmasTakingNames.contains(name) { return SQLITE_DENY }
                return SQLITE_OK
            default:
                return SQLITE_OK
            }
        }, nil)
        defer { sqlite3_set_authorizer(handle, nil, nil) }
        return try body()
    }
}

/// What the console authorizer refuses.
private enum ConsolePolicy {
    static let keyPragmas = ["key", "rekey", "hexkey", "hexrekey", "textkey", "textrekey"]
    static let deniedFunctions: Set<String> = ["sqlcipher_export", "load_extension"]
    static let pragmasTakingNames: Set<String> = [
        "table_info", "index_info", "index_xinfo", "index_list", "foreign_key_list", "foreign_key_check",
        "integrity_check", "quick_check",
    ]
}
