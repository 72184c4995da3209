import Foundation
import SimVault
import Testing
import VaultTestSupport

/// Crash safety of streaming replies: a process streams a 2,000-chunk reply
/// (`vault-torture stream`, reporting each chunk after `append` returned)
/// and is SIGKILLed at a random moment, round after round. The next open
/// must find the reply with every chunk its durability promised, mark it
/// interrupted and index it, in a vault that passes `health` and FTS4's
/// integrity check.
///
/// `SIMVAULT_STREAM_KILL_ROUNDS` sets the rounds (default 40; every third
/// round coalesces chunks by 64 bytes). The loop prints its tally for
/// RELIABILITY.md.
@Suite("kill -9 loops: streaming replies", .serialized)
struct StreamingKillLoopTests {
    static let rounds = Int(ProcessInfo.processInfo.environment["SIMVAULT_STREAM_KILL_ROUNDS"] ?? "") ?? 40
    static let chunks = 2000
    static let coalescedBytes = 64

    /// What one streaming process reported before it died.
    struct Report {
        var messageID: String?
        var lastAppended = -1
        var finished = false
        var failed: String?

        init(_ output: String) {
            for line in output.split(separator: "\n") {
                if line.hasPrefix("begun ") { messageID = String(line.dropFirst(6)) }
                if line.hasPrefix("appended "), let n = Int(line.dropFirst(9)) { lastAppended = n }
                if line == "finished" { finished = true }
                if line.hasPrefix("error ") { failed = String(line) }
            }
        }
    }

    /// The text of chunks `0..<count` of round `tag`.
    static func text(_ tag: String, chunks count: Int) -> String {
        (0..<max(0, count)).map { "\(tag)w\($0) " }.joined()
    }

    /// Reads `fd` line by line until a line starting with `prefix` (or the
    /// end); returns what it read, so it can be parsed with the rest.
    static func readLines(_ fd: Int32, through prefix: String) -> String {
        var text = "", line = [UInt8](), byte: UInt8 = 0
        while true {
            let count = read(fd, &byte, 1)
            if count < 0, errno == EINTR { continue }
            guard count == 1 else { return text }
            line.append(byte)
            guard byte == UInt8(ascii: "\n") else { continue }
            let complete = String(decoding: line, as: UTF8.self)
            text += complete
            line.removeAll()
            if complete.hasPrefix(prefix) { return text }
        }
    }

    static func stream(_ test: TestVault, _ conversation: String, tag: String, bytes: Int = 0, pause: Int = 0) throws -> Subprocess {
        try Subprocess(
            ProjectPaths.tortureBinary,
            ["stream", test.location.path, test.passwordFile, conversation, tag, String(chunks), String(bytes), String(pause)],
            environment: ProcessRunner.baseEnvironment, withStdin: false)
    }

    @Test("a streaming reply killed at random moments keeps every chunk its durability promised; the next open marks it interrupted and search finds it")
    func streamKillLoop() throws {
        let test = try TestVault(label: "kill-stream")
        let conversation = try test.vault.conversations.create(Conversation(title: "streamed under fire"))
        test.vault.close()

        // The scale of the kill delays: uninterrupted runs (the median of
        // three), whole and from the reply's start.
        var runs: [(whole: Double, streaming: Double)] = []
        for run in 0..<3 {
            let started = Date()
            let calibration = try Self.stream(test, conversation.id, tag: "calibration\(run)")
            let begun = Self.readLines(calibration.stdoutFD, through: "begun ").contains("begun ")
            let streamingStarted = Date()
            let (calibrated, _) = calibration.wait(timeout: 120)
            _ = Subprocess.readAll(calibration.stdoutFD)
            _ = Subprocess.readAll(calibration.stderrFD)
            try #require(calibrated == 0 && begun)
            runs.append((Date().timeIntervalSince(started), Date().timeIntervalSince(streamingStarted)))
        }
        let duration = runs.map(\.whole).sorted()[1], streaming = runs.map(\.streaming).sorted()[1]

        var tally: [String: Int] = [:]
        var failures = 0, chunksReported = 0, maxCoalescedLoss = 0
        for round in 1...Self.rounds {
            let tag = "r\(round)"
            let coalesced = round.isMultiple(of: 3)
            let child = try Self.stream(test, conversation.id, tag: tag, bytes: coalesced ? Self.coalescedBytes : 0)
            // Odd rounds: anywhere in a run (starting, opening, streaming,
            // finishing); even rounds: while the reply streams.
            var head = ""
            if round.isMultiple(of: 2) {
                head = Self.readLines(child.stdoutFD, through: "begun ")
                usleep(useconds_t(Double.random(in: 0...(streaming * 0.9)) * 1_000_000))
            } else {
                usleep(useconds_t(Double.random(in: 0.02...(duration * 1.1)) * 1_000_000))
            }
            child.send(SIGKILL)
            let (status, _) = child.wait(timeout: 30)
            let report = Report(head + String(decoding: Subprocess.readAll(child.stdoutFD), as: UTF8.self))
            _ = Subprocess.readAll(child.stderrFD)
            #expect(report.failed == nil, "round \(round): the streaming process failed: \(report.failed ?? "")")

            // A fresh open in this process: the streaming process is gone
            // (and reaped), so its reply is settled now.
            let vault = try test.reopen()
            let stillStreaming: Int = try vault.rawScalar("SELECT count(*) FROM messages WHERE status = 'streaming'") ?? -1
            #expect(stillStreaming == 0, "round \(round): a reply of a dead process is still streaming")
            var sound = stillStreaming == 0 && report.failed == nil
            let outcome: String
            if let id = report.messageID, let message = try vault.messages.get(id: id) {
                let reported = Self.text(tag, chunks: report.lastAppended + 1)
                let full = Self.text(tag, chunks: Self.chunks)
                chunksReported += report.lastAppended + 1
                let isPrefix = full.hasPrefix(message.content)
                // Every chunk: all reported ones are there (and perhaps the
                // one in flight). Coalesced: fewer than `bytes` are missing.
                let missing = reported.utf8.count - message.content.utf8.count
                let kept = coalesced ? missing < Self.coalescedBytes : message.content.hasPrefix(reported)
                if coalesced { maxCoalescedLoss = max(maxCoalescedLoss, missing) }
                #expect(isPrefix && kept, "round \(round): \(reported.utf8.count) bytes reported, \(message.content.utf8.count) kept (coalesced: \(coalesced))")
                let settledRight = report.finished ? message.status == .complete && message.content == full
                    : message.status == .interrupted || (message.status == .complete && message.content == full)
                #expect(settledRight, "round \(round): status \(message.status) after the kill")
                var found = true
                if !message.content.isEmpty {
                    found = try vault.search("\(tag)w0", in: [.messages]).map(\.id) == [id]
                    #expect(found, "round \(round): search does not find the reply")
                }
                let chunksLeft: Int = try vault.rawScalar(
                    "SELECT count(*) FROM message_chunks WHERE message_doc_id = (SELECT doc_id FROM messages WHERE id = ?)", [id]) ?? -1
                #expect(chunksLeft == 0, "round \(round): \(chunksLeft) chunks were not folded in")
                sound = sound && isPrefix && kept && settledRight && found && chunksLeft == 0
                outcome = message.status == .complete ? "finished before the kill (\(coalesced ? "coalesced" : "every chunk"))"
                    : message.content.isEmpty ? "killed after the reply began, before its first chunk was written"
                    : "killed mid-stream (\(coalesced ? "coalesced" : "every chunk")): interrupted, text kept, indexed"
            } else {
                // Killed before "begun" was reported: at most an empty reply,
                // settled like the others (no reply is left streaming).
                outcome = status == 0 ? "finished before the kill" : "killed before the reply began (or before it said so)"
            }
            tally[outcome, default: 0] += 1

            if round.isMultiple(of: 10) || round == Self.rounds {
                do { try vault.checkSearchIndexes() } catch {
                    Issue.record("round \(round): FTS4 integrity check: \(error)")
                    sound = false
                }
                vault.close()
                let health = try ProcessRunner.run(ProjectPaths.simvaultBinary, ["health"] + test.cliArguments)
                #expect(health.status == 0, "round \(round): \(health)")
                if health.status != 0 { sound = false }
            } else {
                vault.close()
            }
            if !sound { failures += 1 }
        }
        print("""
            kill loop, streaming replies (an uninterrupted 2,000-chunk reply takes \(Int(duration * 1000)) ms): \(Self.rounds) kills, \
            \(chunksReported) chunks reported, all present; largest loss in a coalesced round \(maxCoalescedLoss) bytes (bound \(Self.coalescedBytes)); \
            \(failures) failures; 
            """ + tally.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", "))
        #expect(failures == 0)
        let midStream = tally.filter { $0.key.hasPrefix("killed mid-stream") }.map(\.value).reduce(0, +)
        #expect(midStream >= Self.rounds / 3, "a third of the kills at least must land while the reply streams")
    }

    @Test("a reply streaming in a live process is left alone by other opens and commands; killed, it is settled by the next open")
    func liveReplyLeftAlone() throws {
        let test = try TestVault(label: "live-stream")
        let conversation = try test.vault.conversations.create(Conversation(title: "live"))
        test.vault.close()
        let child = try Self.stream(test, conversation.id, tag: "live", pause: 20)
        defer {
            if child.poll() == nil { child.send(SIGKILL) }
            _ = child.wait(timeout: 10)
        }

        // Wait until it has written a few chunks (each open checks the owner).
        var streaming: Message?
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            let vault = try test.reopen()
            streaming = try vault.messages.page(in: conversation.id).messages.first
            vault.close()
            if streaming?.content.contains("livew3 ") == true { break }
            usleep(50_000)
        }
        let reply = try #require(streaming)
        #expect(reply.status == .streaming && reply.content.hasPrefix("livew0 livew1 livew2 livew3 "))
        let exported = try test.cliOK(["export", "conversation", conversation.id, "--format", "markdown"]).stdout
        #expect(exported.contains(" · streaming\n\nlivew0 livew1 "), "\(exported)")
        let health = try test.cli(["health"])
        #expect(health.status == 0, "\(health)")
        let vault = try test.reopen()
        #expect(try vault.messages.get(id: reply.id)?.status == .streaming, "an open settled a live reply")
        vault.close()

        child.send(SIGKILL)
        _ = child.wait(timeout: 10)
        _ = Subprocess.readAll(child.stdoutFD)
        _ = Subprocess.readAll(child.stderrFD)
        let after = try test.reopen()
        defer { after.close() }
        let settled = try #require(try after.messages.get(id: reply.id))
        #expect(settled.status == .interrupted && settled.content.hasPrefix(reply.content))
        #expect(try after.search("livew2").map(\.id) == [reply.id])
        try after.checkSearchIndexes()
    }
}
