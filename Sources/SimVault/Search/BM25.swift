import Foundation

/// Okapi BM25 relevance, computed in Swift from FTS4's
/// `matchinfo(table, 'pcnalx')` (SQLite 3.15 has no FTS5 and no built-in
/// ranking function).
///
/// For each phrase *i* and column *j*: `idf = ln(1 + (N - df + 0.5) / (df + 0.5))`
/// (never negative, unlike the classic form), and the column's weighted
/// contribution is `w_j · idf · tf·(k1+1) / (tf + k1·(1 - b + b·len/avglen))`.
/// Higher is better.
///
/// SQLite: https://www.sqlite.org/fts3.html#matchinfo
struct BM25 {
    /// Term-frequency saturation.
    var k1 = 1.2
    /// Length normalisation.
    var b = 0.75
    /// One weight per FTS column, e.g. a workflow's name counts more than its
    /// description.
    var columnWeights: [Double]

    /// The `matchinfo` format string this scorer reads.
    static let format = "pcnalx"

    /// Scores one row from its matchinfo blob (native-endian 32-bit words).
    func score(_ matchinfo: Data) -> Double {
        let words = matchinfo.withUnsafeBytes { Array($0.bindMemory(to: UInt32.self)) }
        guard words.count >= 3 else { return 0 }
        let phrases = Int(words[0]), columns = Int(words[1]), rows = Double(words[2])
        let averages = 3, lengths = 3 + columns, hits = 3 + 2 * columns
        guard words.count >= hits + 3 * phrases * columns else { return 0 }
        var total = 0.0
        for phrase in 0..<phrases {
            for column in 0..<columns {
                let base = hits + 3 * (phrase * columns + column)
                let frequency = Double(words[base])
                guard frequency > 0 else { continue }
                let documents = Double(words[base + 2])
                let idf = log(1 + (rows - documents + 0.5) / (documents + 0.5))
                let average = max(Double(words[averages + column]), 1)
                let norm = 1 - b + b * Double(words[lengths + column]) / average
                let weight = column < columnWeights.count ? columnWeights[column] : 1
                total += weight * idf * frequency * (k1 + 1) / (frequency + k1 * norm)
            }
        }
        return total
    }
}
