/// Names put into SQL text (tables, columns of other databases and of apps'
/// records), where a bound parameter cannot stand.
enum SQLIdentifier {
    /// `name` as an SQL identifier: in double quotes, inner quotes doubled.
    static func quoted(_ name: String) -> String {
        "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
