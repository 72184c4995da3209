import Foundation
import VaultKeys
import VaultSchema

/// A fresh, read-only look at a vault file that is about to be trusted (a
/// backup just written, a backup about to be restored): it opens with the
/// key, `PRAGMA integrity_check` reads and so authenticates every page, and
/// its vault id and schema history are read.
struct VaultFileCheck {
    /// Why the file cannot be trusted, in words for an error message.
    struct Failure: Error {
        let detail: String
    }

    let vaultID: String?
    let schemaVersion: Int
    /// Why the migrator refuses the file (newer than this simvault, altered
    /// history), if it does.
    let migrationProblem: MigrationError?

    static func run(_ location: VaultLocation, key: MasterKey, cipher: CipherSettings, configuration: VaultConfiguration) throws(Failure) -> VaultFileCheck {
        let connection: Connection
        do {
            connection = try EncryptedDatabase.openConnection(
                location: location, key: key, options: configuration.connectionOptions(readOnly: true, cipher: cipher))
        } catch {
            throw Failure(detail: "it does not open: \(describe(error))")
        }
        defer { connection.close() }
        do {
            let problems = try connection.fetchAll("PRAGMA integrity_check").compactMap { try? $0.get(0, as: String.self) }
            guard problems == ["ok"] else { throw Failure(detail: "integrity_check: \(problems.prefix(3).joined(separator: "; "))") }
            let hasMeta: Bool = try connection.scalar("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'vault_meta'") ?? false
            let vaultID = hasMeta ? try? VaultMeta.read(VaultMeta.vaultID, in: connection) : nil
            // An app database (no vault id) has no simvault history: its
            // user_version is the app's.
            guard vaultID != nil else {
                return VaultFileCheck(vaultID: nil, schemaVersion: try connection.scalar("PRAGMA user_version") ?? 0, migrationProblem: nil)
            }
            let status = try Migrator.simvault.status(of: ConnectionSchemaDatabase(connection: connection))
            return VaultFileCheck(vaultID: vaultID, schemaVersion: status.currentVersion, migrationProblem: status.problem)
        } catch let failure as Failure {
            throw failure
        } catch {
            // SQLCipher 3.4.1 reports a page failing its HMAC inside
            // integrity_check as a generic error.
            throw Failure(detail: "reading every page failed: a page does not authenticate (\(describe(error)))")
        }
    }

    private static func describe(_ error: any Error) -> String {
        switch error {
        case VaultError.corrupt(let detail): return detail
        case let error as VaultError: return error.errorDescription ?? "\(error)"
        default: return "\(error)"
        }
    }
}
