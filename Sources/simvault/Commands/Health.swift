import ArgumentParser
import Foundation
import SimVault

extension SimVaultCommand {
    /// `simvault health`: run every check; exit 0 healthy, 1 warnings, 2 failed.
    struct Health: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check the vault: engine, header, key, header authenticity, decryption, every page, foreign keys, schema, permissions.",
            discussion: """
                Never modifies the vault's data; its one repair (finishing or rolling back an \
                interrupted key change, upgrading an old-format key header) runs only on a header \
                the key authenticated. Exit status: 0 healthy, 1 warnings, 2 failed.
                """)

        @OptionGroup var global: GlobalOptions
        @OptionGroup var keys: KeyOptions

        func run() throws {
            let location = global.location
            let report = VaultHealth.check(location: location, unlock: keys.unlockRequest(location: location), configuration: global.configuration)
            if global.json {
                try Terminal.printJSON(report)
            } else {
                print(render(report))
            }
            throw ExitCode(ExitCodes.code(for: report.verdict))
        }

        private func render(_ report: HealthReport) -> String {
            var lines = ["simvault health: \(report.path)"]
            for check in report.checks {
                let status = check.status.rawValue.padding(toLength: 8, withPad: " ", startingAt: 0)
                let name = check.name.padding(toLength: 13, withPad: " ", startingAt: 0)
                lines.append("  \(status)\(name)\(check.detail)")
            }
            switch report.verdict {
            case .healthy: lines.append("healthy")
            case .warnings: lines.append("healthy, with warnings")
            case .failed: lines.append("FAILED: see the checks above")
            }
            return lines.joined(separator: "\n")
        }
    }
}
