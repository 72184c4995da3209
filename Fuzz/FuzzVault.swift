import Foundation
import SimVault

/// One real vault (SQLCipher file, password slot) per fuzzing process, in a
/// fresh temporary directory, for the targets that write into a vault.
/// Created on first use and kept for the whole run: opening a vault per
/// input would measure the key derivation, not the importer.
final class FuzzVault: Sendable {
    static let shared = FuzzVault()

    let vault: Vault
    /// Where each input is written for the importer (it reads files).
    let inputPath: String

    private init() {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("simvault-fuzz-\(getpid())-\(UUID().uuidString.prefix(8))").path
        var options = VaultCreationOptions()
        options.usesKeyring = false
        options.createsRecoveryCode = false
        var password = Array("fuzzing only".utf8)
        options.password = SecretBytes(consuming: &password)
        options.passwordKDF = PasswordKDF.minimum()
        do {
            vault = try Vault.create(at: VaultLocation(path: directory + "/vault.db"), options: options).vault
        } catch {
            fatalError("cannot create the fuzzing vault in \(directory): \(error)")
        }
        inputPath = directory + "/input.json"
    }

    /// Workflows in the vault, to see that a refused bundle left nothing.
    func workflowCount() -> Int {
        do {
            return try vault.read { db in try db.scalar("SELECT count(*) FROM workflows", as: Int.self) ?? 0 }
        } catch {
            fatalError("cannot read the fuzzing vault: \(error)")
        }
    }

    /// Row counts of the tables an import writes, to see that a refused
    /// import left nothing behind.
    func counts() -> [Int] {
        let tables = ["users", "agents", "conversations", "messages", "attachments"]
        do {
            return try vault.read { db in
                try tables.map { try db.scalar("SELECT count(*) FROM \($0)", as: Int.self) ?? 0 }
            }
        } catch {
            fatalError("cannot read the fuzzing vault: \(error)")
        }
    }
}
