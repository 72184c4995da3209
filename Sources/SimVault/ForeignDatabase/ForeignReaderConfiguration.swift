/// How simvault reads other apps' SQLite files (`import aionui`,
/// `import libreollama`, `encrypt`): never in the app's own process, but in
/// `simvault-sqlite-reader`, a small helper executable that opens the file
/// read-only and immutable, limits its own address space and CPU time, and
/// streams schema and rows back over a socket. A crafted file can crash,
/// hang or exhaust only the helper; simvault then reports the file as
/// malformed or hostile (``VaultError/malformedInput(path:detail:)``) and
/// changes nothing.
///
/// **Finding the helper**: ``executablePath`` when set; else
/// `simvault-sqlite-reader` beside the running executable; else
/// `../libexec/simvault/simvault-sqlite-reader` relative to it. An app that
/// embeds SimVault ships the helper (the package's `simvault-sqlite-reader`
/// product) in one of those places or sets the path. The `simvault` CLI
/// also reads `$SIMVAULT_SQLITE_READER`.
///
/// ```swift
/// var configuration = VaultConfiguration()
/// configuration.foreignReader.executablePath = "/opt/myapp/libexec/simvault-sqlite-reader"
/// ```
public struct ForeignReaderConfiguration: Sendable, Equatable {
    /// The helper executable; nil: searched as described above.
    public var executablePath: String?
    /// The helper's address space (`RLIMIT_AS`), in bytes.
    public var memoryLimitBytes = 1 << 30
    /// The helper's CPU time (`RLIMIT_CPU`), in seconds.
    public var cpuLimitSeconds = 600
    /// Longest wait for the helper's next frame, in seconds: a file on
    /// which SQLite makes no progress for this long is reported as a hang.
    public var idleTimeoutSeconds: Double = 60
    /// Largest row (and largest single value) read from a file, in bytes.
    public var maximumRowBytes = 256 << 20

    public init() {}
}
