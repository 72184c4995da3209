/// Runs SQL taken from another database's `sqlite_master` into a file
/// simvault writes, and nothing else: the rule for every place that replays
/// foreign SQL (today `encrypt`).
///
/// - Each entry is prepared as exactly one statement (SQLite itself only
///   ever stores one; text after it is refused, never executed).
/// - While it is prepared, an authorizer allows only what creating the
///   entry's own object in `main` needs: the first object it creates must
///   be the entry's (same kind: table, virtual table, index, view or
///   trigger; same name; an index or trigger on the entry's table), and
///   anything else it creates must be SQLite's own (`sqlite_autoindex_*`,
///   `sqlite_sequence`). A `CREATE TABLE … AS SELECT` (the CVE-2018-8740
///   shape) is refused.
/// - Always refused: ATTACH/DETACH, transactions and savepoints, PRAGMAs
///   (except FTS reading `page_size` while it creates its tables), temporary
///   objects, DROP, ALTER, ANALYZE, reading or writing any database but
///   `main`, and `load_extension()`, `fts3_tokenizer()`, `sqlcipher_export()`.
/// - While the statement runs, only a virtual table module may create
///   objects (its shadow tables and their indexes).
///
/// The copy of rows that follows runs under ``allowsCopy(_:)``: inserts
/// and deletes in `main`, nothing else.
final class SchemaReplay {
    enum Phase {
        case preparing(ForeignSchema.Entry)
        case running(ForeignSchema.Entry)
        case copying
    }

    static let deniedFunctions: Set<String> = ["load_extension", "fts3_tokenizer", "sqlcipher_export"]

    private var phase: Phase = .copying
    private var created: [AuthorizedAction] = []
    /// What was refused first (for the error).
    private(set) var refusal: String?

    /// Prepares `entry`'s statement on `db` under the policy, checks that it
    /// creates what the entry says, and runs it. Both happen under one
    /// authorizer: installing another expires prepared statements, and a
    /// statement prepared again would be checked as it runs.
    ///
    /// - Throws: ``SchemaReplayRefusal`` when the entry is not an honest
    ///   schema entry; ``SQLiteError`` for other failures.
    func replay(_ entry: ForeignSchema.Entry, on db: Connection) throws {
        phase = .preparing(entry)
        created = []
        refusal = nil
        do {
            try db.withAuthorizer(allows) {
                let statement = try db.prepare(entry.sql ?? "")
                guard let first = created.first else { throw SchemaReplayRefusal(entry: entry, reason: "creates nothing") }
                guard Self.matches(first, entry) else { throw SchemaReplayRefusal(entry: entry, reason: "creates \(first) instead") }
                phase = .running(entry)
                while try statement.step() {}
            }
        } catch is SQLiteError where refusal != nil {
            // A denied action fails the statement (SQLITE_AUTH, or
            // SQLITE_ERROR "not authorized to use function").
            throw SchemaReplayRefusal(entry: entry, reason: "does \(refusal ?? "")")
        } catch let error as SQLiteError where error.isMisuse {
            throw SchemaReplayRefusal(entry: entry, reason: "holds more than one SQL statement")
        }
    }

    /// The policy while rows are copied by simvault's own INSERTs.
    func allowsCopy(_ action: AuthorizedAction) -> Bool {
        phase = .copying
        return allows(action)
    }

    // MARK: - Policy

    private func allows(_ action: AuthorizedAction) -> Bool {
        guard let why = reasonToRefuse(action) else { return true }
        if refusal == nil { refusal = why }
        return false
    }

    private func reasonToRefuse(_ action: AuthorizedAction) -> String? {
        if let database = action.database, database.lowercased() != "main" {
            return "\(action) (only the main database may be used)"
        }
        switch action.kind {
        case .createTable, .createIndex, .createView, .createTrigger, .createVirtualTable:
            switch phase {
            case .preparing:
                if created.isEmpty || action.name.hasPrefix("sqlite_") {
                    created.append(action)
                    return nil
                }
                return "\(action) (a second object)"
            case .running(let entry):
                // A virtual table module creates its shadow tables.
                return entry.isVirtual && (action.kind == .createTable || action.kind == .createIndex) ? nil : "\(action)"
            case .copying:
                return "\(action)"
            }
        case .insert, .update, .delete, .read, .reindex:
            return nil
        case .function:
            return Self.deniedFunctions.contains(action.name) ? "the function \(action.name)()" : nil
        case .pragma:
            // FTS3/4 read the page size while creating their tables.
            if case .running(let entry) = phase, entry.isVirtual, action.name == "page_size", action.second == nil { return nil }
            return "PRAGMA \(action.first ?? "")"
        case .select:
            return "a SELECT (CREATE TABLE … AS SELECT is never stored by SQLite)"
        default:
            return "\(action)"
        }
    }

    /// Whether the first object a statement creates is the entry's.
    private static func matches(_ action: AuthorizedAction, _ entry: ForeignSchema.Entry) -> Bool {
        guard action.name == entry.name.lowercased() else { return false }
        switch (entry.type, action.kind) {
        case ("table", .createTable): return !entry.isVirtual
        case ("table", .createVirtualTable): return entry.isVirtual
        case ("index", .createIndex), ("trigger", .createTrigger):
            return action.second?.lowercased() == entry.tableName.lowercased()
        case ("view", .createView): return true
        default: return false
        }
    }
}

/// A schema entry that is not what an honest SQLite file holds.
struct SchemaReplayRefusal: Error, CustomStringConvertible {
    let entry: ForeignSchema.Entry
    let reason: String

    var description: String {
        "its schema entry for \(entry.type) \(entry.name) \(reason); SQLite never writes such an entry, so the file was crafted or damaged (only CREATE TABLE, INDEX, VIEW, TRIGGER and VIRTUAL TABLE in the main database are replayed)"
    }
}
