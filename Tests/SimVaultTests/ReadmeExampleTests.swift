import Foundation
import SimVault
import Testing
import VaultTestSupport

// README example begin
import SimVault

/// What a chat-and-workflow app does with its vault: open (migrating after a
/// verified backup when this build brings new tables), chat, keep an API key,
/// save a workflow and record its runs, change a setting, search.
func chatAppExample(location: VaultLocation, unlock: UnlockRequest, apiKey: SecretBytes, editorState: Data) async throws {
    let vault = try Vault.open(at: location, unlock: unlock)
    defer { vault.close() }
    try vault.migrate()   // no-op when the schema is current

    // Conversations and messages
    let helper = try vault.agents.create(Agent(name: "Helper", provider: "openai", model: "gpt-4o"))
    let chat = try vault.conversations.create(Conversation(title: "Trip planning", agentID: helper.id))
    try vault.messages.append(to: chat.id, role: .user, content: "Find me a night train to Vienna")
    try vault.messages.append(to: chat.id, role: .assistant, content: "The Nightjet leaves at 19:40.", model: "gpt-4o", tokens: 12)
    let recent = try vault.messages.latest(in: chat.id, limit: 50)   // oldest first, for the chat view
    print(recent.messages.map(\.content))

    // The provider key: sealed in the vault, every read audited
    try vault.secrets.set("OPENAI_API_KEY", value: apiKey, scope: "provider:openai")
    let key = try vault.secrets.get("OPENAI_API_KEY", scope: "provider:openai")
    key.withUnsafeBytes { _ in /* hand the bytes to the HTTP client */ }

    // A workflow (state kept byte for byte, compressed) and one of its runs
    let flow = try vault.workflows.save(Workflow(name: "Morning digest", tags: ["news"], state: editorState))
    let run = try vault.runs.start(workflowID: flow.id, trigger: .schedule)
    try vault.runs.finish(run.id, status: .success, output: Data(#"{"sent":3}"#.utf8),
                          metrics: RunMetrics(blocksExecuted: 5, tokensUsed: 900, apiCalls: 2))

    // Settings with defaults in code, and full-text search
    try vault.settings.set(.theme, "dark")
    for hit in try vault.search("vienna") { print(hit.title, hit.snippet) }   // Trip planning …night train to [Vienna]

    // From async code, without blocking the caller
    let page = try await vault.perform { try $0.messages.page(in: chat.id) }
    print(page.messages.count)
}
// README example end

/// Keeps the README's library example compiling and true.
@Suite("README example")
struct ReadmeExampleTests {
    @Test("the example runs against a real vault and leaves what it says")
    func exampleRuns() async throws {
        let test = try TestVault(schemaVersion: 6, label: "readme")
        test.vault.close()
        var key = Array("sk-example".utf8)
        try await chatAppExample(
            location: test.location, unlock: .password(test.password),
            apiKey: SecretBytes(consuming: &key), editorState: workflowStateJSON(blocks: 3))

        let vault = try test.reopen()
        defer { vault.close() }
        #expect(try vault.schemaVersion() == Vault.supportedSchemaVersion, "the example migrates an old vault")
        #expect(try vault.search("vienna").first?.snippet.contains("[Vienna]") == true)
        #expect(try vault.settings.get(.theme) == "dark")
        #expect(try vault.runs.list(RunFilter(status: .success)).count == 1)
        #expect(try vault.secrets.list().map(\.name) == ["OPENAI_API_KEY"])
    }

    @Test("the README shows exactly this example")
    func readmeMatches() throws {
        let example = try documentedExample(in: #filePath, marker: "README example")
        let readme = try String(contentsOfFile: ProjectPaths.root + "/README.md", encoding: .utf8)
        #expect(readme.contains("```swift\n" + example + "```\n"), "README.md's library example differs from \(#filePath)")
    }
}
