import CSQLCipher
import Foundation
import SimVault

extension BenchmarkRun {
    /// Pages one append writes (WAL frames per commit), and what sealing
    /// (encrypt + HMAC) and opening (decrypt + verify) one page costs.
    ///
    /// Over 100 appends (the window of earlier runs) and over 1,000: an
    /// append writes its rows, and every 32nd also indexes the batch of
    /// waiting messages, so the longer window gives the average.
    func measurePageCosts() throws {
        progress("pages per append, cost of one page")
        var random = SeededRandom(seed: 0xBE4C_0005)
        let windows = [max(10, scale.iterations.append / 10), scale.iterations.append]
        let conversations = dataset.conversations
        let messages = (0..<windows[1]).map { index in
            MessageRecord(
                id: random.uuid(), conversationID: conversations[Int.random(in: 0..<conversations.count, using: &random)].id,
                role: index % 2 == 0 ? "user" : "assistant",
                content: dataset.corpus.text(length: Int.random(in: Dataset.messageLength, using: &random), &random),
                tokens: 100, createdAt: 0)
        }
        for subject in subjects {
            // With automatic checkpoints off, the WAL keeps every frame.
            try setAutoCheckpoint(0, on: subject)
            var appended = 0
            for window in windows {
                for message in messages[appended..<window] { _ = try subject.appendMessage(message) }
                appended = window
                results.add(Fact(
                    group: "Page cost", name: "pages written per append, \(window.formatted()) appends (\(subject.variant.rawValue))",
                    value: walFrames(of: subject) / Double(window), unit: "pages", note: "WAL frames over \(window.formatted()) appends; target ≤ 9"))
            }
            try setAutoCheckpoint(1000, on: subject)
        }
        try measurePageCrypto()
    }

    func setAutoCheckpoint(_ pages: Int, on subject: any Subject) throws {
        try subject.checkpoint()
        let sql = "PRAGMA wal_autocheckpoint = \(pages)"
        switch subject {
        case let library as LibrarySubject:
            try library.vault.writeWithoutTransaction { db in try db.execute(sql) }
        case let raw as RawSubject:
            guard sqlite3_exec(raw.handle, sql, nil, nil, nil) == SQLITE_OK else { throw BenchmarkFailure("cannot set \(sql)") }
        default:
            break
        }
    }

    /// Writes (then reads, with a cold page cache) one large BLOB through
    /// SQLCipher, with and without a key; the difference divided by the
    /// pages written is the cost of sealing (opening) one page.
    private func measurePageCrypto() throws {
        let blobBytes = options.isQuick ? 4 << 20 : 32 << 20
        let pages = Double(blobBytes) / 4048
        var write: [Bool: Samples] = [:], read: [Bool: Samples] = [:]
        for round in 0..<(options.isQuick ? 2 : 6) {
            for isEncrypted in [round % 2 == 0, round % 2 != 0] {
                let path = (directory as NSString).appendingPathComponent("page-cost-\(round)-\(isEncrypted).db")
                defer { for suffix in ["", "-wal", "-shm"] { unlink(path + suffix) } }
                let key = isEncrypted ? rawKey : nil
                let (writeTime, readTime) = try {
                    let db = try RawDatabase(path: path, key: key, cacheSizeKiB: 2048, creates: true)
                    try db.exec("CREATE TABLE t (b BLOB)")
                    let writeTime = try Clock.measure { try db.exec("INSERT INTO t VALUES (zeroblob(\(blobBytes)))") }.nanoseconds
                    try db.exec("PRAGMA wal_checkpoint(TRUNCATE)")
                    let reader = try RawDatabase(path: path, key: key, cacheSizeKiB: 2048)
                    let select = try reader.prepare("SELECT b FROM t")
                    let readTime = try Clock.measure { () throws -> Int in
                        defer { sqlite3_reset(select) }
                        guard try reader.step(select) else { return 0 }
                        return Int(sqlite3_column_bytes(select, 0))
                    }.nanoseconds
                    return (writeTime, readTime)
                }()
                write[isEncrypted, default: Samples()].add(writeTime)
                read[isEncrypted, default: Samples()].add(readTime)
            }
        }
        let seal = (Double(write[true]!.p50) - Double(write[false]!.p50)) / pages / 1000
        let open = (Double(read[true]!.p50) - Double(read[false]!.p50)) / pages / 1000
        results.add(Fact(
            group: "Page cost", name: "sealing one 4 KiB page (AES-256-CBC + HMAC-SHA1)", value: seal, unit: "µs",
            note: "\(blobBytes >> 20) MiB BLOB written with and without a key"))
        results.add(Fact(
            group: "Page cost", name: "opening one 4 KiB page (decrypt + verify)", value: open, unit: "µs",
            note: "the same BLOB read back with a cold page cache"))
    }
}
