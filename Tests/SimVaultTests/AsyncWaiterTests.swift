import Foundation
@testable import SimVault
import Testing
import VaultTestSupport

/// Async callers that wait for a connection suspend (``SuspendingSemaphore``):
/// they all finish, a closed vault releases them with `.closed`, and a
/// cancelled waiter leaves the queue. (The thread count itself is measured
/// in a process of its own: SimVaultCLITests' AsyncWaiterThreadTests.)
@Suite("async waiters")
struct AsyncWaiterTests {
    @Test("200 concurrent async reads, writes and performs on 2 readers all finish and every write lands")
    func manyWaiters() async throws {
        let test = try Self.testVault(readers: 2)
        let vault = test.vault
        let chat = try vault.conversations.create(Conversation(title: "waiters"))
        let writes = try await withThrowingTaskGroup(of: Int.self) { group in
            for index in 0..<200 {
                group.addTask {
                    switch index % 4 {
                    case 0:
                        _ = try await vault.read { db in try db.scalar("SELECT count(*) FROM messages", as: Int.self) }
                        return 0
                    case 1:
                        try await vault.write { db in try db.execute("UPDATE conversations SET title = title WHERE id = ?", [chat.id]) }
                        return 0
                    case 2:
                        _ = try await vault.perform { try $0.messages.append(to: chat.id, role: .user, content: "m\(index)") }
                        return 1
                    default:
                        _ = try await vault.perform { try $0.messages.latest(in: chat.id, limit: 5) }
                        return 0
                    }
                }
            }
            return try await group.reduce(0, +)
        }
        #expect(try vault.messages.count(in: chat.id) == writes)
        #expect(vault.readers.slots.waiterCount == 0 && vault.performSlots.waiterCount == 0)
    }

    @Test("closing the vault releases async readers, writers and performs waiting for a connection with .closed")
    func closeReleasesWaiters() async throws {
        let test = try Self.testVault(readers: 1)
        let vault = test.vault
        // Hold the only reader, the writer and both perform slots.
        let release = DispatchSemaphore(value: 0)
        let entered = OrderRecorder()
        let holders = DispatchGroup()
        for index in 0..<2 {
            holders.enter()
            Thread.detachNewThread {
                if index == 0 {
                    _ = try? vault.read { _ in entered.append(index); release.wait() }
                } else {
                    _ = try? vault.write { _ in entered.append(index); release.wait() }
                }
                holders.leave()
            }
        }
        let performHolders = (2..<4).map { index in Task { try await vault.perform { _ in entered.append(index); release.wait() } } }
        try await Self.until { entered.values.count == 4 }
        let readers = (0..<5).map { _ in Task { try await vault.read { _ in 1 } } }
        let writers = (0..<5).map { _ in Task { try await vault.write { _ in 1 } } }
        let performs = (0..<5).map { _ in Task { try await vault.perform { _ in 1 } } }
        // 5 async readers queue for the held reader and 5 performs for the
        // held perform slots; one async writer takes the writer's async turn
        // and blocks on the held writer, 4 queue behind it.
        try await Self.until {
            vault.readers.slots.waiterCount == 5 && vault.performSlots.waiterCount == 5
                && vault.writer.asyncTurns.waiterCount == 4
        }
        // close() waits for the write in progress, so it runs on a thread of
        // its own; the waiters are released before it waits.
        let closing = Task { try await Self.onThread { vault.close() } }
        for task in readers + performs {
            await #expect(throws: VaultError.closed) { try await task.value }
        }
        try await Self.until { vault.writer.asyncTurns.waiterCount == 0 }
        for _ in 0..<4 { release.signal() }
        await withCheckedContinuation { continuation in holders.notify(queue: .global()) { continuation.resume() } }
        try await closing.value
        for task in writers {
            await #expect(throws: VaultError.closed) { try await task.value }
        }
        for task in performHolders { _ = try? await task.value }
        #expect(throws: VaultError.closed) { try vault.read { _ in 1 } }
        await #expect(throws: VaultError.closed) { try await vault.read { _ in 1 } }
        await #expect(throws: VaultError.closed) { try await vault.write { _ in 1 } }
        await #expect(throws: VaultError.closed) { try await vault.perform { _ in 1 } }
    }

    @Test("a waiter whose task is cancelled leaves the queue with CancellationError and takes no slot")
    func cancelledWaiter() async throws {
        let semaphore = SuspendingSemaphore(value: 1)
        try semaphore.blockingWait()
        let waiter = Task { try await semaphore.wait() }
        try await Self.until { semaphore.waiterCount == 1 }
        waiter.cancel()
        await #expect(throws: CancellationError.self) { try await waiter.value }
        #expect(semaphore.waiterCount == 0)
        semaphore.signal()
        // The slot came back to the free count, not to the cancelled waiter.
        try await semaphore.wait()
        semaphore.signal()
    }

    @Test("sync and async waiters are served in arrival order, and close fails a blocked sync waiter too")
    func arrivalOrder() async throws {
        let semaphore = SuspendingSemaphore(value: 1)
        try semaphore.blockingWait()
        let order = OrderRecorder()
        var tasks: [Task<Void, any Error>] = []
        for index in 0..<4 {
            if index == 2 {
                tasks.append(Task {
                    try await Self.onThread {
                        try semaphore.blockingWait()
                        order.append(index)
                        semaphore.signal()
                    }
                })
            } else {
                tasks.append(Task {
                    try await semaphore.wait()
                    order.append(index)
                    semaphore.signal()
                })
            }
            try await Self.until { semaphore.waiterCount == index + 1 }
        }
        semaphore.signal()
        for task in tasks { try await task.value }
        #expect(order.values == [0, 1, 2, 3])

        try semaphore.blockingWait()
        let blocked = Task {
            try await Self.onThread { () -> Bool in
                do { try semaphore.blockingWait(); return false } catch { return error as? VaultError == .closed }
            }
        }
        try await Self.until { semaphore.waiterCount == 1 }
        semaphore.close()
        #expect(try await blocked.value)
        await #expect(throws: VaultError.closed) { try await semaphore.wait() }
    }

    /// A test vault with a pool of `readers` readers.
    static func testVault(readers: Int) throws -> TestVault {
        var configuration = VaultConfiguration()
        configuration.maximumReaderCount = readers
        return try TestVault(configuration: configuration)
    }

    /// Runs blocking `work` on a thread of its own, not on one of the few
    /// threads that run tasks.
    static func onThread<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        let result: Result<T, any Error> = await withCheckedContinuation { continuation in
            Thread.detachNewThread { continuation.resume(returning: Result { try work() }) }
        }
        return try result.get()
    }

    /// Polls `condition` (a state another task reaches) without a time
    /// limit of its own: the test runner's limit applies.
    static func until(_ condition: @Sendable () -> Bool) async throws {
        while !condition() { try await Task.sleep(nanoseconds: 1_000_000) }
    }
}

/// @unchecked Sendable: `list` only under `lock`.
private final class OrderRecorder: @unchecked Sendable {
    private let lock = NSLock()
    private var list: [Int] = []
    func append(_ value: Int) { lock.withLock { list.append(value) } }
    var values: [Int] { lock.withLock { list } }
}
