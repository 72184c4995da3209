import ArgumentParser
import SimVault

extension SimVaultCommand {
    /// `simvault search TEXT`: full-text search over messages and workflows.
    struct Search: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Search messages and workflows, best matches first.",
            discussion: """
                Every word must match; "quoted words" match as a phrase and word* as a prefix. \
                Case and accents are ignored. Matches are shown in [brackets].
                """)

        @OptionGroup var global: GlobalOptions
        @OptionGroup var keys: KeyOptions

        @Argument(help: "The words to look for.")
        var text: [String]

        @Option(name: .customLong("in"), help: ArgumentHelp("Search only messages or only workflows.", valueName: "messages|workflows"))
        var scope: String?

        @Option(name: .long, help: "Most results to show (1-500).")
        var limit = 20

        func validate() throws {
            guard (1...500).contains(limit) else { throw ValidationError("--limit must be between 1 and 500.") }
            if let scope, SearchScope(rawValue: scope) == nil { throw ValidationError("--in must be messages or workflows.") }
        }

        func run() throws {
            try keys.withVault(global) { vault in
                let query = text.joined(separator: " ")
                let hits = try vault.search(query, in: scope.flatMap(SearchScope.init(rawValue:)).map { [$0] } ?? Set(SearchScope.allCases), limit: limit)
                if global.json { return try Terminal.printJSON(SearchOutput(query: query, hits: hits)) }
                guard !hits.isEmpty else { return Terminal.say("No matches for \(TerminalText.visible(query)).") }
                for hit in hits {
                    let score = String(format: "%.2f", hit.score)
                    switch hit.scope {
                    case .messages:
                        let role = hit.role?.rawValue ?? "?"
                        let title = hit.title.isEmpty ? "(untitled)" : TerminalText.visible(hit.title)
                        Terminal.say("message   \(title)  #\(hit.position ?? 0) \(role)  score \(score)  [\(TerminalText.visible(hit.conversationID ?? ""))]")
                    case .workflows:
                        Terminal.say("workflow  \(TerminalText.visible(hit.title))  score \(score)  [\(TerminalText.visible(hit.id))]")
                    }
                    Terminal.say("    \(TerminalText.visible(hit.snippet.replacingOccurrences(of: "\n", with: " ")))")
                }
            }
        }
    }
}

private struct SearchOutput: Encodable {
    let query: String
    let hits: [SearchHit]
}
