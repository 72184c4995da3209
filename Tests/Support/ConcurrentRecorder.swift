import Foundation

/// Collects errors and counts from worker threads in concurrency tests.
///
/// @unchecked Sendable: every property is touched only under `lock`.
public final class ConcurrentRecorder: @unchecked Sendable {
    private let lock = NSLock()
    private var errors: [String] = []
    private var counts: [String: Int] = [:]
    private var stopped = false

    public init() {}

    /// Runs `body`, recording what it throws.
    public func recording(_ body: () throws -> Void) {
        do { try body() } catch { lock.withLock { errors.append(String(describing: error)) } }
    }

    /// Adds one to counter `name`.
    public func count(_ name: String) { lock.withLock { counts[name, default: 0] += 1 } }

    /// Tells workers that loop until told to stop.
    public func stop() { lock.withLock { stopped = true } }
    public var isStopped: Bool { lock.withLock { stopped } }

    public var recordedErrors: [String] { lock.withLock { errors } }
    public func total(_ name: String) -> Int { lock.withLock { counts[name, default: 0] } }
}
