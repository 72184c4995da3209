import CSQLCipher
import Foundation
import SimVault

extension BenchmarkRun {
    /// Rekey and backup of a vault grown to `largeVaultBytes`, against copying
    /// its file (`cp` + fsync) in the same run.
    func measureLargeVault() throws {
        progress("growing a \(scale.largeVaultBytes >> 20) MiB vault for rekey and backup")
        let vault = try createVault("large")
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
        let bytes = VaultLocation.size(of: source.path) ?? 0
        let megabytes = Double(bytes) / 1_048_576
        results.add(Fact(group: "Rekey and backup", name: "vault size", value: megabytes, unit: "MiB"))

        // The raw C rekey works on its own copy (made untimed) with the same key.
        let rawCopy = location("large-raw")
        try FileManager.default.copyItem(atPath: source.path, toPath: rawCopy.path)
        let key = try rawKeyText(of: source)
        var rawCurrentKey = key
        let otherKey = Array("x'".utf8) + Array(repeating: UInt8(ascii: "7"), count: 64) + Array("'".utf8)
        let copyTarget = (directory as NSString).appendingPathComponent("large-copy.db")
        let backup = location("large-backup")
        let rawBackup = (directory as NSString).appendingPathComponent("large-raw-backup.db")
        let group = "Rekey and backup"
        let name = String(format: "%.0f MiB", megabytes)

        let copy = try measureEach(group, "cp + fsync of the \(name) file", repeats: scale.iterations.largeVaultRepeats, [
            (.rawC, { try Self.copyAndSync(source.path, to: copyTarget); unlink(copyTarget) }),
        ])
        let backups = try measureEach(group, "backup of the \(name) vault", repeats: scale.iterations.largeVaultRepeats, [
            (.encrypted, {
                _ = try vault.snapshot(to: backup)
                for file in backup.allFiles { unlink(file) }
            }),
            (.rawC, {
                try Self.onlineBackup(source.path, key: key, to: rawBackup)
                unlink(rawBackup)
            }),
        ])
        var rekeyOperations: [(Variant, () throws -> Void)] = [
            (.rawC, {
                let next = rawCurrentKey == key ? otherKey : key
                try Self.rekey(rawCopy.path, from: rawCurrentKey, to: next)
                rawCurrentKey = next
            }),
        ]
        vault.close()
        if let simvaultRekey = SimvaultRekey.operation(location: source, password: password) {
            rekeyOperations.insert((.encrypted, simvaultRekey), at: 0)
        } else {
            results.notes.append(SimvaultRekey.pendingNote)
        }
        let rekeys = try measureEach(group, "rekey of the \(name) vault", repeats: scale.iterations.largeVaultRepeats, rekeyOperations)

        let copyTime = copy.samples[.rawC]!.p50.milliseconds
        for (result, label) in [(backups, "backup"), (rekeys, "rekey")] {
            for variant in [Variant.encrypted, .rawC] {
                guard let time = result.p50(variant) else { continue }
                results.add(Fact(
                    group: group, name: "\(label) / file copy (\(variant.rawValue))", value: time / copyTime, unit: "x",
                    note: "target ≤ 3x"))
            }
        }
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
        sqlite3_exec(to, "PRAGMA cipher_page_size = 4096", nil, nil, nil)
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
