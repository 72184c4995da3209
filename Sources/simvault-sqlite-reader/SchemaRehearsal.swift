import CSQLCipher

/// Runs schema statements taken from the file into an empty in-memory
/// database, in order, before simvault runs them into a real file: SQL that
/// crashes or hangs SQLite's parser does it here. Each statement is
/// prepared alone (one statement per text) under ``ReaderPolicy/rehearsal``.
enum SchemaRehearsal {
    struct Statement {
        /// Skip it when a table called `name` exists already.
        let onlyIfAbsent: Bool
        let name: String
        let sql: String
    }

    struct Failure: Error {
        let index: Int
        let error: ReaderError
    }

    /// - Returns: how many statements ran, or the first that failed and why.
    static func run(_ statements: [Statement], limits: ReaderLimits) -> Result<Int, Failure> {
        var opened: OpaquePointer?
        guard sqlite3_open_v2(":memory:", &opened, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nil) == SQLITE_OK, let handle = opened else {
            sqlite3_close(opened)
            return .failure(Failure(index: 0, error: ReaderError(code: SQLITE_CANTOPEN, "cannot open an in-memory database")))
        }
        defer { sqlite3_close(handle) }
        SQLiteSettings.restrict(handle, limits: limits)
        var ran = 0
        for (index, statement) in statements.enumerated() {
            do throws(ReaderError) {
                if statement.onlyIfAbsent, try tableExists(statement.name, handle) { continue }
                sqlite3_set_authorizer(handle, ReaderPolicy.rehearsal, nil)
                defer { sqlite3_set_authorizer(handle, nil, nil) }
                let prepared = try SQLiteSettings.prepareOne(handle, statement.sql)
                defer { sqlite3_finalize(prepared) }
                var status = sqlite3_step(prepared)
                while status == SQLITE_ROW { status = sqlite3_step(prepared) }
                guard status == SQLITE_DONE else { throw ReaderError(handle, status) }
                ran += 1
            } catch {
                return .failure(Failure(index: index, error: error))
            }
        }
        return .success(ran)
    }

    private static func tableExists(_ name: String, _ handle: OpaquePointer) throws(ReaderError) -> Bool {
        let statement = try SQLiteSettings.prepareOne(handle, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1 COLLATE NOCASE")
        defer { sqlite3_finalize(statement) }
        _ = name.withCString { sqlite3_bind_text(statement, 1, $0, -1, simvault_sqlite_transient()) }
        let status = sqlite3_step(statement)
        guard status == SQLITE_ROW || status == SQLITE_DONE else { throw ReaderError(handle, status) }
        return status == SQLITE_ROW
    }
}
