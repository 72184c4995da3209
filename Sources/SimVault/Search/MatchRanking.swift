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
    /// Every match's matchinfo words, back to back.
    private var words: [UInt32] = []
    /// Each match's docid and where its words are.
    private var matches: [(docid: Int64, offset: Int, count: Int)] = []

    package init(columnWeights: [Double]) { ranking = BM25(columnWeights: columnWeights) }

    /// The `matchinfo` format ``add(docid:matchinfo:)`` reads.
    package static let matchinfoFormat = BM25.format

    /// Step 1: a match and its `matchinfo(table, 'pcnax')` blob, which is
    /// copied. Blobs shorter than their own counts say are ignored.
    package mutating func add(docid: Int64, matchinfo: UnsafeRawBufferPointer) {
        guard let match = BM25.Match(matchinfo) else { return }
        matches.append((docid, words.count, match.words.count))
        words.append(contentsOf: match.words)
    }

    /// Adds the matches of `other` (of the same query, in another table).
    mutating func add(contentsOf other: MatchRanking) {
        matches += other.matches.map { ($0.docid, $0.offset + words.count, $0.count) }
        words += other.words
    }

    /// The collection-wide values the first match carries (nil when there
    /// is no match).
    var collection: BM25.Collection? {
        guard let first = matches.first else { return nil }
        return words.withUnsafeBufferPointer { all in
            BM25.Collection(BM25.Match(words: UnsafeBufferPointer(rebasing: all[first.offset..<first.offset + first.count])))
        }
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
        try best(limit, in: nil, docsize: docsize)
    }

    /// ``best(_:docsize:)`` with the collection-wide values of `collection`
    /// instead of those of the matches' own table (nil: theirs): for
    /// matches from two tables ranked as if they were one.
    func best(
        _ limit: Int, in collection: BM25.Collection?, docsize: (Int64, (UnsafeRawBufferPointer?) -> Double) throws -> Double
    ) rethrows -> [(docid: Int64, score: Double)] {
        guard let first = matches.first else { return [] }
        return try words.withUnsafeBufferPointer { all in
            func match(_ offset: Int, _ count: Int) -> BM25.Match {
                BM25.Match(words: UnsafeBufferPointer(rebasing: all[offset..<offset + count]))
            }
            let shape = match(first.offset, first.count)
            let statistics = collection.map { ranking.query($0, phrases: shape.phrases, columns: shape.columns) } ?? ranking.query(shape)
            var top = TopMatches(limit: limit)
            var queue = CandidateQueue(matches.map {
                RankCandidate(docid: $0.docid, bound: ranking.upperBound(match($0.offset, $0.count), statistics), offset: $0.offset, count: $0.count)
            })
            while let candidate = queue.pop(), top.admits(bound: candidate.bound, docid: candidate.docid) {
                let found = match(candidate.offset, candidate.count)
                let score = try docsize(candidate.docid) { blob in
                    ranking.score(found, statistics) { column in
                        blob.flatMap { BM25.columnLength($0, column: column) } ?? statistics.averageLength(column)
                    }
                }
                top.insert(docid: candidate.docid, score: score)
            }
            return top.matches
        }
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
