import Foundation
import VaultKeys

/// Another desktop app whose own SQLite database simvault can import.
protocol AppDatabaseImport {
    /// `aionui`, `libreollama`.
    static var format: String { get }
    /// The app's name, for messages.
    static var appName: String { get }
    /// "an AionUi", "a LibreOllama".
    static var appNameWithArticle: String { get }
    /// Tables and the columns each must have.
    static var requiredColumns: [String: [String]] { get }
    /// Every table of every build of the app that simvault knows, and what
    /// the import does with it; the report names any other table.
    static var knownTables: [KnownTable] { get }
    /// Rows the import will read (for progress).
    static func rowCount(_ source: ForeignDatabase) throws -> Int64
    /// Maps the source's rows to records and hands them to the context's
    /// importer, one function per step.
    static func run(_ context: inout AppImportContext) throws
}

/// What an app import's steps share: the source, the importer writing into
/// the vault's transaction, and what the report will say.
struct AppImportContext {
    let source: ForeignDatabase
    /// The source's tables and their columns.
    let tables: [String: [String]]
    var importer: RecordImporter
    var notes: [String] = []
    /// Known tables whose fate the import had to change (rows left out).
    var adjustedTables: [String: (SourceTable.Fate, String)] = [:]
    /// Files besides the database that held imported data in plaintext.
    var plaintextFiles: [String] = []
    /// LibreOllama's `llm_settings.json`, when given.
    let settingsPath: String?
    let tick: () -> Void

    func has(_ table: String, _ column: String? = nil) -> Bool {
        guard let columns = tables[table] else { return false }
        return column.map(columns.contains) ?? true
    }
}

extension AppDatabaseImport {
    /// Refuses a database that lacks this app's tables, naming what is
    /// missing and which app it looks like instead.
    static func check(_ source: ForeignDatabase) throws {
        let tables = try source.tables()
        for (table, columns) in requiredColumns.sorted(by: { $0.key < $1.key }) {
            let missing = tables[table].map { present in columns.filter { !present.contains($0) } }
            guard let missing, missing.isEmpty else {
                var detail = "\(source.path) is not \(appNameWithArticle) database: "
                detail += missing == nil ? "it has no table \(table)" : "its table \(table) lacks \(missing!.joined(separator: ", "))"
                for other in allAppImports where other.format != format && other.matches(tables) {
                    detail += " (it looks like \(other.appNameWithArticle) database: use `simvault import \(other.format)`)"
                }
                throw VaultError.invalidArgument(detail: detail + "; nothing was imported")
            }
        }
    }

    static func matches(_ tables: [String: [String]]) -> Bool {
        requiredColumns.allSatisfy { table, columns in tables[table].map { Set($0).isSuperset(of: columns) } ?? false }
    }
}

/// Every app whose database simvault can import (computed: a global array
/// of metatypes is not `Sendable`).
var allAppImports: [any AppDatabaseImport.Type] { [AionUiImport.self, LibreOllamaImport.self] }

extension Vault {
    /// Imports an AionUi database (`aionui.db`): users, conversations (API
    /// keys in their model JSON moved into secrets), messages, token usage,
    /// remote agents and channel plugins (their credentials moved into
    /// secrets), the HTTP API configuration. See ``AionUiImport``.
    ///
    /// - Throws: ``VaultError/invalidArgument(detail:)`` for a file that is
    ///   not an AionUi database, or has unflushed changes; nothing is
    ///   written.
    public func importAionUi(path: String, progress: ProgressHandler? = nil) throws -> ImportReport {
        try importAppDatabase(AionUiImport.self, path: path, settingsPath: nil, progress: progress)
    }

    /// Imports a LibreOllama database: agents, chat sessions and messages,
    /// agent executions (as runs), settings, preferences, chat templates,
    /// MCP servers, n8n connections and Gmail accounts (their credentials
    /// moved into secrets), and the provider keys of its `llm_settings.json`
    /// (`settingsPath`, or the file of that name beside the database). See
    /// ``LibreOllamaImport``.
    public func importLibreOllama(path: String, settingsPath: String? = nil, progress: ProgressHandler? = nil) throws -> ImportReport {
        try importAppDatabase(LibreOllamaImport.self, path: path, settingsPath: settingsPath, progress: progress)
    }

    /// The shared steps: open the source in the reader process (read-only
    /// and immutable), check it is the app's, map every row inside one
    /// write transaction, then account for every table of the source and
    /// name the plaintext copies left behind.
    private func importAppDatabase<App: AppDatabaseImport>(_ app: App.Type, path: String, settingsPath: String?, progress: ProgressHandler?) throws -> ImportReport {
        let source = try ForeignDatabase(path: path, configuration: configuration.foreignReader)
        defer { source.close() }
        try App.check(source)
        let total = try App.rowCount(source)
        let tables = try source.tables()
        return try writeCheckingSchema { db in
            var done: Int64 = 0
            var context = AppImportContext(source: source, tables: tables, importer: RecordImporter(db: db, vault: self), settingsPath: settingsPath) {
                done += 1
                if done % 64 == 0 || done == total { progress?(TransferProgress(phase: "rows", completed: done, total: total, unit: .rows)) }
            }
            try App.run(&context)
            let importer = context.importer
            if importer.imported.secrets > 0 {
                context.notes.append("\(importer.imported.secrets) credential(s) found in plaintext, base64 or under a published key were moved into sealed secrets (`simvault secret list`); the stored JSON refers to them as secret:<scope>/<name>")
            }
            try PendingMessages.indexIfDue(in: db)
            var report = ImportReport(source: path, format: App.format, imported: importer.imported, alreadyPresent: importer.alreadyPresent, notes: context.notes)
            report.tables = try source.account(App.knownTables, adjust: context.adjustedTables)
            report.plaintextCopies = ([path, path + "-wal", path + "-shm", path + "-journal"] + context.plaintextFiles)
                .filter { FileManager.default.fileExists(atPath: $0) }
            try AccessLog.record(report.auditEvent, actor: configuration.actor, in: db)
            return report
        }
    }
}

/// Helpers for mapping rows.
extension Row {
    /// Text of a column (integers and reals as text); nil for NULL or absent.
    func text(_ column: String) -> String? {
        switch self[column] {
        case .null: return nil
        case .blob(let data): return String(data: data, encoding: .utf8)
        case let value: return String(databaseValue: value)
        }
    }

    /// A timestamp column in unix milliseconds.
    func time(_ column: String) -> Int64? { SourceTime.milliseconds(self[column]) }

    /// An integer column.
    func integer(_ column: String) -> Int64? { Int64(databaseValue: self[column]) }

    /// The row as a JSON object, every column kept (see
    /// ``DatabaseValue/jsonValue``): how a row with no vault table is kept.
    var jsonObject: JSONObject {
        var object = JSONObject()
        for (column, value) in zip(columnNames, values) { object[column] = value.jsonValue }
        return object
    }
}

extension DatabaseValue {
    /// Integers and reals as numbers, text as a string, a blob as base64
    /// text, NULL as null.
    var jsonValue: JSONValue {
        switch self {
        case .null: return .null
        case .integer(let number): return .number(number)
        case .real(let number): return number.isFinite ? .number("\(number)") : .string("\(number)")
        case .text(let text): return .string(text)
        case .blob(let data): return .string(data.base64EncodedString())
        }
    }
}

extension RecordImporter {
    /// `text` with credentials moved into secrets of `scope` (see
    /// ``SecretExtraction``), re-serialized compactly; text that holds none
    /// is returned as it is, byte for byte, and so is text that is not JSON
    /// unless it looks like a key itself.
    mutating func strippingSecrets(_ text: String?, scope: String, nameIfWhole: String = "API_KEY") throws -> String? {
        guard let text, !text.isEmpty else { return text }
        guard let value = try? JSONReader(data: Data(text.utf8)).readDocument() else {
            guard SecretExtraction.looksLikeKey(text) else { return text }
            return "secret:\(scope)/\(try secret(scope: scope, name: nameIfWhole, value: SecretBytes(text: text)))"
        }
        var importer = self
        var found = 0
        let stripped = try SecretExtraction.extract(value) { name, secretText in
            found += 1
            return "secret:\(scope)/\(try importer.secret(scope: scope, name: name, value: SecretBytes(text: secretText)))"
        }
        self = importer
        return found == 0 ? text : JSONWriter.serialize(stripped, style: .compact)
    }
}

extension SecretBytes {
    /// The UTF-8 bytes of `text` (already in memory as a string: it came
    /// from a plaintext file).
    convenience init(text: String) {
        var bytes = Array(text.utf8)
        self.init(consuming: &bytes)
    }
}
