/// The three ways every workload runs.
enum Variant: String, CaseIterable, Sendable, Codable {
    /// simvault's API on an encrypted vault (the product).
    case encrypted = "simvault"
    /// The same simvault code on an unencrypted file: what encryption costs.
    case plaintext = "plaintext"
    /// The SQLCipher C API with the same SQL on an encrypted file: what the
    /// library costs.
    case rawC = "raw C"
}

/// What an operation returned. The runner takes its fingerprint after the
/// clock stops and checks that the subjects agree, so a ratio always
/// compares the same work.
protocol Answer {
    var fingerprint: Int { get }
}

extension Int: Answer {
    var fingerprint: Int { self }
}

/// One database a workload runs against.
protocol Subject: AnyObject {
    var variant: Variant { get }
    /// The database file.
    var databasePath: String { get }

    // MARK: Filling the database (not timed)

    func createConversations(_ records: [ConversationRecord]) throws
    func createWorkflows(_ records: ArraySlice<WorkflowRecord>) throws
    /// Starts and finishes each run.
    func createRuns(_ records: ArraySlice<RunRecord>) throws

    // MARK: Timed operations

    /// Adds `batch` in one transaction (a bulk import).
    func importMessages(_ batch: ArraySlice<MessageRecord>) throws
    /// Appends one message at the end of its conversation (its own
    /// transaction). Returns its position.
    func appendMessage(_ message: MessageRecord) throws -> Int
    /// Starts a streaming reply `id` at the end of the conversation (its own
    /// transaction). Returns its position.
    func beginReply(id: String, conversationID: String) throws -> Int
    /// Appends one chunk to the reply `id`, in its own transaction: written
    /// when it returns.
    func appendChunk(_ text: String, toReply id: String) throws
    /// Ends the reply `id`: its chunks folded into the message, the message
    /// indexed (or queued for the next batch). Returns its length in bytes.
    func finishReply(id: String) throws -> Int
    /// The newest `limit` messages of a conversation (a chat view opening).
    func latestMessages(in conversationID: String, limit: Int) throws -> any Answer
    /// The `limit` messages after position `after` (scrolling).
    func messages(in conversationID: String, after: Int, limit: Int) throws -> any Answer
    /// The first page of the conversation list: pinned, then most recent.
    func recentConversations(limit: Int) throws -> Int
    /// Full-text search over messages, best `limit` hits with snippets.
    func searchMessages(_ text: String, limit: Int) throws -> any Answer
    /// Saves an edited state of a stored workflow. Returns its new version.
    func saveWorkflow(_ record: WorkflowRecord) throws -> Int
    /// Loads a workflow with its state. Returns the state's size.
    func loadWorkflow(id: String) throws -> Int
    /// The first page of the workflow list (metadata only).
    func listWorkflows(limit: Int) throws -> Int
    /// Records a run: started, then finished with its output.
    func recordRun(_ run: RunRecord) throws
    /// A workflow's last `limit` runs.
    func listRuns(workflowID: String, limit: Int) throws -> Int

    // MARK: Housekeeping (not timed)

    /// Folds the WAL into the database file (`wal_checkpoint(TRUNCATE)`).
    func checkpoint() throws
    func close()
}

