import CProcessHardening
import Glibc

/// What the reader may use, set on itself before it opens the file (the
/// parent chooses the numbers and passes them as arguments).
struct ReaderLimits {
    /// `RLIMIT_AS`: the address space; a file that needs more makes SQLite
    /// fail with SQLITE_NOMEM (or the process die), never the machine swap.
    var memoryBytes = 1 << 30
    /// `RLIMIT_CPU`: a query that loops forever is killed by SIGXCPU.
    var cpuSeconds = 600
    /// Largest row sent, and SQLite's largest string or BLOB.
    var maximumRowBytes = 256 << 20

    /// Applies the process limits: no core file (the file's plaintext
    /// would land in it), the CPU limit, and the address-space limit.
    ///
    /// Under AddressSanitizer or ThreadSanitizer (`make sanitize` builds
    /// the reader with them) the address-space limit is left out: those
    /// runtimes reserve terabytes of shadow memory at start. SQLite's own
    /// limits still hold.
    func apply() {
        _ = simvault_disable_core_dumps()
        var cpu = rlimit(rlim_cur: rlim_t(cpuSeconds), rlim_max: rlim_t(cpuSeconds + 5))
        setrlimit(__rlimit_resource_t(RLIMIT_CPU.rawValue), &cpu)
        guard !Self.runsUnderSanitizer else { return }
        var memory = rlimit(rlim_cur: rlim_t(memoryBytes), rlim_max: rlim_t(memoryBytes))
        setrlimit(__rlimit_resource_t(RLIMIT_AS.rawValue), &memory)
    }

    private static var runsUnderSanitizer: Bool {
        let process = dlopen(nil, RTLD_NOW)
        defer { if let process { dlclose(process) } }
        return dlsym(process, "__asan_init") != nil || dlsym(process, "__tsan_init") != nil
    }
}
