import Foundation
import Testing
import VaultTestSupport

/// A vault created through the real CLI in a private keyring session, in a
/// directory that outlives the session (so the same files can be opened
/// again under another session mode: locked, no provider, no bus).
struct CLIFixture {
    let directory: TemporaryDirectory
    let vaultPath: String
    let vaultID: String
    let passwordFile: String?
    let recoveryCodeFile: String

    static let password = "correct horse battery staple 7"

    /// Runs `simvault init` in `session` (on `engine`, by default the one
    /// under test) and reads the vault id back.
    init(session: KeyringSession, keyring: Bool = true, password: Bool = false, engine: TestEngine = .underTest, extraArguments: [String] = []) throws {
        directory = try TemporaryDirectory("cli")
        vaultPath = directory.file("vault/vault.db")
        passwordFile = password ? try directory.write(Self.password + "\n", to: "password.txt") : nil
        recoveryCodeFile = directory.file("recovery.txt")
        var arguments = ["init", "--vault", vaultPath, "--recovery-code-file", recoveryCodeFile, "--json"]
        if !keyring { arguments.append("--no-keyring") }
        if let passwordFile { arguments += ["--password-file", passwordFile] }
        let result = try session.simvault(arguments + extraArguments, on: engine)
        try #require(result.status == 0, "init failed: \(result)")
        let json = try ExternalTools.json(result)
        vaultID = try #require(json["vault_id"] as? String)
    }

    /// Arguments selecting this vault.
    var vault: [String] { ["--vault", vaultPath] }
    var headerPath: String { vaultPath + ".keys" }

    /// The master key hex, as an outside tool reads it from the keyring.
    func keyringKey(in session: KeyringSession) throws -> String {
        try Self.keyFromKeyring(session: session, vaultID: vaultID)
    }

    /// The key `secret-tool lookup application simvault vault-id ID` prints.
    static func keyFromKeyring(session: KeyringSession, vaultID: String) throws -> String {
        let lookup = try session.secretToolLookup(vaultID: vaultID)
        try #require(lookup.status == 0, "secret-tool lookup failed: \(lookup)")
        return lookup.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
