import CSQLCipher
import Foundation
import SimVault

extension BenchmarkRun {
    /// Chunks of a streamed reply: a word and a space each (about 6 bytes,
    /// the size of an LLM token or two), from the corpus's distribution.
    func replyChunks(_ count: Int, seed: UInt64) -> [String] {
        var random = SeededRandom(seed: seed)
        return (0..<count).map { _ in dataset.corpus.word(dataset.corpus.randomRank(&random)) + " " }
    }

    /// Streaming replies of `scale.replyChunks` chunks: every chunk in its
    /// own transaction on all three subjects, interleaved chunk by chunk;
    /// then ending each reply. Afterwards the same on the encrypted vault
    /// coalesced by time and size, and with `synchronous = FULL` (an fsync
    /// per chunk): the durability trade-off.
    func measureStreaming() throws {
        progress("streaming replies: \(scale.replies) of \(scale.replyChunks) chunks")
        let chunks = replyChunks(scale.replyChunks, seed: 0xBE4C_0006)
        var random = SeededRandom(seed: 0xBE4C_0007)
        let conversations = dataset.conversations
        var append = OperationResult(
            group: "Streaming", name: "stream a reply: append one chunk (every chunk written)", targetMilliseconds: 0.15,
            hasEncryptionTarget: false)
        /// The thread's CPU time per chunk (simvault): what the code itself
        /// costs, without the time the thread waited for a core.
        var cpu = Samples()
        var finish = OperationResult(
            group: "Streaming", name: "end a \(scale.replyChunks.formatted())-chunk reply (fold the chunks, index it once)",
            targetMilliseconds: nil, hasEncryptionTarget: false)
        for reply in 0..<scale.replies {
            let id = random.uuid(), conversation = conversations[Int.random(in: 0..<conversations.count, using: &random)].id
            for subject in subjects { _ = try subject.beginReply(id: id, conversationID: conversation) }
            for (index, chunk) in chunks.enumerated() {
                for offset in subjects.indices {
                    let subject = subjects[(index + offset) % subjects.count]
                    let cpuBefore = Clock.threadCPU()
                    let (_, nanoseconds) = try Clock.measure { try subject.appendChunk(chunk, toReply: id) }
                    if subject.variant == .encrypted { cpu.add(Clock.threadCPU() - cpuBefore) }
                    append.samples[subject.variant, default: Samples()].add(nanoseconds)
                }
            }
            var lengths: Set<Int> = []
            for offset in subjects.indices {
                let subject = subjects[(reply + offset) % subjects.count]
                let (length, nanoseconds) = try Clock.measure { try subject.finishReply(id: id) }
                finish.samples[subject.variant, default: Samples()].add(nanoseconds)
                lengths.insert(length)
            }
            if lengths != [chunks.joined().utf8.count] {
                results.disagreements.append("streaming: the subjects' replies differ (\(lengths.sorted()) bytes)")
            }
        }
        results.operations += [append, finish]
        results.add(Fact(
            group: "Streaming", name: "p99 of appending one chunk (simvault)", value: append.samples[.encrypted]?.percentile(99).milliseconds ?? 0,
            unit: "ms", note: "target ≤ 1 ms; \(append.samples[.encrypted]?.count ?? 0) chunks"))
        results.add(Fact(
            group: "Streaming", name: "p99 of appending one chunk (raw C)", value: append.samples[.rawC]?.percentile(99).milliseconds ?? 0,
            unit: "ms", note: ""))
        results.add(Fact(
            group: "Streaming", name: "p99 of one chunk's CPU time (simvault)", value: cpu.percentile(99).milliseconds, unit: "ms",
            note: "the thread's own time (user + system), without waits for a core; p50 \(TableReport.number(cpu.p50.milliseconds)) ms"))
        try measureDurabilityTradeOff(chunks)
        try measureReplyWrites(chunks)
    }

    /// Per-chunk cost on the encrypted vault: coalesced (100 ms / 4 KiB),
    /// and every chunk with `synchronous = FULL` (a second instance of the
    /// vault, so the other workloads keep NORMAL).
    private func measureDurabilityTradeOff(_ chunks: [String]) throws {
        var full = VaultConfiguration()
        full.synchronous = "FULL"
        let synced = try Vault.open(at: encrypted.vault.location, unlock: .password(password), configuration: full)
        defer { synced.close() }
        let conversation = dataset.conversations[0].id
        for (name, vault, durability) in [
            ("stream a reply: append one chunk, coalesced (100 ms or 4 KiB)", encrypted.vault, ReplyDurability.coalesced(milliseconds: 100, bytes: 4096)),
            ("stream a reply: append one chunk, every chunk written with synchronous = FULL", synced, .everyChunk),
        ] {
            var result = OperationResult(group: "Streaming", name: name, targetMilliseconds: nil, hasEncryptionTarget: false)
            let reply = try vault.messages.beginReply(in: conversation, durability: durability)
            for chunk in chunks.prefix(options.isQuick ? 100 : 1000) {
                let (_, nanoseconds) = try Clock.measure { try reply.append(chunk) }
                result.samples[.encrypted, default: Samples()].add(nanoseconds)
            }
            // Gone again, so the vaults keep the same messages for the
            // workloads that compare them.
            try vault.messages.delete(id: try reply.finish().id)
            results.operations.append(result)
        }
    }

    /// What one reply writes, with automatic checkpoints off so the WAL
    /// keeps every frame: WAL pages per chunk, the WAL's growth, and the
    /// full-text index rows written while it streams and when it ends.
    private func measureReplyWrites(_ chunks: [String]) throws {
        let conversation = dataset.conversations[1].id
        for subject in subjects {
            try setAutoCheckpoint(0, on: subject)
            let index = try fullTextState(of: subject)
            let id = "wal-probe-\(subject.variant.rawValue)"
            _ = try subject.beginReply(id: id, conversationID: conversation)
            let walBefore = walFrames(of: subject)
            for chunk in chunks { try subject.appendChunk(chunk, toReply: id) }
            let walAfter = walFrames(of: subject)
            let whileStreaming = try fullTextState(of: subject)
            _ = try subject.finishReply(id: id)
            let walFinish = walFrames(of: subject) - walAfter
            try setAutoCheckpoint(1000, on: subject)
            let frames = walAfter - walBefore
            let name = subject.variant.rawValue
            results.add(Fact(
                group: "Streaming", name: "WAL pages per chunk (\(name))", value: frames / Double(chunks.count), unit: "pages",
                note: "\(chunks.count.formatted()) chunks: the WAL grows by \(ByteCount.format(Int64(frames * Double(4096 + 24)))) (checkpoints every 1,000 pages bound the file); ending the reply writes \(Int(walFinish)) pages"))
            results.add(Fact(
                group: "Streaming", name: "full-text index rows written while streaming (\(name))",
                value: Double(whileStreaming.changedRows(since: index)), unit: "rows",
                note: "segdir, docsize and stat rows changed during \(chunks.count.formatted()) chunks; the reply is indexed once, when it ends"))
        }
    }

    /// Rows of `messages_fts`'s segdir and docsize, and its stat row.
    private struct FullTextState {
        var segments: Int
        var documents: Int
        var statistics: Data

        func changedRows(since other: FullTextState) -> Int {
            abs(segments - other.segments) + abs(documents - other.documents) + (statistics == other.statistics ? 0 : 1)
        }
    }

    private func fullTextState(of subject: any Subject) throws -> FullTextState {
        let path = subject.databasePath
        let key: [UInt8]? = subject.variant == .plaintext ? nil : subject.variant == .rawC ? rawKey : try rawKeyText(of: VaultLocation(path: path))
        let db = try RawDatabase(path: path, key: key, cacheSizeKiB: 2048)
        let count = { (sql: String) throws -> Int in
            let statement = try db.prepare(sql)
            return Int(try db.integer(statement) ?? -1)
        }
        let stat = try db.prepare("SELECT value FROM messages_fts_stat WHERE id = 0")
        defer { sqlite3_reset(stat) }
        let statistics = try db.step(stat) ? columnBlob(stat, 0) : Data()
        return FullTextState(
            segments: try count("SELECT count(*) FROM messages_fts_segdir"), documents: try count("SELECT count(*) FROM messages_fts_docsize"),
            statistics: statistics)
    }

    /// Frames in the subject's WAL (with checkpoints off, every page written).
    func walFrames(of subject: any Subject) -> Double {
        let bytes = Double(VaultLocation.size(of: subject.databasePath + "-wal") ?? 0)
        return max(0, bytes - 32) / Double(4096 + 24)
    }

    /// Search with messages waiting for the index (the library subjects
    /// only: the raw C baseline searches indexed messages): 24 appended
    /// after a batch, then every query kind; afterwards the waiting messages
    /// are indexed and every query repeated, and the results must be the
    /// same (ids and scores).
    func measureSearchWithWaitingMessages() throws {
        progress("search with messages waiting for the index")
        var random = SeededRandom(seed: 0xBE4C_0008)
        let waiting = (0..<24).map { index in
            MessageRecord(
                id: random.uuid(), conversationID: dataset.conversations[index * 7 % dataset.conversations.count].id,
                role: "assistant", content: dataset.corpus.text(length: Int.random(in: Dataset.messageLength, using: &random), &random),
                tokens: 100, createdAt: 0)
        }
        let libraries = [encrypted!, plaintext!]
        for library in libraries {
            try library.vault.messages.indexPendingMessages()
            for message in waiting { _ = try library.appendMessage(message) }
        }
        var expected: [String: [Int]] = [:]
        for kind in searchKinds {
            try measure(
                "Search", "search, \(kind.name), 24 messages waiting", iterations: max(1, scale.iterations.searchPerQuery / 2), warmup: 1,
                target: 10, variants: [.encrypted, .plaintext]
            ) { subject, round in
                let hits = try subject.searchMessages(kind.query(round), limit: 20)
                if subject.variant == .encrypted { expected["\(kind.name) \(round)"] = (hits as! [SearchHit]).map { $0.id.hashValue &+ $0.score.hashValue } }
                return hits
            }
        }
        try encrypted.vault.messages.indexPendingMessages()
        var differing = 0
        for kind in searchKinds {
            for round in 0..<(1 + max(1, scale.iterations.searchPerQuery / 2)) {
                let hits = try encrypted.vault.search(kind.query(round), in: [.messages], limit: 20)
                if hits.map({ $0.id.hashValue &+ $0.score.hashValue }) != expected["\(kind.name) \(round)"] { differing += 1 }
            }
        }
        if differing > 0 { results.disagreements.append("search with waiting messages: \(differing) queries differ once they are indexed") }
        results.add(Fact(
            group: "Search", name: "queries whose results changed when the 24 waiting messages were indexed", value: Double(differing),
            unit: "queries", note: "ids and scores compared; must be 0"))
    }
}
