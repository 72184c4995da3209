import Foundation
import SQLiteReaderProtocol

/// What `encrypt` copies from the source, read through its reader before
/// anything is written and compared with the copy afterwards.
struct EncryptionSource {
    /// A table whose rows are copied.
    struct Table {
        let table: ForeignSchema.Table
        let rows: Int64
        var name: String { table.name }
    }

    let database: ForeignDatabase
    /// CREATE statements in their original order (SQLite's own objects and
    /// automatic indexes excluded).
    let entries: [ForeignSchema.Entry]
    /// Tables whose rows are copied: regular tables (a virtual table's own
    /// data lives in its shadow tables, which are regular) and
    /// `sqlite_sequence` (AUTOINCREMENT counters), last.
    let tables: [Table]
    let userVersion: Int
    let applicationID: Int
    let usesWAL: Bool

    /// - Throws: ``VaultError/malformedInput(path:detail:)`` for a schema
    ///   entry of a type SQLite never writes; reader errors.
    init(_ database: ForeignDatabase) throws {
        self.database = database
        let schema = try database.schema()
        let entries = schema.entries.filter { $0.sql != nil && !$0.name.lowercased().hasPrefix("sqlite_") }
        self.entries = entries
        for entry in entries where !["table", "index", "view", "trigger"].contains(entry.type) {
            throw VaultError.malformedInput(path: database.path, detail: "its schema has an entry of type \"\(entry.type)\" (\(entry.name)), which SQLite never writes")
        }
        var tables: [Table] = []
        let copied = schema.tables.filter { table in
            table.name.lowercased() == "sqlite_sequence" || (!table.isVirtual && entries.contains { $0.type == "table" && $0.name == table.name })
        }
        for table in copied.sorted(by: { ($0.name.lowercased() == "sqlite_sequence" ? 1 : 0) < ($1.name.lowercased() == "sqlite_sequence" ? 1 : 0) }) {
            tables.append(Table(table: table, rows: try database.count(table.name)))
        }
        self.tables = tables
        userVersion = try database.scalar("PRAGMA user_version") ?? 0
        applicationID = try database.scalar("PRAGMA application_id") ?? 0
        // Bytes 18-19 of the file header are 2 in WAL mode (read directly:
        // no SQLite involved).
        let handle = FileHandle(forReadingAtPath: database.path)
        let header = (try? handle?.read(upToCount: 20)) ?? nil
        try? handle?.close()
        usesWAL = header.map { $0.count == 20 && $0[18] == 2 } ?? false
    }

    /// The replay order: virtual tables (which create their shadow tables),
    /// then regular tables (those a virtual table made are skipped), each
    /// with whether it is skipped when its table exists; indexes, views and
    /// triggers come after the rows (``objectsAfterRows``).
    var tablesInReplayOrder: [(entry: ForeignSchema.Entry, onlyIfAbsent: Bool)] {
        entries.filter { $0.type == "table" && $0.isVirtual }.map { ($0, false) }
            + entries.filter { $0.type == "table" && !$0.isVirtual }.map { ($0, true) }
    }

    /// Indexes, views and triggers, created once the rows are in.
    var objectsAfterRows: [ForeignSchema.Entry] {
        entries.filter { ["index", "view", "trigger"].contains($0.type) }
    }

    /// Runs every statement of the replay, in order, inside the reader
    /// first (see ``ForeignDatabase/rehearse(_:)``): a statement that
    /// crashes SQLite does it there.
    ///
    /// - Throws: ``VaultError/malformedInput(path:detail:)`` for a refused
    ///   statement; ``VaultError/invalidArgument(detail:)`` for one SQLite
    ///   3.15 cannot run (an FTS5 table).
    func rehearse() throws {
        let statements = tablesInReplayOrder.map { ForeignDatabase.RehearsedStatement(sql: $0.entry.sql ?? "", name: $0.entry.name, onlyIfAbsent: $0.onlyIfAbsent) }
            + objectsAfterRows.map { ForeignDatabase.RehearsedStatement(sql: $0.sql ?? "", name: $0.name, onlyIfAbsent: false) }
        let entries = tablesInReplayOrder.map(\.entry) + objectsAfterRows
        guard let (index, error) = try database.rehearse(statements) else { return }
        let entry = entries[min(index, entries.count - 1)]
        // SQLITE_AUTH or "not authorized to use function": the reader's
        // policy refused it; `refused`: more than one statement in the text.
        if error.code == ReaderErrorCode.refused.rawValue || error.code & 0xFF == 23 || error.message.hasPrefix("not authorized") {
            let reason = error.code == ReaderErrorCode.refused.rawValue ? "holds more than one SQL statement" : "does what no schema entry does (\(error.message))"
            throw VaultError.malformedInput(path: database.path, detail: SchemaReplayRefusal(entry: entry, reason: reason).description)
        }
        throw Self.copyError(error.message, what: "\(entry.type) \(entry.name)", path: database.path)
    }

    /// An SQL statement of the source that SQLite refuses to run.
    static func copyError(_ message: String, what: String, path: String) -> VaultError {
        .invalidArgument(detail: "cannot copy \(what) of \(path): \(message)\(message.contains("no such module") ? " (this SQLCipher lacks that module)" : ""); nothing was written")
    }
}
