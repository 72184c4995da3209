import Foundation
import VaultKeys

/// The copy of the key header simvault keeps inside the encrypted database
/// (`vault_meta` row `key_header`: the header's canonical body, see
/// ``KeyHeader/canonicalBody()``), written in the same transaction as every
/// header change's access-log row, and by the upgrade of an old-format
/// header.
///
/// Only a key holder can write inside the database, so the row is what an
/// attacker who can only write the vault's folder cannot fake: its presence
/// means "this vault's header is authenticated" (an old-format header put
/// back is refused as a downgrade), and its content names what a forged
/// header changed. See ``KeyHeaderRecord``.
///
/// Files made by `simvault encrypt` have no `vault_meta` (they keep their
/// app's own tables): they never get a record, so for them only the MAC of
/// their format 3 header protects it.
struct DatabaseHeaderRecord: KeyHeaderRecord {
    /// The `vault_meta` key.
    static let metaKey = "key_header"

    let location: VaultLocation
    let configuration: VaultConfiguration

    /// Reads the record on a connection of its own that writes nothing:
    /// `query_only`, and no journal-mode switch (a file made by `encrypt`
    /// keeps its own). It is opened read-write so that, as the last
    /// connection to close, it removes the `-wal` and `-shm` files it found
    /// absent: the vault's files are left as they were.
    func lookUp(openingWith key: MasterKey, cipher: CipherSettings) -> KeyHeaderRecordLookup {
        var options = configuration.connectionOptions(readOnly: false, cipher: cipher)
        options.usesWAL = false
        let connection: Connection
        do { connection = try Connection(path: location.path, key: key, options: options) } catch { return .notOpened }
        defer { connection.close() }
        do {
            try connection.execute("PRAGMA query_only = 1")
            return .opened(recorded: try Self.read(in: connection))
        } catch {
            return .notOpened
        }
    }

    /// The recorded header, nil when the database has none (or no
    /// `vault_meta` at all). A record that does not decode is taken as none:
    /// only a key holder writes it, so it cannot be an attacker's.
    static func read(in db: Connection) throws -> KeyHeader? {
        let hasMeta: Bool = try db.scalar("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'vault_meta'") ?? false
        guard hasMeta, let text = try VaultMeta.read(metaKey, in: db) else { return nil }
        return try? JSONDecoder().decode(KeyHeader.self, from: Data(text.utf8))
    }

    /// Records `header` as the last header written (in the caller's
    /// transaction). Written after the header file, so a crash in between
    /// leaves a newer authenticated header and an older record, which is
    /// harmless: the record is only compared with headers that fail.
    static func store(_ header: KeyHeader, in db: Connection) throws {
        try VaultMeta.write(metaKey, String(decoding: try header.canonicalBody(), as: UTF8.self), in: db)
    }
}

extension KeyUnlocker {
    /// The unlocker of the vault at `location`, with the database's record
    /// of its header: how every part of simvault unlocks.
    init(header: KeyHeader, location: VaultLocation, configuration: VaultConfiguration) {
        self.init(header: header, headerPath: location.headerPath, record: DatabaseHeaderRecord(location: location, configuration: configuration))
    }
}
