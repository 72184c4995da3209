/// The text of a streaming reply as it grows: rows of `message_chunks`,
/// one per write, in sequence order. Appending is one small INSERT at the
/// end of the table, whatever the length of the reply so far; settling the
/// reply folds the rows into `messages.content` and deletes them.
enum ReplyChunks {
    /// Writes `text` as chunk `sequence` of the streaming reply `docID`.
    ///
    /// - Throws: ``VaultError/recordNotFound(kind:id:)`` when the message is
    ///   gone or no longer streaming (deleted, or settled elsewhere).
    static func append(_ text: String, sequence: Int, toReply docID: Int64, messageID: String, in db: Connection) throws {
        try db.execute("""
            INSERT INTO message_chunks (message_doc_id, sequence, text)
            SELECT ?, ?, ? WHERE EXISTS (SELECT 1 FROM messages WHERE doc_id = ? AND status = 'streaming')
            """, [docID, sequence, text, docID])
        guard db.changes == 1 else { throw notStreaming(messageID) }
    }

    /// The chunks of the reply `docID`, concatenated in order.
    static func text(ofReply docID: Int64, in db: Connection) throws -> String {
        var text = ""
        try db.forEachRow("SELECT text FROM message_chunks WHERE message_doc_id = ? ORDER BY sequence", [docID]) { row in
            text += try row.get(0, as: String.self)
        }
        return text
    }

    /// The chunks of the reply with message id `id`, concatenated in order.
    static func text(ofMessage id: String, in db: Connection) throws -> String {
        guard let docID: Int64 = try db.scalar("SELECT doc_id FROM messages WHERE id = ?", [id]) else { return "" }
        return try text(ofReply: docID, in: db)
    }

    /// Ends the streaming reply `docID`: its content becomes the stored
    /// content, the chunks and `tail` (text not written yet), with `status`;
    /// the chunks are deleted. The index triggers add the message to the
    /// full-text index (or to the pending ones) in the same statement: the
    /// one time a reply is indexed.
    ///
    /// - Throws: ``VaultError/recordNotFound(kind:id:)`` when the message is
    ///   gone or no longer streaming.
    static func settle(
        reply docID: Int64, messageID: String, status: Message.Status, tail: String = "", errorMessage: String? = nil,
        tokens: Int? = nil, metadata: String? = nil, now: Int64, in db: Connection
    ) throws {
        let written = try text(ofReply: docID, in: db)
        try db.execute("""
            UPDATE messages SET content = content || ?, status = ?, error_message = ?, tokens = coalesce(?, tokens),
                metadata = coalesce(?, metadata), reply_owner = NULL, updated_at = ?
            WHERE doc_id = ? AND status = 'streaming'
            """, [written + tail, status.rawValue, errorMessage, tokens, metadata, now, docID])
        guard db.changes == 1 else { throw notStreaming(messageID) }
        try db.execute("DELETE FROM message_chunks WHERE message_doc_id = ?", [docID])
    }

    private static func notStreaming(_ messageID: String) -> VaultError {
        VaultError.recordNotFound(kind: "streaming reply", id: messageID)
    }
}
