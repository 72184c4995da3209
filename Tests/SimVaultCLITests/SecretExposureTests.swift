import Foundation
import Testing
import VaultTestSupport

/// The master key and the password never appear in output, error text, the
/// header or the database, on success or on failure.
@Suite("secret exposure")
struct SecretExposureTests {
    @Test("the key and password appear in no output, error message or file")
    func keyAndPasswordNeverShown() throws {
        let session = try KeyringSession(.unlocked)
        let fixture = try CLIFixture(session: session, password: true)
        let key = try fixture.keyringKey(in: session)
        let passwordFile = try #require(fixture.passwordFile)
        let wrongPassword = try fixture.directory.write("\(CLIFixture.password)-wrong\n", to: "wrong.txt")

        var outputs: [ProcessResult] = []
        outputs.append(try session.simvault(["info", "--json"] + fixture.vault))
        outputs.append(try session.simvault(["health", "--json"] + fixture.vault))
        outputs.append(try session.simvault(["key", "check", "--no-keyring", "--password-file", passwordFile] + fixture.vault))
        outputs.append(try session.simvault(["key", "check", "--no-keyring", "--password-file", wrongPassword] + fixture.vault))
        // A corrupt copy makes the library report errors with the right key in hand.
        let scratch = try TemporaryDirectory("exposure")
        let damaged = scratch.file("d.db")
        try FileManager.default.copyItem(atPath: fixture.vaultPath, toPath: damaged)
        try FileManager.default.copyItem(atPath: fixture.headerPath, toPath: damaged + ".keys")
        try ExternalTools.flipByte(in: damaged, at: 100)
        outputs.append(try session.simvault(["key", "check", "--vault", damaged]))
        outputs.append(try session.simvault(["health", "--vault", damaged]))
        try session.lockKeyring()
        outputs.append(try session.simvault(["key", "check"] + fixture.vault))

        #expect(outputs.contains { $0.status == 10 } && outputs.contains { $0.status == 12 } && outputs.contains { $0.status == 11 },
                "the scenario must exercise the error paths: \(outputs.map(\.status))")
        for output in outputs {
            for secret in [key, key.uppercased(), CLIFixture.password] {
                #expect(!output.stdout.contains(secret) && !output.stderr.contains(secret), "secret leaked by \(output.arguments)")
            }
        }
        for file in [fixture.vaultPath, fixture.headerPath] {
            #expect(!ExternalTools.fileContains(file, key))
            #expect(!ExternalTools.fileContains(file, CLIFixture.password))
        }
    }
}
