import Foundation
import Glibc
import VaultKeys

/// A POSIX lock on the `-shm` file's dead-man-switch byte: proof that no
/// other process has the vault open, held (without any connection) while
/// `restore` or a cipher change swaps the vault's files. Compare
/// ``ExclusiveConnection``, a SQLite connection that keeps others out while
/// it works on the database itself.
///
/// How it is known: every SQLite connection to a database in WAL mode holds
/// a shared POSIX lock on one byte of the `-shm` file (the "dead-man
/// switch", byte 128 = `UNIX_SHM_DMS` in SQLite's `os_unix.c`) for as long
/// as it is open, and a process opening the database tries that byte before
/// it uses the file. So when this process gets an exclusive lock on it, no
/// other process has the vault open, and one that starts opening it now
/// waits (and finally fails with "busy") until the lock is released.
///
/// POSIX locks do not conflict within one process, and closing any
/// descriptor of the file releases them all: the caller must not have the
/// vault open itself (the CLI's `restore` never opens the live vault).
final class DeadManSwitchLock {
    /// SQLite's `UNIX_SHM_DMS`: (22 + SQLITE_SHM_NLOCK) * 4 + SQLITE_SHM_NLOCK.
    static let deadManSwitchByte: off_t = 128

    private var fd: Int32

    /// Takes the lock, creating an empty `-shm` file if there is none.
    ///
    /// - Throws: ``VaultError/busy(detail:)`` when another process has the
    ///   vault open; ``VaultError/io(detail:)``.
    init(_ location: VaultLocation) throws {
        // O_NOFOLLOW: a link planted at the -shm name is refused, not
        // created or locked through.
        fd = open(location.shmPath, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, PrivateFile.mode)
        guard fd >= 0 else {
            throw VaultError.io(detail: "cannot open \(location.shmPath) to check that no other program uses the vault: \(String(cString: strerror(errno)))")
        }
        var lock = flock()
        lock.l_type = Int16(F_WRLCK)
        lock.l_whence = Int16(SEEK_SET)
        lock.l_start = Self.deadManSwitchByte
        lock.l_len = 1
        guard fcntl(fd, F_SETLK, &lock) == 0 else {
            let code = errno
            close(fd)
            if code == EAGAIN || code == EACCES {
                throw VaultError.busy(detail: "another program has \(location.path) open; nothing was changed")
            }
            throw VaultError.io(detail: "cannot lock \(location.shmPath): \(String(cString: strerror(code)))")
        }
    }

    /// Releases the lock.
    func release() {
        guard fd >= 0 else { return }
        close(fd)
        fd = -1
    }

    deinit { release() }
}
