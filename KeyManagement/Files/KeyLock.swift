import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The lock that serialises every change to a vault's keys: `rekey`, slot
/// changes, and the repair of an interrupted rotation. It is an exclusive
/// `flock(2)` on `<vault>.keys.lock`, an empty file that is never removed
/// (removing a lock file lets two processes lock two different files).
///
/// The kernel releases the lock when its holder exits, also on SIGKILL or a
/// crash, so "a rotation is recorded and nobody holds the lock" means the
/// rotation was interrupted and may be finished or rolled back.
///
/// Opening a vault does not take this lock; it only guards the key header and
/// the keyring items against two writers.
package final class KeyLock: Sendable {
    /// Path of the lock file.
    package let path: String
    private let descriptor: Int32

    /// Why the lock could not be taken.
    package enum Failure: Error, Sendable, Equatable {
        /// Another process holds it (after waiting, if asked to).
        case held(path: String)
        /// The lock file cannot be created or locked.
        case unusable(path: String, detail: String)
    }

    /// The lock file of the vault database at `vaultPath`.
    package static func path(forVault vaultPath: String) -> String { vaultPath + ".keys.lock" }

    /// Takes the lock, waiting at most `wait` seconds for another holder.
    ///
    /// - Parameter onWait: called once, before waiting, when the lock is
    ///   held by someone else and `wait` is positive.
    /// - Throws: ``Failure``.
    package static func acquire(vaultPath: String, wait: Double = 0, onWait: () -> Void = {}) throws(Failure) -> KeyLock {
        let path = path(forVault: vaultPath)
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, PrivateFile.mode)
        guard fd >= 0 else { throw .unusable(path: path, detail: String(cString: strerror(errno))) }
        // As for every file simvault creates: 0600 whatever the umask.
        _ = fchmod(fd, PrivateFile.mode)
        let deadline = Date().addingTimeInterval(max(0, wait))
        var announced = false
        while true {
            if flock(fd, LOCK_EX | LOCK_NB) == 0 { return KeyLock(path: path, descriptor: fd) }
            let code = errno
            guard code == EWOULDBLOCK || code == EINTR else {
                close(fd)
                throw .unusable(path: path, detail: String(cString: strerror(code)))
            }
            if code == EWOULDBLOCK {
                guard Date() < deadline else {
                    close(fd)
                    throw .held(path: path)
                }
                if !announced {
                    announced = true
                    onWait()
                }
                usleep(20_000)
            }
        }
    }

    private init(path: String, descriptor: Int32) {
        self.path = path
        self.descriptor = descriptor
    }

    /// Releases the lock (closing the descriptor releases the flock).
    deinit { close(descriptor) }
}
