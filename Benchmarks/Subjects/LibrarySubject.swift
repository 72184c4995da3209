import Foundation
import SimVault

/// simvault's public API on a vault: encrypted (the product) or, through the
/// package-only plaintext switch, the same code on an unencrypted file.
final class LibrarySubject: Subject {
    let variant: Variant
    let vault: Vault
    private var replies: [String: MessageReply] = [:]

    init(vault: Vault, variant: Variant) {
        self.vault = vault
        self.variant = variant
    }

    var databasePath: String { vault.path }

    func createConversations(_ records: [ConversationRecord]) throws {
        for record in records { try vault.conversations.create(Conversation(id: record.id, title: record.title)) }
    }

    func createWorkflows(_ records: ArraySlice<WorkflowRecord>) throws {
        for record in records { _ = try saveWorkflow(record) }
    }

    func createRuns(_ records: ArraySlice<RunRecord>) throws {
        for record in records { try recordRun(record) }
    }

    func importMessages(_ batch: ArraySlice<MessageRecord>) throws {
        try vault.messages.append(contentsOf: batch.map {
            NewMessage(
                conversationID: $0.conversationID, role: Message.Role(rawValue: $0.role)!, content: $0.content,
                tokens: $0.tokens, id: $0.id, createdAt: $0.createdAt)
        })
    }

    func appendMessage(_ message: MessageRecord) throws -> Int {
        try vault.messages.append(
            to: message.conversationID, role: Message.Role(rawValue: message.role)!, content: message.content,
            tokens: message.tokens, id: message.id
        ).position
    }

    func beginReply(id: String, conversationID: String) throws -> Int {
        let reply = try vault.messages.beginReply(in: conversationID, id: id)
        replies[id] = reply
        return reply.position
    }

    func appendChunk(_ text: String, toReply id: String) throws {
        try replies[id]!.append(text)
    }

    func finishReply(id: String) throws -> Int {
        try replies.removeValue(forKey: id)!.finish().content.utf8.count
    }

    func latestMessages(in conversationID: String, limit: Int) throws -> any Answer {
        try vault.messages.latest(in: conversationID, limit: limit)
    }

    func messages(in conversationID: String, after: Int, limit: Int) throws -> any Answer {
        try vault.messages.page(in: conversationID, after: after, limit: limit)
    }

    func recentConversations(limit: Int) throws -> Int {
        try vault.conversations.list(ConversationFilter(limit: limit)).count
    }

    func searchMessages(_ text: String, limit: Int) throws -> any Answer {
        try vault.search(text, in: [.messages], limit: limit)
    }

    func saveWorkflow(_ record: WorkflowRecord) throws -> Int {
        try vault.workflows.save(Workflow(
            id: record.id, name: record.name, description: record.description, category: record.category, tags: record.tags,
            state: record.state)
        ).version
    }

    func loadWorkflow(id: String) throws -> Int {
        try vault.workflows.load(id: id)?.state.count ?? -1
    }

    func listWorkflows(limit: Int) throws -> Int {
        try vault.workflows.list(limit: limit).count
    }

    func recordRun(_ run: RunRecord) throws {
        let started = try vault.runs.start(workflowID: run.workflowID, trigger: .manual, input: run.input, id: run.id)
        try vault.runs.finish(
            started.id, status: run.succeeded ? .success : .error, output: run.output,
            metrics: RunMetrics(blocksExecuted: 4, tokensUsed: 1_200, apiCalls: 2))
    }

    func listRuns(workflowID: String, limit: Int) throws -> Int {
        try vault.runs.list(RunFilter(workflowID: workflowID, limit: limit)).count
    }

    func checkpoint() throws {
        try vault.writeWithoutTransaction { db in try db.execute("PRAGMA wal_checkpoint(TRUNCATE)") }
    }

    func close() { vault.close() }
}

extension MessagePage: Answer {
    var fingerprint: Int {
        var hasher = Hasher()
        for message in messages {
            hasher.combine(message.id)
            hasher.combine(message.position)
            hasher.combine(message.content.utf8.count)
        }
        return hasher.finalize()
    }
}

extension Array: Answer where Element == SearchHit {
    var fingerprint: Int {
        var hasher = Hasher()
        for hit in self { hasher.combine(hit.id) }
        return hasher.finalize()
    }
}
