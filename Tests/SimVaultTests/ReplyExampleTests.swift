import Foundation
import SimVault
import Testing
import VaultTestSupport

// docs/library.md example begin
import SimVault

/// A reply streamed from a provider into the vault as its tokens arrive:
/// each chunk is in the vault when `append` returns, readers see the text so
/// far, and the search index is written once, when the reply ends.
func streamReplyExample(vault: Vault, chatID: String, tokens: AsyncThrowingStream<String, any Error>) async throws -> Message {
    let reply = try vault.messages.beginReply(in: chatID, model: "gpt-4o")   // the message exists now, status .streaming
    do {
        for try await token in tokens {
            if Task.isCancelled { return try reply.cancel() }   // keeps the text so far, status .cancelled
            try reply.append(token)                              // one small transaction
        }
        return try reply.finish(tokens: 42)                      // status .complete, indexed
    } catch {
        _ = try? reply.fail(error: "\(error)")                   // keeps the text so far, status .failed
        throw error
    }
}

/// Fewer writes for a fast stream: chunks wait in memory and are written at
/// most 100 ms or 4 KiB apart (a crash loses at most that much).
func coalescedReply(vault: Vault, chatID: String) throws -> MessageReply {
    try vault.messages.beginReply(in: chatID, model: "gpt-4o", durability: .coalesced(milliseconds: 100, bytes: 4096))
}
// docs/library.md example end

/// Keeps docs/library.md's streaming example compiling and true.
@Suite("streaming reply example")
struct ReplyExampleTests {
    struct ProviderClosed: Error, CustomStringConvertible {
        var description: String { "the provider closed the connection" }
    }

    /// Tokens as a provider sends them, ending with `failure` if given.
    static func tokens(_ words: [String], failingWith failure: (any Error)? = nil) -> AsyncThrowingStream<String, any Error> {
        AsyncThrowingStream { continuation in
            for word in words { continuation.yield(word) }
            continuation.finish(throwing: failure)
        }
    }

    @Test("the example streams a reply to the end, and keeps the text of one that fails")
    func exampleRuns() async throws {
        let test = try TestVault(label: "reply-example")
        let vault = test.vault
        let chat = try vault.conversations.create(Conversation(title: "Trip planning"))
        try vault.messages.append(to: chat.id, role: .user, content: "Find me a night train to Vienna")

        let done = try await streamReplyExample(vault: vault, chatID: chat.id, tokens: Self.tokens(["The ", "Nightjet ", "leaves ", "at 19:40."]))
        #expect(done.status == .complete && done.content == "The Nightjet leaves at 19:40." && done.tokens == 42)
        #expect(try vault.search("nightjet").map(\.id) == [done.id])

        await #expect(throws: ProviderClosed.self) {
            try await streamReplyExample(vault: vault, chatID: chat.id, tokens: Self.tokens(["The ", "Railjet "], failingWith: ProviderClosed()))
        }
        let failed = try #require(try vault.messages.latest(in: chat.id, limit: 1).messages.first)
        #expect(failed.status == .failed && failed.content == "The Railjet " && failed.errorMessage == "the provider closed the connection")

        let cheap = try coalescedReply(vault: vault, chatID: chat.id)
        try cheap.append("waits in memory")
        #expect(cheap.unwrittenByteCount == 15)
        #expect(try cheap.finish().content == "waits in memory")
        try vault.checkSearchIndexes()
    }

    @Test("docs/library.md shows exactly this example")
    func documentMatches() throws {
        let example = try documentedExample(in: #filePath, marker: "docs/library.md example")
        let document = try String(contentsOfFile: ProjectPaths.root + "/docs/library.md", encoding: .utf8)
        #expect(document.contains("```swift\n" + example + "```\n"), "docs/library.md's streaming example differs from \(#filePath)")
    }
}
