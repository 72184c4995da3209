/// The best `limit` matches of one FTS4 query by BM25, exactly, reading
/// column lengths only for matches that can still reach the top.
///
/// ```swift
/// var ranking = MatchRanking(columnWeights: [1])
/// for each row of "SELECT docid, matchinfo(t, 'pcnax') FROM t WHERE t MATCH ?" {
///     ranking.add(docid: docid, matchinfo: blob)
/// }
/// let best = try ranking.best(20) { docid, score in score(<the %_docsize blob of docid>) }
/// ```
///
/// `package`: `simvault-bench`'s raw C baseline ranks with the same code,
/// so the comparison measures only how each reaches SQLite.
package struct MatchRanking {
    private let ranking: BM25
    private var statistics: BM25.Query?
    /// Every match's matchinfo words, back to back.
    private var words: [UInt32] = []
    private var candidates: [RankCandidate] = []

    package init(columnWeights: [Double]) { ranking = BM25(columnWeights: columnWeights) }

    /// The `matchinfo` format ``add(docid:matchinfo:)`` reads.
    package static let matchinfoFormat = BM25.format

    /// Step 1: a match and its `matchinfo(table, 'pcnax')` blob, which is
    /// copied. Blobs shorter than their own counts say are ignored.
    package mutating func add(docid: Int64, matchinfo: UnsafeRawBufferPointer) {
        guard let match = BM25.Match(matchinfo) else { return }
        let shared = statistics ?? ranking.query(match)
        statistics = shared
        candidates.append(RankCandidate(docid: docid, bound: ranking.upperBound(match, shared), offset: words.count, count: match.words.count))
        words.append(contentsOf: match.words)
    }

    /// Step 2: exact scores by falling bound, while one can still enter the
    /// best `limit`; best first, ties by smaller docid.
    ///
    /// - Parameter docsize: calls its second argument with the `%_docsize`
    ///   blob of the docid (nil when there is none, then the average length
    ///   is used; FTS4 always writes one) and returns what it returns.
    package func best(
        _ limit: Int, docsize: (Int64, (UnsafeRawBufferPointer?) -> Double) throws -> Double
    ) rethrows -> [(docid: Int64, score: Double)] {
        guard let statistics else { return [] }
        var top = TopMatches(limit: limit)
        var queue = CandidateQueue(candidates)
        try words.withUnsafeBufferPointer { all in
            while let candidate = queue.pop(), top.admits(bound: candidate.bound, docid: candidate.docid) {
                let match = BM25.Match(words: UnsafeBufferPointer(rebasing: all[candidate.offset..<candidate.offset + candidate.count]))
                let score = try docsize(candidate.docid) { blob in
                    ranking.score(match, statistics) { column in
                        blob.flatMap { BM25.columnLength($0, column: column) } ?? statistics.averageLength(column)
                    }
                }
                top.insert(docid: candidate.docid, score: score)
            }
        }
        return top.matches
    }
}

/// A full-text match on its way to the ranking: its docid, the most it can
/// score, and where its matchinfo words are kept.
struct RankCandidate {
    let docid: Int64
    let bound: Double
    let offset: Int
    let count: Int
}

/// Candidates by falling upper bound (ties: smaller docid first), as a
/// binary max-heap: building it is O(n), and a query usually takes only the
/// few candidates that can still reach the top.
struct CandidateQueue {
    private var heap: [RankCandidate]

    init(_ candidates: [RankCandidate]) {
        heap = candidates
        var index = heap.count / 2
        while index > 0 {
            index -= 1
            siftDown(index)
        }
    }

    mutating func pop() -> RankCandidate? {
        guard let first = heap.first else { return nil }
        let last = heap.removeLast()
        if !heap.isEmpty {
            heap[0] = last
            siftDown(0)
        }
        return first
    }

    private static func precedes(_ a: RankCandidate, _ b: RankCandidate) -> Bool {
        a.bound > b.bound || (a.bound == b.bound && a.docid < b.docid)
    }

    private mutating func siftDown(_ start: Int) {
        var parent = start
        while true {
            let left = 2 * parent + 1, right = left + 1
            var best = parent
            if left < heap.count, Self.precedes(heap[left], heap[best]) { best = left }
            if right < heap.count, Self.precedes(heap[right], heap[best]) { best = right }
            if best == parent { return }
            heap.swapAt(parent, best)
            parent = best
        }
    }
}

/// The best `limit` scores seen so far, best first (ties: smaller docid
/// first).
struct TopMatches {
    let limit: Int
    private(set) var matches: [(docid: Int64, score: Double)] = []

    init(limit: Int) { self.limit = max(limit, 1) }

    /// Whether a match that scores at most `bound` could still enter.
    func admits(bound: Double, docid: Int64) -> Bool {
        guard matches.count == limit, let worst = matches.last else { return true }
        return bound > worst.score || (bound == worst.score && docid < worst.docid)
    }

    mutating func insert(docid: Int64, score: Double) {
        guard admits(bound: score, docid: docid) else { return }
        let index = matches.firstIndex { score > $0.score || (score == $0.score && docid < $0.docid) } ?? matches.count
        matches.insert((docid, score), at: index)
        if matches.count > limit { matches.removeLast() }
    }
}
