import SimVault

extension KeyOptions {
    /// Opens the vault selected by `global` with this command's key sources,
    /// and says on stderr when the keyring was skipped for a fallback (so a
    /// locked keyring never goes unnoticed).
    func openVault(_ global: GlobalOptions) throws -> Vault {
        let location = global.location
        let vault = try Vault.open(at: location, unlock: unlockRequest(location: location), configuration: global.configuration)
        warnAboutFallback(vault.unlockResult)
        return vault
    }

    /// Opens any database with a key header (a vault or an app database
    /// made by `encrypt`) with this command's key sources, warning as
    /// ``openVault(_:)`` does.
    func openDatabase(_ global: GlobalOptions) throws -> EncryptedDatabase {
        let location = global.location
        let database = try EncryptedDatabase.open(at: location, unlock: unlockRequest(location: location), configuration: global.configuration)
        warnAboutFallback(database.unlockResult)
        return database
    }

    /// Opens any database with a key header, runs `body` with it (and with
    /// the vault on it when it is one), and closes it.
    func withDatabase<T>(_ global: GlobalOptions, _ body: (EncryptedDatabase) throws -> T) throws -> T {
        let database = try openDatabase(global)
        defer { database.close() }
        return try body(database)
    }

    private func warnAboutFallback(_ result: UnlockResult) {
        if result.usedFallback {
            let why = result.skipped.filter { $0.kind == .keyring }.map(\.reason).joined(separator: "; ")
            Terminal.warn("opened with \(result.source) because the keyring could not be used: \(why)")
        }
    }

    /// Opens the vault, runs `body` with it, and closes it.
    func withVault<T>(_ global: GlobalOptions, _ body: (Vault) throws -> T) throws -> T {
        let vault = try openVault(global)
        defer { vault.close() }
        return try body(vault)
    }
}
