import VaultKeys

/// Tuning and behaviour of an open vault. The defaults suit a desktop app.
public struct VaultConfiguration: Sendable {
    /// Page cache per connection, in KiB. Pages are decrypted once per cache
    /// miss, so the cache is SQLCipher's main performance lever; memory is
    /// only used as pages are actually read.
    public var cacheSizeKiB = 65536
    /// Upper bound on concurrent reader connections.
    public var maximumReaderCount = 4
    /// How long a connection waits for another's lock, in seconds.
    public var busyTimeout: Double = 5
    /// `PRAGMA synchronous` for the writer (NORMAL or FULL).
    public var synchronous = "NORMAL"
    /// Who is acting, as written to `access_log.actor` (e.g. "simvault-cli").
    public var actor = "simvault-library"
    /// Where the helper that reads other apps' SQLite files is, and how it
    /// is bounded (see ``ForeignReaderConfiguration``).
    public var foreignReader = ForeignReaderConfiguration()
    /// Create and open the database **without encryption** (the header and
    /// its key slots are made as usual). Only for `simvault-bench`'s
    /// plaintext baseline; see ``Connection/Options/unsafeIgnoresKey``.
    package var unsafePlaintextDatabase = false

    public init() {}

    func connectionOptions(readOnly: Bool, cipher: CipherSettings) -> Connection.Options {
        var options = Connection.Options()
        options.isReadOnly = readOnly
        options.cipher = cipher
        options.cacheSizeKiB = cacheSizeKiB
        options.busyTimeoutMilliseconds = Int32(max(0, min(busyTimeout * 1000, Double(Int32.max))))
        options.synchronous = synchronous
        options.unsafeIgnoresKey = unsafePlaintextDatabase
        return options
    }
}
