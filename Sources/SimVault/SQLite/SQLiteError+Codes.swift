internal import CSQLCipher

extension SQLiteError {
    /// SQLITE_AUTH: an authorizer refused the statement.
    public var isAuthorizationDenied: Bool { code == SQLITE_AUTH }
    /// SQLITE_MISUSE: e.g. several statements where one was expected.
    public var isMisuse: Bool { code == SQLITE_MISUSE }
    /// SQLITE_CORRUPT_VTAB: a virtual table (a full-text index) is out of
    /// step with its data; the pages themselves are fine.
    public var isCorruptVirtualTable: Bool { extendedCode == SQLITE_CORRUPT | (1 << 8) }
}
