/// What the encrypted database says about the key header: the copy of the
/// header simvault last wrote, kept inside the database where only a key
/// holder can write (`vault_meta` row `key_header`).
///
/// The header's MAC proves a format 3 header genuine on its own. The record
/// covers what the MAC cannot: once a vault was upgraded, its database
/// requires an authenticated header, so an old-format header swapped in
/// (which carries no MAC to fail) is refused; and when a header is refused,
/// the record names what was changed.
///
/// ``KeyUnlocker`` asks only with keys that passed the key check (or, to
/// tell an edited key check from a wrong key, with a key that failed it),
/// and only for old-format headers or after a failure, so opening a format 3
/// vault costs nothing extra. SimVault implements it (it can open the
/// database); reading it must not change the database's files.
package protocol KeyHeaderRecord: Sendable {
    /// Opens the database with `key` and reads the record.
    func lookUp(openingWith key: MasterKey, cipher: CipherSettings) -> KeyHeaderRecordLookup
}

/// The answer of a ``KeyHeaderRecord``.
package enum KeyHeaderRecordLookup: Sendable {
    /// The key does not open the database (or it could not be read now): the
    /// database says nothing.
    case notOpened
    /// The database opens with the key; `header` is the last header simvault
    /// recorded in it, nil for a vault not upgraded yet or a file made by
    /// `simvault encrypt` (which keeps only its app's own tables).
    case opened(recorded: KeyHeader?)
}
