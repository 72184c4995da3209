import Foundation
import SimVault

/// A test-only program that hammers a vault from its own process, for the
/// crash-consistency and concurrency tests (Tests/SimVaultCLITests).
///
///     vault-torture write VAULT PASSWORD_FILE|keyring CONVERSATION_ID WRITER COUNT [THREADS]
///         appends COUNT messages ("<WRITER>-<n>"), one transaction each, from
///         THREADS threads, printing "committed <id>" after each commit
///     vault-torture read VAULT PASSWORD_FILE CONVERSATION_ID SECONDS
///         pages through the conversation and searches it in a loop
///     vault-torture stream VAULT PASSWORD_FILE CONVERSATION_ID TAG COUNT [BYTES [PAUSE_MS]]
///         streams a reply of COUNT chunks "<TAG>w<n> " ("begun <message id>",
///         then "appended <n>" after each append returns, "finished"), every
///         chunk durable, or coalesced by BYTES (> 0; no time limit), with
///         PAUSE_MS between chunks
///     vault-torture migrate-app VAULT PASSWORD_FILE
///         applies the app migrations of namespace org.example.torture
///         (``appMigrations``), printing "done"
///     vault-torture async-waiters VAULT PASSWORD_FILE CONVERSATION_ID TASKS [HOLD_MS]
///         opens the vault with 2 readers and starts TASKS concurrent async
///         reads, writes and `perform`s, each holding its connection HOLD_MS
///         (default 20); prints "threads baseline <n> peak <n> completed <n>" (the
///         process's thread count, /proc/self/task, before and at most during)
///
/// A commit is reported only after `append` returned, with an unbuffered
/// write(2), so every reported id must survive a SIGKILL at any moment. Any
/// error is printed as "error <description>" and exits 1.
@main
struct VaultTorture {
    static func main() {
        let arguments = Array(CommandLine.arguments.dropFirst())
        do {
            switch arguments.first {
            case "write" where arguments.count >= 6: try write(arguments)
            case "read" where arguments.count == 5: try read(arguments)
            case "stream" where arguments.count >= 6: try stream(arguments)
            case "migrate-app" where arguments.count == 3:
                let vault = try open(arguments[1], passwordFile: arguments[2])
                try vault.migrate(appMigrations)
                report("done")
            case "async-waiters" where arguments.count >= 5: try asyncWaiters(arguments)
            default:
                report("usage: vault-torture write VAULT PASSWORD_FILE CONVERSATION WRITER COUNT [THREADS] | read VAULT PASSWORD_FILE CONVERSATION SECONDS | stream VAULT PASSWORD_FILE CONVERSATION TAG COUNT [BYTES [PAUSE_MS]] | migrate-app VAULT PASSWORD_FILE")
                exit(64)
            }
        } catch {
            report("error \((error as? any LocalizedError)?.errorDescription ?? String(describing: error))")
            exit(1)
        }
    }

    /// An app's migrations with work worth interrupting: 3000 rows of 1 KB
    /// with a child row each, then a rebuild of the parent table (foreign
    /// keys deferred: the children must survive), then an FTS4 index.
    static let appMigrations: AppMigrations = {
        var migrations = AppMigrations(namespace: "org.example.torture")
        migrations.register("create_journal", sql: """
            CREATE TABLE journal (id INTEGER PRIMARY KEY, body TEXT NOT NULL);
            CREATE TABLE tags (journal_id INTEGER NOT NULL REFERENCES journal (id) ON DELETE CASCADE, tag TEXT NOT NULL);
            """)
        migrations.register("fill_journal") { db in
            for number in 1...3000 {
                try db.execute("INSERT INTO journal (id, body) VALUES (?, ?)", [number, "heron entry \(number) " + String(repeating: "h", count: 1000)])
                try db.execute("INSERT INTO tags (journal_id, tag) VALUES (?, 'kept')", [number])
            }
        }
        migrations.register("rebuild_journal", sql: """
            CREATE TABLE journal_new (id INTEGER PRIMARY KEY, body TEXT NOT NULL, mood TEXT);
            INSERT INTO journal_new (id, body) SELECT id, body FROM journal;
            DROP TABLE journal;
            ALTER TABLE journal_new RENAME TO journal;
            """)
        migrations.register("index_journal", sql: """
            CREATE VIRTUAL TABLE journal_fts USING fts4(content="journal", body);
            INSERT INTO journal_fts (journal_fts) VALUES ('rebuild');
            """)
        return migrations
    }()

    /// `passwordFile` "keyring" opens through the Secret Service instead.
    static func open(_ path: String, passwordFile: String, configuration: VaultConfiguration = VaultConfiguration()) throws -> Vault {
        if passwordFile == "keyring" { return try Vault.open(at: VaultLocation(path: path), unlock: UnlockRequest(), configuration: configuration) }
        guard var bytes = FileManager.default.contents(atPath: passwordFile).map(Array.init) else {
            throw VaultError.invalidArgument(detail: "cannot read \(passwordFile)")
        }
        while bytes.last == 0x0A { bytes.removeLast() }
        return try Vault.open(at: VaultLocation(path: path), unlock: .password(SecretBytes(consuming: &bytes)), configuration: configuration)
    }

    static func write(_ arguments: [String]) throws {
        let vault = try open(arguments[1], passwordFile: arguments[2])
        let conversation = arguments[3], writer = arguments[4]
        guard let count = Int(arguments[5]) else { throw VaultError.invalidArgument(detail: "COUNT") }
        let threads = arguments.count > 6 ? max(1, Int(arguments[6]) ?? 1) : 1
        let failure = FailureBox()
        DispatchQueue.concurrentPerform(iterations: threads) { thread in
            var n = thread
            while n < count, !failure.isSet {
                let id = "\(writer)-\(n)"
                do {
                    try vault.messages.append(to: conversation, role: .user, content: "torture message \(id) " + String(repeating: "x", count: 200), id: id)
                    report("committed \(id)")
                } catch {
                    failure.set((error as? any LocalizedError)?.errorDescription ?? String(describing: error))
                }
                n += threads
            }
        }
        if let message = failure.message { throw VaultError.io(detail: message) }
        report("done")
    }

    static func stream(_ arguments: [String]) throws {
        let vault = try open(arguments[1], passwordFile: arguments[2])
        let tag = arguments[4]
        guard let count = Int(arguments[5]) else { throw VaultError.invalidArgument(detail: "COUNT") }
        let bytes = arguments.count > 6 ? Int(arguments[6]) ?? 0 : 0
        let pause = arguments.count > 7 ? useconds_t(arguments[7]) ?? 0 : 0
        let reply = try vault.messages.beginReply(
            in: arguments[3], model: "torture", durability: bytes > 0 ? .coalesced(milliseconds: 3_600_000, bytes: bytes) : .everyChunk)
        report("begun \(reply.messageID)")
        for n in 0..<count {
            try reply.append("\(tag)w\(n) ")
            report("appended \(n)")
            if pause > 0 { usleep(pause * 1000) }
        }
        try reply.finish(tokens: count)
        report("finished")
    }

    static func read(_ arguments: [String]) throws {
        let vault = try open(arguments[1], passwordFile: arguments[2])
        let deadline = Date().addingTimeInterval(Double(arguments[4]) ?? 1)
        var reads = 0
        while Date() < deadline {
            _ = try vault.messages.latest(in: arguments[3], limit: 50)
            _ = try vault.search("torture", in: [.messages], limit: 10)
            reads += 1
        }
        report("reads \(reads)")
    }

    /// Many async callers against a small pool: callers that wait must
    /// suspend, so the thread count stays near the pool's size however many
    /// callers wait. Each body sleeps a little so that callers pile up.
    static func asyncWaiters(_ arguments: [String]) throws {
        var configuration = VaultConfiguration()
        configuration.maximumReaderCount = 2
        let vault = try open(arguments[1], passwordFile: arguments[2], configuration: configuration)
        defer { vault.close() }
        let conversation = arguments[3]
        guard let tasks = Int(arguments[4]), tasks > 0 else { throw VaultError.invalidArgument(detail: "TASKS") }
        let hold = useconds_t(arguments.count > 5 ? Int(arguments[5]) ?? 20 : 20) * 1000
        let outcome = OutcomeBox()
        let finished = DispatchSemaphore(value: 0)
        @Sendable func run() async throws -> (Int, Int, Int) {
            // Warm up every path once, so the baseline includes the
            // threads any single call needs.
            _ = try await vault.read { db in try db.scalar("SELECT count(*) FROM messages", as: Int.self) }
            _ = try await vault.write { db in try db.scalar("SELECT count(*) FROM messages", as: Int.self) }
            _ = try await vault.perform { vault in try vault.messages.count(in: conversation) }
            let sampler = ThreadCountSampler()
            let baseline = sampler.start()
            let completed = try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<tasks {
                    group.addTask {
                        switch index % 3 {
                        case 0:
                            _ = try await vault.read { db in
                                usleep(hold)
                                return try db.scalar("SELECT count(*) FROM messages", as: Int.self)
                            }
                        case 1:
                            try await vault.write { db in
                                usleep(hold)
                                try db.execute("UPDATE conversations SET title = title WHERE id = ?", [conversation])
                            }
                        default:
                            _ = try await vault.perform { vault in
                                usleep(hold)
                                return try vault.messages.count(in: conversation)
                            }
                        }
                    }
                }
                var completed = 0
                for try await _ in group { completed += 1 }
                return completed
            }
            return (baseline, sampler.stop(), completed)
        }
        Task {
            do { outcome.set(.success(try await run())) } catch { outcome.set(.failure(error)) }
            finished.signal()
        }
        finished.wait()
        let (baseline, peak, completed) = try outcome.get()
        report("threads baseline \(baseline) peak \(peak) completed \(completed)")
    }

    /// One line on stdout with write(2): nothing is buffered in the process.
    static func report(_ line: String) {
        let bytes = Array((line + "\n").utf8)
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = Glibc.write(STDOUT_FILENO, buffer.baseAddress! + offset, buffer.count - offset)
                if written <= 0 { if errno == EINTR { continue }; return }
                offset += written
            }
        }
    }
}

/// @unchecked Sendable: `value` only under `lock`.
private final class FailureBox: @unchecked Sendable {
    private let lock = NSLock()
    private var value: String?
    var isSet: Bool { lock.withLock { value != nil } }
    var message: String? { lock.withLock { value } }
    func set(_ text: String) { lock.withLock { if value == nil { value = text } } }
}

/// @unchecked Sendable: `value` only under `lock`.
private final class OutcomeBox: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Result<(Int, Int, Int), any Error>?
    func set(_ result: Result<(Int, Int, Int), any Error>) { lock.withLock { value = result } }
    func get() throws -> (Int, Int, Int) { try lock.withLock { value! }.get() }
}

/// Samples the process's thread count (/proc/self/task) from a thread of its
/// own until stopped, keeping the highest count seen.
///
/// @unchecked Sendable: `peak` and `isStopped` only under `lock`.
private final class ThreadCountSampler: @unchecked Sendable {
    private let lock = NSLock()
    private var peak = 0
    private var isStopped = false
    private let done = DispatchSemaphore(value: 0)

    static func current() -> Int {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task").count) ?? 0
    }

    /// Starts sampling; returns the count with the sampler's thread running.
    func start() -> Int {
        let started = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            started.signal()
            while true {
                let count = Self.current()
                let stop = self.lock.withLock { () -> Bool in
                    self.peak = max(self.peak, count)
                    return self.isStopped
                }
                if stop { break }
                usleep(500)
            }
            self.done.signal()
        }
        started.wait()
        let baseline = Self.current()
        lock.withLock { peak = max(peak, baseline) }
        return baseline
    }

    /// Stops sampling; returns the highest count seen.
    func stop() -> Int {
        lock.withLock { isStopped = true }
        done.wait()
        return lock.withLock { peak }
    }
}
