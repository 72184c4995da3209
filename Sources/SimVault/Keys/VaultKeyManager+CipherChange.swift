import Foundation
import Glibc
import VaultKeys

/// `rekey --cipher-compat N`: a key rotation that also changes the cipher
/// settings (SQLCipher 3 settings to SQLCipher 4's, or back).
///
/// `sqlite3_rekey` re-encrypts pages in place and cannot change the HMAC
/// algorithm or the bytes reserved per page, so the database is copied into
/// a new file under the new key and settings, which then replaces it. The
/// steps around it are those of every rekey (``VaultKeyManager/rekey(unlock:options:)``):
/// the header records the rotation, with the new key's settings in
/// ``KeyRotation/cipher``, before anything is copied; the old file is held
/// with an exclusive lock throughout; afterwards the file is checked for
/// which key opens it. The replacement is one `rename(2)`, so at any moment
/// the file at the vault's path is the old database (old key, old settings)
/// or the complete, verified copy (new key, new settings), and
/// ``VaultKeyManager/repairInterruptedKeyChange(unlock:)`` finishes or rolls
/// back from whichever it finds, as for an in-place rekey. A copy left by a
/// killed rekey is a hidden `.<name>.rekeying-<pid>-*` file, removed by the
/// next key change or `health`.
///
/// Other processes: the old file is locked exclusively, so no connection has
/// it open or can open it. While the new file takes its name, the vault's
/// `-shm` lock byte (``DeadManSwitchLock``) keeps every WAL-mode opener out
/// until the old file's connection is closed. A process that opened the old
/// file and waited for its lock finds, once it gets it, that the file was
/// replaced (``Connection``'s open step `verifyFileStillInPlace`) and fails
/// with "busy" instead of writing into the new file's WAL.
extension VaultKeyManager {
    /// Marker of the hidden copy built beside the vault.
    static let reencryptedCopyMarker = ".rekeying-"

    /// The settings a rekey moves to: nil when `compatibility` is nil or
    /// already the header's (an in-place rekey). Checked before anything is
    /// asked for or changed.
    ///
    /// - Throws: ``VaultError/cipherNewerThanEngine(compatibility:engine:)``
    ///   when this SQLCipher cannot read the vault at all,
    ///   ``VaultError/invalidArgument(detail:)`` when it cannot write the
    ///   requested settings (nothing was changed).
    func targetCipher(compatibility: Int?, header: KeyHeader) throws -> CipherSettings? {
        let engine = EngineCheck.inspect()
        if let parsed = engine.engine, !parsed.supports(header.cipher) { throw parsed.refusal(for: header.cipher) }
        guard let compatibility, compatibility != header.cipher.compatibility else { return nil }
        let target = CipherSettings(compatibility: compatibility, pageSize: header.cipher.pageSize)
        do {
            try engine.requireSupport(forCreating: target)
        } catch VaultError.invalidArgument(let detail) {
            throw VaultError.invalidArgument(detail: detail.replacingOccurrences(of: "Nothing was created", with: "Nothing was changed"))
        }
        return target
    }

    /// Builds the re-encrypted copy beside the vault, verifies it, and
    /// renames it over the database while `exclusive` (the old file, opened
    /// with `locking_mode = EXCLUSIVE`, its WAL checkpointed) still holds
    /// it. Returns the `-shm` lock, to release after `exclusive` is closed.
    ///
    /// Any failure before the rename removes the copy and leaves the
    /// database as it was (the caller then finds the old key in use and
    /// rolls back).
    func replaceWithEncryptedCopy(
        of exclusive: Connection, newKey: MasterKey, cipher: CipherSettings, pageCount: Int,
        progress: (@Sendable (RekeyProgress) -> Void)?
    ) throws -> DeadManSwitchLock {
        progress?(.reencrypting(pages: 0, pageCount: pageCount))
        let copy = StagingFiles.location(beside: location, marker: Self.reencryptedCopyMarker)
        var placed = false
        defer {
            if !placed { for file in copy.allFiles + [copy.path + "-journal"] { unlink(file) } }
        }
        do { Glibc.close(try PrivateFile.createExclusive(copy.path)) } catch {
            throw error.isDiskFull ? VaultError.diskFull(detail: error.description) : VaultError.io(detail: error.description)
        }
        do {
            try exclusive.exportEncryptedCopy(to: copy.path, key: newKey, cipher: cipher)
        } catch let error as SQLiteError {
            throw VaultError.classify(error, path: location.path) ?? VaultError.io(detail: "cannot copy \(location.path) under the new key: \(error.message)")
        }
        try verifyEncryptedCopy(copy, of: exclusive, key: newKey, cipher: cipher)
        for file in [copy.walPath, copy.shmPath, copy.path + "-journal"] { unlink(file) }
        progress?(.reencrypting(pages: pageCount, pageCount: pageCount))

        let lock = try DeadManSwitchLock(location)
        do {
            guard rename(copy.path, location.path) == 0 else {
                throw VaultError.io(detail: "cannot move the re-encrypted copy into place: \(String(cString: strerror(errno)))")
            }
            placed = true
            try PrivateFile.syncDirectory(location.directory)
        } catch let error as PrivateFile.Failure {
            lock.release()
            throw VaultError.io(detail: error.description)
        } catch {
            lock.release()
            throw error
        }
        return lock
    }

    /// Opens the copy afresh with the new key and settings, switches it to
    /// WAL like every vault, and checks it before it may replace the
    /// database: every page authenticates (`quick_check`), and every table
    /// holds as many rows as in the original, whose connection still reads
    /// the old file.
    private func verifyEncryptedCopy(_ copy: VaultLocation, of original: Connection, key: MasterKey, cipher: CipherSettings) throws {
        func failure(_ detail: String) -> VaultError {
            .keyManagement(detail: "the re-encrypted copy failed verification (\(detail)); it was removed and the vault was not changed")
        }
        var options = configuration.connectionOptions(readOnly: false, cipher: cipher)
        options.synchronous = "FULL"
        let connection: Connection
        do { connection = try Connection(path: copy.path, key: key, options: options) } catch {
            throw failure("it does not open: \(Self.describe(error))")
        }
        defer { connection.close() }
        do {
            let check = try connection.fetchAll("PRAGMA quick_check").compactMap { try? $0.get(0, as: String.self) }
            guard check == ["ok"] else { throw failure("quick_check: \(check.prefix(3).joined(separator: "; "))") }
            let tables = try original.fetchAll("SELECT name FROM sqlite_master WHERE type = 'table' AND sql NOT LIKE 'CREATE VIRTUAL%' ORDER BY name")
                .map { try $0.get(0, as: String.self) }
            for table in tables {
                let quoted = SQLIdentifier.quoted(table)
                let expected: Int64 = try original.scalar("SELECT count(*) FROM main.\(quoted)") ?? -1
                let copied: Int64 = try connection.scalar("SELECT count(*) FROM \(quoted)") ?? -2
                guard copied == expected else { throw failure("table \(table) has \(copied) rows, the vault \(expected)") }
            }
            let versions: [Int?] = [try original.scalar("PRAGMA user_version"), try connection.scalar("PRAGMA user_version")]
            guard versions[0] == versions[1] else { throw failure("user_version differs") }
            // Fold the WAL the journal mode switch began into the file and
            // sync it: the copy must be durable before it takes the name.
            try connection.checkpointAndTruncateWAL()
        } catch let error as VaultError {
            throw error
        } catch {
            throw failure(Self.describe(error))
        }
    }

    /// Removes copies that killed `rekey --cipher-compat` runs left beside
    /// the vault (their process is gone).
    func removeAbandonedEncryptedCopies() {
        StagingFiles.removeAbandoned(in: location.directory, marker: Self.reencryptedCopyMarker)
    }
}
