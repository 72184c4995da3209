import Foundation
import Testing
import VaultTestSupport

/// `simvault secret ...`: values only from files or stdin, sealed on disk and
/// in SQL output and dumps, every read audited.
@Suite("secret")
struct SecretCommandTests {
    private static let value = "sk-ant-api03-CANARY-7f3a9c1e55d0-plaintext"

    @Test("set from a file and from stdin; get prints the exact value; list shows names only; remove")
    func lifecycle() throws {
        let session = try KeyringSession(.unlocked)
        let fixture = try CLIFixture(session: session)
        let file = try fixture.directory.write(Self.value + "\n", to: "value.txt")
        let set = try fixture.run(session, ["secret", "set", "ANTHROPIC_API_KEY", "--scope", "provider:anthropic", "--value-file", file])
        #expect(set.status == 0 && !set.stdout.contains(Self.value), "\(set)")
        let fromStdin = try fixture.run(session, ["secret", "set", "PATH_PREFIX", "--kind", "env", "--value-file", "-"], stdin: Data("/opt/tools".utf8))
        #expect(fromStdin.status == 0, "\(fromStdin)")

        let get = try fixture.run(session, ["secret", "get", "ANTHROPIC_API_KEY", "--scope", "provider:anthropic"])
        #expect(get.status == 0 && get.stdout == Self.value, "\(get)")
        #expect(try fixture.run(session, ["secret", "get", "PATH_PREFIX"]).stdout == "/opt/tools")

        let list = try fixture.run(session, ["secret", "list"])
        #expect(list.stdout.contains("provider:anthropic/ANTHROPIC_API_KEY") && list.stdout.contains("global/PATH_PREFIX  env"), "\(list)")
        #expect(!list.stdout.contains(Self.value))
        let listed = try JSONSerialization.jsonObject(with: try fixture.run(session, ["secret", "list", "--json"]).stdoutData) as? [[String: Any]]
        #expect(Set(listed?.compactMap { $0["name"] as? String } ?? []) == ["ANTHROPIC_API_KEY", "PATH_PREFIX"])

        let removed = try fixture.run(session, ["secret", "remove", "PATH_PREFIX"])
        #expect(removed.status == 0, "\(removed)")
        let gone = try fixture.run(session, ["secret", "get", "PATH_PREFIX"])
        #expect(gone.status == 1 && gone.stderr.contains("no secret \"global/PATH_PREFIX\""), "\(gone)")
        #expect(try fixture.run(session, ["secret", "remove", "PATH_PREFIX"]).status == 1)
    }

    @Test("a value is never accepted on the command line")
    func noValueInArgv() throws {
        let session = try KeyringSession(.unlocked)
        let fixture = try CLIFixture(session: session)
        for arguments in [["secret", "set", "K", Self.value], ["secret", "set", "K", "--value", Self.value], ["secret", "set", "K"]] {
            let result = try fixture.run(session, arguments)
            #expect(result.status == 64, "\(result)")
        }
        let listed = try JSONSerialization.jsonObject(with: try fixture.run(session, ["secret", "list", "--json"]).stdoutData) as? [Any]
        #expect(listed?.isEmpty == true, "nothing may have been stored")
    }

    @Test("the value is in no SQL output, no dump, no vault file; each get adds an access_log row, seen from outside")
    func sealedAndAudited() throws {
        let session = try KeyringSession(.unlocked)
        let fixture = try CLIFixture(session: session)
        let file = try fixture.directory.write(Self.value, to: "value.txt")
        try #require(try fixture.run(session, ["secret", "set", "API", "--value-file", file]).status == 0)
        for _ in 0..<3 { #expect(try fixture.run(session, ["secret", "get", "API"]).stdout == Self.value) }

        let hex = Data(Self.value.utf8).map { String(format: "%02x", $0) }.joined()
        for arguments in [["sql", "SELECT * FROM secrets"], ["sql", "SELECT * FROM secrets", "--json"], ["sql", "SELECT * FROM secret_keys"],
                          ["sql", "SELECT hex(sealed_value) FROM secrets"]] {
            let result = try fixture.run(session, arguments)
            #expect(result.status == 0, "\(result)")
            #expect(!result.stdout.contains(Self.value) && !result.stdout.lowercased().contains(hex), "\(arguments)")
        }
        // The stock sqlcipher shell with the real key: a full dump of the decrypted database.
        let dump = try fixture.shell(session, ".dump")
        #expect(dump.status == 0 && dump.stdout.contains("secrets"), "\(dump.stderr)")
        #expect(!dump.stdout.contains(Self.value) && !dump.stdout.lowercased().contains(hex))
        for path in fixture.fileBytes().keys { #expect(!ExternalTools.fileContains(path, Self.value), "plaintext secret in \(path)") }

        let reads = try fixture.shell(session, "SELECT count(*) FROM access_log WHERE action = 'secret.read' AND resource = 'global/API';")
        #expect(reads.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "3", "\(reads)")
        let actor = try fixture.shell(session, "SELECT DISTINCT actor FROM access_log WHERE action = 'secret.read';")
        #expect(actor.stdout.hasPrefix("simvault-cli"), "\(actor)")
    }
}
