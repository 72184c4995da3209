import Foundation
import Testing
import VaultTestSupport
@testable import simvault

/// The docs say what the binary does: the exit-code tables match the one
/// table in code, and docs/cli.md's command reference is the binary's own
/// `--help` text.
@Suite("documentation")
struct DocumentationTests {
    @Test("the exit-code tables of docs/cli.md and docs/DESIGN.md are ExitCodes.table, row for row")
    func exitCodeTablesMatchTheCode() throws {
        let expected = ExitCodes.table.map { "\($0.code)|\($0.meaning)" }
        for document in ["docs/cli.md", "docs/DESIGN.md"] {
            let rows = try Self.exitCodeRows(in: document)
            #expect(rows == expected, "\(document)'s exit-code table differs from Sources/simvault/Support/ExitCodes.swift")
        }
        let help = try ProcessRunner.run(ProjectPaths.simvaultBinary, ["--help"], environment: ProcessRunner.baseEnvironment.merging(["COLUMNS": "1000"]) { $1 })
        #expect(help.stdout.contains(ExitCodes.summary), "\(help)")
    }

    @Test("docs/cli.md's command reference is what every command prints for --help")
    func commandReferenceMatchesHelp() throws {
        let check = try ProcessRunner.run("/usr/bin/env", ["python3", ProjectPaths.script("cli-reference"), ProjectPaths.simvaultBinary, "--check"])
        #expect(check.status == 0, "\(check)")
    }

    /// The rows of the table under the "Exit codes" heading: `code|meaning`.
    private static func exitCodeRows(in document: String) throws -> [String] {
        let text = try String(contentsOfFile: ProjectPaths.root + "/" + document, encoding: .utf8)
        let lines = text.components(separatedBy: "\n")
        let heading = try #require(lines.firstIndex { $0.hasPrefix("#") && $0.hasSuffix("Exit codes") }, "\(document) has no Exit codes heading")
        var rows: [String] = []
        for line in lines[(heading + 1)...] {
            if line.hasPrefix("#") { break }
            let cells = line.split(separator: "|", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.count == 4, let code = Int(cells[1]) else {
                if !rows.isEmpty, !line.hasPrefix("|") { break }
                continue
            }
            rows.append("\(code)|\(cells[2])")
        }
        return rows
    }
}
