extension MessageStore {
    /// Starts a reply that streams in: the message is added now, at the end
    /// of the conversation (its position is taken, the conversation's
    /// `updatedAt`/`lastMessageAt` move), with status
    /// ``Message/Status-swift.enum/streaming`` and no text; the returned
    /// ``MessageReply`` appends to it as the text arrives and ends it.
    ///
    /// ```swift
    /// let reply = try vault.messages.beginReply(in: chat.id, model: "gpt-4o")
    /// try reply.append("The Nightjet ")
    /// try reply.append("leaves at 19:40.")
    /// let message = try reply.finish(tokens: 9)
    /// ```
    ///
    /// Until it ends, readers (``page(in:after:limit:)``, ``get(id:)``,
    /// exports) see the text written so far; search finds it once it ends.
    ///
    /// - Parameter durability: when chunks are written: every one (the
    ///   default), or coalesced by time and size (``ReplyDurability``).
    /// - Throws: ``VaultError/recordNotFound(kind:id:)`` when the
    ///   conversation does not exist; ``VaultError/invalidArgument(detail:)``
    ///   for metadata that is not JSON or a coalescing limit below 1.
    public func beginReply(
        in conversationID: String, role: Message.Role = .assistant, model: String? = nil, contentType: String = "text",
        metadata: String? = nil, id: String? = nil, durability: ReplyDurability = .everyChunk
    ) throws -> MessageReply {
        if case .coalesced(let milliseconds, let bytes) = durability, milliseconds < 1 || bytes < 1 {
            throw VaultError.invalidArgument(detail: "a coalesced reply needs at least 1 millisecond and 1 byte (got \(milliseconds) ms, \(bytes) bytes)")
        }
        let id = id ?? RecordID.make()
        try Self.validate(NewMessage(conversationID: conversationID, role: role, content: "", contentType: contentType, model: model, metadata: metadata, id: id))
        let owner = ProcessIdentity.current?.token
        let (message, docID) = try vault.writeCheckingSchema { db in
            let now = Clock.nowMilliseconds()
            try db.execute("""
                INSERT INTO messages (id, conversation_id, position, role, content, content_type, model, metadata, created_at,
                    updated_at, status, reply_owner)
                VALUES (?, ?, ?, ?, '', ?, ?, ?, ?, ?, 'streaming', ?)
                """,
                [id, conversationID, try Self.nextPosition(in: conversationID, db), role.rawValue, contentType, model, metadata,
                 now, now, owner])
            let docID = db.lastInsertRowID
            try db.execute(
                "UPDATE conversations SET updated_at = ?, last_message_at = ? WHERE id = ?", [now, now, conversationID])
            return (try Self.fetch(id, in: db), docID)
        }
        return MessageReply(vault: vault, message: message, docID: docID, durability: durability)
    }
}

extension Vault {
    /// Settles the replies whose process died while they streamed: each
    /// keeps the text written until then, becomes
    /// ``Message/Status-swift.enum/interrupted`` and is indexed. Replies of a
    /// process that still runs (another app instance, or this one) are left
    /// alone. Called by ``open(at:unlock:configuration:)``; it writes only
    /// when there is such a reply.
    ///
    /// Best effort: when the vault is at an older schema, or busy, the
    /// replies stay as they are (readable, with their text) for the next
    /// open to settle. Returns how many were settled.
    @discardableResult
    func settleInterruptedReplies() -> Int {
        do {
            // On the writer's connection, which is open already (a reader
            // would be opened for this one query), outside a transaction:
            // only a read, through the partial index of streaming replies.
            let orphans = try writeWithoutTransaction { db -> [(docID: Int64, id: String, owner: String?)] in
                guard try db.scalar("PRAGMA user_version", as: Int.self) == Vault.supportedSchemaVersion else { return [] }
                return try db.fetchAll("SELECT doc_id, id, reply_owner FROM messages WHERE status = 'streaming'").map {
                    (try $0.get(0), try $0.get(1), try $0.get(2))
                }.filter { !(ProcessIdentity(token: $0.owner ?? "")?.isRunning ?? false) }
            }
            guard !orphans.isEmpty else { return 0 }
            return try writeCheckingSchema { db in
                var settled = 0
                for orphan in orphans {
                    // Settled by another process meanwhile, or taken over: skip.
                    guard let row = try db.fetchOne("SELECT reply_owner FROM messages WHERE doc_id = ? AND status = 'streaming'", [orphan.docID]),
                          try row.get(0, as: String?.self) == orphan.owner else { continue }
                    try ReplyChunks.settle(
                        reply: orphan.docID, messageID: orphan.id, status: .interrupted, now: Clock.nowMilliseconds(), in: db)
                    settled += 1
                }
                try PendingMessages.indexIfDue(in: db)
                return settled
            }
        } catch {
            return 0
        }
    }
}
