import Foundation
import Testing
import SimVault
import VaultTestSupport

/// The Secret Service misbehaving: hung (owns the bus name, never answers),
/// or gone in the middle of a session. simvault names the problem, falls back
/// to the password where there is one, and never waits past its timeout.
@Suite("keyring faults")
struct KeyringFaultTests {
    /// A session whose only "Secret Service" is scripts/fake-secret-service.
    final class HungKeyring {
        let session: KeyringSession
        private let service: Subprocess

        init() throws {
            session = try KeyringSession(.noProvider)
            service = try Subprocess(ProjectPaths.script("fake-secret-service"), [], environment: session.environment, withStdin: false)
            var ready = [UInt8](repeating: 0, count: 6)
            let count = read(service.stdoutFD, &ready, 6)
            guard count == 6, String(decoding: ready, as: UTF8.self) == "READY\n" else {
                throw TestSupportError("fake-secret-service did not start (is python3-dbus installed?)")
            }
        }

        deinit {
            service.send(SIGKILL)
            _ = service.wait(timeout: 10)
        }
    }

    /// Generous: the point is "not D-Bus's 25 s default and not forever",
    /// not a performance bound.
    static let hangBound = 15.0

    @Test("a hung Secret Service: exit 11 naming the timeout, within the timeout; the password opens instead")
    func hungProvider() throws {
        let creator = try KeyringSession(.unlocked)
        let fixture = try CLIFixture(session: creator, password: true)
        let passwordFile = try #require(fixture.passwordFile)
        let hung = try HungKeyring()

        var started = Date()
        let check = try hung.session.simvault(["key", "check", "--keyring-timeout", "2"] + fixture.vault, timeout: 60)
        let waited = Date().timeIntervalSince(started)
        #expect(check.status == 11, "\(check)")
        #expect(check.stderr.contains("did not answer within 2"), "\(check)")
        #expect(waited < Self.hangBound, "key check waited \(waited) s for a hung keyring")

        started = Date()
        let fallback = try hung.session.simvault(["key", "check", "--keyring-timeout", "2", "--password-file", passwordFile] + fixture.vault, timeout: 60)
        #expect(fallback.status == 0, "\(fallback)")
        #expect(fallback.stdout.contains("opened with password") && fallback.stdout.contains("did not answer"), "\(fallback)")
        let health = try hung.session.simvault(["health", "--keyring-timeout", "2", "--password-file", passwordFile] + fixture.vault, timeout: 60)
        #expect(health.status == 1 && health.stdout.contains("did not answer"), "\(health)")
        #expect(Date().timeIntervalSince(started) < 2 * Self.hangBound)

        // init in front of a hung keyring: one timeout, exit 11, nothing created.
        let directory = try TemporaryDirectory("hung")
        started = Date()
        let created = try hung.session.simvault(["init", "--vault", directory.file("v.db"), "--keyring-timeout", "2"], timeout: 60)
        #expect(created.status == 11 && created.stderr.contains("did not answer"), "\(created)")
        #expect(Date().timeIntervalSince(started) < Self.hangBound)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).isEmpty)
    }

    @Test("the keyring daemon dies mid-session: an app that opened through it keeps writing; later opens name the cause and fall back to the password")
    func providerDisappears() throws {
        let session = try KeyringSession(.unlocked)
        let fixture = try CLIFixture(session: session, password: true)
        let passwordFile = try #require(fixture.passwordFile)
        let app = try fixture.openInProcess(session)
        let chat = try app.conversations.create(Conversation(title: "keyring goes away"))
        app.close()

        // A writer process that opened the vault through the keyring.
        let writer = try Subprocess(
            ProjectPaths.tortureBinary, ["write", fixture.vaultPath, "keyring", chat.id, "k", "400"],
            environment: session.environment, withStdin: false)
        var first = [UInt8](repeating: 0, count: 10)
        #expect(read(writer.stdoutFD, &first, 10) == 10, "the writer did not start writing")

        // Kill the daemon that owns org.freedesktop.secrets on this bus.
        let owner = try session.run("gdbus", [
            "call", "--session", "--dest", "org.freedesktop.DBus", "--object-path", "/org/freedesktop/DBus",
            "--method", "org.freedesktop.DBus.GetConnectionUnixProcessID", "org.freedesktop.secrets",
        ])
        let pid = try #require(owner.stdout.split(whereSeparator: { !$0.isNumber }).compactMap { Int32($0) }.last, "\(owner)")
        #expect(kill(pid, SIGKILL) == 0)

        let (status, _) = writer.wait(timeout: 120)
        let output = String(decoding: first + Subprocess.readAll(writer.stdoutFD), as: UTF8.self)
        _ = Subprocess.readAll(writer.stderrFD)
        #expect(status == 0 && output.hasSuffix("done\n"), "the writer stopped when the keyring died: \(output.suffix(200))")
        let committed = output.split(separator: "\n").filter { $0.hasPrefix("committed ") }.count
        #expect(committed == 400)

        // The bus may start a fresh daemon on demand, whose login keyring is
        // locked; or nothing answers. Either way: named, and the password works.
        let check = try session.simvault(["key", "check", "--keyring-timeout", "3"] + fixture.vault, timeout: 60)
        #expect(check.status == 11, "\(check)")
        #expect(check.stderr.contains("keyring is locked") || check.stderr.contains("no Secret Service provider") || check.stderr.contains("did not answer"), "\(check)")
        let fallback = try session.simvault(["key", "check", "--keyring-timeout", "3", "--password-file", passwordFile] + fixture.vault, timeout: 60)
        #expect(fallback.status == 0, "\(fallback)")
        let count = try session.simvault(["sql", "SELECT count(*) FROM messages", "--password-file", passwordFile, "--keyring-timeout", "3"] + fixture.vault)
        #expect(count.stdout.hasSuffix("\n400\n"), "\(count)")
    }
}
