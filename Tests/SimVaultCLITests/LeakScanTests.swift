import Foundation
import Testing
import SimVault
import VaultTestSupport

/// No plaintext on disk: unique marker strings go in through every path
/// (library and CLI), the vault goes through its operations, and then every
/// file the vault, its operations and their temp directory left behind is
/// scanned for the markers. Any hit is a leak. Files are also checked to be
/// owner-only.
@Suite("leak scan")
struct LeakScanTests {
    /// One marker per path, recognizable and unlikely to occur by chance.
    struct Markers {
        private(set) var byPath: [String: String] = [:]

        mutating func make(_ path: String) -> String {
            let marker = "LEAKMARK" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(16) + path.filter(\.isLetter).prefix(8).uppercased()
            byPath[path] = marker
            return marker
        }
    }

    /// Every regular file under `directories`, recursively.
    static func files(under directories: [String]) -> [String] {
        directories.flatMap { directory -> [String] in
            guard let walker = FileManager.default.enumerator(atPath: directory) else { return [] }
            return walker.compactMap { $0 as? String }.map { directory + "/" + $0 }.filter { path in
                var isDirectory: ObjCBool = false
                return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && !isDirectory.boolValue
            }
        }
    }

    /// "<path> in <file>" for every marker found in a file.
    func scan(_ files: [String], _ markers: Markers) -> [String] {
        var hits: [String] = []
        for file in files {
            guard let data = FileManager.default.contents(atPath: file) else { continue }
            for (path, marker) in markers.byPath where data.range(of: Data(marker.utf8)) != nil {
                hits.append("\(path) in \(file)")
            }
        }
        return hits
    }

    @Test("markers written through every path appear in no file the vault and its operations leave on disk")
    func noPlaintextOnDisk() throws {
        let session = try KeyringSession(.unlocked)
        let fixture = try CLIFixture(session: session, password: true)
        let passwordFile = try #require(fixture.passwordFile)
        let temp = fixture.directory.file("tmp")
        try FileManager.default.createDirectory(atPath: temp, withIntermediateDirectories: true)
        let environment = ["TMPDIR": temp]
        func cli(_ arguments: [String], stdin: Data? = nil) throws -> ProcessResult {
            let result = try session.simvault(arguments + fixture.vault, stdin: stdin, extraEnvironment: environment)
            try #require(result.status == 0, "\(result)")
            return result
        }
        var markers = Markers()

        // The library: every store.
        let vault = try fixture.openInProcess(session)
        let user = try vault.users.create(username: "user-\(UUID().uuidString.prefix(6))", displayName: markers.make("user display name"))
        let agent = try vault.agents.create(Agent(name: "helper", systemPrompt: markers.make("agent system prompt"), config: "{\"note\": \"\(markers.make("agent config"))\"}"))
        let chat = try vault.conversations.create(Conversation(title: markers.make("conversation title"), userID: user.id, agentID: agent.id,
                                                             extra: "{\"x\": \"\(markers.make("conversation extra"))\"}"))
        let message = try vault.messages.append(to: chat.id, role: .user, content: markers.make("message content"),
                                                metadata: "{\"m\": \"\(markers.make("message metadata"))\"}")
        try vault.attachments.add(to: message.id, fileName: "notes.txt", mediaType: "text/plain", data: Data(markers.make("attachment data").utf8))
        let state = "{\"blocks\": {\"b1\": {\"prompt\": \"\(markers.make("workflow state"))\"}}, \"edges\": []}"
        let workflow = try vault.workflows.save(Workflow(name: "flow", description: markers.make("workflow description"), tags: [markers.make("workflow tag")], state: Data(state.utf8)))
        let run = try vault.runs.start(workflowID: workflow.id, trigger: .manual, input: Data("{\"q\": \"\(markers.make("run input"))\"}".utf8))
        _ = try vault.runs.finish(run.id, status: .error, output: Data("{\"a\": \"\(markers.make("run output"))\"}".utf8), errorMessage: markers.make("run error"))
        var secretBytes = Array(markers.make("secret via library").utf8)
        try vault.secrets.set("library-key", value: SecretBytes(consuming: &secretBytes))
        // Rewrites leave old versions in freed pages: edit and delete too.
        var edited = message
        edited.content = markers.make("edited message content")
        _ = try vault.messages.update(edited)
        let doomed = try vault.messages.append(to: chat.id, role: .assistant, content: markers.make("deleted message"))
        _ = try vault.messages.delete(id: doomed.id)
        _ = try vault.snapshot(to: VaultLocation(path: fixture.directory.file("snapshots/copy.db")))
        // First scan while this process still has the vault open: the WAL
        // holds every write above, not yet checkpointed.
        let roots = [fixture.directory.file("vault"), fixture.directory.file("snapshots"), temp, session.home,
                     session.environment["XDG_DATA_HOME"] ?? session.home]
        var hits = scan(Self.files(under: roots), markers)
        let walWhileOpen = VaultLocation.size(of: fixture.vaultPath + "-wal") ?? 0
        #expect(walWhileOpen > 100_000, "the mid-run scan should see a full WAL, found \(walWhileOpen) bytes")
        vault.close()

        // The CLI.
        _ = try cli(["secret", "set", "cli-key", "--value-file", "-"], stdin: Data(markers.make("secret via cli").utf8))
        _ = try cli(["secret", "get", "cli-key"])
        _ = try cli(["settings", "set", "theme", markers.make("setting value")])
        _ = try cli(["sql", "--write", "UPDATE conversations SET title = '\(markers.make("sql write"))' WHERE id = '\(chat.id)'"])
        _ = try cli(["search", String(markers.byPath["message content"]!.prefix(20)) + "*"])
        _ = try cli(["rekey", "--password-file", passwordFile])
        _ = try cli(["health"])
        _ = try cli(["key", "change-password", "2", "--password-file", passwordFile, "--new-password-file", passwordFile])

        // Then everything again: the vault's directory (database, WAL, SHM,
        // header), the snapshot, the temp dir, the session's HOME and data
        // directory (where the keyring lives).
        let scanned = Self.files(under: roots)
        #expect(scanned.contains(fixture.vaultPath) && scanned.contains(fixture.headerPath))
        #expect(scanned.contains { $0.hasSuffix("snapshots/copy.db") })
        hits += scan(scanned, markers)
        #expect(hits.isEmpty, "plaintext found on disk: \(hits)")

        // The scanner finds a planted plaintext copy (so an empty result means something).
        let planted = try fixture.directory.write("prefix " + markers.byPath["message content"]! + " suffix", to: "tmp/planted.txt")
        #expect(scan(Self.files(under: roots), markers) == ["message content in \(planted)"])
        try FileManager.default.removeItem(atPath: planted)
        print("leak scan: \(markers.byPath.count) markers through every path; scanned with the WAL at \(ByteCount.format(walWhileOpen)) and after every operation: \(scanned.count) files, \(hits.count) hits")

        // And every file simvault made is owner-only.
        for file in Self.files(under: [fixture.directory.file("vault"), fixture.directory.file("snapshots")]) {
            #expect(ExternalTools.mode(of: file) == 0o600, "\(file) has mode \(String(ExternalTools.mode(of: file) ?? 0, radix: 8))")
        }
    }
}
