/// When a streaming reply's chunks are written to the vault: what a crash
/// of the app can cost, against what each chunk costs.
///
/// ```swift
/// let reply = try vault.messages.beginReply(in: chat.id, model: "gpt-4o")                 // every chunk
/// let cheap = try vault.messages.beginReply(in: chat.id, durability: .coalesced(milliseconds: 200, bytes: 2048))
/// ```
///
/// "Written" means committed: after that, the text survives the app being
/// killed or crashing, and the next open of the vault finds the reply (as
/// ``Message/Status-swift.enum/interrupted`` if it never finished). With the
/// default `synchronous = NORMAL` a power loss may still take the last
/// commits before it; ``VaultConfiguration/synchronous`` `FULL` makes every
/// commit reach the disk at the cost of an fsync each (README "Performance"
/// measures both).
public enum ReplyDurability: Sendable, Equatable {
    /// Every ``MessageReply/append(_:)`` is its own transaction: when it
    /// returns, the chunk is in the vault. One small row a chunk (about one
    /// page of WAL); the default.
    case everyChunk
    /// Chunks wait in memory and are written together, once `bytes` bytes
    /// (UTF-8) have accumulated or `milliseconds` have passed since the
    /// oldest waiting one (a timer writes them when no further chunk
    /// comes), and always by ``MessageReply/flush()`` and when the reply
    /// ends. A crash loses at most the chunks of those last `milliseconds`,
    /// and fewer than `bytes` bytes of them; the WAL grows by a page per
    /// write instead of per chunk.
    case coalesced(milliseconds: Int, bytes: Int)
}
