internal import CSQLCipher
import SQLiteReaderProtocol

extension Statement {
    /// Resets the statement and binds values read from another database,
    /// in order: text is bound as the exact bytes SQLite returned there (not
    /// decoded and re-encoded), so a copy holds the same bytes.
    func bind(_ values: [ReaderValue]) throws {
        try resetBindings(expecting: values.count)
        for (offset, value) in values.enumerated() {
            let index = Int32(offset + 1)
            let status: Int32
            switch value {
            case .null: status = sqlite3_bind_null(handle, index)
            case .integer(let number): status = sqlite3_bind_int64(handle, index, number)
            case .real(let number): status = sqlite3_bind_double(handle, index, number)
            case .text(let bytes):
                // A zero-length text must still bind as text, not NULL.
                status = (bytes.isEmpty ? [0] : bytes).withUnsafeBytes {
                    sqlite3_bind_text(handle, index, $0.baseAddress!.assumingMemoryBound(to: CChar.self), Int32(bytes.count), simvault_sqlite_transient())
                }
            case .blob(let bytes):
                status = bytes.withUnsafeBytes {
                    sqlite3_bind_blob(handle, index, $0.baseAddress ?? UnsafeRawPointer(bitPattern: 1), Int32($0.count), simvault_sqlite_transient())
                }
            }
            guard status == SQLITE_OK else { throw SQLiteError(code: status, message: "cannot bind value \(index)", sql: sql) }
        }
    }
}
