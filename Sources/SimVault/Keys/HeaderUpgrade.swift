import Foundation
import VaultKeys

/// The upgrade of an old-format key header (format 1 or 2: checksummed, no
/// MAC) to the authenticated format 3, by the first session that holds the
/// key and writes (and by `simvault health` and every key change, which
/// rewrite the header anyway).
///
/// Crash-safe by its order: the header file first (atomically, the old one
/// scrubbed), then the record inside the database (``DatabaseHeaderRecord``),
/// in the session's write transaction. A crash in between leaves a format 3
/// header and no record yet, which opens like any format 3 vault; the next
/// write adds the record. From the record on, an old-format header put back
/// is refused as a downgrade.
///
/// What an upgrade cannot do: tell whether the old header was already
/// edited before it. It authenticates the slots as they are, and the access
/// log lists them (`key.header.upgrade`); `simvault key list` shows them.
enum HeaderUpgrade {
    static let action = "key.header.upgrade"

    /// Upgrades the header of the vault at `location` if it is still
    /// `verified` (the old-format header this session unlocked with and
    /// checked against the database), inside `db`'s transaction. Skipped
    /// when another process holds the key lock (it is changing the keys
    /// and writes format 3 itself), when the header changed since it was
    /// verified, or while a rotation is pending (its repair writes format 3).
    ///
    /// - Returns: whether the header was upgraded.
    static func upgrade(_ location: VaultLocation, verified: KeyHeader, key: MasterKey, actor: String, in db: Connection) throws -> Bool {
        guard !verified.isAuthenticatedFormat, verified.rotation == nil else { return false }
        guard let lock = try? KeyLock.acquire(vaultPath: location.path) else { return false }
        return try withExtendedLifetime(lock) {
            let file = KeyHeaderFile(path: location.headerPath)
            guard let current = try? file.load(), current == verified else { return false }
            let written: KeyHeader
            do throws(KeyError) { written = try file.replace(with: current, authenticatedWith: HeaderKeys(current: key)) } catch { throw VaultError(error) }
            try DatabaseHeaderRecord.store(written, in: db)
            try? AccessLog.record(event(upgrading: verified, to: written), actor: actor, in: db)
            return true
        }
    }

    /// The access-log row: which format was upgraded, and the slots the
    /// new MAC now vouches for.
    static func event(upgrading old: KeyHeader, to new: KeyHeader) -> AccessEvent {
        AccessEvent(action: action, resource: new.vaultID, detail: [
            "from_version": String(old.version), "to_version": String(new.version),
            "slots": new.slots.map { "\($0.id):\($0.kind.rawValue)" }.joined(separator: ","),
        ])
    }
}

extension EncryptedDatabase {
    /// Completes the header's protection with the session's first write
    /// (opening never writes): an old-format header is upgraded
    /// (``HeaderUpgrade``), and a format 3 header whose record is missing
    /// (an upgrade interrupted between its two steps, or a vault restored
    /// from such a backup) gets its record, so a downgrade is caught from
    /// then on.
    func completeHeaderProtectionWithFirstWrite() {
        // The record lives in `vault_meta`; an app database has none, and
        // its header (always format 3) is protected by its MAC alone.
        guard kind == .vault else { return }
        let location = location, verified = header, key = masterKey, actor = configuration.actor
        if !verified.isAuthenticatedFormat {
            writer.deferToNextTransaction { db in
                _ = try HeaderUpgrade.upgrade(location, verified: verified, key: key, actor: actor, in: db)
            }
        } else if case .success(nil) = Result(catching: { try writer.sync { db in try DatabaseHeaderRecord.read(in: db) } }) {
            writer.deferToNextTransaction { db in try DatabaseHeaderRecord.store(verified, in: db) }
        }
    }
}
