/// How far a long operation (backup, restore, import, encrypt) has come, for
/// a progress display. The library only reports; the CLI draws it on a
/// terminal.
public struct TransferProgress: Sendable, Equatable {
    public enum Unit: String, Sendable {
        case bytes, rows, items
    }

    /// What is being done, e.g. `copying`, `verifying`, `messages`.
    public let phase: String
    public let completed: Int64
    /// Zero when unknown.
    public let total: Int64
    public let unit: Unit

    public init(phase: String, completed: Int64, total: Int64, unit: Unit) {
        self.phase = phase
        self.completed = completed
        self.total = total
        self.unit = unit
    }
}

/// Receives ``TransferProgress`` updates, on the thread doing the work.
public typealias ProgressHandler = (TransferProgress) -> Void
