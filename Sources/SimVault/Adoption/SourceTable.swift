/// One table of another app's database and what an import did with it, so
/// that nothing is skipped without a word.
public struct SourceTable: Sendable, Codable, Equatable {
    public enum Fate: String, Sendable, Codable {
        /// Every row came over.
        case imported
        /// Rows came over, but something of them did not (`detail` says what
        /// and why).
        case partlyImported = "partly_imported"
        /// Nothing of it came over (`detail` says why).
        case notImported = "not_imported"
        /// A table this version of simvault does not know: not imported.
        case unknown
    }

    public let name: String
    /// Its rows; nil for a virtual table whose module the reader lacks.
    public let rows: Int64?
    public let fate: Fate
    /// Whether the app keeps credentials in it (which then went into sealed
    /// secrets when the table was imported).
    public let holdsCredentials: Bool
    /// Where its rows went, or what was left out and why.
    public let detail: String
}

/// How an app's import treats one of the app's tables.
struct KnownTable {
    let name: String
    let fate: SourceTable.Fate
    let holdsCredentials: Bool
    let detail: String

    static func imported(_ name: String, credentials: Bool = false, _ detail: String) -> KnownTable {
        KnownTable(name: name, fate: .imported, holdsCredentials: credentials, detail: detail)
    }

    static func partly(_ name: String, credentials: Bool = false, _ detail: String) -> KnownTable {
        KnownTable(name: name, fate: .partlyImported, holdsCredentials: credentials, detail: detail)
    }

    static func skipped(_ name: String, _ detail: String) -> KnownTable {
        KnownTable(name: name, fate: .notImported, holdsCredentials: false, detail: detail)
    }
}

extension ForeignDatabase {
    /// Every table of the file (internal `sqlite_` tables aside) with its
    /// rows and fate: from `known`, or unknown. `adjust` may change a known
    /// table's fate once the import has run (rows it had to leave out).
    func account(_ known: [KnownTable], adjust: [String: (SourceTable.Fate, String)] = [:]) throws -> [SourceTable] {
        let byName = Dictionary(known.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        let tables = try schema().tables
        let virtual = tables.filter(\.isVirtual).map(\.name)
        return try tables.filter { !$0.name.hasPrefix("sqlite_") }.sorted { $0.name < $1.name }.map { table in
            // FTS3/4/5 keep a full-text index's rows in shadow tables named
            // `<index>_<part>`: they belong to the index.
            if byName[table.name] == nil, let index = virtual.first(where: { table.name.hasPrefix($0 + "_") }) {
                let fate = byName[index]?.fate == .notImported ? SourceTable.Fate.notImported : .unknown
                return SourceTable(name: table.name, rows: try count(table.name), fate: fate, holdsCredentials: false, detail: "part of the full-text index \(index); not imported")
            }
            // A virtual table whose module the reader lacks (FTS5) cannot be
            // counted; its rows live in its shadow tables, counted themselves.
            let rows: Int64? = table.isVirtual ? nil : try count(table.name)
            guard let entry = byName[table.name] else {
                let shadow = table.isVirtual ? "a virtual table (full-text index)" : "a table simvault does not know"
                return SourceTable(name: table.name, rows: rows, fate: .unknown, holdsCredentials: false, detail: "\(shadow); not imported")
            }
            if let (fate, detail) = adjust[table.name] {
                return SourceTable(name: table.name, rows: rows, fate: fate, holdsCredentials: entry.holdsCredentials, detail: detail)
            }
            return SourceTable(name: table.name, rows: rows, fate: entry.fate, holdsCredentials: entry.holdsCredentials, detail: entry.detail)
        }
    }
}
