import Foundation

/// One timed operation, measured for some or all variants.
struct OperationResult: Sendable {
    /// Section of the table, e.g. "Messages".
    let group: String
    let name: String
    /// A target from the issue for the encrypted p50, if any (milliseconds).
    var targetMilliseconds: Double?
    /// Whether the encrypted/plaintext ratio has the 1.10 target (reads and
    /// bulk import; not single writes, whose every page must be sealed).
    var hasEncryptionTarget: Bool
    var samples: [Variant: Samples] = [:]
    /// Use totals rather than p50 for ratios (one-off operations).
    var comparesTotals = false

    func p50(_ variant: Variant) -> Double? { samples[variant].map { $0.p50.milliseconds } }
    func p95(_ variant: Variant) -> Double? { samples[variant].map { $0.p95.milliseconds } }

    private func comparable(_ variant: Variant) -> Double? {
        guard let samples = samples[variant], samples.count > 0 else { return nil }
        return comparesTotals ? samples.total.milliseconds : samples.p50.milliseconds
    }

    /// simvault encrypted / simvault plaintext.
    var encryptionRatio: Double? {
        guard let encrypted = comparable(.encrypted), let plain = comparable(.plaintext), plain > 0 else { return nil }
        return encrypted / plain
    }

    /// simvault encrypted / raw C encrypted.
    var libraryRatio: Double? {
        guard let encrypted = comparable(.encrypted), let raw = comparable(.rawC), raw > 0 else { return nil }
        return encrypted / raw
    }
}

/// A measured quantity that is not a latency: sizes, counts, per-page costs.
struct Fact: Sendable, Codable {
    let group: String
    let name: String
    let value: Double
    let unit: String
    var note: String?
}

/// Everything one run measured, plus where and how.
final class Results {
    var operations: [OperationResult] = []
    var facts: [Fact] = []
    /// Subjects that answered an operation differently (must stay empty).
    var disagreements: [String] = []
    var notes: [String] = []

    func add(_ fact: Fact) { facts.append(fact) }
}
