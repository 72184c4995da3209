import Foundation

/// A counting semaphore whose async waiters suspend instead of holding a
/// thread, and whose sync waiters (``blockingWait()``) block as a `DispatchSemaphore`'s
/// do.
///
/// The vault's connections are few (the writer, a handful of readers), its
/// async callers many: an async caller that blocked a thread while it
/// waited would hold one thread per waiting caller (libdispatch adds
/// threads for blocked work), so it waits here as a suspended continuation
/// and gets a thread only once it holds a slot. GRDB's pool does the same.
///
/// Waiters are served first come, first served, sync and async alike; a
/// released slot goes straight to the oldest waiter. ``close()`` fails every
/// waiter, and every later wait, with `VaultError.closed`; holders keep
/// their slots until they signal. An async waiter whose task is cancelled
/// while it waits leaves the queue and throws `CancellationError` (work
/// that already holds a slot is not interrupted).
///
/// @unchecked Sendable: `state` is touched only inside ``withState(_:)``,
/// under `lock`. (An `NSLock`, a pthread mutex, rather than the
/// Synchronization module's `Mutex`: on Linux that one is built on raw
/// futexes, which ThreadSanitizer cannot see, so `make sanitize` would
/// report every access it guards as a race.)
final class SuspendingSemaphore: @unchecked Sendable {
    private let lock = NSLock()
    private var state: State

    init(value: Int) {
        state = State(available: max(1, value))
    }

    private func withState<R>(_ body: (inout State) -> R) -> R {
        lock.lock()
        defer { lock.unlock() }
        return body(&state)
    }

    /// Takes a slot, blocking the calling thread until one is free.
    ///
    /// - Throws: `VaultError.closed` once the semaphore is closed.
    func blockingWait() throws {
        let blocked = BlockedWaiter()
        let outcome: Result<Void, VaultError>? = withState { state in
            if state.isClosed { return .failure(.closed) }
            if state.available > 0 {
                state.available -= 1
                return .success(())
            }
            state.enqueue(.blocked(blocked))
            return nil
        }
        if let outcome { return try outcome.get() }
        try blocked.wait()
    }

    /// Takes a slot, suspending the calling task until one is free.
    ///
    /// - Throws: `VaultError.closed` once the semaphore is closed,
    ///   `CancellationError` if the task is cancelled before it got a slot.
    func wait() async throws {
        let id = withState { state in state.makeWaiterID() }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let outcome: Result<Void, any Error>? = withState { state in
                    if state.isClosed { return .failure(VaultError.closed) }
                    // Cancelled before the handler could find this waiter.
                    if Task.isCancelled { return .failure(CancellationError()) }
                    if state.available > 0 {
                        state.available -= 1
                        return .success(())
                    }
                    state.enqueue(.suspended(continuation), id: id)
                    return nil
                }
                if let outcome { continuation.resume(with: outcome) }
            }
        } onCancel: {
            let cancelled = withState { state in state.removeWaiter(id) }
            cancelled?.fail(CancellationError())
        }
    }

    /// Gives a slot back: to the oldest waiter, or to the free count.
    func signal() {
        let next = withState { state -> Waiter? in
            guard !state.waiters.isEmpty else {
                state.available += 1
                return nil
            }
            return state.waiters.removeFirst().waiter
        }
        next?.admit()
    }

    /// Fails every waiter and every later ``wait()`` with `VaultError.closed`.
    func close() {
        let waiting = withState { state -> [Waiter] in
            state.isClosed = true
            defer { state.waiters.removeAll() }
            return state.waiters.map(\.waiter)
        }
        for waiter in waiting { waiter.fail(VaultError.closed) }
    }

    /// How many callers wait now (for tests that must know a caller is
    /// queued before they act).
    var waiterCount: Int { withState { $0.waiters.count } }

    // MARK: - Waiters

    private struct State {
        var available: Int
        var isClosed = false
        /// Oldest first.
        var waiters: [(id: UInt64, waiter: Waiter)] = []
        private var lastID: UInt64 = 0

        init(available: Int) { self.available = available }

        mutating func makeWaiterID() -> UInt64 {
            lastID += 1
            return lastID
        }

        mutating func enqueue(_ waiter: Waiter, id: UInt64? = nil) {
            waiters.append((id ?? makeWaiterID(), waiter))
        }

        mutating func removeWaiter(_ id: UInt64) -> Waiter? {
            guard let index = waiters.firstIndex(where: { $0.id == id }) else { return nil }
            return waiters.remove(at: index).waiter
        }
    }

    private enum Waiter: Sendable {
        case suspended(CheckedContinuation<Void, any Error>)
        case blocked(BlockedWaiter)

        /// Hands the waiter its slot. Called outside the state's lock.
        func admit() {
            switch self {
            case .suspended(let continuation): continuation.resume()
            case .blocked(let waiter): waiter.wake(.success(()))
            }
        }

        /// Called outside the state's lock.
        func fail(_ error: any Error) {
            switch self {
            case .suspended(let continuation): continuation.resume(throwing: error)
            // A blocked waiter is never cancelled, only closed.
            case .blocked(let waiter): waiter.wake(.failure(.closed))
            }
        }
    }

    /// A thread blocked in ``blockingWait()``: woken once, with its slot or
    /// with `.closed`.
    ///
    /// @unchecked Sendable: `outcome` is touched only under `lock`.
    private final class BlockedWaiter: @unchecked Sendable {
        private let lock = NSLock()
        private var outcome: Result<Void, VaultError>?
        private let wakeUp = DispatchSemaphore(value: 0)

        func wake(_ result: Result<Void, VaultError>) {
            lock.withLock { outcome = result }
            wakeUp.signal()
        }

        func wait() throws {
            wakeUp.wait()
            try lock.withLock { outcome }!.get()
        }
    }
}
