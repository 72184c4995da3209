/// The wire protocol between simvault (the parent) and
/// `simvault-sqlite-reader` (the reader), the process that opens other
/// apps' SQLite files so that a crafted file can crash, hang or exhaust
/// only that process.
///
/// Transport: one `AF_UNIX` stream socket, the reader's stdin and stdout.
/// Both directions carry frames:
///
/// ```
/// frame   := kind:u8  length:u32  payload[length]          (integers big-endian)
/// string  := length:u32  utf8[length]
/// value   := 0x00                                          NULL
///          | 0x01 i64                                      INTEGER
///          | 0x02 f64 (IEEE 754 bits)                      REAL
///          | 0x03 length:u32 bytes[length]                 TEXT (as SQLite returns it; not checked as UTF-8)
///          | 0x04 length:u32 bytes[length]                 BLOB
/// ```
///
/// Parent → reader:
/// - `Q` query: `sql:string  count:u16  value*count` — one statement (a
///   second statement in the text is refused), with its parameters.
///   Answer: `C` then `R`* then `D`, or `E` at any point (the query is then
///   over; the reader waits for the next request).
/// - `S` rehearse: `count:u32  (flags:u8 name:string sql:string)*count` —
///   CREATE statements run, in order, into an empty in-memory database of
///   the reader's, so that SQL taken from the file is parsed and run first
///   where a crash hurts nobody. Flag bit 0 (``rehearseOnlyIfAbsent``):
///   skip the statement when a table called `name` exists already (a
///   virtual table made it). Answer: `D` (rows = statements run) or `E`
///   naming the statement.
/// - `X` close: the reader exits 0 (so does end of input).
///
/// Reader → parent:
/// - `H` hello, once, after the file was opened and its schema read:
///   `version:u16  sqlite_version:string`; or `E` and exit when it cannot
///   be opened.
/// - `C` columns: `count:u16  string*count` (result column names).
/// - `R` row: `count:u16  value*count`.
/// - `D` done: `rows:u64`.
/// - `E` error: `code:i32  statement:u32  message:string` — `code` is
///   SQLite's extended result code, or a ``ReaderErrorCode`` (negative);
///   `statement` is the index of the refused statement of a rehearsal, else
///   `UInt32.max`.
///
/// The parent bounds every frame (``maximumRequestBytes`` for requests, a
/// configured row size for rows) and the time it waits for the next one; a
/// frame it does not expect is a protocol violation, and the reader is
/// killed.
public enum ReaderProtocol {
    /// Version 1 (this description).
    public static let version: UInt16 = 1
    /// kind + length.
    public static let frameHeaderBytes = 5
    /// Largest request the reader accepts (a query and its parameters, or a
    /// schema to rehearse).
    public static let maximumRequestBytes = 64 << 20
    /// `statement` of an error that is not about a rehearsed statement.
    public static let noStatement = UInt32.max
    /// Rehearsal flag: run the statement only when no table of its name exists.
    public static let rehearseOnlyIfAbsent: UInt8 = 1
}

/// The kind byte of a frame.
public enum FrameKind: UInt8, Sendable {
    // Parent → reader.
    case query = 0x51      // Q
    case rehearse = 0x53   // S
    case close = 0x58      // X
    // Reader → parent.
    case hello = 0x48      // H
    case columns = 0x43    // C
    case row = 0x52        // R
    case done = 0x44       // D
    case error = 0x45      // E
}

/// Error codes of the reader itself (SQLite's codes are positive).
public enum ReaderErrorCode: Int32, Sendable {
    /// A request that does not follow the protocol.
    case protocolViolation = -1
    /// A row larger than the reader's `--max-row-bytes`.
    case rowTooLarge = -2
    /// A statement the reader does not run (several statements in one text).
    case refused = -3
}

/// One SQLite value as it travels: text keeps SQLite's bytes exactly, so a
/// copy can write them back unchanged.
public enum ReaderValue: Sendable, Equatable {
    case null
    case integer(Int64)
    case real(Double)
    case text([UInt8])
    case blob([UInt8])

    /// The tag byte of each kind of value.
    public static let nullTag: UInt8 = 0, integerTag: UInt8 = 1, realTag: UInt8 = 2, textTag: UInt8 = 3, blobTag: UInt8 = 4

    /// Bytes this value takes in a frame.
    public var encodedSize: Int {
        switch self {
        case .null: return 1
        case .integer, .real: return 9
        case .text(let bytes), .blob(let bytes): return 5 + bytes.count
        }
    }
}
