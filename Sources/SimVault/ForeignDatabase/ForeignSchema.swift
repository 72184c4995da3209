/// The schema of a ``ForeignDatabase``, as its reader reports it.
struct ForeignSchema {
    /// One row of `sqlite_master`, in its original order.
    struct Entry: Equatable {
        /// `table`, `index`, `view` or `trigger`.
        let type: String
        let name: String
        /// The table an index or trigger belongs to (the table itself for a table).
        let tableName: String
        /// The CREATE statement as stored; nil for automatic indexes.
        let sql: String?

        /// Whether the statement creates a virtual table.
        var isVirtual: Bool { type == "table" && (sql?.uppercased().hasPrefix("CREATE VIRTUAL TABLE") ?? false) }
    }

    /// One column, from `PRAGMA table_info`.
    struct Column: Equatable {
        let name: String
        let declaredType: String
        let isNotNull: Bool
        /// The default as SQL text.
        let defaultValue: String?
        /// Position in the primary key (1-based), 0 when not part of it.
        let primaryKeyIndex: Int
    }

    /// A table (regular or virtual).
    struct Table: Equatable {
        let name: String
        let columns: [Column]
        /// A name that reads the rowid (`rowid`, `_rowid_` or `oid`, the
        /// first that is not a column's name); nil for a WITHOUT ROWID table,
        /// a virtual table, or one whose three names are all columns.
        let rowidAlias: String?
        let isVirtual: Bool

        var hasRowID: Bool { rowidAlias != nil }
    }

    /// Every entry, including SQLite's own (`sqlite_sequence`,
    /// `sqlite_stat1`, automatic indexes).
    let entries: [Entry]
    /// Every table, in schema order.
    let tables: [Table]

    func table(named name: String) -> Table? {
        tables.first { $0.name == name } ?? tables.first { $0.name.lowercased() == name.lowercased() }
    }

    init(reading database: ForeignDatabase) throws {
        entries = try database.fetchAll("SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY rowid").map { row in
            Entry(
                type: row.text("type") ?? "", name: row.text("name") ?? "", tableName: row.text("tbl_name") ?? "",
                sql: row["sql"].isNull ? nil : row.text("sql"))
        }
        var tables: [Table] = []
        for entry in entries where entry.type == "table" {
            var columns: [Column] = []
            // A virtual table whose module SQLite lacks (FTS5) has no
            // columns to tell; its statement says the rest.
            try database.attempt("PRAGMA table_info(\(SQLIdentifier.quoted(entry.name)))") { foreign in
                let row = foreign.row
                columns.append(Column(
                    name: row.text("name") ?? "", declaredType: row.text("type") ?? "", isNotNull: row.integer("notnull") == 1,
                    defaultValue: row.text("dflt_value"), primaryKeyIndex: Int(row.integer("pk") ?? 0)))
            }
            var alias: String?
            if !entry.isVirtual {
                let names = Set(columns.map { $0.name.lowercased() })
                for candidate in ["rowid", "_rowid_", "oid"] where !names.contains(candidate) {
                    if case .success = try database.attempt("SELECT \(candidate) FROM \(SQLIdentifier.quoted(entry.name)) LIMIT 0") {
                        alias = candidate
                    }
                    break
                }
            }
            tables.append(Table(name: entry.name, columns: columns, rowidAlias: alias, isVirtual: entry.isVirtual))
        }
        self.tables = tables
    }
}
