import Foundation

/// Fixed-format UTC date text (POSIX locale, so the text never depends on
/// the user's settings): the stamps in backup file names, day stamps for
/// daily backups, times in Markdown exports.
enum UTCFormat {
    /// `20251123T101500123Z`: sorts by time, safe in file names.
    static let fileStamp = "yyyyMMdd'T'HHmmssSSS'Z'"
    /// `20251123`.
    static let day = "yyyyMMdd"

    static func formatter(_ format: String) -> DateFormatter {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = format
        return formatter
    }

    static func string(_ date: Date, _ format: String = fileStamp) -> String { formatter(format).string(from: date) }

    /// The location `<vault>.backups/<name>-<middle>-<UTC stamp>.db` beside a vault.
    static func backupsDirectoryLocation(for location: VaultLocation, _ middle: String, at date: Date) -> VaultLocation {
        let name = ((location.path as NSString).lastPathComponent as NSString).deletingPathExtension
        return VaultLocation(path: "\(location.path).backups/\(name)-\(middle)-\(string(date)).db")
    }
}
