/// Why the migrator refused or failed. Each message says what to do next.
public enum MigrationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The vault was migrated by a newer simvault.
    case vaultNewer(vault: Int, binary: Int)
    /// An applied migration's SQL differs from the one in this binary.
    case checksumMismatch(version: Int, name: String)
    /// Applied versions are not 1...N without holes.
    case gap(detail: String)
    /// `--to N` outside the possible range.
    case invalidTarget(target: Int, current: Int, latest: Int)
    /// A migration's SQL failed; the transaction was rolled back.
    case failed(version: Int, name: String, detail: String)
    /// A migration left rows whose foreign keys point nowhere
    /// (``ForeignKeyChecks/deferred``); the transaction was rolled back.
    case foreignKeyViolation(version: Int, name: String, detail: String)

    public var description: String {
        switch self {
        case .vaultNewer(let vault, let binary):
            return "the vault's schema is version \(vault) but this simvault supports up to version \(binary). Upgrade simvault; do not use an older simvault on this vault."
        case .checksumMismatch(let version, let name):
            return "applied migration \(version) (\(name)) differs from the one in this simvault (checksum mismatch): the vault's schema history was altered or comes from a different build. Restore a backup or use the matching simvault."
        case .gap(let detail):
            return "the vault's migration history has a gap (\(detail)); refusing to migrate. Restore a backup."
        case .invalidTarget(let target, let current, let latest):
            return "cannot migrate to version \(target): the vault is at \(current) and this simvault knows up to \(latest) (there are no down migrations; restore a backup to go back)."
        case .failed(let version, let name, let detail):
            return "migration \(version) (\(name)) failed and was rolled back: \(detail)"
        case .foreignKeyViolation(let version, let name, let detail):
            return "migration \(version) (\(name)) was refused and rolled back: \(detail). A migration must leave every foreign key pointing at an existing row."
        }
    }
}
