import Foundation

struct ConversationRecord: Sendable {
    let id: String
    let title: String
}

struct MessageRecord: Sendable {
    let id: String
    let conversationID: String
    let role: String
    let content: String
    let tokens: Int
    let createdAt: Int64
}

struct WorkflowRecord: Sendable {
    let id: String
    let name: String
    let description: String
    let category: String
    let tags: [String]
    var state: Data
}

struct RunRecord: Sendable {
    let id: String
    let workflowID: String
    let input: Data
    let output: Data
    let succeeded: Bool
}

/// Everything the benchmark stores, generated once from a fixed seed and
/// given to every subject, so the three databases hold the same rows with the
/// same ids.
final class Dataset: Sendable {
    let corpus: TextCorpus
    let conversations: [ConversationRecord]
    /// Conversation by conversation, oldest first: the order of an import.
    let messages: [MessageRecord]
    /// How many messages each conversation has, by conversation index.
    let messageCounts: [Int]
    let workflows: [WorkflowRecord]
    let runs: [RunRecord]

    static let messageLength = 200...2_000
    static let workflowBytes = 10_000...60_000
    static let categories = ["general", "research", "support", "marketing", "engineering", "finance"]

    init(scale: Scale) {
        var random = SeededRandom(seed: 0x5EED_0001)
        let corpus = TextCorpus()
        self.corpus = corpus
        let json = WorkflowJSON(corpus: corpus)

        conversations = (0..<scale.conversations).map { _ in
            ConversationRecord(id: random.uuid(), title: corpus.text(length: Int.random(in: 20...60, using: &random), &random))
        }
        // Conversation lengths vary around the mean (from 1/5 to 9/5 of it)
        // and add up to exactly `scale.messages`.
        let weights = conversations.map { _ in Double.random(in: 0.2...1.8, using: &random) }
        let perWeight = Double(scale.messages) / weights.reduce(0, +)
        var counts = weights.map { max(1, Int($0 * perWeight)) }
        var index = 0
        while counts.reduce(0, +) < scale.messages {
            counts[index % counts.count] += 1
            index += 1
        }
        messageCounts = counts

        var messages: [MessageRecord] = []
        messages.reserveCapacity(scale.messages)
        var time: Int64 = 1_700_000_000_000
        for (conversation, count) in zip(conversations, counts) {
            for index in 0..<count {
                time += Int64.random(in: 1_000...600_000, using: &random)
                messages.append(MessageRecord(
                    id: random.uuid(), conversationID: conversation.id, role: index % 2 == 0 ? "user" : "assistant",
                    content: corpus.text(length: Int.random(in: Self.messageLength, using: &random), &random),
                    tokens: Int.random(in: 50...800, using: &random), createdAt: time))
            }
        }
        self.messages = messages

        workflows = (0..<scale.workflows).map { _ in
            WorkflowRecord(
                id: random.uuid(),
                name: "\(corpus.word(Int.random(in: 0..<3000, using: &random)).capitalized) \(corpus.word(Int.random(in: 0..<3000, using: &random)))",
                description: corpus.text(length: Int.random(in: 40...200, using: &random), &random),
                category: Self.categories[Int.random(in: 0..<Self.categories.count, using: &random)],
                tags: (0..<Int.random(in: 1...4, using: &random)).map { _ in corpus.word(Int.random(in: 0..<500, using: &random)) },
                state: json.state(bytes: Int.random(in: Self.workflowBytes, using: &random), &random))
        }
        let workflowIDs = workflows.map(\.id)
        runs = (0..<scale.runs).map { _ in
            RunRecord(
                id: random.uuid(), workflowID: workflowIDs[Int.random(in: 0..<workflowIDs.count, using: &random)],
                input: json.runInput(&random), output: json.runOutput(&random), succeeded: Int.random(in: 0..<10, using: &random) > 0)
        }
    }

    /// Total bytes of the workflows' JSON states.
    var workflowJSONBytes: Int { workflows.reduce(0) { $0 + $1.state.count } }

    /// The state of a workflow of about `bytes` bytes, with a small edit
    /// (as an editor save makes): the title of its first block changes.
    static func edited(_ state: Data, revision: Int) -> Data {
        var text = String(decoding: state, as: UTF8.self)
        if let range = text.range(of: #""name":""#) {
            text.insert(contentsOf: "r\(revision) ", at: range.upperBound)
        }
        return Data(text.utf8)
    }
}
