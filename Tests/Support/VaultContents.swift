import Foundation
public import SimVault

/// Test data for vaults and a fingerprint of everything in them, to prove
/// that a key change kept every committed row.
///
/// The filler table is test-only (`CREATE TABLE filler`, made through the
/// library like any app table): random blobs, so pages do not compress and
/// the file really is as large as asked.
public enum VaultContents {
    /// The fingerprint of one table: row count and a BLAKE2b digest of every
    /// value in row order.
    public struct TableFingerprint: Equatable, Sendable, CustomStringConvertible {
        public let rows: Int
        public let digest: [UInt8]
        public var description: String { "\(rows) rows, digest \(digest.prefix(6).map { String(format: "%02x", $0) }.joined())" }
    }

    /// Adds about `megabytes` MiB of random rows to the table `filler`
    /// (created when missing), in transactions of 1000 rows.
    public static func addFiller(to vault: Vault, megabytes: Int) throws {
        let rowBytes = 1000
        let rows = megabytes * (1 << 20) / rowBytes
        try vault.write { db in
            try db.execute("CREATE TABLE IF NOT EXISTS filler (id INTEGER PRIMARY KEY, payload BLOB NOT NULL)")
        }
        var done = 0
        while done < rows {
            let batch = min(1000, rows - done)
            try vault.write { db in
                try db.execute("""
                    WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < \(batch))
                    INSERT INTO filler (payload) SELECT randomblob(\(rowBytes)) FROM n
                    """)
            }
            done += batch
        }
    }

    /// Fingerprints every table of the vault (`sqlite_master` order), in one
    /// read snapshot. `vault_meta` leaves out the `key_slot_last_used.*`
    /// rows, which opening a vault updates, and `key_header`, the copy of the
    /// key header that every key change records (DatabaseHeaderRecord).
    public static func fingerprint(_ vault: Vault) throws -> [String: TableFingerprint] {
        try vault.read { db in
            let tables = try db.fetchAll("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
                .map { try $0.get(0, as: String.self) }
            var result: [String: TableFingerprint] = [:]
            for table in tables {
                let filter = table == "vault_meta" ? "WHERE key NOT LIKE 'key_slot_last_used.%' AND key != 'key_header'" : ""
                var bytes = [UInt8]()
                var rows = 0
                try db.forEachRow("SELECT * FROM \"\(table)\" \(filter) ORDER BY 1") { statement in
                    rows += 1
                    for column in 0..<Int(statement.columnCount) {
                        append(statement.value(column), to: &bytes)
                    }
                }
                result[table] = TableFingerprint(rows: rows, digest: digest(bytes))
            }
            return result
        }
    }

    /// Opens the vault with `password` only (no keyring), fingerprints it
    /// and closes it.
    public static func fingerprint(vaultPath: String, password: String) throws -> [String: TableFingerprint] {
        let secret = SecretBytes(count: password.utf8.count) { $0.copyBytes(from: Array(password.utf8)) }
        let vault = try Vault.open(at: VaultLocation(path: vaultPath), unlock: .password(secret))
        defer { vault.close() }
        return try fingerprint(vault)
    }

    /// Opens the vault with `password` only, adds filler, and closes it.
    public static func addFiller(vaultPath: String, password: String, megabytes: Int) throws {
        let secret = SecretBytes(count: password.utf8.count) { $0.copyBytes(from: Array(password.utf8)) }
        let vault = try Vault.open(at: VaultLocation(path: vaultPath), unlock: .password(secret))
        defer { vault.close() }
        try addFiller(to: vault, megabytes: megabytes)
    }

    private static func append(_ value: DatabaseValue, to bytes: inout [UInt8]) {
        switch value {
        case .null: bytes.append(0)
        case .integer(let v): bytes.append(1); withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) }
        case .real(let v): bytes.append(2); withUnsafeBytes(of: v.bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
        case .text(let v): bytes.append(3); appendLength(v.utf8.count, &bytes); bytes.append(contentsOf: v.utf8)
        case .blob(let v): bytes.append(4); appendLength(v.count, &bytes); bytes.append(contentsOf: v)
        }
    }

    private static func appendLength(_ count: Int, _ bytes: inout [UInt8]) {
        withUnsafeBytes(of: UInt64(count).littleEndian) { bytes.append(contentsOf: $0) }
    }

    /// BLAKE2b-256 (libsodium, through the key type's keyed hash with an
    /// all-zero key): fast on 20 MB, unlike a hash written in Swift and
    /// compiled for debugging.
    private static func digest(_ bytes: [UInt8]) -> [UInt8] {
        let zeroKey = try! MasterKey(SecretBytes(count: MasterKey.byteCount) { _ in })
        return zeroKey.keyedHash(bytes)
    }
}
