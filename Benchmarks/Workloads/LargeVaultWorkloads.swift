import CSQLCipher
import Foundation
import SimVault
import VaultKeys

extension BenchmarkRun {
    /// Rekey and backup of a vault grown to `largeVaultBytes`, against copying
    /// its file (`cp` + fsync) in the same run: each round copies the file,
    /// backs it up (simvault's `backup`, then SQLite's online backup API
    /// from C) and rekeys it (simvault's `VaultKeyManager.rekey`, then
    /// `PRAGMA rekey` from C on a copy of its own), so a busy moment of the
    /// machine costs every contender alike.
    func measureLargeVault() throws {
        progress("growing a \(scale.largeVaultBytes >> 20) MiB vault for rekey and backup")
        var vault = try createVault("large")
        let source = vault.location
        try vault.conversations.create(Conversation(id: "large", title: "large"))
        var round = 0
        while (VaultLocation.size(of: source.path) ?? 0) < Int64(scale.largeVaultBytes) {
            let batch = (0..<scale.importBatch).map { index in
                let message = dataset.messages[(round * scale.importBatch + index) % dataset.messages.count]
                return NewMessage(conversationID: "large", role: .user, content: message.content, createdAt: message.createdAt)
            }
            try vault.messages.append(contentsOf: batch)
            round += 1
            // The file grows as the WAL is folded into it.
            try vault.writeWithoutTransaction { db in try db.execute("PRAGMA wal_checkpoint(TRUNCATE)") }
        }
        let megabytes = Double(VaultLocation.size(of: source.path) ?? 0) / 1_048_576
        let group = "Rekey and backup"
        results.add(Fact(group: group, name: "vault size", value: megabytes, unit: "MiB"))

        // The raw C rekey works on its own copy (made untimed), starting
        // with the same key.
        let rawCopy = location("large-raw")
        try FileManager.default.copyItem(atPath: source.path, toPath: rawCopy.path)
        let firstKey = try rawKeyText(of: source)
        var rawCurrentKey = firstKey
        let otherKey = Array("x'".utf8) + Array(repeating: UInt8(ascii: "7"), count: 64) + Array("'".utf8)
        let copyTarget = (directory as NSString).appendingPathComponent("large-copy.db")
        let backup = location("large-backup")
        let rawBackup = (directory as NSString).appendingPathComponent("large-raw-backup.db")
        // The keyring when there is one (as an app opens its vault); the
        // password slot is re-wrapped with its password either way.
        let unlock = hasKeyring ? UnlockRequest() : .password(password)
        let manager = VaultKeyManager(location: source)

        let name = String(format: "%.0f MiB", megabytes)
        var copy = OperationResult(group: group, name: "cp + fsync of the \(name) file", hasEncryptionTarget: false)
        var backups = OperationResult(group: group, name: "backup of the \(name) vault (verified)", hasEncryptionTarget: false)
        var rekeys = OperationResult(group: group, name: "rekey of the \(name) vault (verified)", hasEncryptionTarget: false)
        var reencryption = Samples()
        for _ in 0..<scale.iterations.largeVaultRepeats {
            let sourceKey = try rawKeyText(of: source)
            copy.samples[.rawC, default: Samples()].add(try Clock.measure {
                try Self.copyAndSync(source.path, to: copyTarget)
            }.nanoseconds)
            unlink(copyTarget)
            backups.samples[.encrypted, default: Samples()].add(try Clock.measure { _ = try vault.backup(to: backup) }.nanoseconds)
            for file in backup.allFiles { unlink(file) }
            backups.samples[.rawC, default: Samples()].add(try Clock.measure {
                try Self.onlineBackup(source.path, key: sourceKey, to: rawBackup)
            }.nanoseconds)
            unlink(rawBackup)

            vault.close()
            let (report, simvaultTime) = try Clock.measure {
                try manager.rekey(unlock: unlock, options: RekeyOptions(passwords: [password]))
            }
            rekeys.samples[.encrypted, default: Samples()].add(simvaultTime)
            reencryption.add(UInt64(report.reencryptionSeconds * 1e9))
            let next = rawCurrentKey == firstKey ? otherKey : firstKey
            rekeys.samples[.rawC, default: Samples()].add(try Clock.measure {
                try Self.rekey(rawCopy.path, from: rawCurrentKey, to: next)
            }.nanoseconds)
            rawCurrentKey = next
            vault = try Vault.open(at: source, unlock: unlock)
        }
        vault.close()
        if options.measures(group) { results.operations += [copy, backups, rekeys] }

        let copyTime = copy.samples[.rawC]!.p50.milliseconds
        for (result, label) in [(backups, "backup"), (rekeys, "rekey")] {
            for variant in [Variant.encrypted, .rawC] {
                guard let time = result.p50(variant) else { continue }
                results.add(Fact(
                    group: group, name: "\(label) / file copy (\(variant.rawValue))", value: time / copyTime, unit: "x",
                    note: "target ≤ 3x"))
            }
        }
        results.add(Fact(
            group: group, name: "simvault rekey: re-encryption and checkpoint alone (p50)", value: reencryption.p50.milliseconds, unit: "ms",
            note: "the rest: unlock, one Argon2id to re-wrap the password slot, header and keyring writes, verification (quick_check reads every page)"))
    }

    /// `cp SOURCE TARGET`, then fsync the copy: what copying a vault by hand
    /// costs.
    static func copyAndSync(_ source: String, to target: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/cp")
        process.arguments = [source, target]
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw BenchmarkFailure("cp failed") }
        let fd = open(target, O_RDONLY)
        guard fd >= 0 else { throw BenchmarkFailure("cannot open \(target)") }
        defer { Glibc.close(fd) }
        guard fsync(fd) == 0 else { throw BenchmarkFailure("fsync failed") }
    }

    /// SQLite's online backup API into a new file keyed with the same key
    /// (SQLCipher copies pages between databases with identical keys).
    static func onlineBackup(_ source: String, key: [UInt8], to target: String) throws {
        let from = try RawDatabase(path: source, key: key, cacheSizeKiB: 2048)
        var opened: OpaquePointer?
        guard sqlite3_open_v2(target, &opened, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nil) == SQLITE_OK, let to = opened else {
            sqlite3_close(opened)
            throw BenchmarkFailure("cannot create \(target)")
        }
        defer { sqlite3_close(to) }
        _ = key.withUnsafeBytes { sqlite3_key_v2(to, "main", $0.baseAddress, Int32($0.count)) }
        sqlite3_exec(to, "PRAGMA cipher_compatibility = 3; PRAGMA cipher_page_size = 4096", nil, nil, nil)
        guard let backup = sqlite3_backup_init(to, "main", from.handle, "main") else {
            throw BenchmarkFailure("sqlite3_backup_init: \(String(cString: sqlite3_errmsg(to)))")
        }
        let stepped = sqlite3_backup_step(backup, -1)
        let finished = sqlite3_backup_finish(backup)
        guard stepped == SQLITE_DONE, finished == SQLITE_OK else {
            throw BenchmarkFailure("sqlite3_backup_step: \(stepped), finish: \(finished): \(String(cString: sqlite3_errmsg(to)))")
        }
    }

    /// `PRAGMA rekey` on the raw C API, then a checkpoint so the re-encrypted
    /// pages are in the database file (and synced), as after a copy.
    static func rekey(_ path: String, from key: [UInt8], to newKey: [UInt8]) throws {
        let db = try RawDatabase(path: path, key: key, cacheSizeKiB: 2048)
        let status = newKey.withUnsafeBytes { sqlite3_rekey_v2(db.handle, "main", $0.baseAddress, Int32($0.count)) }
        guard status == SQLITE_OK else { throw db.failure(status) }
        try db.exec("PRAGMA wal_checkpoint(TRUNCATE)")
    }
}
