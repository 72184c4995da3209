public import Foundation
import VaultKeys

/// A consistent, encrypted, verified copy of a vault: its database (still
/// encrypted with the same master key) and its key header, so the copy opens
/// exactly like the original (same vault id, same key slots, same keyring
/// item).
///
/// ```swift
/// let copy = try vault.snapshot(to: VaultLocation(path: "/backups/vault-2025-11-23.db"))
/// print(copy.path, copy.schemaVersion)
/// ```
///
/// How it is taken, and why it is consistent: SQLCipher 3.4.1 has neither
/// `VACUUM INTO` nor a usable backup API for encrypted databases, so the
/// files are copied as they are. The copy is made under the vault's writer
/// lock (this process's writer, inside `BEGIN IMMEDIATE`, which also holds
/// the WAL write lock against other processes): no transaction can commit
/// while the database file and its WAL are read, and no commit means no
/// checkpoint writes into the file. The WAL is copied with it and folded
/// into the copy afterwards, so committed transactions still in the WAL are
/// part of the snapshot. The copy is never decrypted on disk.
///
/// It is then verified on fresh connections: it opens with the master key,
/// `PRAGMA integrity_check` reads (and so authenticates) every page, it
/// holds the same vault id and schema version, and the copied header loads
/// and accepts the key. A copy that fails is deleted and the error says so.
/// Other writers wait (up to their busy timeout) while the files are copied.
public struct VaultSnapshot: Sendable, Equatable, Codable {
    /// The copy's database file.
    public let path: String
    /// The copy's key header.
    public let headerPath: String
    public let vaultID: String
    /// The schema version of the copy.
    public let schemaVersion: Int
    /// Size of the copy's database file.
    public let databaseBytes: Int64
    /// Unix milliseconds.
    public let createdAt: Int64

    /// Where simvault keeps automatic snapshots of the vault at `location`:
    /// `<vault>.backups/<name>-schema<N>-<label>-<UTC time>.db` beside it.
    public static func automaticLocation(for location: VaultLocation, schemaVersion: Int, label: String, at date: Date = Date()) -> VaultLocation {
        UTCFormat.backupsDirectoryLocation(for: location, "schema\(schemaVersion)-\(label)", at: date)
    }
}

extension Vault {
    /// Takes a verified snapshot of this vault into `destination` (database
    /// at its path, header beside it as `<path>.keys`).
    ///
    /// - Throws: as ``EncryptedDatabase/backup(to:progress:)``.
    public func snapshot(to destination: VaultLocation, progress: ProgressHandler? = nil) throws -> VaultSnapshot {
        try database.backup(to: destination, progress: progress)
    }
}

extension EncryptedDatabase {
    /// Takes a verified backup of this database into `destination`
    /// (database at its path, header beside it as `<path>.keys`), as
    /// ``Vault/snapshot(to:progress:)`` does for a vault.
    ///
    /// - Throws: ``VaultError/alreadyExists(path:)`` when a destination file
    ///   exists (``VaultError/untrustedFile(path:detail:)`` when it is a
    ///   link or another user's); ``VaultError/io(detail:)``, ``VaultError/diskFull(detail:)``
    ///   when copying fails; ``VaultError/corrupt(detail:)`` when the copy
    ///   fails verification (the vault itself may be damaged: run
    ///   `simvault health`).
    @discardableResult
    public func backup(to destination: VaultLocation, progress: ProgressHandler? = nil) throws -> VaultSnapshot {
        try writeWithoutTransaction { db in try VaultSnapshot.take(of: self, writer: db, to: destination, progress: progress) }
    }
}

extension VaultSnapshot {
    /// Takes the snapshot with `writer`, the vault's writer connection, held
    /// by the caller (so a caller can snapshot and then migrate without
    /// letting another write in between from this process).
    static func take(of vault: EncryptedDatabase, writer: Connection, to destination: VaultLocation, progress: ProgressHandler? = nil) throws -> VaultSnapshot {
        try VaultFiles.verifyAbsent(destination)
        if destination.directory == vault.location.path + ".backups" { try VaultFiles.verifyBackupsDirectory(of: vault.location) }
        do { try PrivateFile.createDirectory(destination.directory) } catch {
            throw VaultError.io(detail: "cannot create the backup directory: \(error.description)")
        }
        StagingFiles.removeAbandoned(in: destination.directory, marker: ".partial-")
        // Built and verified under a hidden name, then published: a crash
        // at any moment never leaves a partial file under a backup's name.
        let staging = StagingFiles.location(beside: destination, marker: ".partial-")
        let source = vault.location
        do {
            // Keep the WAL short; PASSIVE never waits for readers.
            try writer.execute("PRAGMA wal_checkpoint(PASSIVE)")
            let version = try writer.inTransaction(.immediate) { () throws -> Int in
                let version: Int = try writer.scalar("PRAGMA user_version") ?? 0
                var pairs = [(source.headerPath, staging.headerPath), (source.path, staging.path)]
                if (VaultLocation.size(of: source.walPath) ?? 0) > 0 { pairs.append((source.walPath, staging.walPath)) }
                try copyFiles(pairs, progress: progress)
                return version
            }
            try foldWAL(of: staging, vault: vault)
            try verify(staging, vault: vault, schemaVersion: version)
            try removeEmptyWAL(of: staging)
            try publish(staging, as: destination)
            return VaultSnapshot(
                path: destination.path, headerPath: destination.headerPath, vaultID: vault.databaseID, schemaVersion: version,
                databaseBytes: VaultLocation.size(of: destination.path) ?? 0, createdAt: Clock.nowMilliseconds())
        } catch {
            for file in staging.allFiles { unlink(file) }
            throw error
        }
    }

    /// Gives the verified copy its final names: the header first, so a
    /// database under a backup's name always has its header. link(2) fails
    /// rather than replace a file that appeared meanwhile.
    private static func publish(_ staging: VaultLocation, as destination: VaultLocation) throws {
        for (from, to) in [(staging.headerPath, destination.headerPath), (staging.path, destination.path)] {
            guard link(from, to) == 0 else {
                let code = errno
                if to == destination.path { unlink(destination.headerPath) }
                if code == EEXIST { throw VaultError.alreadyExists(path: to) }
                throw VaultError.io(detail: "cannot name the backup \(to): \(String(cString: strerror(code)))")
            }
        }
        for file in staging.allFiles { unlink(file) }
        do { try PrivateFile.syncDirectory(destination.directory) } catch {
            throw VaultError.io(detail: error.description)
        }
    }

    /// Replays the copied WAL into the copy's database file, leaving one
    /// self-contained file.
    private static func foldWAL(of destination: VaultLocation, vault: EncryptedDatabase) throws {
        let connection = try EncryptedDatabase.openConnection(
            location: destination, key: vault.masterKey,
            options: vault.configuration.connectionOptions(readOnly: false, cipher: vault.cipher))
        try connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        connection.close()
    }

    /// Once nobody has the copy open and its WAL is empty, the WAL and its
    /// index are leftovers: the copy is the database file alone.
    private static func removeEmptyWAL(of destination: VaultLocation) throws {
        guard (VaultLocation.size(of: destination.walPath) ?? 0) == 0 else { return }
        unlink(destination.walPath)
        unlink(destination.shmPath)
        do { try PrivateFile.syncDirectory(destination.directory) } catch {
            throw VaultError.io(detail: error.description)
        }
    }

    /// Opens the copy afresh and reads every page.
    private static func verify(_ destination: VaultLocation, vault: EncryptedDatabase, schemaVersion: Int) throws {
        let failure = { (detail: String) in
            VaultError.corrupt(detail: "the backup copy \(destination.path) failed verification (\(detail)); it was deleted. The vault itself may be damaged: run `simvault health`")
        }
        let check: VaultFileCheck
        do {
            check = try VaultFileCheck.run(destination, key: vault.masterKey, cipher: vault.cipher, configuration: vault.configuration)
        } catch {
            throw failure(error.detail)
        }
        // An app database has no vault id inside (its header's key and MAC
        // tie the copy to it, checked below).
        let expectedID = vault.kind == .vault ? vault.databaseID : nil
        guard check.vaultID == expectedID else { throw failure("it holds vault \(check.vaultID ?? "none")") }
        guard check.schemaVersion == schemaVersion else { throw failure("schema version \(check.schemaVersion), expected \(schemaVersion)") }
        // The header was copied from the vault's file as it is now, which
        // someone may have replaced since the vault was opened: it must
        // authenticate with the vault's key against the copy's database.
        let header: KeyHeader
        do throws(KeyError) {
            header = try KeyHeaderFile(path: destination.headerPath).load()
        } catch {
            throw failure("its key header: \(error.description)")
        }
        guard header.vaultID == vault.databaseID else { throw failure("its key header belongs to vault \(header.vaultID)") }
        do throws(KeyError) {
            let record = DatabaseHeaderRecord(location: destination, configuration: vault.configuration)
            _ = try KeyUnlocker(header: header, headerPath: vault.location.headerPath, record: record)
                .unlock(UnlockRequest(masterKey: vault.masterKey, usesKeyring: false))
        } catch .headerForged(let forgery) {
            throw VaultError.headerForged(forgery)
        } catch {
            throw failure("its key header: \(error.description)")
        }
    }

    /// Copies files into new 0600 files, fsyncing each, reporting bytes.
    static func copyFiles(_ pairs: [(source: String, target: String)], progress: ProgressHandler?) throws {
        let total = pairs.reduce(Int64(0)) { $0 + (VaultLocation.size(of: $1.source) ?? 0) }
        var done: Int64 = 0
        for pair in pairs {
            try copy(pair.source, to: pair.target) { count in
                done += Int64(count)
                progress?(TransferProgress(phase: "copying", completed: done, total: total, unit: .bytes))
            }
        }
    }

    /// Copies a file into a new 0600 file and fsyncs it.
    private static func copy(_ source: String, to target: String, copied: (Int) -> Void) throws {
        do {
            let fd = try PrivateFile.createExclusive(target)
            let output = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
            guard let input = FileHandle(forReadingAtPath: source) else {
                throw VaultError.io(detail: "cannot read \(source) to back it up")
            }
            defer { try? input.close() }
            while let chunk = try input.read(upToCount: 1 << 20), !chunk.isEmpty {
                try output.write(contentsOf: chunk)
                copied(chunk.count)
            }
            try output.synchronize()
        } catch let error as PrivateFile.Failure {
            throw error.isDiskFull ? VaultError.diskFull(detail: error.description) : VaultError.io(detail: error.description)
        } catch let error as VaultError {
            throw error
        } catch {
            let text = "cannot copy \(source) to \(target): \(error.localizedDescription)"
            throw (error as NSError).code == Int(ENOSPC) ? VaultError.diskFull(detail: text) : VaultError.io(detail: text)
        }
    }
}
