import Foundation
import VaultKeys

/// When each key slot last opened the vault: the "last used" column of
/// `simvault key list`.
///
/// It lives in the encrypted database's `vault_meta` table (key
/// `key_slot_last_used.<slot id>`, value `<slot created_at> <unix ms>`), not
/// in the key header: the header is rewritten only when keys change (each
/// rewrite is an fsync and a scrub), and when a slot was used is private
/// information that belongs inside the encryption. The slot's creation time
/// is stored with it, so a slot id given out again after a removal does not
/// inherit the old slot's history.
///
/// Opening never writes: the use is recorded inside the session's first
/// write transaction (committed or rolled back with it), so a command that
/// only reads, or a write that is refused, leaves the file byte for byte as
/// it was. `key check` records it on purpose (``Vault/recordKeySlotUse()``).
/// The time is written at most once per ``resolutionMilliseconds`` per slot.
enum KeySlotUsage {
    /// Granularity of "last used".
    static let resolutionMilliseconds: Int64 = 3_600_000

    static func metaKey(slotID: Int) -> String { "key_slot_last_used.\(slotID)" }

    /// The last use of each of `slots` that is recorded, by slot id.
    static func lastUse(of slots: [KeySlot], in db: Connection) throws -> [Int: Int64] {
        var uses: [Int: Int64] = [:]
        for slot in slots {
            if let use = try stored(for: slot, in: db) { uses[slot.id] = use }
        }
        return uses
    }

    /// Records that `slot` opened the vault at `now`, unless a use within
    /// the resolution is already recorded (in the caller's transaction).
    static func record(_ slot: KeySlot, in db: Connection, now: Int64 = Clock.nowMilliseconds()) throws {
        if let last = try stored(for: slot, in: db), now - last < resolutionMilliseconds, last <= now { return }
        try VaultMeta.write(metaKey(slotID: slot.id), "\(slot.createdAt) \(now)", in: db)
    }

    /// Deletes the record of a removed slot (inside the caller's transaction).
    static func forget(slotID: Int, in db: Connection) throws {
        try db.execute("DELETE FROM vault_meta WHERE key = ?", [metaKey(slotID: slotID)])
    }

    private static func stored(for slot: KeySlot, in db: Connection) throws -> Int64? {
        guard let value = try VaultMeta.read(metaKey(slotID: slot.id), in: db) else { return nil }
        let parts = value.split(separator: " ")
        guard parts.count == 2, Int64(parts[0]) == slot.createdAt else { return nil }
        return Int64(parts[1])
    }
}

extension Vault {
    /// Records the use of the slot that opened the vault now (what
    /// `simvault key check` does after proving a key source works).
    public func recordKeySlotUse() throws {
        try database.recordKeySlotUse()
    }
}

extension EncryptedDatabase {
    /// Records the use of the slot that opened a vault now; an app
    /// database keeps no such record, and nothing is written to it.
    package func recordKeySlotUse() throws {
        guard kind == .vault else { return }
        try write { _ in }
    }

    /// Arranges for the slot that opened the vault to be recorded with the
    /// session's first write (a vault only: the record lives in
    /// `vault_meta`, and an app database's tables are the app's).
    func noteSlotUse() {
        guard kind == .vault, let id = unlockResult.source.slotID,
              let slot = header.slots(for: unlockResult.keys[0].generation).first(where: { $0.id == id }) else { return }
        let openedAt = Clock.nowMilliseconds()
        writer.deferToNextTransaction { db in try KeySlotUsage.record(slot, in: db, now: openedAt) }
    }
}
