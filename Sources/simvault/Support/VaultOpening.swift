import SimVault

extension KeyOptions {
    /// Opens the vault selected by `global` with this command's key sources,
    /// and says on stderr when the keyring was skipped for a fallback (so a
    /// locked keyring never goes unnoticed).
    func openVault(_ global: GlobalOptions) throws -> Vault {
        let location = global.location
        let vault = try Vault.open(at: location, unlock: unlockRequest(location: location), configuration: global.configuration)
        if vault.unlockResult.usedFallback {
            let why = vault.unlockResult.skipped.filter { $0.kind == .keyring }.map(\.reason).joined(separator: "; ")
            Terminal.warn("opened with \(vault.unlockResult.source) because the keyring could not be used: \(why)")
        }
        return vault
    }

    /// Opens the vault, runs `body` with it, and closes it.
    func withVault<T>(_ global: GlobalOptions, _ body: (Vault) throws -> T) throws -> T {
        let vault = try openVault(global)
        defer { vault.close() }
        return try body(vault)
    }
}
