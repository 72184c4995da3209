import Foundation

/// A running process, named so that another process can tell later whether
/// it is still running: the boot it runs in, its pid, and its start time
/// (Linux `/proc`). A pid alone is not enough, pids are reused; a pid with
/// the same start time in the same boot is the same process.
///
/// ```swift
/// let owner = ProcessIdentity.current?.token          // "3f2c… 4242 1234567"
/// ProcessIdentity(token: owner)?.isRunning            // true while it runs
/// ```
struct ProcessIdentity: Equatable {
    /// `/proc/sys/kernel/random/boot_id`: changes at every boot.
    let bootID: String
    let pid: Int32
    /// Clock ticks after boot at which the process started (field 22 of
    /// `/proc/<pid>/stat`).
    let startTime: UInt64

    /// This process, or nil where `/proc` cannot say.
    static var current: ProcessIdentity? {
        let pid = getpid()
        guard let bootID = bootID(), let (_, startTime) = stat(of: pid) else { return nil }
        return ProcessIdentity(bootID: bootID, pid: pid, startTime: startTime)
    }

    /// `boot-id pid start-time`, as stored in `messages.reply_owner`.
    var token: String { "\(bootID) \(pid) \(startTime)" }

    init(bootID: String, pid: Int32, startTime: UInt64) {
        self.bootID = bootID
        self.pid = pid
        self.startTime = startTime
    }

    /// Nil for text that is not a token.
    init?(token: String) {
        let parts = token.split(separator: " ")
        guard parts.count == 3, let pid = Int32(parts[1]), let startTime = UInt64(parts[2]) else { return nil }
        self.init(bootID: String(parts[0]), pid: pid, startTime: startTime)
    }

    /// Whether this process still runs: same boot, its pid started at the
    /// same time, and it is not a zombie (dead, only waiting for its parent
    /// to collect its exit status).
    var isRunning: Bool {
        guard bootID == Self.bootID(), let (state, started) = Self.stat(of: pid) else { return false }
        return started == startTime && state != "Z" && state != "X"
    }

    private static func bootID() -> String? {
        (try? String(contentsOfFile: "/proc/sys/kernel/random/boot_id", encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The state letter and start time from `/proc/<pid>/stat`. The command
    /// name (field 2) is in parentheses and may hold spaces and
    /// parentheses, so fields are counted after its last `)`.
    private static func stat(of pid: Int32) -> (state: Character, startTime: UInt64)? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let end = text.lastIndex(of: ")") else { return nil }
        // After ")": field 3 (state) is first, field 22 (starttime) is 20th.
        let fields = text[text.index(after: end)...].split(separator: " ")
        guard fields.count >= 20, let state = fields[0].first, let startTime = UInt64(fields[19]) else { return nil }
        return (state, startTime)
    }
}
