import Foundation
import VaultKeys

/// `simvault info`: what can be learned about a vault, mostly without its
/// key. Path, vault id, page size and slots come from the header; the schema
/// version needs the key and is filled in only when a key source works, and
/// so does the header's authentication (``HeaderAuthentication``).
public struct VaultInfo: Sendable, Codable {
    /// Whether the key header was proven to be written by a key holder.
    public enum HeaderAuthentication: String, Sendable, Codable {
        /// Its MAC verifies under the key that opened the vault.
        case verified
        /// No key was available: without one, a header edited by someone
        /// who can write the file cannot be told from a genuine one.
        case notVerified = "not_verified"
        /// A format 1 or 2 header, which has no MAC (the database records no
        /// upgrade); the next command that holds the key and writes
        /// upgrades it.
        case unauthenticatedFormat = "unauthenticated_format"
        /// Refused: changed by someone without the key.
        case forged
    }

    public struct Slot: Sendable, Codable, Equatable {
        public let id: Int
        public let type: String
        /// Unix milliseconds.
        public let createdAt: Int64

        enum CodingKeys: String, CodingKey {
            case id, type
            case createdAt = "created_at"
        }
    }

    public let path: String
    public let headerPath: String
    public let vaultID: String
    public let pageSize: Int
    public let cipherCompatibility: Int
    /// Every cipher setting, and what an outside client runs after
    /// `PRAGMA key` to open the file.
    public let cipher: CipherDescription
    public let headerVersion: Int
    public let keyID: String
    /// Unix milliseconds.
    public let createdAt: Int64
    public let slots: [Slot]
    public let databaseBytes: Int64
    public let walBytes: Int64
    public let headerBytes: Int64
    /// The vault's schema version; nil when no key source was available.
    public let schemaVersion: Int?
    /// The schema version this simvault supports.
    public let supportedSchemaVersion: Int
    /// Which source opened the vault (nil when none did).
    public let keySource: String?
    /// Why the schema version is missing (nil when it is present).
    public let keyUnavailable: String?
    /// Whether the header was authenticated with the key.
    public let headerAuthentication: HeaderAuthentication
    /// What the file holds, once a key opened it (nil without a key).
    public let kind: EncryptedDatabaseKind?

    enum CodingKeys: String, CodingKey {
        case path, slots
        case headerPath = "header_path"
        case vaultID = "vault_id"
        case pageSize = "page_size"
        case cipherCompatibility = "cipher_compatibility"
        case cipher
        case headerVersion = "header_version"
        case keyID = "key_id"
        case createdAt = "created_at"
        case databaseBytes = "database_bytes"
        case walBytes = "wal_bytes"
        case headerBytes = "header_bytes"
        case schemaVersion = "schema_version"
        case supportedSchemaVersion = "supported_schema_version"
        case keySource = "key_source"
        case keyUnavailable = "key_unavailable"
        case kind
        case headerAuthentication = "header_authentication"
    }

    /// Reads the header, and the schema version when `unlock` finds a key.
    ///
    /// A missing key source is not an error here (`keyUnavailable` says why);
    /// a wrong key, corruption or a newer schema is: the error is returned
    /// beside the information so the caller can show both.
    ///
    /// - Throws: ``VaultError`` `.notFound`, `.headerMissing`, `.corrupt`
    ///   (damaged header), `.headerNewer`.
    public static func read(
        location: VaultLocation, unlock: UnlockRequest, configuration: VaultConfiguration = VaultConfiguration()
    ) throws -> (info: VaultInfo, keyError: VaultError?) {
        // As opening does: an interrupted restore is settled before the
        // files are checked and the header is read.
        _ = try RestoreJournal.recover(location)
        var header = try EncryptedDatabase.loadHeader(location)
        var schemaVersion: Int?, keySource: String?, unavailable: String?, keyError: VaultError?
        var authentication = HeaderAuthentication.notVerified
        // Authenticated by the unlock, as any open is.
        let authenticated = { (header: KeyHeader) in header.isAuthenticatedFormat ? HeaderAuthentication.verified : .unauthenticatedFormat }
        var kind: EncryptedDatabaseKind?
        do {
            let database = try EncryptedDatabase.open(at: location, unlock: unlock, configuration: configuration)
            defer { database.close() }
            header = database.header
            authentication = authenticated(header)
            kind = database.kind
            // An app database's user_version is the app's, not a simvault
            // schema version.
            if database.kind == .vault {
                // Refuses a newer or altered history, as opening a Vault does.
                schemaVersion = try database.migrationStatus().currentVersion
            }
            keySource = database.unlockResult.source.description
        } catch VaultError.noKeySource(let reasons) {
            unavailable = reasons.joined(separator: "; ")
        } catch let error as VaultError {
            if case .headerForged = error { authentication = .forged }
            keyError = error
            unavailable = error.errorDescription
        }
        let info = VaultInfo(
            path: location.path, headerPath: location.headerPath, vaultID: header.vaultID,
            pageSize: header.cipher.pageSize, cipherCompatibility: header.cipher.compatibility,
            cipher: CipherDescription(header.cipher, pending: header.rotation?.cipher),
            headerVersion: header.version, keyID: header.keyID, createdAt: header.createdAt,
            slots: header.slots.map { Slot(id: $0.id, type: $0.kind.rawValue, createdAt: $0.createdAt) },
            databaseBytes: VaultLocation.size(of: location.path) ?? 0,
            walBytes: VaultLocation.size(of: location.walPath) ?? 0,
            headerBytes: VaultLocation.size(of: location.headerPath) ?? 0,
            schemaVersion: schemaVersion, supportedSchemaVersion: Vault.supportedSchemaVersion,
            keySource: keySource, keyUnavailable: unavailable, headerAuthentication: authentication, kind: kind)
        return (info, keyError)
    }
}

/// A vault's cipher settings as `info --json` shows them (`"cipher": {...}`).
public struct CipherDescription: Sendable, Codable, Equatable {
    public let compatibility: Int
    public let pageSize: Int
    public let rawKey: Bool
    public let cipher: String
    public let hmacAlgorithm: String
    public let kdfAlgorithm: String
    /// Bytes SQLCipher reserves at the end of every page (IV and HMAC).
    public let reservedBytesPerPage: Int
    /// What a SQLCipher 4 client runs after `PRAGMA key`.
    public let sqlcipher4Pragmas: [String]
    /// What a SQLCipher 3 client runs after `PRAGMA key`; nil when
    /// SQLCipher 3 cannot read the file.
    public let sqlcipher3Pragmas: [String]?
    /// The settings of a pending key rotation that changes them.
    public let pendingCompatibility: Int?

    enum CodingKeys: String, CodingKey {
        case compatibility, cipher
        case pageSize = "page_size"
        case rawKey = "raw_key"
        case hmacAlgorithm = "hmac_algorithm"
        case kdfAlgorithm = "kdf_algorithm"
        case reservedBytesPerPage = "reserved_bytes_per_page"
        case sqlcipher4Pragmas = "sqlcipher4_pragmas"
        case sqlcipher3Pragmas = "sqlcipher3_pragmas"
        case pendingCompatibility = "pending_compatibility"
    }

    init(_ settings: CipherSettings, pending: CipherSettings?) {
        compatibility = settings.compatibility
        pageSize = settings.pageSize
        rawKey = settings.rawKey
        cipher = "AES-256-CBC"
        hmacAlgorithm = settings.hmacAlgorithm
        kdfAlgorithm = settings.kdfAlgorithm
        reservedBytesPerPage = settings.reservedBytesPerPage
        sqlcipher4Pragmas = settings.sqlcipher4Pragmas
        sqlcipher3Pragmas = settings.sqlcipher3Pragmas
        pendingCompatibility = pending?.compatibility
    }
}
