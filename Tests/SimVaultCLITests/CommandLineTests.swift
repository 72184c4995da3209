import Foundation
import Testing
import VaultTestSupport

/// The command line as the docs write it: `simvault [--vault PATH] <command>`.
@Suite("command line")
struct CommandLineTests {
    @Test("global options work before and after the command, for nested commands too, and never cross a -- terminator")
    func globalOptionsInEitherOrder() throws {
        let session = try KeyringSession(.unlocked)
        let fixture = try CLIFixture(session: session)

        let after = try session.simvault(["info", "--vault", fixture.vaultPath, "--json"])
        #expect(after.status == 0, "\(after)")
        for arguments in [
            ["--vault", fixture.vaultPath, "info", "--json"],
            ["--vault=\(fixture.vaultPath)", "--json", "info"],
            ["--json", "--vault", fixture.vaultPath, "info"],
        ] {
            let before = try session.simvault(arguments)
            #expect(before.status == 0, "\(arguments): \(before)")
            #expect(try ExternalTools.json(before)["vault_id"] as? String == fixture.vaultID, "\(arguments): \(before)")
        }

        let nested = try session.simvault(["--vault", fixture.vaultPath, "key", "list", "--json"])
        #expect(nested.status == 0, "\(nested)")
        #expect(nested.stdout.contains("\"keyring\""), "\(nested)")

        // A positional argument after `--` is data, and the moved option
        // must land before the terminator, not after it.
        let search = try session.simvault(["--vault", fixture.vaultPath, "search", "--", "--vault"])
        #expect(search.status == 0, "\(search)")

        // No command: the usual usage error, not a crash.
        let bare = try session.simvault(["--vault", fixture.vaultPath])
        #expect(bare.status == 64, "\(bare)")
    }
}
