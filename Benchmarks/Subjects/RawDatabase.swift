import CSQLCipher
import Foundation

/// The SQLCipher C API, used directly: one `sqlite3*`, statements prepared
/// once and kept, values bound and read with the `sqlite3_bind_*` /
/// `sqlite3_column_*` calls. These few helpers only check result codes; they
/// are what a C program would write as macros.
final class RawDatabase {
    let handle: OpaquePointer
    private var statements: [OpaquePointer] = []

    struct Failure: Error, CustomStringConvertible {
        let code: Int32
        let message: String
        var description: String { "SQLite error \(code): \(message)" }
    }

    /// Opens `path`, applies `key` (SQLCipher key text such as `x'<hex>'`
    /// or a passphrase; nil: no encryption), simvault's cipher settings
    /// (compatibility 3, 4096-byte pages) and connection settings, and
    /// reads the schema so a wrong key fails here.
    init(path: String, key: [UInt8]?, cacheSizeKiB: Int, creates: Bool = false) throws {
        var opened: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (creates ? SQLITE_OPEN_CREATE : 0)
        let status = sqlite3_open_v2(path, &opened, flags, nil)
        guard status == SQLITE_OK, let opened else {
            sqlite3_close(opened)
            throw Failure(code: status, message: "cannot open \(path)")
        }
        handle = opened
        do {
            if let key {
                let keyed = key.withUnsafeBytes { sqlite3_key_v2(handle, "main", $0.baseAddress, Int32($0.count)) }
                guard keyed == SQLITE_OK else { throw Failure(code: keyed, message: "sqlite3_key_v2 failed") }
                // simvault's settings on either engine: SQLCipher 4 takes
                // compatibility 3 explicitly, SQLCipher 3.4 ignores the
                // pragma (its own settings are level 3).
                try exec("PRAGMA cipher_compatibility = 3; PRAGMA cipher_page_size = 4096")
            }
            try exec("SELECT count(*) FROM sqlite_master")
            try exec("""
                PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA secure_delete = ON;
                PRAGMA temp_store = MEMORY; PRAGMA cache_size = -\(cacheSizeKiB); PRAGMA busy_timeout = 5000;
                """)
        } catch {
            sqlite3_close(handle)
            throw error
        }
    }

    deinit {
        statements.forEach { sqlite3_finalize($0) }
        sqlite3_close(handle)
    }

    func exec(_ sql: String) throws {
        let status = sqlite3_exec(handle, sql, nil, nil, nil)
        guard status == SQLITE_OK else { throw failure(status) }
    }

    /// Prepares `sql` once; finalized when the database closes.
    func prepare(_ sql: String) throws -> OpaquePointer {
        var statement: OpaquePointer?
        let status = sqlite3_prepare_v2(handle, sql, -1, &statement, nil)
        guard status == SQLITE_OK, let statement else { throw failure(status) }
        statements.append(statement)
        return statement
    }

    /// `sqlite3_step`: true for a row, false when done.
    @inline(__always)
    func step(_ statement: OpaquePointer) throws -> Bool {
        let status = sqlite3_step(statement)
        if status == SQLITE_ROW { return true }
        if status == SQLITE_DONE { return false }
        sqlite3_reset(statement)
        throw failure(status)
    }

    /// Steps to the end and resets.
    @inline(__always)
    func run(_ statement: OpaquePointer) throws {
        defer { sqlite3_reset(statement) }
        while try step(statement) {}
    }

    /// The first column of the first row as an integer, then resets.
    @inline(__always)
    func integer(_ statement: OpaquePointer) throws -> Int64? {
        defer { sqlite3_reset(statement) }
        return try step(statement) ? sqlite3_column_int64(statement, 0) : nil
    }

    func failure(_ status: Int32) -> Failure {
        Failure(code: status, message: String(cString: sqlite3_errmsg(handle)))
    }
}

// MARK: - Binding and reading, as C macros would

@inline(__always)
func bind(_ statement: OpaquePointer, _ index: Int32, _ text: String) {
    var text = text
    text.withUTF8 { utf8 in
        // A zero-length buffer may have no address; any valid one will do.
        let base = UnsafeRawPointer(utf8.baseAddress ?? UnsafePointer(bitPattern: 1)!).assumingMemoryBound(to: CChar.self)
        _ = sqlite3_bind_text(statement, index, base, Int32(utf8.count), simvault_sqlite_transient())
    }
}

@inline(__always)
func bind(_ statement: OpaquePointer, _ index: Int32, _ value: Int64) {
    sqlite3_bind_int64(statement, index, value)
}

@inline(__always)
func bind(_ statement: OpaquePointer, _ index: Int32, _ data: Data) {
    _ = data.withUnsafeBytes {
        sqlite3_bind_blob(statement, index, $0.baseAddress ?? UnsafeRawPointer(bitPattern: 1), Int32($0.count), simvault_sqlite_transient())
    }
}

@inline(__always)
func columnText(_ statement: OpaquePointer, _ index: Int32) -> String? {
    guard let text = sqlite3_column_text(statement, index) else { return nil }
    return String(decoding: UnsafeBufferPointer(start: text, count: Int(sqlite3_column_bytes(statement, index))), as: UTF8.self)
}

@inline(__always)
func columnBlob(_ statement: OpaquePointer, _ index: Int32) -> Data {
    let count = Int(sqlite3_column_bytes(statement, index))
    guard count > 0, let bytes = sqlite3_column_blob(statement, index) else { return Data() }
    return Data(bytes: bytes, count: count)
}

@inline(__always)
func columnOptionalInt(_ statement: OpaquePointer, _ index: Int32) -> Int64? {
    sqlite3_column_type(statement, index) == SQLITE_NULL ? nil : sqlite3_column_int64(statement, index)
}
