import Foundation

/// An assistant reply being written as its tokens arrive: the message
/// exists from ``MessageStore/beginReply(in:role:model:contentType:metadata:id:durability:)``
/// on, at its position, and readers see the text written so far.
///
/// ```swift
/// let reply = try vault.messages.beginReply(in: chat.id, model: "gpt-4o")
/// for try await token in stream { try reply.append(token) }
/// try reply.finish(tokens: usage.completionTokens)
/// // or: try reply.fail(error: "the provider closed the connection") / try reply.cancel()
/// ```
///
/// A chunk costs one small row (``ReplyDurability``), whatever the length
/// of the reply so far: the text is never rewritten and the search index is
/// not touched while it streams. Ending the reply (finish, fail or cancel,
/// each keeping the text) folds the chunks into the message and indexes it,
/// once. If the process dies first, the next open of the vault marks the
/// reply ``Message/Status-swift.enum/interrupted`` and indexes what was
/// written; a reply object released without being ended does the same,
/// right after (on a background thread).
///
/// Sendable: calls from any thread or task are serialized, in the order
/// they take the reply's lock. Each call is short (one small transaction on
/// the vault's writer), so async code may call it directly.
///
/// @unchecked Sendable: every mutable property is touched only under `lock`.
public final class MessageReply: @unchecked Sendable {
    /// The message's id.
    public let messageID: String
    public let conversationID: String
    /// The message's position in its conversation, taken at the start.
    public let position: Int
    public let durability: ReplyDurability

    private let vault: Vault
    /// `messages.doc_id`, the key of the reply's chunks.
    private let docID: Int64
    private let lock = NSLock()
    /// Nil while streaming.
    private var endStatus: Message.Status?
    /// Everything appended (written or not).
    private var appended = ""
    /// Appended but not yet written (coalesced durability).
    private var unwritten = ""
    private var unwrittenBytes = 0
    /// `DispatchTime` nanoseconds of the oldest unwritten chunk.
    private var unwrittenSince: UInt64?
    private var nextSequence = 0
    private var isTimerScheduled = false

    init(vault: Vault, message: Message, docID: Int64, durability: ReplyDurability) {
        self.vault = vault
        messageID = message.id
        conversationID = message.conversationID
        position = message.position
        self.durability = durability
        self.docID = docID
    }

    deinit {
        // Released without an end: settle it now rather than leave it
        // streaming until this process exits and the next open finds it.
        // On another thread: the last reference may go inside a
        // `Vault.write` on this one, where a second write cannot start.
        guard endStatus == nil else { return }
        let vault = vault, docID = docID, messageID = messageID, tail = unwritten
        vault.settlingReplies.enter()
        DispatchQueue.global(qos: .utility).async {
            defer { vault.settlingReplies.leave() }
            _ = try? vault.writeCheckingSchema { db in
                try ReplyChunks.settle(
                    reply: docID, messageID: messageID, status: .interrupted, tail: tail, now: Clock.nowMilliseconds(), in: db)
                try PendingMessages.indexIfDue(in: db)
            }
        }
    }

    /// Everything appended so far, written or not.
    public var text: String { lock.withLock { appended } }

    /// `streaming` until the reply ends, then how it ended.
    public var status: Message.Status { lock.withLock { endStatus ?? .streaming } }

    /// Bytes (UTF-8) appended but not written yet: what a crash now would
    /// lose. Always 0 with ``ReplyDurability/everyChunk``.
    public var unwrittenByteCount: Int { lock.withLock { unwrittenBytes } }

    // MARK: - Streaming

    /// Adds `chunk` to the reply's text and writes it as its durability
    /// says. Either the chunk is appended or the call throws and the reply
    /// is as it was (append it again to retry).
    ///
    /// - Throws: ``VaultError/invalidArgument(detail:)`` once the reply has
    ///   ended; ``VaultError/recordNotFound(kind:id:)`` when the message was
    ///   deleted; whatever the write throws (``VaultError/busy(detail:)``...).
    public func append(_ chunk: String) throws {
        try lock.withLock {
            try requireStreaming()
            guard !chunk.isEmpty else { return }
            let before = (unwritten, unwrittenBytes, unwrittenSince)
            unwritten += chunk
            unwrittenBytes += chunk.utf8.count
            if unwrittenSince == nil { unwrittenSince = DispatchTime.now().uptimeNanoseconds }
            if isWriteDue {
                do {
                    try writeUnwritten()
                } catch {
                    (unwritten, unwrittenBytes, unwrittenSince) = before
                    throw error
                }
            } else {
                scheduleTimedWrite()
            }
            appended += chunk
        }
    }

    /// Writes the chunks that wait in memory (coalesced durability) now.
    public func flush() throws {
        try lock.withLock {
            try requireStreaming()
            if !unwritten.isEmpty { try writeUnwritten() }
        }
    }

    // MARK: - Ending

    /// Ends the reply as ``Message/Status-swift.enum/complete``, with its
    /// token count and metadata (nil keeps what ``MessageStore/beginReply(in:role:model:contentType:metadata:id:durability:)``
    /// set), and indexes it.
    ///
    /// - Throws: ``VaultError/invalidArgument(detail:)`` for metadata that is
    ///   not JSON, a negative token count, or a reply that already ended.
    @discardableResult
    public func finish(tokens: Int? = nil, metadata: String? = nil) throws -> Message {
        if let tokens, tokens < 0 { throw VaultError.invalidArgument(detail: "a token count cannot be negative") }
        try ArgumentCheck.requireJSON(metadata, "a message's metadata")
        return try lock.withLock { try end(.complete, tokens: tokens, metadata: metadata) }
    }

    /// Ends the reply as ``Message/Status-swift.enum/failed``, keeping the
    /// text so far; `error` is kept as ``Message/errorMessage`` for the app
    /// to show.
    @discardableResult
    public func fail(error: String) throws -> Message {
        try lock.withLock { try end(.failed, errorMessage: error) }
    }

    /// Ends the reply as ``Message/Status-swift.enum/cancelled`` (the user
    /// stopped it), keeping the text so far.
    @discardableResult
    public func cancel() throws -> Message {
        try lock.withLock { try end(.cancelled) }
    }

    // MARK: - Under the lock

    private func requireStreaming() throws {
        if let endStatus {
            throw VaultError.invalidArgument(detail: "the reply \(messageID) has already ended (\(endStatus.rawValue)); begin a new one")
        }
    }

    private var isWriteDue: Bool {
        switch durability {
        case .everyChunk:
            return true
        case .coalesced(let milliseconds, let bytes):
            return unwrittenBytes >= bytes || waitedMilliseconds >= UInt64(milliseconds)
        }
    }

    private var waitedMilliseconds: UInt64 {
        guard let since = unwrittenSince else { return 0 }
        return (DispatchTime.now().uptimeNanoseconds - since) / 1_000_000
    }

    private func writeUnwritten() throws {
        let chunk = unwritten, sequence = nextSequence
        try vault.writeCheckingSchema { db in
            try ReplyChunks.append(chunk, sequence: sequence, toReply: docID, messageID: messageID, in: db)
        }
        nextSequence += 1
        unwritten = ""
        unwrittenBytes = 0
        unwrittenSince = nil
    }

    /// Coalesced chunks are written when their time is up even if no
    /// further chunk comes. A timed write that fails leaves them waiting;
    /// the next call writes them (and reports the error). The timer does
    /// not keep the reply alive: a reply released meanwhile is settled by
    /// its `deinit`, waiting chunks included.
    private func scheduleTimedWrite() {
        guard case .coalesced(let milliseconds, _) = durability, !isTimerScheduled else { return }
        isTimerScheduled = true
        let delay = max(0, milliseconds - Int(waitedMilliseconds))
        DispatchQueue.global(qos: .utility).asyncAfter(deadline: .now() + .milliseconds(delay)) { [weak self] in
            guard let self else { return }
            lock.withLock {
                isTimerScheduled = false
                guard endStatus == nil, !unwritten.isEmpty else { return }
                if isWriteDue {
                    try? writeUnwritten()
                } else {
                    scheduleTimedWrite()
                }
            }
        }
    }

    private func end(
        _ status: Message.Status, errorMessage: String? = nil, tokens: Int? = nil, metadata: String? = nil
    ) throws -> Message {
        try requireStreaming()
        let tail = unwritten
        let message = try vault.writeCheckingSchema { db in
            try ReplyChunks.settle(
                reply: docID, messageID: messageID, status: status, tail: tail, errorMessage: errorMessage, tokens: tokens,
                metadata: metadata, now: Clock.nowMilliseconds(), in: db)
            try PendingMessages.indexIfDue(in: db)
            return try MessageStore.fetch(messageID, in: db)
        }
        unwritten = ""
        unwrittenBytes = 0
        unwrittenSince = nil
        endStatus = status
        return message
    }
}
