import Foundation
import SimVault
import Testing
import VaultTestSupport

extension TestVault {
    /// Runs the built simvault with this vault's arguments (`--vault`,
    /// `--no-keyring`, `--password-file`) after `arguments`.
    @discardableResult
    func cli(_ arguments: [String], stdin: Data? = nil, timeout: Double = 300) throws -> ProcessResult {
        try ProcessRunner.run(ProjectPaths.simvaultBinary, arguments + cliArguments, stdin: stdin, timeout: timeout)
    }

    /// `cli`, requiring exit 0.
    @discardableResult
    func cliOK(_ arguments: [String], sourceLocation: SourceLocation = #_sourceLocation) throws -> ProcessResult {
        let result = try cli(arguments)
        try #require(result.status == 0, "\(result)", sourceLocation: sourceLocation)
        return result
    }

    /// Runs simvault with `arguments` followed by this vault's arguments (or
    /// `vaultArguments`), and expects it to exit with `status`, say
    /// `message` on stderr, and leave every file of the vault byte for byte
    /// as it was. The in-process vault must be closed.
    func expectRefused(
        _ arguments: [String], vaultArguments: [String]? = nil, status: Int32, mentioning message: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let before = fileBytes()
        let result = try ProcessRunner.run(ProjectPaths.simvaultBinary, arguments + (vaultArguments ?? cliArguments), timeout: 300)
        #expect(result.status == status, "\(result)", sourceLocation: sourceLocation)
        #expect(result.stderr.contains(message), "\(result.stderr)", sourceLocation: sourceLocation)
        #expect(fileBytes() == before, "a refused command changed the vault", sourceLocation: sourceLocation)
    }

    /// The single value of a one-column query, through `simvault sql`.
    func sqlValue(_ query: String) throws -> String {
        let result = try cliOK(["sql", query])
        return result.stdout.split(separator: "\n").dropFirst().joined(separator: "\n")
    }
}
