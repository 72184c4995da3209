import CSQLCipher
import Glibc
import SQLiteReaderProtocol

/// The file being read: opened read-only and immutable (SQLite takes no
/// locks and writes nothing beside it), with no key, no extensions, no
/// attached databases, a small page cache, temporary data in memory only
/// (so nothing from the file lands in a temp file) and stricter b-tree
/// checks (`cell_size_check`).
///
/// SQLite: https://www.sqlite.org/uri.html#uriimmutable,
/// https://www.sqlite.org/c3ref/limit.html
final class SourceDatabase {
    let handle: OpaquePointer

    /// Opens `path` and reads its schema (a crafted schema that crashes
    /// SQLite does it here, in this process).
    init(path: String, limits: ReaderLimits) throws(ReaderError) {
        var opened: OpaquePointer?
        let status = sqlite3_open_v2(Self.uri(for: path), &opened, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX, nil)
        guard status == SQLITE_OK, let opened else {
            let error = ReaderError(opened, status)
            sqlite3_close(opened)
            throw error
        }
        handle = opened
        SQLiteSettings.restrict(handle, limits: limits)
        for pragma in ["PRAGMA query_only = 1", "PRAGMA cell_size_check = ON", "PRAGMA temp_store = MEMORY", "PRAGMA cache_size = -4096", "PRAGMA mmap_size = 0"] {
            sqlite3_exec(handle, pragma, nil, nil, nil)
        }
        do {
            _ = try run("SELECT count(*) FROM sqlite_master", [], maximumRowBytes: 64) { _ in }
        } catch {
            sqlite3_close(handle)
            throw error
        }
        sqlite3_set_authorizer(handle, ReaderPolicy.source, nil)
    }

    deinit { sqlite3_close(handle) }

    /// Runs one statement, handing each row (encoded as a frame) to `row`
    /// after the column names went to `columns`.
    func run(
        _ sql: String, _ parameters: [ReaderValue], maximumRowBytes: Int,
        columns: ([String]) -> Void = { _ in }, row: ([UInt8]) -> Void
    ) throws(ReaderError) -> UInt64 {
        let statement = try SQLiteSettings.prepareOne(handle, sql)
        defer { sqlite3_finalize(statement) }
        for (offset, value) in parameters.enumerated() {
            let index = Int32(offset + 1)
            let status: Int32
            switch value {
            case .null: status = sqlite3_bind_null(statement, index)
            case .integer(let number): status = sqlite3_bind_int64(statement, index, number)
            case .real(let number): status = sqlite3_bind_double(statement, index, number)
            case .text(let bytes):
                // A zero-length text must still bind as text, not NULL.
                status = (bytes.isEmpty ? [0] : bytes).withUnsafeBytes {
                    sqlite3_bind_text(statement, index, $0.baseAddress!.assumingMemoryBound(to: CChar.self), Int32(bytes.count), simvault_sqlite_transient())
                }
            case .blob(let bytes):
                status = bytes.withUnsafeBytes { sqlite3_bind_blob(statement, index, $0.baseAddress ?? UnsafeRawPointer(bitPattern: 1), Int32($0.count), simvault_sqlite_transient()) }
            }
            guard status == SQLITE_OK else { throw ReaderError(handle, status) }
        }
        let count = sqlite3_column_count(statement)
        columns((0..<count).map { String(cString: sqlite3_column_name(statement, $0)) })
        var rows: UInt64 = 0
        while true {
            let status = sqlite3_step(statement)
            if status == SQLITE_DONE { return rows }
            guard status == SQLITE_ROW else { throw ReaderError(handle, status) }
            var frame = FrameEncoder(.row)
            frame.u16(UInt16(truncatingIfNeeded: count))
            for column in 0..<count {
                switch sqlite3_column_type(statement, column) {
                case SQLITE_INTEGER: frame.value(.integer(sqlite3_column_int64(statement, column)))
                case SQLITE_FLOAT: frame.value(.real(sqlite3_column_double(statement, column)))
                case SQLITE_TEXT:
                    let text = sqlite3_column_text(statement, column)
                    frame.value(tag: ReaderValue.textTag, raw: UnsafeRawBufferPointer(start: text, count: text == nil ? 0 : Int(sqlite3_column_bytes(statement, column))))
                case SQLITE_BLOB:
                    let blob = sqlite3_column_blob(statement, column)
                    frame.value(tag: ReaderValue.blobTag, raw: UnsafeRawBufferPointer(start: blob, count: blob == nil ? 0 : Int(sqlite3_column_bytes(statement, column))))
                default: frame.value(.null)
                }
                guard frame.payloadCount <= maximumRowBytes else {
                    throw ReaderError(code: ReaderErrorCode.rowTooLarge.rawValue, "a row of more than \(maximumRowBytes) bytes")
                }
            }
            row(frame.finish())
            rows += 1
        }
    }

    /// `file:<path>?mode=ro&immutable=1`, the path percent-encoded.
    static func uri(for path: String) -> String {
        let unreserved = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~/".utf8)
        var uri = "file:"
        for byte in path.utf8 {
            if unreserved.contains(byte) {
                uri.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                let hex = Array("0123456789ABCDEF".utf8)
                uri += "%" + String(decoding: [hex[Int(byte >> 4)], hex[Int(byte & 0xF)]], as: UTF8.self)
            }
        }
        return uri + "?mode=ro&immutable=1"
    }
}

/// An error to report in an `E` frame.
struct ReaderError: Error {
    let code: Int32
    let message: String

    init(code: Int32, _ message: String) {
        self.code = code
        self.message = message
    }

    /// The error of the last call on `handle`.
    init(_ handle: OpaquePointer?, _ status: Int32) {
        let extended = handle.map { sqlite3_extended_errcode($0) } ?? status
        let message = handle.flatMap { sqlite3_errmsg($0) }.map { String(cString: $0) } ?? String(cString: sqlite3_errstr(status))
        self.init(code: extended != 0 ? extended : status, message)
    }
}

/// Settings shared by the reader's connections.
enum SQLiteSettings {
    /// SQLite's own limits: no attached database, no extension loading,
    /// bounded values, statements and expressions.
    static func restrict(_ handle: OpaquePointer, limits: ReaderLimits) {
        sqlite3_enable_load_extension(handle, 0)
        sqlite3_limit(handle, SQLITE_LIMIT_ATTACHED, 0)
        sqlite3_limit(handle, SQLITE_LIMIT_LENGTH, Int32(clamping: limits.maximumRowBytes))
        sqlite3_limit(handle, SQLITE_LIMIT_SQL_LENGTH, 1 << 20)
        sqlite3_limit(handle, SQLITE_LIMIT_EXPR_DEPTH, 200)
        sqlite3_limit(handle, SQLITE_LIMIT_COMPOUND_SELECT, 100)
        sqlite3_limit(handle, SQLITE_LIMIT_TRIGGER_DEPTH, 10)
    }

    /// Prepares exactly one statement: anything but whitespace and
    /// semicolons after the first statement is refused (SQLite never
    /// stores more than one statement in a schema entry).
    static func prepareOne(_ handle: OpaquePointer, _ sql: String) throws(ReaderError) -> OpaquePointer {
        var statement: OpaquePointer?
        var status: Int32 = SQLITE_OK
        var rest = ""
        // The tail points into the C string, which lives only inside
        // withCString: read it there (AddressSanitizer caught a read after).
        sql.withCString { text in
            var tail: UnsafePointer<CChar>?
            status = sqlite3_prepare_v2(handle, text, -1, &statement, &tail)
            // > If pzTail is not NULL then *pzTail is made to point to the
            // > first byte past the end of the first SQL statement in zSql.
            if status == SQLITE_OK, let tail { rest = String(cString: tail) }
        }
        guard status == SQLITE_OK else {
            sqlite3_finalize(statement)
            throw ReaderError(handle, status)
        }
        guard let statement else { throw ReaderError(code: ReaderErrorCode.refused.rawValue, "no statement in the text") }
        if !rest.utf8.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 || $0 == 0x3B }) {
            sqlite3_finalize(statement)
            throw ReaderError(code: ReaderErrorCode.refused.rawValue, "more than one statement in one text")
        }
        return statement
    }
}
