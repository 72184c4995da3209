import Foundation
import SimVault
import Testing
import VaultTestSupport

/// No file simvault produces holds private text in plaintext, except the
/// exports a user asks for in plaintext (JSON, Markdown, Sim files). A
/// `.simworkflow` bundle is not encrypted either, but its entries are always
/// deflated, so no text appears in it literally; it is scanned with the rest.
@Suite("no plaintext on disk")
struct PlaintextLeakTests {
    /// Private text in messages, workflow state, workflow names, settings
    /// and a secret: none may show up in a backup, bundle, temporary file,
    /// restored vault or encrypted copy.
    static let contentMarkers = ["KESTRELMESSAGE", "KESTRELFLOWSTATE", "KESTRELSETTING", "KESTRELPLAINTABLE"]
    static let secretMarker = "sk-KESTREL-SECRET-0123456789abcdef"

    @Test("backups, automatic backups, bundles, restores, encrypted copies and leftovers hold no marker; asked-for plaintext exports do")
    func noMarkerInProducedFiles() throws {
        let test = try TestVault(label: "leaks")
        let vault = test.vault
        let chat = try vault.conversations.create(Conversation(title: "private"))
        for index in 0..<20 { try vault.messages.append(to: chat.id, role: .user, content: "KESTRELMESSAGE number \(index)") }
        let flow = try vault.workflows.save(Workflow(name: "flow", state: Data(#"{"blocks":{"b":{"id":"b","type":"agent","position":{"x":0,"y":0},"note":"KESTRELFLOWSTATE"}},"edges":[]}"#.utf8)))
        _ = try vault.settings.set(named: "app.note", text: "KESTRELSETTING")
        var secret = Array(Self.secretMarker.utf8)
        try vault.secrets.set("KEY", value: SecretBytes(consuming: &secret))
        vault.close()

        let out = test.directory.file("out")
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        try test.cliOK(["backup", out + "/manual.db"])
        try test.cliOK(["backup", "--auto", out + "/daily", "--keep", "3"])
        try test.cliOK(["export", "workflow", flow.id, "-o", out + "/one.simworkflow"])
        try test.cliOK(["restore", out + "/manual.db"])
        let plain = out + "/plain.db"
        try ExternalTools.python("import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.execute('CREATE TABLE t(x)'); c.execute(\"INSERT INTO t VALUES ('KESTRELPLAINTABLE')\"); c.commit()", [plain])
        let encrypted = try ProcessRunner.run(ProjectPaths.simvaultBinary, ["encrypt", plain, "--out", out + "/encrypted.db", "--no-keyring", "--password-file", test.passwordFile, "--recovery-code-file", out + "/recovery.txt"])
        #expect(encrypted.status == 0, "\(encrypted)")

        // Asked-for plaintext: they do hold the text (so the scan below can
        // see markers), but never the secret.
        let asked = [out + "/chat.json", out + "/chat.md", out + "/flow.json", out + "/all.json"]
        try test.cliOK(["export", "conversation", chat.id, "-o", asked[0]])
        try test.cliOK(["export", "conversation", chat.id, "--format", "markdown", "-o", asked[1]])
        try test.cliOK(["export", "workflow", flow.id, "-o", asked[2]])
        try test.cliOK(["export", "all", "-o", asked[3]])
        #expect(ExternalTools.fileContains(asked[0], "KESTRELMESSAGE") && ExternalTools.fileContains(asked[2], "KESTRELFLOWSTATE"))
        for file in asked { #expect(!ExternalTools.fileContains(file, Self.secretMarker), "the secret leaked into \(file)") }

        // Imports: the exported (plaintext) files brought into another vault
        // leave no marker in its files either.
        let importer = try TestVault(label: "leaks-import")
        importer.vault.close()
        try importer.cliOK(["import", "conversations", asked[3]])
        try importer.cliOK(["import", "workflow", asked[2]])
        for file in ExternalTools.filesUnder(importer.directory.path) {
            for marker in Self.contentMarkers + [Self.secretMarker] {
                #expect(!ExternalTools.fileContains(file, marker), "\(marker) in plaintext in \(file) after an import")
            }
            #expect(ExternalTools.mode(of: file) == 0o600, "\(file) is not 0600")
        }

        let produced = ExternalTools.filesUnder(test.directory.path).filter { !asked.contains($0) && $0 != plain }
        #expect(produced.count >= 10, "\(produced)")
        for file in produced {
            for marker in Self.contentMarkers + [Self.secretMarker] {
                #expect(!ExternalTools.fileContains(file, marker), "\(marker) in plaintext in \(file)")
            }
            let name = (file as NSString).lastPathComponent
            #expect(![".tmp-", ".restoring-", ".encrypting-", ".creating-", "before-restore", "restore-journal"].contains { name.contains($0) }, "leftover \(file)")
            #expect(ExternalTools.mode(of: file) == 0o600, "\(file) is not 0600")
        }
    }
}
