import Foundation
import SQLiteReaderProtocol

/// Another app's plaintext SQLite database, read through
/// `simvault-sqlite-reader` (see ``ForeignReaderConfiguration``): the file
/// is opened in that process, read-only and immutable (SQLite takes no
/// locks and creates no `-wal` or `-shm` beside it), and its schema and
/// rows come back as frames. Nothing of the file is parsed by SQLite in
/// this process.
///
/// `immutable` means SQLite trusts the file not to change and ignores any
/// write-ahead log, so a file whose app is running (or crashed) with
/// changes still in its `-wal` or `-journal` is refused: those changes
/// would be missed. Closing the app folds them into the database.
///
/// ```swift
/// let source = try ForeignDatabase(path: "aionui.db", configuration: vault.configuration.foreignReader)
/// let schema = try source.schema()                      // tables, columns, rowids, CREATE statements
/// try source.forEachRow("SELECT * FROM messages WHERE conversation_id = ?", ["c1"]) { row in
///     print(row.row["content"])                          // or row.values: exact bytes and types
/// }
/// try source.rows(of: schema.table(named: "users")!) { row in /* rowid first, then every column */ }
/// let version: Int? = try source.scalar("PRAGMA user_version")
/// ```
///
/// Errors name the file: a crash, hang, limit or garbage of the reader, and
/// an SQLite error while reading, are ``VaultError/malformedInput(path:detail:)``
/// (exit 12).
///
/// SQLite: https://www.sqlite.org/uri.html#uriimmutable
final class ForeignDatabase {
    let path: String
    /// The SQLite version of the reader (from its hello).
    let sqliteVersion: String
    private let configuration: ForeignReaderConfiguration
    private let reader: SQLiteReaderProcess
    private var cachedSchema: ForeignSchema?

    /// Starts the reader on `path` and waits for its hello (the file is
    /// open and its schema was read).
    ///
    /// - Throws: ``VaultError/notFound(path:detail:)``;
    ///   ``VaultError/invalidArgument(detail:)`` for a file that is not a
    ///   plaintext SQLite database or has pending changes in a log;
    ///   ``VaultError/malformedInput(path:detail:)`` for a file that crashes,
    ///   hangs or exhausts the reader or is damaged; ``VaultError/io(detail:)``
    ///   when the reader is not installed.
    init(path: String, configuration: ForeignReaderConfiguration) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else {
            throw VaultError.notFound(path: path, detail: "no database file there")
        }
        for (suffix, what) in [("-wal", "write-ahead log"), ("-journal", "rollback journal")] where (VaultLocation.size(of: path + suffix) ?? 0) > 0 {
            throw VaultError.invalidArgument(detail: "\(path) has changes not yet written into it (its \(what) \(path + suffix) is not empty): the app using it is running, or crashed. Close the app (or open the file once with `sqlite3`) and retry; nothing was read")
        }
        self.path = path
        self.configuration = configuration
        reader = try SQLiteReaderProcess(executable: try SQLiteReaderLocation.find(configuration), sourcePath: path, configuration: configuration)
        do {
            let (kind, payload) = try reader.receive()
            var decoder = FrameDecoder(payload)
            switch kind {
            case .hello:
                let version = try decoder.u16()
                sqliteVersion = try decoder.string()
                guard version == ReaderProtocol.version else { throw reader.reject("protocol version \(version), expected \(ReaderProtocol.version)") }
            case .error:
                throw Self.openingError(path, try ForeignQueryError(decoding: &decoder))
            default:
                throw reader.reject("a \(kind) frame before its hello")
            }
        } catch let failure as ReaderFailure {
            throw VaultError.malformedInput(path: path, detail: failure.description)
        } catch let error as FrameDecodingError {
            throw VaultError.malformedInput(path: path, detail: reader.reject(error.description).description)
        }
    }

    deinit { reader.close() }

    /// Stops the reader. Idempotent; later calls fail.
    func close() { reader.close() }

    // MARK: - Queries

    /// Runs one statement (a SELECT or a reading PRAGMA; the reader refuses
    /// everything else) and hands every row to `body` as it arrives.
    ///
    /// - Throws: ``VaultError/malformedInput(path:detail:)`` when SQLite
    ///   fails on the file or the reader fails; whatever `body` throws (the
    ///   rest of the rows are then read and dropped).
    func forEachRow(_ sql: String, _ arguments: [any DatabaseValueConvertible] = [], _ body: (ForeignRow) throws -> Void) throws {
        var bodyError: (any Error)?
        let outcome = try attempt(sql, arguments) { row in
            guard bodyError == nil else { return }
            do { try body(row) } catch { bodyError = error }
        }
        if let bodyError { throw bodyError }
        if case .failure(let error) = outcome { throw error.vaultError(path, configuration) }
    }

    /// All rows of a query, as ``Row``s (text decoded as UTF-8).
    func fetchAll(_ sql: String, _ arguments: [any DatabaseValueConvertible] = []) throws -> [Row] {
        var rows: [Row] = []
        try forEachRow(sql, arguments) { rows.append($0.row) }
        return rows
    }

    /// The first column of the first row converted to `T`, or nil.
    func scalar<T: DatabaseValueConvertible>(_ sql: String, _ arguments: [any DatabaseValueConvertible] = [], as type: T.Type = T.self) throws -> T? {
        var value: DatabaseValue?
        try forEachRow(sql, arguments) { row in
            if value == nil { value = row.row.values.first ?? .null }
        }
        return value.flatMap { T(databaseValue: $0) }
    }

    /// Runs a statement whose failure is an answer (a probe): an SQLite
    /// error comes back as `.failure`; only a failing reader throws.
    @discardableResult
    func attempt(_ sql: String, _ arguments: [any DatabaseValueConvertible] = [], _ body: (ForeignRow) -> Void = { _ in }) throws -> Result<UInt64, ForeignQueryError> {
        var request = FrameEncoder(.query, reservingCapacity: sql.utf8.count + 16)
        request.string(sql)
        request.u16(UInt16(truncatingIfNeeded: arguments.count))
        for argument in arguments { request.value(ReaderValue(argument.databaseValue)) }
        return try exchange(request.finish()) { kind, decoder, columns in
            switch kind {
            case .columns:
                columns = try decoder.strings()
            case .row:
                guard let names = columns else { throw reader.reject("a row before its column names") }
                let values = try decoder.values()
                guard values.count == names.count else { throw reader.reject("a row of \(values.count) values for \(names.count) columns") }
                body(ForeignRow(columns: names, values: values))
            default:
                throw reader.reject("a \(kind) frame inside a query's answer")
            }
        }
    }

    /// A statement to rehearse: its SQL, and whether it is skipped when a
    /// table called `name` exists already (a virtual table made it).
    struct RehearsedStatement {
        let sql: String
        let name: String
        let onlyIfAbsent: Bool
    }

    /// Runs `statements` (CREATE statements taken from the file) into an
    /// empty in-memory database inside the reader, in order: SQL that
    /// crashes SQLite's parser does so there, never here.
    ///
    /// - Returns: nil when all ran; else the index of the first that failed
    ///   and why.
    func rehearse(_ statements: [RehearsedStatement]) throws -> (index: Int, error: ForeignQueryError)? {
        var request = FrameEncoder(.rehearse, reservingCapacity: statements.reduce(0) { $0 + $1.sql.utf8.count + $1.name.utf8.count + 9 })
        request.u32(UInt32(statements.count))
        for statement in statements {
            request.u8(statement.onlyIfAbsent ? ReaderProtocol.rehearseOnlyIfAbsent : 0)
            request.string(statement.name)
            request.string(statement.sql)
        }
        let outcome = try exchange(request.finish()) { kind, _, _ in throw reader.reject("a \(kind) frame answering a rehearsal") }
        guard case .failure(let error) = outcome else { return nil }
        return (Int(error.statement ?? 0), error)
    }

    /// Sends one request and reads frames until its `D` or `E`, handing
    /// the others to `handle`.
    private func exchange(
        _ request: [UInt8], _ handle: (FrameKind, inout FrameDecoder, inout [String]?) throws -> Void
    ) throws -> Result<UInt64, ForeignQueryError> {
        do {
            try reader.send(request)
            var columns: [String]?
            while true {
                let (kind, payload) = try reader.receive()
                var decoder = FrameDecoder(payload)
                switch kind {
                case .done:
                    let rows = try decoder.u64()
                    try decoder.expectEnd()
                    return .success(rows)
                case .error:
                    let error = try ForeignQueryError(decoding: &decoder)
                    if error.code == ReaderErrorCode.protocolViolation.rawValue { throw reader.reject(error.message) }
                    return .failure(error)
                default:
                    try handle(kind, &decoder, &columns)
                    try decoder.expectEnd()
                }
            }
        } catch let failure as ReaderFailure {
            throw VaultError.malformedInput(path: path, detail: failure.description)
        } catch let error as FrameDecodingError {
            throw VaultError.malformedInput(path: path, detail: reader.reject(error.description).description)
        }
    }

    // MARK: - Schema

    /// The file's schema: every `sqlite_master` entry in order, and every
    /// table's columns and rowid (read once, then cached).
    func schema() throws -> ForeignSchema {
        if let cachedSchema { return cachedSchema }
        let schema = try ForeignSchema(reading: self)
        cachedSchema = schema
        return schema
    }

    /// Column names of each table (not views, not SQLite's own).
    func tables() throws -> [String: [String]] {
        var result: [String: [String]] = [:]
        for table in try schema().tables where !table.name.hasPrefix("sqlite_") { result[table.name] = table.columns.map(\.name) }
        return result
    }

    /// `count(*)` of a table.
    func count(_ table: String) throws -> Int64 {
        try scalar("SELECT count(*) FROM \(SQLIdentifier.quoted(table))") ?? 0
    }

    /// Every row of `table` in rowid order: its rowid first (column
    /// `table.rowidAlias`) when it has one, then every column in order.
    func rows(of table: ForeignSchema.Table, _ body: (ForeignRow) throws -> Void) throws {
        let columns = table.columns.map { SQLIdentifier.quoted($0.name) }.joined(separator: ", ")
        let name = SQLIdentifier.quoted(table.name)
        if let alias = table.rowidAlias {
            try forEachRow("SELECT \(alias)\(columns.isEmpty ? "" : ", " + columns) FROM \(name) ORDER BY \(alias)", [], body)
        } else {
            try forEachRow("SELECT \(columns) FROM \(name)", [], body)
        }
    }

    // MARK: - Errors

    private static func openingError(_ path: String, _ error: ForeignQueryError) -> VaultError {
        switch error.code & 0xFF {
        case 26: // SQLITE_NOTADB
            return .invalidArgument(detail: "\(path) is not a plaintext SQLite database (it is encrypted, or not a database at all)")
        case 14: // SQLITE_CANTOPEN
            return .io(detail: "cannot open \(path): \(error.message)")
        default:
            return .malformedInput(path: path, detail: "SQLite could not open it: \(error.message)")
        }
    }
}

// Used by one thread at a time: it owns a process and a socket.
@available(*, unavailable, message: "A ForeignDatabase belongs to the call that opened it")
extension ForeignDatabase: Sendable {}

/// One row from the reader: column names (shared by the rows of a query)
/// and values with SQLite's exact bytes.
struct ForeignRow {
    let columns: [String]
    let values: [ReaderValue]

    /// The row as a ``Row``: text decoded as UTF-8 (invalid sequences
    /// replaced), BLOBs as `Data`.
    var row: Row { Row(columnNames: columns, values: values.map(DatabaseValue.init)) }
}

/// What SQLite (or the reader) said when a statement failed.
struct ForeignQueryError: Error, Equatable {
    /// SQLite's extended result code, or a ``ReaderErrorCode``.
    let code: Int32
    /// The index of the rehearsed statement it concerns.
    let statement: UInt32?
    let message: String

    init(decoding decoder: inout FrameDecoder) throws {
        code = try decoder.i32()
        let index = try decoder.u32()
        statement = index == ReaderProtocol.noStatement ? nil : index
        message = try decoder.string()
        try decoder.expectEnd()
    }

    /// The error naming the file: memory and size limits said as such.
    func vaultError(_ path: String, _ configuration: ForeignReaderConfiguration) -> VaultError {
        switch code {
        case 7: // SQLITE_NOMEM
            return .malformedInput(path: path, detail: "reading it needs more than the reader's memory limit of \(ByteCount.format(Int64(configuration.memoryLimitBytes))) (SQLite: \(message))")
        case 18, ReaderErrorCode.rowTooLarge.rawValue: // SQLITE_TOOBIG
            return .malformedInput(path: path, detail: "it holds a row or value larger than \(ByteCount.format(Int64(configuration.maximumRowBytes))) (\(message))")
        default:
            return .malformedInput(path: path, detail: "SQLite failed reading it: \(message)")
        }
    }
}

extension ReaderValue {
    init(_ value: DatabaseValue) {
        switch value {
        case .null: self = .null
        case .integer(let number): self = .integer(number)
        case .real(let number): self = .real(number)
        case .text(let text): self = .text(Array(text.utf8))
        case .blob(let data): self = .blob(Array(data))
        }
    }
}

extension DatabaseValue {
    init(_ value: ReaderValue) {
        switch value {
        case .null: self = .null
        case .integer(let number): self = .integer(number)
        case .real(let number): self = .real(number)
        case .text(let bytes): self = .text(String(decoding: bytes, as: UTF8.self))
        case .blob(let bytes): self = .blob(Data(bytes))
        }
    }
}
