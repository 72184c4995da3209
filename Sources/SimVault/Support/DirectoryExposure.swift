import Foundation
import VaultKeys

/// Who besides the user can change what lies in a directory: for the
/// vault's directory, the precondition of every attack on the files beside
/// a vault (a link at `vault.db-wal`, a forged restore journal, a planted
/// key header); for a backup directory, whether its file names can be
/// trusted enough to delete by.
///
/// Links are resolved first: what counts is the real directory.
enum DirectoryExposure {
    /// Why others can change what is in `directory`, in words that name it
    /// (`"/srv/v (mode 0775) is writable by group or others"`); nil when
    /// only this user (or root, who can change anything anyway) can. A
    /// sticky bit does not help here: others can still create the names
    /// that do not exist yet, such as the WAL between two sessions.
    static func of(_ directory: String) -> String? {
        let real = resolved(directory)
        guard let status = try? FileStatus.of(real) else { return "\(real) cannot be inspected" }
        if status.isWritableByOthers { return "\(real) (mode \(status.modeText)) is writable by group or others" }
        if !isTrustedOwner(status) { return "\(real) is owned by uid \(status.owner)" }
        return nil
    }

    /// The directories above `directory` that let someone else rename it
    /// and put another in its place: writable by group or others without
    /// the sticky bit, or owned by another user. Each with what to do.
    static func ofAncestors(_ directory: String) -> [String] {
        var warnings: [String] = []
        var parent = (resolved(directory) as NSString).deletingLastPathComponent
        while !parent.isEmpty {
            if let status = try? FileStatus.of(parent) {
                if status.isWritableByOthers, status.permissions & 0o1000 == 0 {
                    warnings.append("\(parent) (mode \(status.modeText)), above it, is writable by group or others: they can rename the vault's directory and put another in its place. Run `chmod go-w \(parent)`.")
                } else if !isTrustedOwner(status) {
                    warnings.append("\(parent), above it, is owned by uid \(status.owner), who can rename the vault's directory and put another in its place.")
                }
            }
            if parent == "/" { break }
            parent = (parent as NSString).deletingLastPathComponent
        }
        return warnings
    }

    /// The mode of the real directory, e.g. `0700`.
    static func modeText(of directory: String) -> String {
        (try? FileStatus.of(resolved(directory)))?.modeText ?? "unknown"
    }

    static func resolved(_ directory: String) -> String {
        URL(fileURLWithPath: directory).resolvingSymlinksInPath().path
    }

    /// This user, or root.
    private static func isTrustedOwner(_ status: FileStatus) -> Bool { status.isOwnedByUser || status.owner == 0 }
}
