public import Foundation
public import SimVault

/// A real vault (SQLCipher file and key header) made through the library in
/// a fresh temporary directory, protected by a password slot only: no
/// keyring is needed, and the CLI can open it with `--password-file`.
///
/// The password slot uses the least Argon2id cost simvault accepts
/// (``PasswordKDF/minimum()``, libsodium's INTERACTIVE limits) so tests stay
/// as fast as they can; nothing else differs from a vault made by
/// `simvault init`.
///
/// ```swift
/// let test = try TestVault()       // keep it: its directory goes with it
/// let vault = test.vault
/// try vault.conversations.create(Conversation(title: "x"))
/// ```
public final class TestVault: @unchecked Sendable {
    // @unchecked Sendable: immutable after init (Vault is Sendable itself).
    public let directory: TemporaryDirectory
    public let location: VaultLocation
    /// The open vault.
    public let vault: Vault
    /// A file holding the password (for `--password-file`).
    public let passwordFile: String
    /// The password, for `UnlockRequest.password(_:)`.
    public let password: SecretBytes
    /// A file holding the recovery code (for `--recovery-code-file`), which
    /// opens the vault without running Argon2id.
    public let recoveryCodeFile: String

    /// The password as text (every TestVault has the same one).
    public static let passwordText = "test vault pässword 42"

    /// - Parameter schemaVersion: build the schema only up to this version
    ///   (at least 2), as an older simvault would have left the vault.
    public init(schemaVersion: Int? = nil, configuration: VaultConfiguration = VaultConfiguration(), label: String = "vault") throws {
        directory = try TemporaryDirectory(label)
        location = VaultLocation(path: directory.file("vault/vault.db"))
        passwordFile = try directory.write(Self.passwordText + "\n", to: "password.txt")
        password = Self.passwordBytes()
        var options = VaultCreationOptions()
        options.usesKeyring = false
        options.password = password
        options.passwordKDF = PasswordKDF.minimum()
        options.configuration = configuration
        options.schemaVersion = schemaVersion
        let creation = try Vault.create(at: location, options: options)
        vault = creation.vault
        recoveryCodeFile = directory.file("recovery.txt")
        guard let code = creation.recoveryCode,
              FileManager.default.createFile(atPath: recoveryCodeFile, contents: code.withUnsafeBytes { Data($0) }, attributes: [.posixPermissions: 0o600])
        else { throw TestSupportError("cannot keep the test vault's recovery code") }
    }

    /// Opens the same vault again (another writer and reader pool, as a
    /// second app instance would).
    public func reopen(configuration: VaultConfiguration = VaultConfiguration()) throws -> Vault {
        try Vault.open(at: location, unlock: .password(password), configuration: configuration)
    }

    /// The CLI arguments selecting this vault and its password.
    public var cliArguments: [String] { ["--vault", location.path, "--no-keyring", "--password-file", passwordFile] }

    /// The CLI arguments selecting this vault and its recovery code: for a
    /// command whose memory is measured, since a password's Argon2id alone
    /// takes 64 MiB.
    public var cliArgumentsWithRecoveryCode: [String] { ["--vault", location.path, "--no-keyring", "--recovery-code-file", recoveryCodeFile] }

    /// Every file of the vault that exists: database, WAL, SHM, header.
    public var existingFiles: [String] { location.allFiles.filter { FileManager.default.fileExists(atPath: $0) } }

    /// The exact bytes of `file`, for "unchanged" checks.
    public func bytes(of file: String) -> Data? { FileManager.default.contents(atPath: file) }

    /// The bytes of every file of the vault (database, WAL, SHM, header).
    /// Close the in-process vault first so the comparison sees the files at
    /// rest.
    public func fileBytes() -> [String: Data] {
        Dictionary(uniqueKeysWithValues: existingFiles.compactMap { path in bytes(of: path).map { (path, $0) } })
    }

    private static func passwordBytes() -> SecretBytes {
        var bytes = Array(passwordText.utf8)
        return SecretBytes(consuming: &bytes)
    }
}

extension Vault {
    /// Runs raw SQL on the writer, as an older simvault (or a test) would.
    public func rawWrite(_ sql: String, _ arguments: [any DatabaseValueConvertible] = []) throws {
        try write { db in
            if arguments.isEmpty { try db.execute(sql) } else { try db.execute(sql, arguments) }
        }
    }

    /// FTS4's own check of both indexes against their content (for
    /// messages the view `messages_indexed`: the rows that must be indexed,
    /// migration 13); throws SQLITE_CORRUPT_VTAB when an index is out of step
    /// with them. Messages waiting for the index (after `indexed_through`)
    /// and streaming replies are, by design, not in it yet: every other
    /// message must be (else this throws), and none of the waiting ones.
    public func checkSearchIndexes() throws {
        try writeWithoutTransaction { db in
            let missing: Int = try db.scalar("""
                SELECT count(*) FROM messages WHERE NOT EXISTS (SELECT 1 FROM messages_fts_docsize WHERE docid = messages.doc_id)
                    AND doc_id <= (SELECT indexed_through FROM message_index_state) AND status <> 'streaming'
                """) ?? -1
            guard missing == 0 else {
                throw VaultError.corrupt(detail: "\(missing) messages at or below indexed_through are missing from messages_fts")
            }
            let early: Int = try db.scalar("""
                SELECT count(*) FROM messages WHERE EXISTS (SELECT 1 FROM messages_fts_docsize WHERE docid = messages.doc_id)
                    AND (doc_id > (SELECT indexed_through FROM message_index_state) OR status = 'streaming')
                """) ?? -1
            guard early == 0 else {
                throw VaultError.corrupt(detail: "\(early) waiting or streaming messages are already in messages_fts")
            }
            try db.execute("INSERT INTO messages_fts (messages_fts) VALUES ('integrity-check')")
            try db.execute("INSERT INTO workflows_fts (workflows_fts) VALUES ('integrity-check')")
        }
    }

    /// The first column of the first row of `sql`, read on a reader.
    public func rawScalar<T: DatabaseValueConvertible>(_ sql: String, _ arguments: [any DatabaseValueConvertible] = [], as type: T.Type = T.self) throws -> T? {
        try read { db in try db.scalar(sql, arguments, as: type) }
    }
}
