import CLibPQ
import Foundation

/// One connection to a PostgreSQL server through libpq, used to read a Sim
/// deployment's database once (`simvault import sim-postgres`). The only
/// file that calls libpq.
///
/// Parameters come from libpq's own conventions: a `postgres://` URL
/// (`--url-file`), else the `PG*` environment variables
/// and the password file (`~/.pgpass` or `PGPASSFILE`). simvault adds only
/// defaults a URL can override: a 10 s connection timeout (unless
/// `PGCONNECT_TIMEOUT` is set), UTF-8, and its application name. Queries
/// are sent with parameters (never spliced into SQL text) and results are
/// read as text.
///
/// Not Sendable: libpq's `PGconn` is used from one thread at a time
/// (https://www.postgresql.org/docs/current/libpq-threading.html); the
/// importer keeps it on the thread doing the import.
final class PostgresConnection {
    /// Why a connection or query failed, as far as libpq tells.
    enum Failure: Error {
        case unreachable(String)
        case authentication(String)
        case noDatabase(String)
        case other(String)
        /// A query failed: SQLSTATE and the server's message.
        case query(sqlState: String, message: String)

        /// The same failure with its message passed through `redact`.
        func redacted(_ redact: (String) -> String) -> Failure {
            switch self {
            case .unreachable(let message): return .unreachable(redact(message))
            case .authentication(let message): return .authentication(redact(message))
            case .noDatabase(let message): return .noDatabase(redact(message))
            case .other(let message): return .other(redact(message))
            case .query(let state, let message): return .query(sqlState: state, message: redact(message))
            }
        }
    }

    private let handle: OpaquePointer

    /// Connects; `conninfo` is a URL or `key=value` string, or nil for
    /// libpq's environment and defaults alone.
    init(conninfo: String?, environment: [String: String]) throws {
        var keywords = ["application_name", "client_encoding"]
        var values = ["simvault", "UTF8"]
        if environment["PGCONNECT_TIMEOUT"] == nil {
            keywords.append("connect_timeout")
            values.append("10")
        }
        if let conninfo {
            // Last, so that what the URL says wins over the defaults above:
            // > key words are processed from the beginning of these arrays in
            // > index order ... the last processed value is retained.
            // (PQconnectdbParams, libpq-connect.html)
            keywords.append("dbname")
            values.append(conninfo)
        }
        let connection = Self.withCStrings(keywords) { keywordPointers in
            Self.withCStrings(values) { valuePointers in PQconnectdbParams(keywordPointers, valuePointers, 1) }
        }
        guard let connection else { throw Failure.other("libpq could not allocate a connection") }
        guard PQstatus(connection) == CONNECTION_OK else {
            let message = Self.text(PQerrorMessage(connection))
            // > Note that when PQconnectStart or PQconnectdb returns a non-null
            // > pointer, you must call PQfinish when you are finished with it,
            // > in order to dispose of the structure (libpq-connect.html).
            PQfinish(connection)
            throw Self.classify(message)
        }
        simvault_pq_silence_notices(connection)
        handle = connection
    }

    deinit { PQfinish(handle) }

    /// `user@host:port/database`, for reports (never the password).
    var target: String {
        "\(Self.text(PQuser(handle)))@\(Self.text(PQhost(handle))):\(Self.text(PQport(handle)))/\(Self.text(PQdb(handle)))"
    }

    /// The server's version as a number (150004 for 15.4).
    var serverVersion: Int { Int(PQserverVersion(handle)) }

    /// Runs `sql` with text parameters `$1`, `$2`... and returns every row.
    func query(_ sql: String, _ parameters: [String?] = []) throws -> PostgresRows {
        let result: OpaquePointer? = Self.withOptionalCStrings(parameters) { pointers in
            PQexecParams(handle, sql, Int32(parameters.count), nil, pointers, nil, nil, 0)
        }
        guard let result else { throw Failure.other(Self.text(PQerrorMessage(handle))) }
        defer { PQclear(result) }
        let status = PQresultStatus(result)
        guard status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK else {
            let state = Self.text(PQresultErrorField(result, simvault_pq_diag_sqlstate()))
            let message = Self.text(PQresultErrorMessage(result))
            if PQstatus(handle) != CONNECTION_OK { throw Failure.unreachable(message) }
            throw Failure.query(sqlState: state, message: message)
        }
        let columnCount = Int(PQnfields(result)), rowCount = Int(PQntuples(result))
        let columns = (0..<columnCount).map { Self.text(PQfname(result, Int32($0))) }
        var rows: [[String?]] = []
        rows.reserveCapacity(rowCount)
        for row in 0..<rowCount {
            rows.append((0..<columnCount).map { column -> String? in
                let (r, c) = (Int32(row), Int32(column))
                if PQgetisnull(result, r, c) == 1 { return nil }
                guard let value = PQgetvalue(result, r, c) else { return nil }
                let length = Int(PQgetlength(result, r, c))
                return value.withMemoryRebound(to: UInt8.self, capacity: length) {
                    String(decoding: UnsafeBufferPointer(start: $0, count: length), as: UTF8.self)
                }
            })
        }
        return PostgresRows(columns: columns, rows: rows)
    }

    // MARK: - Helpers

    private static func text(_ pointer: UnsafePointer<CChar>?) -> String {
        pointer.map { String(cString: $0) }?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
    }

    /// Tells libpq's connection errors apart by their (stable, English)
    /// messages: libpq gives no SQLSTATE for a failed connection.
    static func classify(_ message: String) -> Failure {
        let lower = message.lowercased()
        if ["password authentication failed", "authentication failed", "no password supplied", "password is required",
            "pg_hba.conf rejects", "no pg_hba.conf entry"].contains(where: lower.contains) {
            return .authentication(message)
        }
        if lower.contains("database \""), lower.contains("does not exist") { return .noDatabase(message) }
        if ["connection refused", "could not connect", "timeout expired", "could not translate host name", "no route to host",
            "network is unreachable", "no such file or directory", "connection to server", "server closed the connection"].contains(where: lower.contains) {
            return .unreachable(message)
        }
        return .other(message)
    }

    private static func withCStrings<T>(_ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> T) -> T {
        withOptionalCStrings(strings.map(Optional.some)) { pointers in body(pointers!) }
    }

    /// A NULL-terminated array of C strings for `strings` (nil entries as
    /// NULL), valid during `body`.
    private static func withOptionalCStrings<T>(_ strings: [String?], _ body: (UnsafePointer<UnsafePointer<CChar>?>?) -> T) -> T {
        let copies: [UnsafeMutablePointer<CChar>?] = strings.map { $0.map { strdup($0) } }
        defer { for copy in copies { free(copy) } }
        let pointers = copies.map { UnsafePointer($0) } + [nil]
        return pointers.withUnsafeBufferPointer { body($0.baseAddress) }
    }
}

/// The rows of one query, as text (NULL as nil).
struct PostgresRows {
    let columns: [String]
    let rows: [[String?]]

    /// The position of `column`, or nil.
    func index(of column: String) -> Int? { columns.firstIndex(of: column) }
}
