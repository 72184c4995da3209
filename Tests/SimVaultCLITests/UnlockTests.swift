import Foundation
import Testing
import VaultTestSupport

/// Key sources: password slots, wrong passwords, and every failure mode of
/// the Secret Service with and without a password to fall back to.
@Suite("unlock")
struct UnlockTests {
    @Test("init --no-keyring with a password: reopens with it; a wrong password exits 10 and says so")
    func passwordOnlyVault() throws {
        let session = try KeyringSession(.unlocked)
        let fixture = try CLIFixture(session: session, keyring: false, password: true)
        let passwordFile = try #require(fixture.passwordFile)

        let check = try session.simvault(["key", "check", "--json", "--password-file", passwordFile] + fixture.vault)
        #expect(check.status == 0, "\(check)")
        let report = try ExternalTools.json(check)
        #expect(report["source"] as? String == "password")

        let info = try ExternalTools.json(try session.simvault(["info", "--json", "--password-file", passwordFile] + fixture.vault))
        #expect(info["schema_version"] as? Int ?? 0 >= 1)

        let wrong = try fixture.directory.write("not the password\n", to: "wrong.txt")
        for command in [["key", "check"], ["info"]] {
            let result = try session.simvault(command + ["--password-file", wrong] + fixture.vault)
            #expect(result.status == 10, "\(command): \(result)")
            #expect(result.stderr.contains("wrong password"))
        }
        // Password from stdin works the same.
        let stdin = try session.simvault(["key", "check", "--password-file", "-"] + fixture.vault, stdin: Data((CLIFixture.password + "\n").utf8))
        #expect(stdin.status == 0, "\(stdin)")
        // No password and no terminal: never prompts, exits 11.
        let none = try session.simvault(["key", "check"] + fixture.vault)
        #expect(none.status == 11, "\(none)")
        #expect(none.stderr.contains("no password given"))
    }

    /// The message each broken keyring must produce.
    static let causes: [(KeyringSession.Mode, String)] = [
        (.noBus, "no D-Bus session bus"),
        (.noProvider, "no Secret Service provider"),
        (.locked, "keyring is locked"),
    ]

    /// A session in which the vault's keyring item cannot be read: for
    /// `.locked`, the creator's own collection (which holds the item) is
    /// locked; otherwise a new session without bus or provider.
    static func brokenKeyring(_ mode: KeyringSession.Mode, creator: KeyringSession) throws -> KeyringSession {
        guard mode == .locked else { return try KeyringSession(mode) }
        try creator.lockKeyring()
        return creator
    }

    @Test("keyring-only vault: no bus, no provider, locked keyring give exit 11 naming the cause", arguments: 0..<3)
    func keyringFailuresWithoutPassword(index: Int) throws {
        let (mode, cause) = Self.causes[index]
        let creator = try KeyringSession(.unlocked)
        let fixture = try CLIFixture(session: creator)
        let session = try Self.brokenKeyring(mode, creator: creator)
        let check = try session.simvault(["key", "check"] + fixture.vault)
        #expect(check.status == 11, "\(check)")
        #expect(check.stderr.contains(cause), "\(check)")

        let health = try session.simvault(["health"] + fixture.vault)
        #expect(health.status == 2)
        #expect(health.stdout.contains(cause))

        // info needs no key: it still answers, without the schema version.
        let info = try session.simvault(["info", "--json"] + fixture.vault)
        #expect(info.status == 0, "\(info)")
        let json = try ExternalTools.json(info)
        #expect(json["vault_id"] as? String == fixture.vaultID)
        #expect(json["page_size"] as? Int == 4096)
        #expect(json["schema_version"] == nil || json["schema_version"] is NSNull)
    }

    @Test("with a password slot, no bus / no provider / locked keyring fall back to the password and say why", arguments: 0..<3)
    func keyringFailuresFallBackToPassword(index: Int) throws {
        let (mode, cause) = Self.causes[index]
        let creator = try KeyringSession(.unlocked)
        let fixture = try CLIFixture(session: creator, password: true)
        let passwordFile = try #require(fixture.passwordFile)
        let session = try Self.brokenKeyring(mode, creator: creator)
        let check = try session.simvault(["key", "check", "--password-file", passwordFile] + fixture.vault)
        #expect(check.status == 0, "\(check)")
        #expect(check.stdout.contains("opened with password"))
        #expect(check.stdout.contains(cause), "\(check)")

        let health = try session.simvault(["health", "--password-file", passwordFile] + fixture.vault)
        #expect(health.status == 1, "fallback must be a warning: \(health)")
        #expect(health.stdout.contains("warning key source"))
        #expect(health.stdout.contains(cause))
    }

    @Test("a keyring item holding another vault's key is named as such, and the password still opens")
    func keyringItemForAnotherVault() throws {
        let session = try KeyringSession(.unlocked)
        let first = try CLIFixture(session: session, password: true)
        let second = try CLIFixture(session: session)
        // Overwrite the first vault's item with the second vault's key.
        let otherKey = try second.keyringKey(in: session)
        let store = try session.run("secret-tool", ["store", "--label=swapped", "application", "simvault", "vault-id", first.vaultID],
                                    stdin: Data(otherKey.utf8))
        try #require(store.status == 0, "\(store)")
        let lookup = try first.keyringKey(in: session)
        try #require(lookup == otherKey)

        let check = try session.simvault(["key", "check"] + first.vault)
        #expect(check.status == 10, "\(check)")
        #expect(check.stderr.contains("does not match this vault"))

        let fallback = try session.simvault(["key", "check", "--password-file", try #require(first.passwordFile)] + first.vault)
        #expect(fallback.status == 0, "\(fallback)")
        #expect(fallback.stdout.contains("does not match this vault"))
    }

    @Test("a keyring item deleted outside simvault: exit 11 naming it; the recovery code opens the vault")
    func keyringItemDeleted() throws {
        let session = try KeyringSession(.unlocked)
        let fixture = try CLIFixture(session: session)
        let clear = try session.run("secret-tool", ["clear", "application", "simvault", "vault-id", fixture.vaultID])
        try #require(clear.status == 0)
        let check = try session.simvault(["key", "check"] + fixture.vault)
        #expect(check.status == 11, "\(check)")
        #expect(check.stderr.contains("keyring has no item for this vault"))
        let recovered = try session.simvault(["key", "check", "--recovery-code-file", fixture.recoveryCodeFile] + fixture.vault)
        #expect(recovered.status == 0, "\(recovered)")
        #expect(recovered.stdout.contains("recovery code"))
    }
}
