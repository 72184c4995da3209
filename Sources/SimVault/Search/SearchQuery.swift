/// What a person typed into a search box, made safe for FTS4's MATCH.
///
/// Every word must occur (AND). `"two words"` is a phrase, `wor*` a prefix.
/// Everything is quoted before it reaches FTS4, so operators (`OR`, `NEAR`,
/// `-`) and stray quotes are plain words, never a syntax error. Case and
/// accents do not matter (the `unicode61` tokenizer folds them).
///
/// ```swift
/// let query = try SearchQuery("\"train to\" lyon*")
/// query.matchExpression   // "train to" "lyon*"
/// ```
public struct SearchQuery: Sendable, Equatable {
    /// The FTS4 MATCH expression.
    public let matchExpression: String
    /// The terms, as understood (for messages to the user).
    public let terms: [String]

    /// - Throws: ``VaultError/invalidArgument(detail:)`` when the text has no
    ///   word to search for.
    public init(_ text: String) throws {
        var terms: [String] = []
        var current = ""
        var inPhrase = false
        func flush() {
            let term = Self.clean(current)
            if !term.isEmpty { terms.append(term) }
            current = ""
        }
        for character in text {
            if character == "\"" {
                flush()
                inPhrase.toggle()
            } else if character.isWhitespace, !inPhrase {
                flush()
            } else {
                current.append(character)
            }
        }
        flush()
        guard !terms.isEmpty else {
            throw VaultError.invalidArgument(detail: "nothing to search for in \"\(text)\": give at least one word")
        }
        self.terms = terms
        matchExpression = terms.map { "\"\($0)\"" }.joined(separator: " ")
    }

    /// Collapses whitespace, keeps a trailing `*` on a word (a prefix), drops
    /// other `*`, and refuses terms without a letter or digit (FTS4 would
    /// find no token in them).
    private static func clean(_ raw: String) -> String {
        let words = raw.split(whereSeparator: \.isWhitespace).compactMap { word -> String? in
            let isPrefix = word.hasSuffix("*")
            let core = word.filter { $0 != "*" }
            guard core.contains(where: { $0.isLetter || $0.isNumber }) else { return nil }
            return isPrefix ? core + "*" : core
        }
        return words.joined(separator: " ")
    }
}
