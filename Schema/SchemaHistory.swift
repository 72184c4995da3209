/// The ordered list of simvault's migrations. Append only: add a file in
/// `Migrations/` and its value here; never edit or reorder released ones.
public enum SchemaHistory {
    public static let all: [Migration] = [
        M0001_CreateVaultMeta.migration,
        M0002_CreateAccessLog.migration,
    ]
}
