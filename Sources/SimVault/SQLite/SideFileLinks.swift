internal import CSQLCipher

/// Makes SQLite refuse a symbolic link at a side file's name.
///
/// SQLite 3.15.2 opens a database's `-wal`, `-shm` and `-journal` with
/// `O_CREAT` and without `O_NOFOLLOW` (it has no `SQLITE_OPEN_NOFOLLOW`;
/// that came in 3.31). Someone who can write to the vault's directory could
/// plant `vault.db-wal -> ~/.ssh/id_ed25519` and the next connection would
/// write WAL frames, or the WAL index, through the link into that file.
/// simvault checks every file of a vault with `lstat` before opening it
/// (``VaultFiles``), but a link planted between that check and SQLite's own
/// `open` would still be followed.
///
/// This closes that gap inside SQLite: the unix VFS lets a program replace
/// its system calls (`sqlite3_vfs.xSetSystemCall`, made for fault injection
/// and sandboxes), and simvault's `open` adds `O_NOFOLLOW` for every side
/// file and every file opened with `O_CREAT` (`simvault_open_nofollow` in
/// `Sources/CSQLCipher/shim.h`). A planted link then fails with `ELOOP`, and
/// SQLite reports "unable to open database file" instead of writing through
/// it. Directory opens (SQLite's fsync of the directory) are unchanged, and
/// the main database path is not affected: SQLite resolves a symbolic link
/// to the database itself before deriving the side files' names.
///
/// The VFS is shared by the whole process, so the replacement applies to
/// every SQLite database this process opens through libsqlcipher, also an
/// app's own; no legitimate setup keeps a `-wal` or `-shm` as a link.
enum SideFileLinks {
    /// Whether the replacement is in place. Evaluated once, by the first
    /// ``Connection`` of the process (before any other connection exists,
    /// as `xSetSystemCall` requires); `health`'s engine check reports it.
    static let areRefused: Bool = simvault_install_nofollow_open() == SQLITE_OK
}
