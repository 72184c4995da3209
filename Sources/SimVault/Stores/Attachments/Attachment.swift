/// A file attached to a message: its metadata. The bytes are stored
/// encrypted inside the vault and read with ``AttachmentStore/data(of:)``.
public struct Attachment: Sendable, Equatable, Hashable, Codable, Identifiable {
    public let id: String
    public let messageID: String
    public let fileName: String
    /// e.g. `image/png`.
    public let mediaType: String
    public let byteCount: Int
    /// SHA-256 of the bytes, lowercase hex.
    public let sha256: String
    /// Unix milliseconds.
    public let createdAt: Int64

    init(row: Row) throws {
        id = try row.get("id")
        messageID = try row.get("message_id")
        fileName = try row.get("file_name")
        mediaType = try row.get("media_type")
        byteCount = try row.get("byte_count")
        sha256 = try row.get("sha256")
        createdAt = try row.get("created_at")
    }
}
