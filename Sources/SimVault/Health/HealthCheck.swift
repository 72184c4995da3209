/// One line of `simvault health`: a named check, its status and a detail
/// that says what was found (and, when not ok, what to do).
public struct HealthCheck: Sendable, Equatable, Codable {
    /// Outcome of a check, ordered by severity.
    public enum Status: String, Sendable, Codable, Comparable {
        case ok, skipped, warning, failed

        private var rank: Int {
            switch self {
            case .ok: return 0
            case .skipped: return 1
            case .warning: return 2
            case .failed: return 3
            }
        }

        public static func < (lhs: Status, rhs: Status) -> Bool { lhs.rank < rhs.rank }
    }

    public let name: String
    public let status: Status
    public let detail: String

    public init(_ name: String, _ status: Status, _ detail: String) {
        self.name = name
        self.status = status
        self.detail = detail
    }
}

/// The result of `VaultHealth.check`: every check in order.
public struct HealthReport: Sendable, Codable {
    /// Overall verdict.
    public enum Verdict: String, Sendable, Codable {
        case healthy, warnings, failed
    }

    public let path: String
    public let vaultID: String?
    public let checks: [HealthCheck]

    public var verdict: Verdict {
        switch checks.map(\.status).max() ?? .ok {
        case .ok, .skipped: return .healthy
        case .warning: return .warnings
        case .failed: return .failed
        }
    }

    /// The named check, if it ran.
    public func check(named name: String) -> HealthCheck? { checks.first { $0.name == name } }

    enum CodingKeys: String, CodingKey {
        case path, checks, verdict
        case vaultID = "vault_id"
    }

    public init(path: String, vaultID: String?, checks: [HealthCheck]) {
        self.path = path
        self.vaultID = vaultID
        self.checks = checks
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        path = try container.decode(String.self, forKey: .path)
        vaultID = try container.decodeIfPresent(String.self, forKey: .vaultID)
        checks = try container.decode([HealthCheck].self, forKey: .checks)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(path, forKey: .path)
        try container.encode(vaultID, forKey: .vaultID)
        try container.encode(verdict, forKey: .verdict)
        try container.encode(checks, forKey: .checks)
    }
}
