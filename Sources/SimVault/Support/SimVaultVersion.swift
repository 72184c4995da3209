/// The version of this simvault build, recorded in new vaults and printed by
/// `simvault --version`.
public enum SimVaultVersion {
    public static let current = "0.1.0"
}
