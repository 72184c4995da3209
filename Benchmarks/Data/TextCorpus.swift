/// Synthetic chat text with a natural word-frequency curve.
///
/// Words are made of two-letter syllables (unique by construction) and drawn
/// from a Zipf-Mandelbrot distribution over 30,000 of them (frequency of rank
/// r ∝ 1/(r + 2.7)), the shape of real language: a few words appear in almost
/// every message, most are rare. A fixed set of two-word phrases is sprinkled
/// in, as real text has collocations, so phrase queries find something. The
/// search workload picks its queries by rank, so each query kind has a known
/// selectivity.
struct TextCorpus {
    static let vocabularySize = 30_000
    private static let syllables = [
        "ka", "lo", "mi", "ne", "ru", "ta", "vo", "zi", "ba", "de", "fu", "go", "hi", "ju", "le", "ma",
        "no", "pi", "ro", "sa", "te", "vi", "ya", "ze", "ch",
    ].map { Array($0.utf8) }

    /// The words, most frequent first.
    let words: [[UInt8]]
    /// Two-word phrases (by rank pairs) inserted into the text.
    let phrases: [(Int, Int)]
    private let cumulative: [Double]

    init() {
        words = (0..<Self.vocabularySize).map(Self.spell)
        var total = 0.0
        cumulative = (0..<Self.vocabularySize).map { rank in
            total += 1 / (Double(rank) + 2.7)
            return total
        }
        // Phrases made of mid-frequency words (ranks 200-700).
        phrases = (0..<40).map { (200 + $0 * 11, 300 + $0 * 9) }
    }

    /// Word `rank` spelled from syllables: rank + 25 in base 25, so every
    /// word has at least two syllables.
    private static func spell(_ rank: Int) -> [UInt8] {
        var value = rank + syllables.count
        var parts: [[UInt8]] = []
        while value > 0 {
            parts.append(syllables[value % syllables.count])
            value /= syllables.count
        }
        return parts.reversed().flatMap { $0 }
    }

    func word(_ rank: Int) -> String { String(decoding: words[rank], as: UTF8.self) }

    /// A word rank drawn from the Zipf-Mandelbrot distribution.
    func randomRank(_ random: inout SeededRandom) -> Int {
        let target = Double.random(in: 0..<cumulative[cumulative.count - 1], using: &random)
        var low = 0, high = cumulative.count - 1
        while low < high {
            let middle = (low + high) / 2
            if cumulative[middle] <= target { low = middle + 1 } else { high = middle }
        }
        return low
    }

    /// A message of `length` characters or slightly less: sentences of 6-20
    /// words, a phrase now and then.
    func text(length: Int, _ random: inout SeededRandom) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(length + 32)
        var sentence = 0, sentenceLength = Int.random(in: 6...20, using: &random)
        while true {
            var next: [UInt8]
            if Int.random(in: 0..<40, using: &random) == 0 {
                let (a, b) = phrases[Int.random(in: 0..<phrases.count, using: &random)]
                next = words[a] + [0x20] + words[b]
            } else {
                next = words[randomRank(&random)]
            }
            if sentence == 0, let first = next.first { next[0] = first &- 0x20 }  // capitalised
            sentence += 1
            if sentence == sentenceLength {
                next.append(0x2E)  // "."
                sentence = 0
                sentenceLength = Int.random(in: 6...20, using: &random)
            }
            if bytes.count + next.count + 1 > length { break }
            if !bytes.isEmpty { bytes.append(0x20) }
            bytes += next
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
