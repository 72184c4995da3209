import Glibc

/// Monotonic time in nanoseconds (`CLOCK_MONOTONIC`).
enum Clock {
    static func now() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
    }

    /// CPU time this thread has used, in nanoseconds
    /// (`CLOCK_THREAD_CPUTIME_ID`): it does not advance while the thread
    /// waits for a core.
    static func threadCPU() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
        return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
    }

    /// Runs `body` and returns its result with the nanoseconds it took.
    static func measure<T>(_ body: () throws -> T) rethrows -> (value: T, nanoseconds: UInt64) {
        let start = now()
        let value = try body()
        return (value, now() - start)
    }
}

/// Durations of one operation, in nanoseconds.
struct Samples: Sendable {
    private(set) var nanoseconds: [UInt64] = []

    mutating func add(_ value: UInt64) { nanoseconds.append(value) }

    var count: Int { nanoseconds.count }
    var total: UInt64 { nanoseconds.reduce(0, +) }

    /// The nearest-rank percentile `p` (0...100).
    func percentile(_ p: Double) -> UInt64 {
        guard !nanoseconds.isEmpty else { return 0 }
        let sorted = nanoseconds.sorted()
        let rank = Int((p / 100 * Double(sorted.count)).rounded(.up))
        return sorted[min(max(rank, 1), sorted.count) - 1]
    }

    var p50: UInt64 { percentile(50) }
    var p95: UInt64 { percentile(95) }
}

extension UInt64 {
    var milliseconds: Double { Double(self) / 1_000_000 }
}
