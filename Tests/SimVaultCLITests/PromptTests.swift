import Foundation
import Testing
import VaultTestSupport

/// Passwords typed at a terminal: prompted without echo, confirmed at init.
@Suite("terminal prompts")
struct PromptTests {
    @Test("init --ask-password prompts twice without echo; the password then opens the vault from a prompt")
    func askPassword() throws {
        let session = try KeyringSession(.unlocked)
        let directory = try TemporaryDirectory("tty")
        let vault = directory.file("v.db")
        let secret = "tty-typed-passphrase-42"
        let created = try PseudoTerminal.run(
            ProjectPaths.simvaultBinary, ["init", "--vault", vault, "--no-keyring", "--ask-password", "--recovery-code-file", directory.file("rc")],
            environment: session.environment,
            answers: [("New password: ", secret), ("Repeat password: ", secret)])
        #expect(created.status == 0, "\(created.screen)")
        #expect(!created.screen.contains(secret), "the password was echoed: \(created.screen)")
        #expect(created.screen.contains("Created vault"))

        let opened = try PseudoTerminal.run(
            ProjectPaths.simvaultBinary, ["key", "check", "--vault", vault, "--no-keyring"],
            environment: session.environment, answers: [("Password for ", secret)])
        #expect(opened.status == 0, "\(opened.screen)")
        #expect(opened.screen.contains("opened with password"))
        #expect(!opened.screen.contains(secret))
    }

    @Test("mismatched confirmation creates nothing")
    func mismatchedConfirmation() throws {
        let session = try KeyringSession(.unlocked)
        let directory = try TemporaryDirectory("tty")
        let vault = directory.file("v.db")
        let result = try PseudoTerminal.run(
            ProjectPaths.simvaultBinary, ["init", "--vault", vault, "--no-keyring", "--ask-password"],
            environment: session.environment,
            answers: [("New password: ", "one-password"), ("Repeat password: ", "another-password")])
        #expect(result.status == 1, "\(result.screen)")
        #expect(result.screen.contains("do not match"))
        #expect(!FileManager.default.fileExists(atPath: vault))
        #expect(!FileManager.default.fileExists(atPath: vault + ".keys"))
    }

    @Test("with the keyring unavailable and a terminal, init asks for a password instead of failing")
    func keyringUnavailablePromptsAtInit() throws {
        let session = try KeyringSession(.noBus)
        let directory = try TemporaryDirectory("tty")
        let vault = directory.file("v.db")
        let result = try PseudoTerminal.run(
            ProjectPaths.simvaultBinary, ["init", "--vault", vault, "--recovery-code-file", directory.file("rc")],
            environment: session.environment,
            answers: [("New password: ", "fallback-pass"), ("Repeat password: ", "fallback-pass")])
        #expect(result.status == 0, "\(result.screen)")
        #expect(result.screen.contains("no D-Bus session bus"))
        let check = try session.simvault(["key", "check", "--vault", vault, "--password-file", "-"], stdin: Data("fallback-pass\n".utf8))
        #expect(check.status == 0, "\(check)")
    }
}
