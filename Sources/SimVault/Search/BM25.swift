import Foundation

/// Okapi BM25 relevance, computed in Swift from FTS4's `matchinfo` (SQLite
/// 3.15 has no FTS5 and no built-in ranking function).
///
/// For each phrase *i* and column *j*: `idf = ln(1 + (N - df + 0.5) / (df + 0.5))`
/// (never negative, unlike the classic form), and the column's weighted
/// contribution is `w_j · idf · tf·(k1+1) / (tf + k1·(1 - b + b·len/avglen))`.
/// Higher is better.
///
/// Everything but the row's column lengths comes from
/// `matchinfo(table, 'pcnax')`. The lengths (`len`) are what FTS4's `l`
/// matchinfo would give, but `l` looks up the `%_docsize` row of every
/// match (about a microsecond each, most of the time of a query that
/// matches tens of thousands of rows), so ``FullTextIndex`` reads them only
/// for rows whose ``upperBound(_:)`` can still reach the top.
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
    static let format = "pcnax"

    /// One row's `pcnax` matchinfo (native-endian 32-bit words), read in place.
    struct Match {
        let words: UnsafeBufferPointer<UInt32>

        /// Nil when the blob is shorter than its own counts say.
        init?(_ bytes: UnsafeRawBufferPointer) {
            let words = bytes.bindMemory(to: UInt32.self)
            guard words.count >= 3 else { return nil }
            let phrases = Int(words[0]), columns = Int(words[1])
            guard words.count >= 3 + columns + 3 * phrases * columns else { return nil }
            self.words = words
        }

        /// Words already checked by the failable initializer (a copy).
        init(words: UnsafeBufferPointer<UInt32>) { self.words = words }

        var phrases: Int { Int(words[0]) }
        var columns: Int { Int(words[1]) }
        var rows: Double { Double(words[2]) }
        func average(_ column: Int) -> Double { Double(words[3 + column]) }
        /// Hits of `phrase` in `column` of this row.
        func frequency(_ phrase: Int, _ column: Int) -> UInt32 { words[3 + columns + 3 * (phrase * columns + column)] }
        /// Rows with at least one hit of `phrase` in `column`.
        func documents(_ phrase: Int, _ column: Int) -> Double { Double(words[3 + columns + 3 * (phrase * columns + column) + 2]) }
    }

    /// What every row's matchinfo of one query shares: each phrase and
    /// column's `w_j · idf`, and the columns' average lengths.
    struct Query {
        let phrases: Int
        let columns: Int
        fileprivate let factors: [Double]
        fileprivate let averages: [Double]

        /// Column `column`'s average length in tokens (at least 1).
        func averageLength(_ column: Int) -> Double { averages[column] }
    }

    /// The collection-wide values of a query, as FTS4's matchinfo gives
    /// them: rows (`n`), each column's average length (`a`), and per phrase
    /// and column the rows with at least one hit (third value of `x`).
    struct Collection: Equatable {
        var rows: Double
        var averages: [Double]
        /// Index `phrase * columns + column`.
        var documents: [Double]

        /// The values any row's matchinfo carries.
        init(_ match: Match) {
            rows = match.rows
            averages = (0..<match.columns).map { match.average($0) }
            documents = (0..<match.phrases).flatMap { phrase in (0..<match.columns).map { match.documents(phrase, $0) } }
        }

        /// The values of two disjoint sets of rows together, from each
        /// one's `%_stat` totals and hit counts: what FTS4 reports once both
        /// are in one table. The average is FTS4's integer one,
        /// `(u32)(((u32)(tokens & 0xffffffff) + rows/2) / rows)`.
        init(_ first: Totals, _ second: Totals, documents: [Double]) {
            let rowCount = first.rows + second.rows
            rows = Double(rowCount)
            averages = zip(first.tokens, second.tokens).map { pair in
                guard rowCount > 0 else { return 0 }
                let tokens = Int64(UInt32(truncatingIfNeeded: pair.0 + pair.1))
                return Double(UInt32(truncatingIfNeeded: (tokens + rowCount / 2) / rowCount))
            }
            self.documents = documents
        }
    }

    /// An FTS4 table's `%_stat` row 0: its row count and each column's
    /// total length in tokens (FTS varints).
    struct Totals: Equatable {
        var rows: Int64
        var tokens: [Int64]

        /// Nil when the blob is damaged; an empty table has no blob, and
        /// then `columns` zeros.
        init?(_ blob: UnsafeRawBufferPointer?, columns: Int) {
            guard let blob else {
                rows = 0
                tokens = Array(repeating: 0, count: columns)
                return
            }
            let values = BM25.varints(blob)
            guard values.count >= columns + 1 else { return nil }
            rows = values[0]
            tokens = Array(values[1...columns])
        }
    }

    /// The query-wide values, taken from any row's matchinfo.
    func query(_ match: Match) -> Query {
        query(Collection(match), phrases: match.phrases, columns: match.columns)
    }

    /// The query-wide values of `collection`.
    func query(_ collection: Collection, phrases: Int, columns: Int) -> Query {
        var factors: [Double] = []
        for phrase in 0..<phrases {
            for column in 0..<columns {
                let documents = collection.documents[phrase * columns + column]
                let idf = log(1 + (collection.rows - documents + 0.5) / (documents + 0.5))
                factors.append((column < columnWeights.count ? columnWeights[column] : 1) * idf)
            }
        }
        return Query(phrases: phrases, columns: columns, factors: factors, averages: collection.averages.map { max($0, 1) })
    }

    /// The row's score, given each column's length in tokens.
    func score(_ match: Match, _ query: Query, lengths: (Int) -> Double) -> Double {
        var total = 0.0
        for phrase in 0..<query.phrases {
            for column in 0..<query.columns {
                let frequency = Double(match.frequency(phrase, column))
                guard frequency > 0 else { continue }
                let norm = 1 - b + b * lengths(column) / query.averages[column]
                total += query.factors[phrase * query.columns + column] * frequency * (k1 + 1) / (frequency + k1 * norm)
            }
        }
        return total
    }

    /// The highest score the row can have whatever its lengths: the score
    /// at the shortest lengths its hits allow (a column holding `tf` hits of
    /// a phrase has at least `tf` tokens). The score falls as a length grows.
    func upperBound(_ match: Match, _ query: Query) -> Double {
        score(match, query) { column in
            var shortest: UInt32 = 1
            for phrase in 0..<query.phrases { shortest = max(shortest, match.frequency(phrase, column)) }
            return Double(shortest)
        }
    }

    /// Column `column`'s length in tokens from a `%_docsize` blob: one FTS
    /// varint (7 bits a byte, least significant first) per column. Nil when
    /// the blob is too short.
    static func columnLength(_ blob: UnsafeRawBufferPointer, column: Int) -> Double? {
        var length: Double?
        forEachVarint(blob) { index, value in
            if index == column { length = Double(value) }
            return index < column
        }
        return length
    }

    /// Every complete FTS varint of `blob`, in order.
    static func varints(_ blob: UnsafeRawBufferPointer) -> [Int64] {
        var values: [Int64] = []
        forEachVarint(blob) { _, value in
            values.append(Int64(bitPattern: value))
            return true
        }
        return values
    }

    /// Calls `body` with the index and value of each complete FTS varint of
    /// `blob` while it returns true; stops at a varint longer than 64 bits.
    private static func forEachVarint(_ blob: UnsafeRawBufferPointer, _ body: (Int, UInt64) -> Bool) {
        var value: UInt64 = 0, shift: UInt64 = 0, index = 0
        for byte in blob {
            value |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 != 0 {
                shift += 7
                if shift > 63 { return }
                continue
            }
            guard body(index, value) else { return }
            index += 1
            value = 0
            shift = 0
        }
    }
}
