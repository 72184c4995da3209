internal import CSQLCipher

/// One action SQLite asks an authorizer about while it prepares a statement
/// (and while virtual table modules run their own statements).
///
/// SQLite: https://www.sqlite.org/c3ref/c_alter_table.html
struct AuthorizedAction: CustomStringConvertible {
    enum Kind: Equatable {
        case createTable, createIndex, createView, createTrigger, createVirtualTable
        case createTemporary, createTemporaryTrigger, drop, dropTrigger, alterTable
        case insert, update, delete, read, select, function, pragma, recursive
        case transaction, savepoint, attach, detach, reindex, analyze
        case other(Int32)

        /// Whether the action creates a schema object in a database file.
        var isCreate: Bool { [.createTable, .createIndex, .createView, .createTrigger, .createVirtualTable].contains(self) }
    }

    let kind: Kind
    /// Table, index, view, trigger or PRAGMA name (as SQLite passes it).
    let first: String?
    /// Column, the table of an index or trigger, a virtual table's module,
    /// a PRAGMA's value, a function's name.
    let second: String?
    /// `main`, `temp` or an attached database's name.
    let database: String?

    /// The object an action is about, lowercased (SQLite names are
    /// case-insensitive).
    var name: String { (kind == .function ? second : first)?.lowercased() ?? "" }

    var description: String {
        let object = [first, second].compactMap { $0 }.joined(separator: " ")
        return "\(kind)\(object.isEmpty ? "" : " " + object)\(database.map { " in \($0)" } ?? "")"
    }

    init(code: Int32, first: String?, second: String?, database: String?) {
        self.first = first
        self.second = second
        self.database = database
        switch code {
        case SQLITE_CREATE_TABLE: kind = .createTable
        case SQLITE_CREATE_INDEX: kind = .createIndex
        case SQLITE_CREATE_VIEW: kind = .createView
        case SQLITE_CREATE_TRIGGER: kind = .createTrigger
        case SQLITE_CREATE_VTABLE: kind = .createVirtualTable
        case SQLITE_CREATE_TEMP_TABLE, SQLITE_CREATE_TEMP_INDEX, SQLITE_CREATE_TEMP_VIEW: kind = .createTemporary
        case SQLITE_CREATE_TEMP_TRIGGER: kind = .createTemporaryTrigger
        case SQLITE_DROP_TABLE, SQLITE_DROP_INDEX, SQLITE_DROP_VIEW, SQLITE_DROP_VTABLE,
             SQLITE_DROP_TEMP_TABLE, SQLITE_DROP_TEMP_INDEX, SQLITE_DROP_TEMP_VIEW: kind = .drop
        case SQLITE_DROP_TRIGGER, SQLITE_DROP_TEMP_TRIGGER: kind = .dropTrigger
        case SQLITE_ALTER_TABLE: kind = .alterTable
        case SQLITE_INSERT: kind = .insert
        case SQLITE_UPDATE: kind = .update
        case SQLITE_DELETE: kind = .delete
        case SQLITE_READ: kind = .read
        case SQLITE_SELECT: kind = .select
        case SQLITE_FUNCTION: kind = .function
        case SQLITE_PRAGMA: kind = .pragma
        case SQLITE_RECURSIVE: kind = .recursive
        case SQLITE_TRANSACTION: kind = .transaction
        case SQLITE_SAVEPOINT: kind = .savepoint
        case SQLITE_ATTACH: kind = .attach
        case SQLITE_DETACH: kind = .detach
        case SQLITE_REINDEX: kind = .reindex
        case SQLITE_ANALYZE: kind = .analyze
        default: kind = .other(code)
        }
    }
}

extension Connection {
    /// Runs `body` with an authorizer that asks `allows` about every action
    /// of every statement prepared inside it (a denied one fails with
    /// SQLITE_AUTH, "not authorized"), then removes it.
    ///
    /// SQLite: https://www.sqlite.org/c3ref/set_authorizer.html
    func withAuthorizer<T>(_ allows: (AuthorizedAction) -> Bool, _ body: () throws -> T) rethrows -> T {
        try withoutActuallyEscaping(allows) { allows in
            let box = AuthorizerBox(allows)
            // > Only a single authorizer can be in place on a database
            // > connection at a time. Each call to sqlite3_set_authorizer
            // > overrides the previous call. Disable the authorizer by
            // > installing a NULL callback.
            sqlite3_set_authorizer(handle, { context, code, first, second, database, _ in
                let box = Unmanaged<AuthorizerBox>.fromOpaque(context!).takeUnretainedValue()
                let action = AuthorizedAction(
                    code: code, first: first.map { String(cString: $0) }, second: second.map { String(cString: $0) },
                    database: database.map { String(cString: $0) })
                return box.allows(action) ? SQLITE_OK : SQLITE_DENY
            }, Unmanaged.passUnretained(box).toOpaque())
            defer { sqlite3_set_authorizer(handle, nil, nil) }
            return try withExtendedLifetime(box) { try body() }
        }
    }

}

/// Holds the decision function for the C callback's context pointer.
private final class AuthorizerBox {
    let allows: (AuthorizedAction) -> Bool
    init(_ allows: @escaping (AuthorizedAction) -> Bool) { self.allows = allows }
}
