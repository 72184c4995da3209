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

    @Test("a crash with the key in memory prints one fixed line: no backtrace, no registers, no key")
    func crashOutputHasNoSecrets() throws {
        let session = try KeyringSession(.unlocked)
        let fixture = try CLIFixture(session: session, password: true)
        let key = try fixture.keyringKey(in: session)
        let crash = try session.simvault(["key", "check", "--test-crash-after-unlock"] + fixture.vault)
        #expect(crash.status == 128 + SIGSEGV, "\(crash)")
        #expect(crash.stderr.contains("no details are printed because they could include key material"))
        for leak in ["Registers", "Thread 0", "Backtrac", key, key.uppercased()] {
            #expect(!crash.stderr.contains(leak) && !crash.stdout.contains(leak), "crash output contains \(leak)")
        }
        let files = try FileManager.default.contentsOfDirectory(atPath: fixture.directory.file("vault")) + FileManager.default.contentsOfDirectory(atPath: session.home)
        #expect(!files.contains { $0.hasPrefix("core") }, "a core file was written: \(files)")
    }

    @Test("while rekey runs, its argv, environment and limits hold no key or password, and it cannot dump core")
    func procOfARunningRekey() throws {
        let session = try KeyringSession(.unlocked)
        let fixture = try CLIFixture(session: session, password: true)
        let passwordFile = try #require(fixture.passwordFile)
        try VaultContents.addFiller(vaultPath: fixture.vaultPath, password: CLIFixture.password, megabytes: 20)
        let oldKey = try fixture.keyringKey(in: session)

        let child = try Subprocess(ProjectPaths.simvaultBinary, ["rekey", "--password-file", passwordFile] + fixture.vault,
                                   environment: session.environment, withStdin: false)
        var snapshots: [String] = []
        while child.poll() == nil {
            for file in ["cmdline", "environ", "limits"] {
                if let data = FileManager.default.contents(atPath: "/proc/\(child.pid)/\(file)") {
                    snapshots.append(file + ":" + String(decoding: data, as: UTF8.self))
                }
            }
            usleep(5_000)
        }
        let (status, _) = child.wait(timeout: 120)
        _ = Subprocess.readAll(child.stdoutFD)
        _ = Subprocess.readAll(child.stderrFD)
        #expect(status == 0)
        let newKey = try fixture.keyringKey(in: session)
        #expect(snapshots.count >= 3, "the rekey ended before /proc could be read")
        for snapshot in snapshots {
            for secret in [oldKey, newKey, CLIFixture.password] {
                #expect(!snapshot.contains(secret), "a secret appears in /proc: \(snapshot.prefix(40))")
            }
        }
        let limits = try #require(snapshots.last { $0.hasPrefix("limits:") }, "the first snapshots may predate main()")
        let core = try #require(limits.split(separator: "\n").first { $0.hasPrefix("Max core file size") })
        #expect(core.split(separator: " ", omittingEmptySubsequences: true).dropFirst(4).prefix(2) == ["0", "0"], "\(core)")
    }
}
