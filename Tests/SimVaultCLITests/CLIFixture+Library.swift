import Foundation
import SimVault
import Testing
import VaultTestSupport

extension CLIFixture {
    /// Opens the CLI-made vault in this test process with the master key an
    /// outside tool reads from the keyring, as a second app would.
    func openInProcess(_ session: KeyringSession) throws -> Vault {
        let hex = try keyringKey(in: session)
        let key = try Array(hex.utf8).withUnsafeBytes { try MasterKey(hexCharacters: $0) }
        return try Vault.open(at: VaultLocation(path: vaultPath), unlock: UnlockRequest(masterKey: key, usesKeyring: false))
    }

    /// Runs SQL in the stock `sqlcipher` shell with the documented pragmas.
    func shell(_ session: KeyringSession, _ sql: String) throws -> ProcessResult {
        try ExternalTools.sqlcipher(path: vaultPath, hexKey: try keyringKey(in: session), sql: sql)
    }

    /// `simvault ARGS --vault <this vault>` in `session`.
    func run(_ session: KeyringSession, _ arguments: [String], stdin: Data? = nil) throws -> ProcessResult {
        try session.simvault(arguments + vault, stdin: stdin)
    }

    /// The exact bytes of every vault file that exists, by path.
    func fileBytes() -> [String: Data] {
        var files: [String: Data] = [:]
        for path in [vaultPath, vaultPath + "-wal", vaultPath + "-shm", headerPath] {
            if let data = FileManager.default.contents(atPath: path) { files[path] = data }
        }
        return files
    }
}
