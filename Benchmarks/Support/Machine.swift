import Foundation
import SimVault

/// Where the numbers were measured.
struct Machine: Codable {
    let cpu: String
    let cores: Int
    /// 1-, 5- and 15-minute load averages.
    let loadAverage: [Double]
    let sqlcipher: String
    let sqlite: String
    let date: String

    static func current(cipherVersion: String) -> Machine {
        let cpuInfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let model = cpuInfo.split(separator: "\n").first { $0.hasPrefix("model name") }
            .map { String($0.split(separator: ":", maxSplits: 1).last ?? "").trimmingCharacters(in: .whitespaces) } ?? "unknown"
        var loads = [Double](repeating: 0, count: 3)
        _ = getloadavg(&loads, 3)
        let formatter = ISO8601DateFormatter()
        return Machine(
            cpu: model, cores: ProcessInfo.processInfo.activeProcessorCount, loadAverage: loads, sqlcipher: cipherVersion,
            sqlite: Connection.sqliteVersion, date: formatter.string(from: Date()))
    }

    var loadText: String { loadAverage.map { String(format: "%.2f", $0) }.joined(separator: " / ") }
}
