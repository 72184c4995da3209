import ArgumentParser

/// `--wait SECONDS` for commands that need the vault's keys (or the whole
/// vault) to themselves.
struct WaitOption: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "When another process has the vault open or is changing its keys, wait up to this many seconds instead of failing with exit 13.",
        valueName: "seconds"))
    var wait: Double = 0

    func validate() throws {
        guard wait >= 0, wait <= 86400 else { throw ValidationError("--wait must be between 0 and 86400 seconds.") }
    }
}
