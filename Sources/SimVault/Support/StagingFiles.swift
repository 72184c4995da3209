import Foundation
import Glibc

/// Hidden files a long operation builds before giving them their final
/// names (`.<name><marker><pid>-<random>` beside the target), so a crash
/// never leaves a partial file under a real name. The pid in the name lets
/// a later run tell the leftovers of a dead process from the work of a live
/// one.
enum StagingFiles {
    /// A fresh staging location beside `target`, e.g. marker `.partial-`.
    static func location(beside target: VaultLocation, marker: String) -> VaultLocation {
        let name = (target.path as NSString).lastPathComponent
        return VaultLocation(path: "\(target.directory)/.\(name)\(marker)\(getpid())-\(UUID().uuidString.prefix(8).lowercased())")
    }

    /// Removes staging files with `marker` whose process no longer exists;
    /// files of live processes are left alone.
    static func removeAbandoned(in directory: String, marker: String) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return }
        for name in names where name.hasPrefix(".") && name.contains(marker) {
            let tail = name.components(separatedBy: marker).last ?? ""
            guard let pid = Int32(tail.split(separator: "-").first ?? ""), pid > 0 else { continue }
            if kill(pid, 0) != 0 && errno == ESRCH { unlink(directory + "/" + name) }
        }
    }
}
