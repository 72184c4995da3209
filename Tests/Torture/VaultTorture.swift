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
    static func open(_ path: String, passwordFile: String) throws -> Vault {
        if passwordFile == "keyring" { return try Vault.open(at: VaultLocation(path: path), unlock: UnlockRequest()) }
        guard var bytes = FileManager.default.contents(atPath: passwordFile).map(Array.init) else {
            throw VaultError.invalidArgument(detail: "cannot read \(passwordFile)")
        }
        while bytes.last == 0x0A { bytes.removeLast() }
        return try Vault.open(at: VaultLocation(path: path), unlock: .password(SecretBytes(consuming: &bytes)))
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
