import CProcessHardening
import Foundation

/// Process-level protection of key material, applied before anything else
/// runs (as gpg-agent and cryptsetup do):
///
/// - `PR_SET_DUMPABLE 0`: no core dumps, and other processes of the same
///   user cannot ptrace this one or read its memory or environment through
///   /proc;
/// - `RLIMIT_CORE 0`: no core file even where dumpable is forced;
/// - crash signals print one fixed line and end the process, instead of
///   Swift's backtracer, which prints registers and the memory they point
///   to: bytes that may belong to a key or a password.
///
/// Set SIMVAULT_CRASH_BACKTRACE=1 to keep the backtracer when debugging
/// simvault itself (the output may then contain secrets).
enum ProcessHardening {
    static func apply() {
        _ = simvault_disable_core_dumps()
        guard ProcessInfo.processInfo.environment["SIMVAULT_CRASH_BACKTRACE"] != "1" else { return }
        for signal in [SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTRAP] {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = crashed
            sigemptyset(&action.sa_mask)
            // One shot: the handler restores the default and re-raises.
            action.sa_flags = Int32(bitPattern: UInt32(SA_RESETHAND))
            sigaction(signal, &action, nil)
        }
    }
}

/// Async-signal-safe: a constant message through write(2), then the default
/// action (termination by the same signal, no core file).
private func crashed(_ signal: Int32) {
    let message: StaticString = "simvault: internal error (crashed); no details are printed because they could include key material. Nothing was committed after the last completed operation. Please report this.\n"
    _ = write(STDERR_FILENO, message.utf8Start, message.utf8CodeUnitCount)
    raise(signal)
}
