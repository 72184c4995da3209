import Foundation
import SimVault
import VaultKeys

/// One benchmark run: builds the three databases from one data set, then
/// measures every workload on all of them, interleaved (each iteration runs
/// the subjects one after the other, in rotating order), so a busy moment of
/// the machine costs every subject alike.
final class BenchmarkRun {
    let options: BenchmarkOptions
    let scale: Scale
    let dataset: Dataset
    let directory: String
    let results = Results()
    /// The Secret Service answers (run inside `scripts/with-keyring`).
    let hasKeyring: Bool
    /// The password slot's password (default Argon2id cost).
    let password: SecretBytes
    private(set) var subjects: [any Subject] = []
    private(set) var encrypted: LibrarySubject!
    private(set) var plaintext: LibrarySubject!
    private(set) var raw: RawSubject!
    /// The raw subject's key, as SQLCipher key text `x'<hex>'`.
    private(set) var rawKey: [UInt8] = []

    init(options: BenchmarkOptions, dataset: Dataset) throws {
        self.options = options
        scale = options.scale
        self.dataset = dataset
        directory = (options.directory as NSString).appendingPathComponent("simvault-bench-\(getpid())")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var text = Array("benchmark password".utf8)
        password = SecretBytes(consuming: &text)
        hasKeyring = (try? SecretServiceKeyring(timeout: 2).checkAvailable()) != nil
    }

    func removeFiles() {
        try? FileManager.default.removeItem(atPath: directory)
    }

    // MARK: - Databases

    /// Creates a vault through the library with a password slot (and a
    /// keyring slot when a Secret Service answers).
    func createVault(_ name: String, plaintext: Bool = false) throws -> Vault {
        var options = VaultCreationOptions()
        options.usesKeyring = hasKeyring
        options.password = password
        options.createsRecoveryCode = false
        options.configuration.unsafePlaintextDatabase = plaintext
        return try Vault.create(at: location(name), options: options).vault
    }

    func location(_ name: String) -> VaultLocation {
        VaultLocation(path: (directory as NSString).appendingPathComponent("\(name).db"))
    }

    /// The master key of the vault at `location` as SQLCipher key text.
    func rawKeyText(of location: VaultLocation) throws -> [UInt8] {
        let header = try KeyHeaderFile(path: location.headerPath).load()
        let key = try KeyUnlocker(header: header, headerPath: location.headerPath).unlock(.password(password)).masterKey
        return key.withRawKeySpecifier { Array($0) }
    }

    func makeSubjects() throws {
        encrypted = LibrarySubject(vault: try createVault("encrypted"), variant: .encrypted)
        plaintext = LibrarySubject(vault: try createVault("plaintext", plaintext: true), variant: .plaintext)
        // The raw subject's file is made by simvault too (same schema), then
        // used only through the C API.
        let rawLocation = location("raw")
        try createVault("raw").close()
        rawKey = try rawKeyText(of: rawLocation)
        raw = try RawSubject(path: rawLocation.path, key: rawKey, cacheSizeKiB: VaultConfiguration().cacheSizeKiB)
        subjects = [encrypted, plaintext, raw]
        try checkEncryption()
    }

    /// The plaintext baseline must really be plaintext, and the others not.
    private func checkEncryption() throws {
        for subject in subjects {
            try subject.checkpoint()
            let header = FileManager.default.contents(atPath: subject.databasePath)?.prefix(16)
            let isPlain = header == Data("SQLite format 3\0".utf8)
            guard isPlain == (subject.variant == .plaintext) else {
                throw BenchmarkFailure("\(subject.databasePath) is \(isPlain ? "plaintext" : "encrypted"), expected the opposite")
            }
        }
    }

    // MARK: - Measuring

    /// Times `operation` `iterations` times on every subject in `variants`,
    /// after `warmup` untimed rounds, interleaving the subjects. The
    /// operation gets the round number (warm-up rounds included), so every
    /// subject gets the same arguments in the same order.
    @discardableResult
    func measure(
        _ group: String, _ name: String, iterations: Int, warmup: Int = 3, target: Double? = nil,
        encryptionTarget: Bool = true, comparesTotals: Bool = false, variants: [Variant] = Variant.allCases,
        _ operation: (any Subject, Int) throws -> any Answer
    ) throws -> OperationResult {
        var result = OperationResult(group: group, name: name, targetMilliseconds: target, hasEncryptionTarget: encryptionTarget)
        result.comparesTotals = comparesTotals
        guard options.measures(group) else { return result }
        let chosen = subjects.filter { variants.contains($0.variant) }
        var disagreed = false
        for round in 0..<(warmup + iterations) {
            var answers: [Int] = []
            for offset in chosen.indices {
                let subject = chosen[(round + offset) % chosen.count]
                let (answer, nanoseconds) = try Clock.measure { try operation(subject, round) }
                if round >= warmup { result.samples[subject.variant, default: Samples()].add(nanoseconds) }
                answers.append(answer.fingerprint)
            }
            if !disagreed, Set(answers).count > 1 {
                disagreed = true
                results.disagreements.append("\(name): the subjects gave different answers in round \(round)")
            }
        }
        results.operations.append(result)
        return result
    }

    /// Times a one-off `operation` once per variant given, `repeats` times,
    /// interleaved.
    @discardableResult
    func measureEach(
        _ group: String, _ name: String, repeats: Int, target: Double? = nil,
        _ operations: [(Variant, () throws -> Void)]
    ) throws -> OperationResult {
        var result = OperationResult(group: group, name: name, targetMilliseconds: target, hasEncryptionTarget: false)
        guard options.measures(group) else { return result }
        for round in 0..<repeats {
            for offset in operations.indices {
                let (variant, operation) = operations[(round + offset) % operations.count]
                let (_, nanoseconds) = try Clock.measure(operation)
                result.samples[variant, default: Samples()].add(nanoseconds)
            }
        }
        results.operations.append(result)
        return result
    }

    func progress(_ text: String) {
        FileHandle.standardError.write(Data("simvault-bench: \(text)\n".utf8))
    }

    // MARK: - The run

    func run() throws {
        progress("data set: \(dataset.conversations.count) conversations, \(dataset.messages.count) messages, \(dataset.workflows.count) workflows, \(dataset.runs.count) runs")
        try makeSubjects()
        try fill()
        for subject in subjects { try subject.checkpoint() }
        try measureMessageReads()
        if options.measures("Search") { try measureSearch() }
        try measureWorkflowReads()
        try measureWrites()
        if options.measures("Streaming") { try measureStreaming() }
        if options.measures("Search") { try measureSearchWithWaitingMessages() }
        if options.measures("Page cost") { try measurePageCosts() }
        if options.measures("Storage") { try measureStorage() }
        if options.measures("Sim import") { try measureSimPostgresImport() }
        for subject in subjects { subject.close() }
        if options.measures("Opening") { try measureOpening() }
        if options.measures("Rekey and backup") { try measureLargeVault() }
    }

    /// Conversations, the bulk import (timed), workflows and runs.
    private func fill() throws {
        progress("creating conversations")
        for subject in subjects { try subject.createConversations(dataset.conversations) }
        progress("bulk import of \(dataset.messages.count) messages, \(scale.importBatch) per transaction")
        let batches = stride(from: 0, to: dataset.messages.count, by: scale.importBatch).map {
            dataset.messages[$0..<min($0 + scale.importBatch, dataset.messages.count)]
        }
        guard options.measures("Messages") else {
            for batch in batches { for subject in subjects { try subject.importMessages(batch) } }
            return try fillWorkflowsAndRuns()
        }
        let result = try measure(
            "Messages", "bulk import, per \(scale.importBatch.formatted()) messages", iterations: batches.count, warmup: 0,
            comparesTotals: true
        ) { subject, round in
            try subject.importMessages(batches[round])
            return 0
        }
        for variant in Variant.allCases {
            if let samples = result.samples[variant] {
                results.add(Fact(
                    group: "Messages", name: "bulk import of \(dataset.messages.count.formatted()) messages, total (\(variant.rawValue))",
                    value: samples.total.milliseconds / 1000, unit: "s"))
            }
        }
        try fillWorkflowsAndRuns()
    }

    private func fillWorkflowsAndRuns() throws {
        progress("saving \(dataset.workflows.count) workflows and recording \(dataset.runs.count) runs")
        for subject in subjects {
            try subject.createWorkflows(dataset.workflows[...])
            try subject.createRuns(dataset.runs[...])
        }
    }
}

struct BenchmarkFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
