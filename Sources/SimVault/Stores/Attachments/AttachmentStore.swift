import VaultKeys
public import Foundation

/// Stores files attached to messages as BLOBs inside the encrypted database.
///
/// Apps that kept images next to the database as loose files (AionUi) left
/// them readable by anyone with the disk; here they share the vault's
/// encryption, backups and deletion: deleting a message or its conversation
/// deletes its attachments in the same transaction.
///
/// ```swift
/// let png = try Data(contentsOf: screenshotURL)
/// let file = try vault.attachments.add(to: message.id, fileName: "screen.png", mediaType: "image/png", data: png)
/// let bytes = try vault.attachments.data(of: file.id)
/// ```
public struct AttachmentStore: Sendable {
    let vault: Vault

    /// Largest attachment accepted: 256 MiB (SQLite's limit for one value
    /// is 1 GB, and the whole value is held in memory).
    public static let maximumByteCount = 256 << 20

    /// Attaches `data` to the message.
    ///
    /// - Throws: ``VaultError/recordNotFound(kind:id:)`` when the message does
    ///   not exist; ``VaultError/invalidArgument(detail:)`` for an empty file
    ///   name or more than ``maximumByteCount`` bytes.
    @discardableResult
    public func add(
        to messageID: String, fileName: String, mediaType: String = "application/octet-stream", data: Data, id: String? = nil
    ) throws -> Attachment {
        try ArgumentCheck.requireNonBlank(fileName, "an attachment's file name")
        guard data.count <= Self.maximumByteCount else {
            throw VaultError.invalidArgument(detail: "\(fileName) is \(ByteCount.format(Int64(data.count))); attachments are limited to \(ByteCount.format(Int64(Self.maximumByteCount)))")
        }
        let id = id ?? RecordID.make()
        let digest = ContentDigest.sha256Hex(data)
        return try vault.writeCheckingSchema { db in
            try ArgumentCheck.requireExists("messages", "message", messageID, in: db)
            try db.execute("""
                INSERT INTO attachments (id, message_id, file_name, media_type, byte_count, sha256, data, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """,
                [id, messageID, fileName, mediaType, data.count, digest, data, Clock.nowMilliseconds()])
            return try Self.fetch(id, in: db)
        }
    }

    /// The attachments of a message, in the order they were added.
    public func list(for messageID: String) throws -> [Attachment] {
        try vault.readCheckingSchema { db in
            try db.fetchAll(
                "SELECT \(Self.metadataColumns) FROM attachments WHERE message_id = ? ORDER BY created_at, id", [messageID]
            ).map(Attachment.init(row:))
        }
    }

    /// The metadata of the attachment with `id`, or nil.
    public func get(id: String) throws -> Attachment? {
        try vault.readCheckingSchema { db in
            try db.fetchOne("SELECT \(Self.metadataColumns) FROM attachments WHERE id = ?", [id]).map(Attachment.init(row:))
        }
    }

    /// The bytes of the attachment, checked against their SHA-256.
    ///
    /// - Throws: ``VaultError/recordNotFound(kind:id:)``;
    ///   ``VaultError/corrupt(detail:)`` when the bytes no longer match.
    public func data(of id: String) throws -> Data {
        let (data, digest) = try vault.readCheckingSchema { db -> (Data, String) in
            guard let row = try db.fetchOne("SELECT data, sha256 FROM attachments WHERE id = ?", [id]) else {
                throw VaultError.recordNotFound(kind: "attachment", id: id)
            }
            return (try row.get("data"), try row.get("sha256"))
        }
        guard ContentDigest.sha256Hex(data) == digest else {
            throw VaultError.corrupt(detail: "attachment \(id) does not match its SHA-256")
        }
        return data
    }

    /// Deletes the attachment. Returns false if there was none.
    @discardableResult
    public func delete(id: String) throws -> Bool {
        try vault.writeCheckingSchema { db in
            try db.execute("DELETE FROM attachments WHERE id = ?", [id])
            return db.changes == 1
        }
    }

    private static let metadataColumns = "id, message_id, file_name, media_type, byte_count, sha256, created_at"

    static func fetch(_ id: String, in db: Connection) throws -> Attachment {
        guard let row = try db.fetchOne("SELECT \(metadataColumns) FROM attachments WHERE id = ?", [id]) else {
            throw VaultError.recordNotFound(kind: "attachment", id: id)
        }
        return try Attachment(row: row)
    }
}
