import Foundation

/// Another app's plaintext SQLite database, opened so that nothing can
/// change it: read-only and `immutable=1` (SQLite then takes no locks and
/// creates no `-wal` or `-shm` file beside it), on the SQLCipher engine with
/// no key.
///
/// `immutable` means SQLite trusts the file not to change and ignores any
/// write-ahead log, so a file whose app is running (or crashed) with
/// changes still in its `-wal` or `-journal` is refused: those changes
/// would be missed. Closing the app folds them into the database.
///
/// SQLite: https://www.sqlite.org/uri.html#uriimmutable
final class PlaintextDatabase {
    let path: String
    let connection: Connection

    /// - Throws: ``VaultError/notFound(path:detail:)``;
    ///   ``VaultError/invalidArgument(detail:)`` for a file that is not a
    ///   plaintext SQLite database or has pending changes in a log.
    init(path: String) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else {
            throw VaultError.notFound(path: path, detail: "no database file there")
        }
        for (suffix, what) in [("-wal", "write-ahead log"), ("-journal", "rollback journal")] where (VaultLocation.size(of: path + suffix) ?? 0) > 0 {
            throw VaultError.invalidArgument(detail: "\(path) has changes not yet written into it (its \(what) \(path + suffix) is not empty): the app using it is running, or crashed. Close the app (or open the file once with `sqlite3`) and retry; nothing was read")
        }
        self.path = path
        var options = Connection.Options()
        options.isReadOnly = true
        options.usesWAL = false
        options.usesURIFilename = true
        options.cacheSizeKiB = 8192
        do {
            connection = try Connection(path: Self.uri(for: path), key: nil, options: options)
        } catch let error as SQLiteError where error.isNotADatabase {
            throw VaultError.invalidArgument(detail: "\(path) is not a plaintext SQLite database (it is encrypted, or not a database at all)")
        } catch let error as SQLiteError {
            throw VaultError.invalidArgument(detail: "cannot open \(path) as a SQLite database: \(error.message)")
        }
    }

    deinit { connection.close() }

    /// A `file:` URI for `path`, read-only and immutable.
    static func uri(for path: String) -> String {
        let absolute = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove(charactersIn: "?#%")
        return "file:\(absolute.addingPercentEncoding(withAllowedCharacters: allowed) ?? absolute)?mode=ro&immutable=1"
    }

    /// Column names of each table (not views, not SQLite's own).
    func tables() throws -> [String: [String]] {
        var result: [String: [String]] = [:]
        for row in try connection.fetchAll("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'") {
            let name: String = try row.get(0)
            result[name] = try connection.fetchAll("PRAGMA table_info(\(Self.quoted(name)))").map { try $0.get("name") }
        }
        return result
    }

    /// `count(*)` of a table.
    func count(_ table: String) throws -> Int64 {
        try connection.scalar("SELECT count(*) FROM \(Self.quoted(table))") ?? 0
    }

    /// `name` as an SQL identifier: in double quotes, inner quotes doubled.
    static func quoted(_ name: String) -> String {
        "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
